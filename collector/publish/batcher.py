"""Turns classified epochs into self-describing posture events.

Each event carries ``since`` (the start of the current bout) and ``prior`` (the bout
before it), so the service can act on one message alone. An event goes out at once when
the posture changes, so it ends with the change; otherwise every ``max_batch_s`` of data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sitless.wire import Bout, Posture, PostureEvent


@dataclass(frozen=True, slots=True)
class Draft:
    """A posture event without its ``seq`` (the outbox assigns it)."""

    start: datetime
    epoch_s: float
    postures: tuple[Posture, ...]
    since: datetime
    prior: Bout | None

    def event(self, wearer: str, device: str, seq: int) -> PostureEvent:
        """The wire message for this draft."""
        return PostureEvent(
            wearer=wearer,
            device=device,
            seq=seq,
            start=self.start,
            epoch_s=self.epoch_s,
            postures=self.postures,
            since=self.since,
            prior=self.prior,
        )


@dataclass
class Batcher:
    """Groups consecutive epochs (given as UTC start time and posture) into drafts."""

    max_batch_s: float = 5.0
    epoch_s: float = 1.0
    _pending: list[Posture] = field(default_factory=list)
    _pending_start: datetime | None = None
    _bout: Bout | None = None
    _prior: Bout | None = None

    @property
    def bout(self) -> Bout | None:
        """The current bout."""
        return self._bout

    def push(self, start: datetime, posture: Posture) -> list[Draft]:
        """Add one epoch; returns the drafts that are ready to send."""
        out: list[Draft] = []
        if self._pending_start is not None and start != self._next_start():
            out.extend(self.flush())
        if self._bout is None or posture != self._bout.posture:
            self._prior = self._bout
            self._bout = Bout(posture=posture, start=start)
            changed = True
        else:
            changed = False
        if self._pending_start is None:
            self._pending_start = start
        self._pending.append(posture)
        if changed or len(self._pending) * self.epoch_s >= self.max_batch_s:
            out.extend(self.flush())
        return out

    def flush(self) -> list[Draft]:
        """Whatever is pending, as one draft (or none)."""
        if not self._pending or self._pending_start is None or self._bout is None:
            return []
        draft = Draft(
            start=self._pending_start,
            epoch_s=self.epoch_s,
            postures=tuple(self._pending),
            since=self._bout.start,
            prior=self._prior,
        )
        self._pending = []
        self._pending_start = None
        return [draft]

    def _next_start(self) -> datetime:
        assert self._pending_start is not None
        return self._pending_start + timedelta(seconds=self.epoch_s * len(self._pending))
