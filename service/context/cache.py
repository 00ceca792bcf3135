"""Each wearer's rule ``Context`` in memory, rebuilt from the store after a restart.

The ingest's fast path asks ``Contexts.seen(event, end)`` for every posture event: that
counts the event into today's totals and tells whether the wearer's context has been
loaded. A wearer seen for the first time is queued for loading; ``load`` builds the
contexts of every queued wearer from one ``SqlStore.snapshots`` call (run by the slow
lane), so a restart costs a few queries, not one per wearer, and the fast path never
touches SQL. Until a wearer is loaded the ingest keeps their events aside and runs the
rules over them once the context is there: a restart must not forget a snooze or a
"done", nor drop a prompt that fell due in a backlog.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from service.rules.context import (
    SENT_MEMORY,
    Context,
    DayTotals,
    Focus,
    FocusMode,
    Meeting,
    Sent,
    Snooze,
)
from service.store.sql import WearerSnapshot
from sitless.wire import PostureEvent
from sitless.wire.posture import Posture

WAITING_MAX = 2000
"""Events kept per wearer while their context loads (about 3 hours at one per 5 s)."""


@dataclass(slots=True)
class WearerState:
    """One wearer as the service sees them now."""

    context: Context
    first_start: datetime
    """Start of the first event seen since start-up: totals before it come from the store."""
    loaded: bool = False
    posture: Posture | None = None
    since: datetime | None = None
    at: datetime | None = None
    last_prompt: str | None = None
    last_prompt_id: str | None = None
    last_prompt_at: datetime | None = None
    last_outcome: str | None = None
    changed: bool = field(default=True)
    """Something worth publishing (posture, prompt, outcome) changed since last asked."""
    focus_at: datetime | None = None
    """When the focus in the context was set (the latest focus message wins)."""
    waiting: deque[PostureEvent] = field(default_factory=lambda: deque(maxlen=WAITING_MAX))
    """Events that arrived before the context was loaded: the rules see them after."""


class Contexts:
    """The per-wearer contexts of one service instance.

    Args:
        default_tz: the zone of wearers who have not set one.
        keep_totals: count every epoch into the wearer's day totals (needed by
            ``daily_total`` triggers and Home Assistant's "sitting today").
    """

    def __init__(self, default_tz: ZoneInfo, *, keep_totals: bool) -> None:
        self.default_tz = default_tz
        self.keep_totals = keep_totals
        self._wearers: dict[str, WearerState] = {}
        self._pending: set[str] = set()
        self._meetings: dict[str, tuple[Meeting, ...]] = {}

    def __contains__(self, wearer: str) -> bool:
        return wearer in self._wearers

    def get(self, wearer: str) -> WearerState | None:
        """The wearer's state, if seen since start-up."""
        return self._wearers.get(wearer)

    def wearers(self) -> Iterable[tuple[str, WearerState]]:
        """Every wearer seen since start-up."""
        return self._wearers.items()

    def seen(self, event: PostureEvent, end: datetime) -> WearerState:
        """Count ``event`` (which ends at ``end``) in; the wearer's state.

        ``loaded`` stays False until ``load``. Called for every posture event, so it
        does as little as it can: an event inside one bout and one day adds its length
        to one posture in one step.
        """
        state = self._wearers.get(event.wearer)
        if state is None:
            context = Context(meetings=self._meetings.get(event.wearer, ()))
            state = WearerState(context, first_start=event.start)
            self._wearers[event.wearer] = state
            self._pending.add(event.wearer)
        posture = event.posture
        since = event.since
        if self.keep_totals:
            context = state.context
            totals = context.totals
            start = event.start
            if totals is None or start >= totals.end:
                totals = context.totals = DayTotals.of(start, context.tz or self.default_tz)
            if since <= start and totals.start <= start and end <= totals.end:
                seconds = totals.seconds
                seconds[posture] = seconds.get(posture, 0.0) + event.epoch_s * len(event.postures)
            else:
                context.count(start, event.epoch_s, event.postures)
        if posture is not state.posture or since != state.since:
            state.changed = True
        state.posture, state.since, state.at = posture, since, end
        return state

    def take_pending(self) -> set[str]:
        """The wearers waiting to be loaded (the set is emptied)."""
        pending, self._pending = self._pending, set()
        return pending

    def requeue(self, wearers: Iterable[str]) -> None:
        """Load these wearers again later (the store was away)."""
        self._pending.update(w for w in wearers if w in self._wearers)

    @property
    def pending(self) -> bool:
        """Whether some wearer waits to be loaded."""
        return bool(self._pending)

    def load(self, snapshots: dict[str, WearerSnapshot]) -> None:
        """Build the contexts of wearers from what the store had (see ``take_pending``)."""
        for wearer, snap in snapshots.items():
            state = self._wearers.get(wearer)
            if state is None:
                continue
            context = state.context
            context.tz = _zone(snap.timezone)
            for rs in snap.rule_states:
                if rs.snoozed_until is not None:
                    context.snoozes[rs.rule] = Snooze(rs.snoozed_until, rs.snooze_bout)
                if rs.closed_bout is not None:
                    context.closed[rs.rule] = rs.closed_bout
            focus = snap.focus
            if focus is not None and (state.focus_at is None or focus.at > state.focus_at):
                state.focus_at = focus.at
                context.focus = None
                if focus.mode != "off" and focus.until is not None:
                    context.focus = Focus(FocusMode(focus.mode), focus.until, focus.reason)
            known = {(s.rule, s.bout_start, s.repeat) for s in context.sent}
            earlier = [
                Sent(p.rule, p.bout_start, p.repeat, p.at)
                for p in snap.prompts
                if (p.rule, p.bout_start, p.repeat) not in known
            ]
            context.sent = sorted([*earlier, *context.sent], key=lambda s: s.at)
            if snap.prompts:
                last = snap.prompts[-1]
                if state.last_prompt_at is None or last.at > state.last_prompt_at:
                    state.last_prompt, state.last_prompt_id = last.rule, last.id
                    state.last_prompt_at = last.at
                    state.last_outcome = str(last.outcome) if last.outcome else "open"
            if self.keep_totals:
                self._reload_totals(state, snap)
            state.loaded = True
            state.changed = True

    def _reload_totals(self, state: WearerState, snap: WearerSnapshot) -> None:
        context = state.context
        tz = context.tz or self.default_tz
        now = state.at or state.first_start
        totals = DayTotals.of(now, tz)
        counted = context.totals
        if counted is not None and counted.start <= now <= counted.end:
            # What the events since start-up added, counted before the wearer's own zone was
            # known; they fall on today in that zone too, unless start-up straddled midnight.
            totals.seconds.update(counted.seconds)
        cut = max(state.first_start, totals.start)
        for bout in snap.bouts:
            start, end = max(bout.start, totals.start), min(bout.end, cut)
            if end > start:
                posture = Posture(bout.posture)
                totals.seconds[posture] = (
                    totals.seconds.get(posture, 0.0) + (end - start).total_seconds()
                )
        context.totals = totals

    def note_sent(self, wearer: str, sent: Sent, title: str, prompt_id: str) -> None:
        """A prompt of ``wearer`` was queued for sending."""
        state = self._wearers.get(wearer)
        if state is None:
            return
        state.context.note_sent(sent)
        state.last_prompt, state.last_prompt_id, state.last_prompt_at = title, prompt_id, sent.at
        state.last_outcome = "open"
        state.changed = True

    def note_outcome(self, wearer: str, prompt_id: str, outcome: str) -> None:
        """A prompt of ``wearer`` was answered (or ignored)."""
        state = self._wearers.get(wearer)
        if state is not None and state.last_prompt_id == prompt_id:
            state.last_outcome = outcome
            state.changed = True

    def snooze(self, wearer: str, rule: str, snooze: Snooze) -> None:
        """No prompt of ``rule`` before ``snooze.until``."""
        state = self._wearers.get(wearer)
        if state is not None:
            state.context.snoozes[rule] = snooze

    def close(self, wearer: str, rule: str, bout_start: datetime) -> None:
        """No more prompts of ``rule`` about that bout."""
        state = self._wearers.get(wearer)
        if state is not None:
            state.context.closed[rule] = bout_start

    def set_focus(self, wearer: str, focus: Focus | None, *, at: datetime) -> None:
        """The wearer's focus (None: off), set at ``at``; an older message changes nothing."""
        state = self._wearers.get(wearer)
        if state is not None and (state.focus_at is None or at >= state.focus_at):
            state.context.focus = focus
            state.focus_at = at

    def set_timezone(self, wearer: str, tz: str | None) -> None:
        """The wearer's own zone (None: the service default)."""
        state = self._wearers.get(wearer)
        if state is not None:
            state.context.tz = _zone(tz)

    def set_meetings(self, wearer: str, meetings: Iterable[Meeting]) -> None:
        """The wearer's meetings, from their calendar (replaces the previous list)."""
        ordered = tuple(sorted(meetings, key=lambda m: m.start))
        self._meetings[wearer] = ordered
        state = self._wearers.get(wearer)
        if state is not None:
            state.context.meetings = ordered

    def meetings(self, wearer: str) -> tuple[Meeting, ...]:
        """The wearer's meetings as last read from their calendar."""
        return self._meetings.get(wearer, ())


def snapshot_since(at: datetime) -> datetime:
    """How far back a snapshot must reach to rebuild a context at ``at``."""
    return at - SENT_MEMORY - timedelta(hours=1)


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
