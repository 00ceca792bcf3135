"""In-process fan-out of what just happened, for the dashboard's live stream and the demo."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

Update = dict[str, Any]


class Live:
    """Each subscriber gets its own bounded queue; a slow one loses old updates, not us."""

    def __init__(self, size: int = 100_000) -> None:
        self._subscribers: set[asyncio.Queue[Update]] = set()
        self._size = size

    @property
    def listening(self) -> bool:
        """Whether anyone is subscribed (so callers can skip building updates)."""
        return bool(self._subscribers)

    def publish(self, update: Update) -> None:
        """Offer an update to every subscriber without waiting."""
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(update)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Update]]:
        """A queue of updates for as long as the context is open."""
        queue: asyncio.Queue[Update] = asyncio.Queue(self._size)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)
