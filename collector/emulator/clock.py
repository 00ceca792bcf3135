"""Virtual time: UTC seconds that run ``speed`` times faster than the wall clock."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime


class VirtualClock:
    """A UTC clock starting at ``start`` and running ``speed`` times real time.

    Emulated devices stream the samples whose time has come on this clock, and the link
    under test reads it as its host clock, so an hour of data passes in seconds while
    every timing relation (latency, drift, outages) keeps its shape.
    """

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.start = start
        self.start_s = start.timestamp()
        self.speed = float(speed)
        self._real0 = time.monotonic()

    def now(self) -> float:
        """UTC seconds now."""
        return self.start_s + (time.monotonic() - self._real0) * self.speed

    def __call__(self) -> float:
        return self.now()

    def elapsed(self) -> float:
        """Virtual seconds since ``start``: the simulator's data time."""
        return self.now() - self.start_s

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of virtual time."""
        await asyncio.sleep(max(0.0, seconds) / self.speed)

    async def sleep_until(self, elapsed_s: float) -> None:
        """Wait until ``elapsed()`` reaches ``elapsed_s``."""
        await self.sleep(elapsed_s - self.elapsed())
