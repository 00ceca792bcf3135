"""The SQL store: wearers, bouts, prompts, acks, device status and data gaps.

SQLite by default (``sqlite:///path``, in WAL mode with foreign keys on), PostgreSQL by
URL (``postgresql+psycopg://user@host/db``). Every time goes in and comes out as a
timezone-aware UTC ``datetime``; SQLite keeps no zone, so the conversion happens in one
column type at the edge. Writes that must happen once (a prompt, an ack) are
``INSERT ... ON CONFLICT DO NOTHING`` on both dialects, so restarts, re-delivery and
parallel service instances never store a second copy. An unreachable database raises
``StoreUnavailable``; the caller keeps its data and retries.

The methods are synchronous; an asyncio caller runs them with ``asyncio.to_thread``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, Protocol

from sqlalchemy import (
    CursorResult,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Insert,
    String,
    UniqueConstraint,
    case,
    create_engine,
    delete,
    event,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, StatementError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from sitless.errors import StoreUnavailable
from sitless.wire.messages import Ack, Prompt, Status
from sitless.wire.posture import Posture

log = logging.getLogger(__name__)

_ID = 64  # wearer and device ids are at most 64 characters (sitless.wire.ids)
_NAME = 128


class Outcome(StrEnum):
    """How a prompt ended: the wearer moved, answered on the device, or let it pass."""

    MOVEMENT = "movement"
    DONE = "done"
    SNOOZE = "snooze"
    DISMISS = "dismiss"
    CANT_STAND = "cant_stand"
    IGNORED = "ignored"


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every dialect."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: the store takes aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(kind: type[StrEnum], name: str) -> Enum:
    # Store the values ("sitting"), not the member names, and as plain strings.
    return Enum(
        kind,
        name=name,
        native_enum=False,
        length=16,
        values_callable=lambda e: [m.value for m in e],
    )


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        Posture: _enum(Posture, "posture"),
    }


class WearerRow(Base):
    __tablename__ = "wearers"
    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    created: Mapped[datetime]
    timezone: Mapped[str | None] = mapped_column(String(_NAME))


class _OfWearer:
    wearer: Mapped[str] = mapped_column(String(_ID), ForeignKey("wearers.id"))
    device: Mapped[str] = mapped_column(String(_ID))


class BoutRow(_OfWearer, Base):
    __tablename__ = "bouts"
    __table_args__ = (UniqueConstraint("wearer", "start"), Index(None, "wearer", "end"))
    id: Mapped[int] = mapped_column(primary_key=True)
    posture: Mapped[Posture]
    start: Mapped[datetime]
    end: Mapped[datetime]


class PromptRow(_OfWearer, Base):
    __tablename__ = "prompts"
    __table_args__ = (
        UniqueConstraint("wearer", "rule", "bout_start", "repeat"),
        Index(None, "wearer", "at"),
    )
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    rule: Mapped[str] = mapped_column(String(_NAME))
    routine: Mapped[str] = mapped_column(String(_NAME))
    repeat: Mapped[int]
    posture: Mapped[Posture]
    bout_start: Mapped[datetime]
    at: Mapped[datetime]
    answer_within_s: Mapped[float]
    deadline: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None]
    outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome, "outcome"))


class AckRow(_OfWearer, Base):
    __tablename__ = "acks"
    __table_args__ = (UniqueConstraint("wearer", "device", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]
    prompt_id: Mapped[str] = mapped_column(String(255), index=True)
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]


class DeviceStatusRow(Base):
    __tablename__ = "device_status"
    wearer: Mapped[str] = mapped_column(String(_ID), ForeignKey("wearers.id"), primary_key=True)
    device: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    seq: Mapped[int]
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    sensor: Mapped[str | None] = mapped_column(String(64))
    battery_pct: Mapped[int | None]
    gap_start: Mapped[datetime | None]
    gap_end: Mapped[datetime | None]


class GapRow(_OfWearer, Base):
    __tablename__ = "gaps"
    __table_args__ = (UniqueConstraint("wearer", "device", "start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    start: Mapped[datetime]
    end: Mapped[datetime]


class RuleStateRow(Base):
    """Per wearer and rule: a snooze, and the bout whose prompts are closed."""

    __tablename__ = "rule_states"
    wearer: Mapped[str] = mapped_column(String(_ID), ForeignKey("wearers.id"), primary_key=True)
    rule: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    snoozed_until: Mapped[datetime | None]
    snooze_bout: Mapped[datetime | None]
    closed_bout: Mapped[datetime | None]


class FocusRow(Base):
    """The wearer's latest focus message (last ``at`` wins)."""

    __tablename__ = "focus"
    wearer: Mapped[str] = mapped_column(String(_ID), ForeignKey("wearers.id"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    until: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]


class SessionRow(Base):
    """One routine the wearer did: an answered prompt or one they logged themselves."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("wearer", "key"), Index(None, "wearer", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    wearer: Mapped[str] = mapped_column(String(_ID), ForeignKey("wearers.id"))
    key: Mapped[str] = mapped_column(String(255))
    """The prompt id, or a client-chosen id for a logged session: one session per key."""
    at: Mapped[datetime]
    routine: Mapped[str] = mapped_column(String(_NAME))
    source: Mapped[str] = mapped_column(String(16))


class PushSubscriptionRow(Base):
    """A browser's web-push subscription for one wearer (RFC 8030 endpoint + RFC 8291 keys)."""

    __tablename__ = "push_subscriptions"
    endpoint: Mapped[str] = mapped_column(String(2048), primary_key=True)
    wearer: Mapped[str] = mapped_column(String(_ID), ForeignKey("wearers.id"), index=True)
    p256dh: Mapped[str] = mapped_column(String(255))
    auth: Mapped[str] = mapped_column(String(255))
    created: Mapped[datetime]


class BoutLike(Protocol):
    """What ``upsert_bouts`` needs of a bout (the tracker's bouts fit)."""

    @property
    def wearer(self) -> str: ...
    @property
    def device(self) -> str: ...
    @property
    def posture(self) -> Posture: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...


class BoutUpdate(NamedTuple):
    """A bout to store: ``end`` grows while the bout goes on (made per message: a tuple)."""

    wearer: str
    device: str
    posture: Posture
    start: datetime
    end: datetime


class StoredBout(NamedTuple):
    """A stored bout, as ``(posture, start, end)``."""

    posture: Posture
    start: datetime
    end: datetime


class StoredGap(NamedTuple):
    """A stretch without data from one device."""

    device: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class StoredPrompt:
    """A stored prompt; ``outcome`` is None while it is open."""

    id: str
    wearer: str
    device: str
    rule: str
    routine: str
    repeat: int
    posture: Posture
    bout_start: datetime
    at: datetime
    answer_within_s: float
    deadline: datetime
    answered_at: datetime | None
    outcome: Outcome | None


@dataclass(frozen=True, slots=True)
class StoredWearer:
    id: str
    created: datetime
    timezone: str | None


@dataclass(frozen=True, slots=True)
class StoredRuleState:
    rule: str
    snoozed_until: datetime | None
    snooze_bout: datetime | None
    closed_bout: datetime | None


@dataclass(frozen=True, slots=True)
class StoredFocus:
    mode: str
    until: datetime | None
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StoredSession:
    at: datetime
    routine: str
    source: str
    key: str


@dataclass(frozen=True, slots=True)
class StoredPushSubscription:
    wearer: str
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True, slots=True)
class WearerSnapshot:
    """What the store knows that a wearer's rule context is rebuilt from after a restart."""

    timezone: str | None
    rule_states: list[StoredRuleState]
    focus: StoredFocus | None
    prompts: list[StoredPrompt]
    """Prompts made since the snapshot's ``since``, oldest first."""
    bouts: list[StoredBout]
    """Bouts that end after the snapshot's ``since``, oldest first."""


