"""The collector: samples from a source, postures out through the outbox to MQTT.

source.chunks() → PostureClassifier.feed() → Batcher.push() → Outbox.append() → Sender.
Data time is the source's own ``t`` mapped onto UTC from ``t0``; ``speed`` paces the
source against the wall clock (1 = real time). The collector also listens on its
wearer's prompt topic and hands prompts to ``on_prompt`` (where a wearable could buzz).

A live source (``collector.link.StreamSource``, the Bluetooth sensors) is read as an
async stream instead, paced by the sensor itself. Its gaps end the current bout (so no
gap counts as any posture) and are published in a status, through the outbox, so the
service stores them even if the broker was away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from collector.link import Gap, SensorState, StreamSource
from collector.posture import Calibration, PostureClassifier
from collector.publish.batcher import Batcher, Draft
from collector.publish.outbox import Outbox
from collector.publish.sender import Sender
from collector.sources.base import Source
from sitless.errors import WireError
from sitless.mqtt import BrokerUrl, MqttClient
from sitless.wire import Kind, Prompt, Status, decode, encode, topic

log = logging.getLogger(__name__)


@dataclass
class Progress:
    """What the collector has done so far."""

    epochs: int = 0
    events: int = 0
    last_seq: int | None = None
    data_end: datetime | None = None


class Collector:
    """One wearer's sensor, classified and published.

    Args:
        source: where samples come from.
        broker: the MQTT broker.
        wearer, device: ids used in topics and messages.
        outbox: durable queue (survives broker outages and restarts).
        t0: the UTC time of the source's ``t = 0``.
        speed: how many seconds of data per wall-clock second (``inf``: as fast as possible).
        batch_s: longest time epochs are held before sending.
        on_prompt: called with each prompt that arrives for this wearer.
        calibration: the wearer's stored sensor orientation, if any.
    """

    def __init__(
        self,
        source: Source | StreamSource,
        broker: BrokerUrl,
        *,
        wearer: str,
        device: str,
        outbox: Outbox,
        t0: datetime,
        speed: float = 1.0,
        batch_s: float = 5.0,
        on_prompt: Callable[[Prompt], None] | None = None,
        calibration: Calibration | None = None,
    ) -> None:
        self.source = source
        self.wearer = wearer
        self.device = device
        self.outbox = outbox
        self.t0 = t0
        self.speed = speed
        self.on_prompt = on_prompt
        self.progress = Progress()
        self.classifier = PostureClassifier(source.rate_hz, calibration)
        self.batcher = Batcher(max_batch_s=batch_s)
        self.batch_s = batch_s
        self.gaps = 0
        self._sensor_state = "offline" if isinstance(source, StreamSource) else "online"
        self._battery_pct: int | None = None
        self._gap: tuple[datetime, datetime] | None = None
        self._floor_t = float("-inf")
        will = self._status("offline", outbox.next_seq(device))
        self.mqtt = MqttClient(
            broker,
            client_id=f"sitless-collector-{wearer}-{device}",
            on_message=self._message,
            will=(topic(wearer, Kind.STATUS), encode(will)),
        )
        self.mqtt.subscribe(topic(wearer, Kind.PROMPT), qos=1)
        self.sender = Sender(outbox, self.mqtt)

    async def run(self, *, until: timedelta | None = None, flush_timeout: float = 30.0) -> Progress:
        """Read the source to its end (or ``until`` of data), then flush and go offline."""
        await self.mqtt.start()
        sender = asyncio.create_task(self.sender.run(), name="sender")
        online = asyncio.create_task(self._announce_online())
        try:
            await self._pump(until)
            if not await self.sender.flush(flush_timeout):
                log.warning("%d events still queued in the outbox at exit", len(self.outbox))
        finally:
            online.cancel()
            with contextlib.suppress(Exception):
                if self.mqtt.connected.is_set():
                    offline = self._status("offline", self.outbox.next_seq(self.device))
                    await asyncio.wait_for(
                        self.mqtt.publish(
                            topic(self.wearer, Kind.STATUS), encode(offline), retain=True
                        ),
                        2,
                    )
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            await self.mqtt.stop()
        return self.progress

    async def _pump(self, until: timedelta | None) -> None:
        if isinstance(self.source, StreamSource):
            await self._pump_stream(self.source, until)
            return
        loop = asyncio.get_running_loop()
        wall0: float | None = None
        first_t = 0.0
        limit = None if until is None else until.total_seconds()
        for chunk in self.source.chunks(1.0):
            if len(chunk.t) == 0:
                continue
            if wall0 is None:
                wall0, first_t = loop.time(), float(chunk.t[0])
            data_s = float(chunk.t[-1]) - first_t
            if limit is not None and data_s > limit:
                break
            if self.speed != float("inf"):
                delay = wall0 + data_s / self.speed - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            else:
                await asyncio.sleep(0)
            self._epochs(self.classifier.feed(chunk.t, chunk.accel_g))
        self._epochs(self.classifier.flush())
        for draft in self.batcher.flush():
            self._queue(draft)

    async def _pump_stream(self, source: StreamSource, until: timedelta | None) -> None:
        limit = None if until is None else until.total_seconds()
        first_t: float | None = None
        async for item in source.stream():
            if isinstance(item, Gap | SensorState):
                self._sensor_event(item)
                continue
            keep = item.t >= self._floor_t
            if not keep.all():
                item = type(item)(item.t[keep], item.accel_g[keep])
            if len(item) == 0:
                continue
            first_t = float(item.t[0]) if first_t is None else first_t
            if limit is not None and float(item.t[-1]) - first_t > limit:
                break
            self._epochs(source.refine(self.classifier.feed(item.t, item.accel_g)))
        self._epochs(source.refine(self.classifier.flush()))
        for draft in self.batcher.flush():
            self._queue(draft)

    def _sensor_event(self, event: Gap | SensorState) -> None:
        """A live source went offline, came back (with a gap), or reported its battery."""
        assert isinstance(self.source, StreamSource)
        if isinstance(event, SensorState) and event.online:
            self._battery_pct = event.battery_pct
            self._sensor_state = "online"
            self._publish_status()
            return
        # Settle what was measured before the gap, then start a new bout after it.
        self._epochs(self.source.refine(self.classifier.flush()))
        for draft in self.batcher.flush():
            self._queue(draft)
        self.batcher = Batcher(max_batch_s=self.batch_s)
        if self.progress.data_end is not None:
            self._floor_t = (self.progress.data_end - self.t0).total_seconds()
        if isinstance(event, SensorState):
            self._sensor_state = "offline"
            self._publish_status()
            return
        start = self.t0 + timedelta(seconds=event.start_t)
        end = self.t0 + timedelta(seconds=event.end_t)
        self._gap = (start, end)
        self.gaps += 1
        log.info("sensor data gap %s - %s reported", start, end)

        def build(seq: int) -> tuple[str, bytes]:
            return topic(self.wearer, Kind.STATUS), encode(self._status("online", seq, at=end))

        self.outbox.append(self.device, build)
        self.sender.notify()

    def _publish_status(self) -> None:
        if not self.mqtt.connected.is_set():
            return  # _announce_online publishes the current state once connected
        status = self._status(self._sensor_state, self.outbox.next_seq(self.device))
        future = self.mqtt.publish(topic(self.wearer, Kind.STATUS), encode(status), retain=True)
        future.add_done_callback(_ignore_result)

    def _epochs(self, epochs: list) -> None:  # type: ignore[type-arg]
        for epoch in epochs:
            start = self.t0 + timedelta(seconds=float(epoch.t_start))
            self.progress.epochs += 1
            self.progress.data_end = self.t0 + timedelta(seconds=float(epoch.t_end))
            for draft in self.batcher.push(start, epoch.posture):
                self._queue(draft)

    def _queue(self, draft: Draft) -> None:
        def build(seq: int) -> tuple[str, bytes]:
            return topic(self.wearer, Kind.POSTURE), encode(
                draft.event(self.wearer, self.device, seq)
            )

        self.progress.last_seq = self.outbox.append(self.device, build)
        self.progress.events += 1
        self.sender.notify()

    async def _announce_online(self) -> None:
        while True:
            await self.mqtt.connected.wait()
            status = self._status(self._sensor_state, self.outbox.next_seq(self.device))
            with contextlib.suppress(ConnectionError):
                await self.mqtt.publish(
                    topic(self.wearer, Kind.STATUS), encode(status), retain=True
                )
            while self.mqtt.connected.is_set():
                await asyncio.sleep(0.5)

    def _status(self, state: str, seq: int, *, at: datetime | None = None) -> Status:
        return Status(
            wearer=self.wearer,
            device=self.device,
            seq=seq,
            state=state,  # type: ignore[arg-type,unused-ignore]
            at=at or self.progress.data_end or self.t0,
            sensor=self.source.name,
            battery_pct=self._battery_pct,
            gap_start=self._gap[0] if self._gap else None,
            gap_end=self._gap[1] if self._gap else None,
        )

    def _message(self, name: str, payload: bytes) -> None:
        try:
            message = decode(name, payload)
        except WireError as exc:
            log.warning("ignored a bad prompt on %s: %s", name, exc)
            return
        if isinstance(message, Prompt) and self.on_prompt is not None:
            self.on_prompt(message)


def _ignore_result(future: asyncio.Future[None]) -> None:
    """Retrieve a status publish's outcome: a lost retained status is re-sent on reconnect."""
    if not future.cancelled():
        future.exception()
