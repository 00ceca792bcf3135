"""Versioned, frozen message models of the wire contract (schema version 1).

Every message carries ``v``, ``wearer`` and ``device``; messages a device originates
(posture, status, ack) also carry a per-device ``seq`` that only ever grows, so a
consumer can drop re-deliveries. A prompt is identified by ``id`` instead, derived from
(wearer, rule, bout start, repeat), which is what makes prompting idempotent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sitless.wire.ids import DeviceId, WearerId
from sitless.wire.posture import Posture

VERSION = 1


def _utc(value: Any) -> Any:
    """An ISO 8601 text or aware datetime as a datetime in ``datetime.UTC``; else as given.

    Every instant on the wire shares the one ``UTC`` object, which the service compares
    and hashes many times per message: datetimes with the same ``tzinfo`` object compare
    without asking it for offsets (about 13 times faster than pydantic's own ``TzInfo``).
    What this cannot read, pydantic then rejects with its usual error.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime) and value.tzinfo is not None and value.tzinfo is not UTC:
        try:
            return value.astimezone(UTC)
        except (OverflowError, ValueError):  # e.g. 0001-01-01T00:00+01:00: kept as given
            return value
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_utc)]


@lru_cache(maxsize=1024)
def _span(epoch_s: float, epochs: int) -> timedelta:
    """How long ``epochs`` epochs last (few distinct values: kept, not rebuilt per message)."""
    return timedelta(seconds=epoch_s * epochs)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Envelope(_Model):
    v: Literal[1] = Field(1, description="Schema version of this message.")
    wearer: WearerId = Field(description="Who wears the sensor.")
    device: DeviceId = Field(description="Which sensor (or collector) the message is about.")


class _DeviceMessage(_Envelope):
    seq: Annotated[int, Field(ge=0, description="Per-device counter; grows by message.")]


class Bout(_Model):
    """A run of one posture: where it began (and, once over, where it ended)."""

    posture: Posture
    start: Instant


class PostureEvent(_DeviceMessage):
    """One or more consecutive epochs of the wearer's posture.

    The collector sends at once when the posture changes, otherwise every few seconds
    with the epochs since its last message. ``since`` is when the bout of the last
    epoch's posture began and ``prior`` the bout before it, so one message is enough to
    decide "sitting for 47 minutes" or "a 25-minute ride just ended".
    """

    type: Literal["posture"] = "posture"
    start: Instant = Field(description="Start of the first epoch (UTC).")
    epoch_s: Annotated[float, Field(gt=0, le=60, description="Length of each epoch, s.")] = 1.0
    postures: Annotated[
        tuple[Posture, ...], Field(min_length=1, max_length=3600, description="One per epoch.")
    ]
    since: Instant = Field(description="When the current (last epoch's) bout began.")
    prior: Bout | None = Field(None, description="The bout before the current one, if known.")

    @model_validator(mode="after")
    def _consistent(self) -> PostureEvent:
        try:
            last_start = self.start + _span(self.epoch_s, len(self.postures) - 1)
            self.end  # noqa: B018  (must be a datetime too)
        except OverflowError:
            raise ValueError("the epochs end after the year 9999") from None
        if self.since > last_start:
            raise ValueError("since is after the start of the last epoch")
        if self.prior is not None and self.prior.start > self.since:
            raise ValueError("prior bout starts after the current bout")
        return self

    @property
    def posture(self) -> Posture:
        """The posture of the last epoch: the wearer's current posture."""
        return self.postures[-1]

    @property
    def end(self) -> datetime:
        """End of the last epoch."""
        return self.start + _span(self.epoch_s, len(self.postures))

    def epochs(self) -> list[tuple[datetime, Posture]]:
        """Each epoch's start time and posture."""
        step = timedelta(seconds=self.epoch_s)
        return [(self.start + i * step, p) for i, p in enumerate(self.postures)]