@dataclass(frozen=True, slots=True)
class StoredStatus:
    """The latest status of one device."""

    wearer: str
    device: str
    state: str
    at: datetime
    sensor: str | None
    battery_pct: int | None
    gap_start: datetime | None
    gap_end: datetime | None


class SqlStore:
    """Synchronous access to the SQL store at ``url``; thread-safe (one pool)."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self._engine = create_engine(url, echo=echo, pool_pre_ping=not url.startswith("sqlite"))
        self._dialect = self._engine.dialect.name
        self._known: set[str] = set()
        if self._dialect == "sqlite":
            event.listen(self._engine, "connect", _sqlite_pragmas)
            database = self._engine.url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).parent.mkdir(parents=True, exist_ok=True)
        elif self._dialect != "postgresql":
            raise ValueError(f"unsupported database {self._dialect!r}: use sqlite or postgresql")

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def create_all(self) -> None:
        """Bring the schema to the newest migration (every table, in an empty database)."""
        from service.store.migrate import upgrade  # migrate imports this module's models

        with self._guard("create tables"):
            upgrade(self._engine)

    def ensure_wearer(self, wearer: str, *, timezone: str | None = None) -> bool:
        """Add ``wearer`` if new (True); set its time zone when one is given."""
        row = {"id": wearer, "created": datetime.now(UTC)}
        with self._begin("ensure wearer") as conn:
            added = _wrote(conn, self._insert(WearerRow).on_conflict_do_nothing(), row)
            if timezone is not None:
                conn.execute(
                    update(WearerRow).where(WearerRow.id == wearer).values(timezone=timezone)
                )
            return added

    def wearers(self) -> list[StoredWearer]:
        """Every wearer, by id."""
        with self._begin("list wearers") as conn:
            rows = conn.execute(select(WearerRow.__table__).order_by(WearerRow.id))
            return [StoredWearer(**row._mapping) for row in rows]

    def upsert_bouts(self, bouts: Iterable[BoutLike]) -> int:
        """Store bouts; one per (wearer, start) whose ``end`` only ever grows."""
        bouts = list(bouts)
        values = [
            {
                "wearer": b.wearer,
                "device": b.device,
                "posture": b.posture,
                "start": b.start,
                "end": b.end,
            }
            for b in bouts
        ]
        if not values:
            return 0
        stmt = self._insert(BoutRow)
        stmt = stmt.on_conflict_do_update(
            index_elements=["wearer", "start"],
            set_={
                "end": case(
                    (stmt.excluded.end > BoutRow.end, stmt.excluded.end), else_=BoutRow.end
                ),
                "posture": stmt.excluded.posture,
                "device": stmt.excluded.device,
            },
        )
        with self._begin("store bouts") as conn:
            self._add_wearers(conn, {b.wearer for b in bouts})
            conn.execute(stmt, values)
        return len(values)

    def bouts_between(self, wearer: str, start: datetime, end: datetime) -> list[StoredBout]:
        """Bouts of ``wearer`` overlapping ``[start, end)``, earliest first."""
        query = (
            select(BoutRow.posture, BoutRow.start, BoutRow.end)
            .where(BoutRow.wearer == wearer, BoutRow.start < end, BoutRow.end > start)
            .order_by(BoutRow.start)
        )
        with self._begin("read bouts") as conn:
            return [StoredBout(*row) for row in conn.execute(query)]

    def record_prompt(self, prompt: Prompt) -> bool:
        """Store ``prompt``; True only the first time (any instance, any restart)."""
        row = {
            "id": prompt.id,
            "wearer": prompt.wearer,
            "device": prompt.device,
            "rule": prompt.rule,
            "routine": prompt.routine,
            "repeat": prompt.repeat,
            "posture": prompt.posture,
            "bout_start": prompt.bout_start,
            "at": prompt.at,
            "answer_within_s": prompt.answer_within_s,
            "deadline": prompt.at + timedelta(seconds=prompt.answer_within_s),
        }
        with self._begin("store prompt") as conn:
            self._add_wearers(conn, [prompt.wearer])
            return _wrote(conn, self._insert(PromptRow).on_conflict_do_nothing(), row)

    def open_prompts(self, wearer: str | None, at: datetime) -> list[StoredPrompt]:
        """Unanswered prompts of ``wearer`` (None: everyone) whose window is open at ``at``."""
        query = (
            select(PromptRow.__table__)
            .where(PromptRow.outcome.is_(None), PromptRow.deadline >= at)
            .order_by(PromptRow.at)
        )
        if wearer is not None:
            query = query.where(PromptRow.wearer == wearer)
        with self._begin("read open prompts") as conn:
            return [StoredPrompt(**row._mapping) for row in conn.execute(query)]

    def prompts_between(self, wearer: str, start: datetime, end: datetime) -> list[StoredPrompt]:
        """Prompts of ``wearer`` made in ``[start, end)``, earliest first."""
        query = (
            select(PromptRow.__table__)
            .where(PromptRow.wearer == wearer, PromptRow.at >= start, PromptRow.at < end)
            .order_by(PromptRow.at)
        )
        with self._begin("read prompts") as conn:
            return [StoredPrompt(**row._mapping) for row in conn.execute(query)]

    def answer_prompt(self, prompt_id: str, outcome: Outcome | str, at: datetime) -> bool:
        """Record how the prompt ended; True only for its first answer."""
        with self._begin("answer prompt") as conn:
            return self._answer(conn, prompt_id, Outcome(outcome), at) > 0

    def expire_prompts(self, now: datetime) -> int:
        """Mark prompts whose window closed before ``now`` unanswered as ``ignored``."""
        stmt = (
            update(PromptRow)
            .where(PromptRow.outcome.is_(None), PromptRow.deadline < now)
            .values(outcome=Outcome.IGNORED)
        )
        with self._begin("expire prompts") as conn:
            return _count(conn.execute(stmt))

    def settle_prompts(
        self, wearer: str, at: datetime, *, moved: bool
    ) -> list[tuple[str, Outcome]]:
        """Settle ``wearer``'s open prompts when a new bout begins at ``at``.

        If the new bout is on the feet (``moved``), prompts whose answer window holds
        ``at`` are answered by movement; prompts whose window closed before ``at`` are
        marked ignored. Kept in the store, not in a service's memory, so any instance
        on a shared subscription settles prompts another instance sent.
        """
        still_open = (PromptRow.wearer == wearer, PromptRow.outcome.is_(None))
        settled: list[tuple[str, Outcome]] = []
        with self._begin("settle prompts") as conn:
            if moved:
                answered = (
                    update(PromptRow)
                    .where(*still_open, PromptRow.at <= at, PromptRow.deadline >= at)
                    .values(outcome=Outcome.MOVEMENT, answered_at=at)
                    .returning(PromptRow.id)
                )
                settled += [(row[0], Outcome.MOVEMENT) for row in conn.execute(answered)]
            lapsed = (
                update(PromptRow)
                .where(*still_open, PromptRow.deadline < at)
                .values(outcome=Outcome.IGNORED)
                .returning(PromptRow.id)
            )
            settled += [(row[0], Outcome.IGNORED) for row in conn.execute(lapsed)]
        return settled

    def record_ack(self, ack: Ack) -> bool:
        """Store ``ack`` once per (wearer, device, seq) and answer its prompt with it.

        Returns True if the ack is new. Only a prompt of the same wearer is answered, and
        only if it had no answer yet.
        """
        row = {
            "wearer": ack.wearer,
            "device": ack.device,
            "seq": ack.seq,
            "prompt_id": ack.prompt_id,
            "action": ack.action,
            "at": ack.at,
        }
        with self._begin("store ack") as conn:
            self._add_wearers(conn, [ack.wearer])
            if not _wrote(conn, self._insert(AckRow).on_conflict_do_nothing(), row):
                return False
            self._answer(conn, ack.prompt_id, Outcome(ack.action), ack.at, wearer=ack.wearer)
            return True

    def record_status(self, status: Status) -> bool:
        """Keep ``status`` as its device's latest unless a later one is stored (True if kept).

        A status that reports a finished data gap also records the gap.
        """
        row = {
            "wearer": status.wearer,
            "device": status.device,
            "seq": status.seq,
            "state": status.state,
            "at": status.at,
            "sensor": status.sensor,
            "battery_pct": status.battery_pct,
            "gap_start": status.gap_start,
            "gap_end": status.gap_end,
        }
        stmt = self._insert(DeviceStatusRow)
        stmt = stmt.on_conflict_do_update(
            index_elements=["wearer", "device"],
            set_={k: stmt.excluded[k] for k in row if k not in ("wearer", "device")},
            where=stmt.excluded.at >= DeviceStatusRow.at,
        )
        with self._begin("store status") as conn:
            self._add_wearers(conn, [status.wearer])
            kept = _wrote(conn, stmt, row)
            if status.gap_start is not None and status.gap_end is not None:
                self._gap(conn, status.wearer, status.device, status.gap_start, status.gap_end)
            return kept

    def statuses(self, wearer: str) -> list[StoredStatus]:
        """The latest status of each of ``wearer``'s devices."""
        columns = [c for c in DeviceStatusRow.__table__.c if c.name != "seq"]
        query = select(*columns).where(DeviceStatusRow.wearer == wearer)
        with self._begin("read statuses") as conn:
            return [StoredStatus(**row._mapping) for row in conn.execute(query.order_by("device"))]

    def record_gap(self, wearer: str, device: str, start: datetime, end: datetime) -> None:
        """Record that ``device`` sent no data in ``[start, end)``; a longer report extends it."""
        with self._begin("store gap") as conn:
            self._add_wearers(conn, [wearer])
            self._gap(conn, wearer, device, start, end)

    def gaps_between(self, wearer: str, start: datetime, end: datetime) -> list[StoredGap]:
        """Data gaps of ``wearer`` overlapping ``[start, end)``, earliest first."""
        query = (
            select(GapRow.device, GapRow.start, GapRow.end)
            .where(GapRow.wearer == wearer, GapRow.start < end, GapRow.end > start)
            .order_by(GapRow.start)
        )
        with self._begin("read gaps") as conn:
            return [StoredGap(*row) for row in conn.execute(query)]

    def prompt(self, prompt_id: str) -> StoredPrompt | None:
        """The prompt with id ``prompt_id``, if stored."""
        query = select(PromptRow.__table__).where(PromptRow.id == prompt_id)
        with self._begin("read prompt") as conn:
            row = conn.execute(query).first()
            return None if row is None else StoredPrompt(**row._mapping)

    def snooze_rule(
        self, wearer: str, rule: str, until: datetime, bout_start: datetime | None
    ) -> None:
        """No prompt of ``rule`` for ``wearer`` before ``until`` (its bout re-prompted then)."""
        self._rule_state(wearer, rule, snoozed_until=until, snooze_bout=bout_start)

    def close_bout(self, wearer: str, rule: str, bout_start: datetime) -> None:
        """No more prompts of ``rule`` about the bout that began at ``bout_start``."""
        self._rule_state(wearer, rule, closed_bout=bout_start)

    def set_focus(
        self, wearer: str, *, mode: str, until: datetime | None, reason: str, at: datetime
    ) -> bool:
        """Keep this focus as the wearer's latest unless a later one is stored (True if kept)."""
        row = {"wearer": wearer, "mode": mode, "until": until, "reason": reason, "at": at}
        stmt = self._insert(FocusRow)
        stmt = stmt.on_conflict_do_update(
            index_elements=["wearer"],
            set_={k: stmt.excluded[k] for k in ("mode", "until", "reason", "at")},
            where=stmt.excluded.at >= FocusRow.at,
        )
        with self._begin("store focus") as conn:
            self._add_wearers(conn, [wearer])
            return _wrote(conn, stmt, row)

    def focus(self, wearer: str) -> StoredFocus | None:
        """The wearer's latest focus message, if any."""
        query = select(FocusRow.mode, FocusRow.until, FocusRow.reason, FocusRow.at).where(
            FocusRow.wearer == wearer
        )
        with self._begin("read focus") as conn:
            row = conn.execute(query).first()
            return None if row is None else StoredFocus(*row)

    def snapshots(self, wearers: Iterable[str], since: datetime) -> dict[str, WearerSnapshot]:
        """For each of ``wearers``, what rebuilds its rule context (see ``WearerSnapshot``).

        A handful of queries for any number of wearers (in chunks), so that a restarted
        service catching up with thousands of wearers does not query once per wearer.
        """
        ids = sorted(set(wearers))
        out: dict[str, WearerSnapshot] = {w: WearerSnapshot(None, [], None, [], []) for w in ids}
        with self._begin("read wearer state") as conn:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                for wearer, tz in conn.execute(
                    select(WearerRow.id, WearerRow.timezone).where(WearerRow.id.in_(chunk))
                ):
                    out[wearer] = WearerSnapshot(tz, [], None, [], [])
                states = select(RuleStateRow.__table__).where(RuleStateRow.wearer.in_(chunk))
                for row in conn.execute(states):
                    data = dict(row._mapping)
                    out[data.pop("wearer")].rule_states.append(StoredRuleState(**data))
                focus = select(FocusRow.__table__).where(FocusRow.wearer.in_(chunk))
                for row in conn.execute(focus):
                    data = dict(row._mapping)
                    wearer = data.pop("wearer")
                    snap = out[wearer]
                    out[wearer] = WearerSnapshot(
                        snap.timezone, snap.rule_states, StoredFocus(**data), [], []
                    )
                prompts = (
                    select(PromptRow.__table__)
                    .where(PromptRow.wearer.in_(chunk), PromptRow.at >= since)
                    .order_by(PromptRow.at)
                )
                for row in conn.execute(prompts):
                    stored = StoredPrompt(**row._mapping)
                    out[stored.wearer].prompts.append(stored)
                bouts = (
                    select(BoutRow.wearer, BoutRow.posture, BoutRow.start, BoutRow.end)
                    .where(BoutRow.wearer.in_(chunk), BoutRow.end > since)
                    .order_by(BoutRow.start)
                )
                for wearer, posture, start, end in conn.execute(bouts):
                    out[wearer].bouts.append(StoredBout(posture, start, end))
        return out

    def record_session(
        self, wearer: str, *, key: str, at: datetime, routine: str, source: str
    ) -> bool:
        """Count one routine done (once per ``key``); True if new."""
        row = {"wearer": wearer, "key": key, "at": at, "routine": routine, "source": source}
        with self._begin("store session") as conn:
            self._add_wearers(conn, [wearer])
            return _wrote(conn, self._insert(SessionRow).on_conflict_do_nothing(), row)

    def sessions_between(self, wearer: str, start: datetime, end: datetime) -> list[StoredSession]:
        """Sessions of ``wearer`` in ``[start, end)``, earliest first."""
        query = (
            select(SessionRow.at, SessionRow.routine, SessionRow.source, SessionRow.key)
            .where(SessionRow.wearer == wearer, SessionRow.at >= start, SessionRow.at < end)
            .order_by(SessionRow.at)
        )
        with self._begin("read sessions") as conn:
            return [StoredSession(*row) for row in conn.execute(query)]

    def first_session(self, wearer: str) -> datetime | None:
        """When the wearer's first session was, if any."""
        query = select(SessionRow.at).where(SessionRow.wearer == wearer).order_by(SessionRow.at)
        with self._begin("read sessions") as conn:
            return conn.execute(query.limit(1)).scalar()

    def add_push_subscription(self, wearer: str, endpoint: str, p256dh: str, auth: str) -> None:
        """Store (or move to ``wearer``) a browser's push subscription."""
        row = {
            "endpoint": endpoint,
            "wearer": wearer,
            "p256dh": p256dh,
            "auth": auth,
            "created": datetime.now(UTC),
        }
        stmt = self._insert(PushSubscriptionRow)
        stmt = stmt.on_conflict_do_update(
            index_elements=["endpoint"],
            set_={k: stmt.excluded[k] for k in ("wearer", "p256dh", "auth")},
        )
        with self._begin("store push subscription") as conn:
            self._add_wearers(conn, [wearer])
            conn.execute(stmt, row)

    def push_subscriptions(self, wearer: str) -> list[StoredPushSubscription]:
        """The wearer's web-push subscriptions."""
        query = select(
            PushSubscriptionRow.wearer,
            PushSubscriptionRow.endpoint,
            PushSubscriptionRow.p256dh,
            PushSubscriptionRow.auth,
        ).where(PushSubscriptionRow.wearer == wearer)
        with self._begin("read push subscriptions") as conn:
            return [StoredPushSubscription(*row) for row in conn.execute(query)]

    def remove_push_subscription(self, endpoint: str) -> bool:
        """Forget a subscription (the push service said it is gone); True if it existed."""
        stmt = delete(PushSubscriptionRow).where(PushSubscriptionRow.endpoint == endpoint)
        with self._begin("remove push subscription") as conn:
            return _count(conn.execute(stmt)) > 0

    def _rule_state(self, wearer: str, rule: str, **values: datetime | None) -> None:
        row = {"wearer": wearer, "rule": rule, **values}
        stmt = self._insert(RuleStateRow)
        stmt = stmt.on_conflict_do_update(
            index_elements=["wearer", "rule"], set_={k: stmt.excluded[k] for k in values}
        )
        with self._begin("store rule state") as conn:
            self._add_wearers(conn, [wearer])
            conn.execute(stmt, row)

    def _insert(self, model: type[Base]) -> Any:
        """A dialect-specific INSERT that has ``on_conflict_do_*``."""
        insert = sqlite.insert if self._dialect == "sqlite" else postgresql.insert
        stmt: Insert = insert(model)
        return stmt

    def _add_wearers(self, conn: Connection, wearers: Iterable[str]) -> None:
        # Every row references its wearer; adding it here spares callers the ordering.
        # Wearers are never deleted, so one this store has added stays known.
        now = datetime.now(UTC)
        rows = [{"id": w, "created": now} for w in wearers if w not in self._known]
        if rows:
            conn.execute(self._insert(WearerRow).on_conflict_do_nothing(), rows)
            conn.info.setdefault("sitless_added", set()).update(r["id"] for r in rows)

    def _answer(
        self,
        conn: Connection,
        prompt_id: str,
        outcome: Outcome,
        at: datetime,
        *,
        wearer: str | None = None,
    ) -> int:
        stmt = (
            update(PromptRow)
            .where(PromptRow.id == prompt_id, PromptRow.outcome.is_(None))
            .values(outcome=outcome, answered_at=at)
        )
        if wearer is not None:
            stmt = stmt.where(PromptRow.wearer == wearer)
        return _count(conn.execute(stmt))

    def _gap(
        self, conn: Connection, wearer: str, device: str, start: datetime, end: datetime
    ) -> None:
        stmt = self._insert(GapRow)
        stmt = stmt.on_conflict_do_update(
            index_elements=["wearer", "device", "start"],
            set_={
                "end": case((stmt.excluded.end > GapRow.end, stmt.excluded.end), else_=GapRow.end)
            },
        )
        conn.execute(stmt, {"wearer": wearer, "device": device, "start": start, "end": end})

    @contextmanager
    def _begin(self, what: str) -> Iterator[Connection]:
        with self._guard(what):
            with self._engine.begin() as conn:
                conn.info.pop("sitless_added", None)
                yield conn
                added = conn.info.pop("sitless_added", set())
            self._known |= added  # only once committed

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        try:
            yield
        except OperationalError as exc:
            raise StoreUnavailable(
                f"cannot {what}: database unavailable ({exc.orig})", value=self._safe_url()
            ) from exc
        except StatementError as exc:
            if isinstance(exc.orig, ValueError):
                # A value our column types refused (a naive datetime): the caller's mistake.
                raise ValueError(f"cannot {what}: {exc.orig}") from exc
            raise

    def _safe_url(self) -> str:
        return self._engine.url.render_as_string(hide_password=True)


def _count(result: CursorResult[Any]) -> int:
    """Rows an UPDATE changed."""
    return max(result.rowcount, 0)


def _wrote(conn: Connection, stmt: Any, row: dict[str, Any]) -> bool:
    """Whether an INSERT ... ON CONFLICT wrote ``row``.

    RETURNING answers this on both dialects (SQLite 3.35+); an INSERT's rowcount is not
    reliable through every driver.
    """
    return conn.execute(stmt.returning(literal_column("1")), row).first() is not None


def _sqlite_pragmas(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    # WAL lets the API read while ingest writes; SQLite leaves foreign keys off unless asked.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()
