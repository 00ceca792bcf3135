"""Moves the outbox to the broker in order, at least once.

While connected, it publishes queued messages oldest first with QoS 1, keeping up to
``window`` in flight, and removes a prefix of the outbox only once every message in it
is acknowledged. When the connection drops it starts again from the oldest
unacknowledged message; the service drops the re-deliveries by ``seq``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from collector.publish.outbox import Entry, Outbox
from sitless.mqtt import MqttClient

log = logging.getLogger(__name__)


class Sender:
    """Drains an ``Outbox`` through an ``MqttClient``."""

    def __init__(self, outbox: Outbox, mqtt: MqttClient, *, window: int = 64) -> None:
        self.outbox = outbox
        self.mqtt = mqtt
        self.window = window
        self.sent = 0
        self.resends = 0
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """Tell the sender something new was queued."""
        self._wake.set()

    async def run(self) -> None:
        """Send forever (until cancelled)."""
        while True:
            await self.mqtt.connected.wait()
            try:
                await self._drain()
            except ConnectionError as exc:
                log.info("outbox paused with %d queued: %s", len(self.outbox), exc)
                self.resends += 1
                await asyncio.sleep(0.2)

    async def flush(self, timeout: float) -> bool:
        """Wait until the outbox is empty (True) or ``timeout`` passes (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.outbox):
            if loop.time() > deadline:
                return False
            self.notify()
            await asyncio.sleep(0.05)
        return True

    async def _drain(self) -> None:
        inflight: deque[tuple[Entry, asyncio.Future[None]]] = deque()
        last_sent = 0
        while self.mqtt.connected.is_set():
            batch = self.outbox.after(last_sent, limit=self.window - len(inflight))
            for entry in batch:
                future = self.mqtt.publish(entry.topic, entry.payload, qos=1, retain=entry.retain)
                inflight.append((entry, future))
                last_sent = entry.id
            if not inflight:
                self._wake.clear()
                wake = asyncio.ensure_future(self._wake.wait())
                lost = asyncio.ensure_future(self._lost())
                await asyncio.wait({wake, lost}, return_when=asyncio.FIRST_COMPLETED)
                wake.cancel()
                lost.cancel()
                continue
            entry, future = inflight[0]
            await future  # ConnectionError on a drop: run() starts again from the oldest
            acked = entry.id
            inflight.popleft()
            done = 1
            while inflight and inflight[0][1].done() and inflight[0][1].exception() is None:
                acked = inflight.popleft()[0].id
                done += 1
            self.outbox.remove_through(acked)
            self.sent += done

    async def _lost(self) -> None:
        while self.mqtt.connected.is_set():
            await asyncio.sleep(0.2)