class Status(_DeviceMessage):
    """The collector's view of a device: retained; the Last Will sets it offline."""

    type: Literal["status"] = "status"
    state: Literal["online", "offline"]
    at: Instant
    sensor: str | None = Field(None, max_length=64, description="Sensor kind, e.g. simulator.")
    battery_pct: Annotated[int, Field(ge=0, le=100)] | None = None
    gap_start: Instant | None = Field(None, description="Start of the last data gap.")
    gap_end: Instant | None = Field(None, description="End of the last data gap.")


class Step(_Model):
    """One step of a routine as shown to the wearer."""

    text: str
    hold_s: float | None = None
    reps: str | None = None


class Prompt(_Envelope):
    """A routine the service asks the wearer to do now."""

    type: Literal["prompt"] = "prompt"
    id: str = Field(description="Idempotency key: wearer, rule, bout start and repeat.")
    rule: str
    routine: str
    title: str
    message: str
    steps: tuple[Step, ...] = ()
    repeat: Annotated[int, Field(ge=0)] = 0
    posture: Posture
    bout_start: Instant
    at: Instant
    answer_within_s: Annotated[float, Field(ge=0)] = 600.0
    why: str | None = Field(None, description="Why this routine, now (one or two sentences).")
    dose: str | None = Field(None, description="How long and how often.")
    cues: tuple[str, ...] | None = Field(None, description="Form cues, e.g. 'core engaged'.")
    easier: str | None = Field(None, description="An easier variant.")
    harder: str | None = Field(None, description="A harder variant.")
    alternative: str | None = Field(
        None, description="Routine offered if the wearer answers cant_stand (seated)."
    )


class Ack(_DeviceMessage):
    """The wearer's answer to a prompt.

    ``done``: did it; ``snooze``: ask again in ``snooze_min`` minutes (default 10), or
    with ``snooze_until: tomorrow`` not before the next local day; ``dismiss``: not this
    time; ``cant_stand``: cannot get up now, send the seated alternative.
    """

    type: Literal["ack"] = "ack"
    prompt_id: str
    action: Literal["done", "snooze", "dismiss", "cant_stand"]
    snooze_min: Annotated[int, Field(ge=1, le=24 * 60)] | None = None
    snooze_until: Literal["tomorrow"] | None = Field(
        None, description="With action snooze: no prompt of this rule until the next day."
    )
    at: Instant


class Focus(_Envelope):
    """The wearer does not want to be interrupted (a focus app, a car, a meeting room).

    Last one wins (by ``at``); ``mode: off`` ends focus early. ``reason: transport``
    always suppresses: nobody should be asked to stand up while driving.
    """

    type: Literal["focus"] = "focus"
    mode: Literal["defer", "suppress", "off"] = Field(
        description="defer: hold prompts until it ends; suppress: drop them; off: end focus."
    )
    until: Instant | None = Field(None, description="When it ends; needed unless off.")
    reason: str = Field("focus", max_length=32, description="focus, transport, ...")
    at: Instant

    @model_validator(mode="after")
    def _until_unless_off(self) -> Focus:
        if self.mode != "off" and self.until is None:
            raise ValueError("until is required unless mode is off")
        return self


class WearerState(_Envelope):
    """The wearer's current state as the service sees it (retained; Home Assistant reads it)."""

    type: Literal["state"] = "state"
    posture: Posture
    bout_min: float = Field(description="Minutes in the current posture.")
    sitting_today_min: float | None = Field(None, description="Sitting minutes, local day.")
    last_prompt: str | None = Field(None, description="Title of the last prompt.")
    last_prompt_at: Instant | None = None
    last_outcome: str | None = Field(
        None, description="movement, done, snooze, dismiss, cant_stand, ignored, or open."
    )
    at: Instant


Message = PostureEvent | Status | Prompt | Ack | Focus | WearerState


def prompt_id(wearer: str, rule: str, bout_start: datetime, repeat: int) -> str:
    """The idempotency key of a prompt: one per (wearer, rule, bout start, repeat)."""
    return f"{wearer}/{rule}/{bout_start.astimezone(UTC):%Y%m%dT%H%M%SZ}/{repeat}"


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
