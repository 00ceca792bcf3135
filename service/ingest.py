"""From MQTT messages to bouts, prompts and answers.

In: raw (topic, payload) from the service's MQTT subscription. Out: bouts and prompts in
the SQL store, points to the time-series writer, prompts to the notifier, updates to the
live stream.

Each message is handled at once on the event loop by plain synchronous code (decode,
dedup, bouts, rules); whatever needs the store or the network goes, in order, to one
"slow lane" task, so a slow disk never stalls reading MQTT. Every payload is
validated; a bad one goes to ``sitless/v1/_dead`` with its reason and is counted.
Re-delivered messages (``seq`` not newer than the last one seen from that device and
topic kind) are counted and dropped; status is last-state-wins and exempt, since the
broker's Last Will carries an older seq. Prompts are deduplicated by id here and, across
restarts and instances, by the store. When a new bout begins, the store settles the
wearer's open prompts (answered by movement, or ignored once their window has passed),
so answers need no memory in any one instance.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from service.bouts import BoutTracker
from service.live import Live
from service.metrics import Metrics
from service.notify import Notifier
from service.rules import Engine
from service.store.sql import BoutUpdate, SqlStore
from service.store.timeseries import TimeSeriesWriter, posture_points
from sitless.errors import StoreUnavailable, WireError
from sitless.mqtt import MqttClient
from sitless.wire import DEAD, Ack, Kind, PostureEvent, Prompt, Status, decode, parse

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]
# Prompt ids remembered to skip the store on repeat: a prompt stays due for as long as
# its condition holds (minutes), so this only needs to outlast that; the store is the
# authority after that.
FIRED_MEMORY = 100_000


class Ingest:
    """Consumes the service's MQTT messages in arrival order."""

    def __init__(
        self,
        *,
        mqtt: MqttClient,
        store: SqlStore,
        engine: Engine,
        notifier: Notifier,
        metrics: Metrics,
        live: Live,
        timeseries: TimeSeriesWriter | None = None,
        queue_size: int = 100_000,
        flush_interval_s: float = 5.0,
    ) -> None:
        self.mqtt = mqtt
        self.store = store
        self.engine = engine
        self.notifier = notifier
        self.metrics = metrics
        self.live = live
        self.timeseries = timeseries
        self.flush_interval_s = flush_interval_s
        self.lane: asyncio.Queue[Job] = asyncio.Queue(queue_size)
        self.tracker = BoutTracker()
        self._last_seq: dict[tuple[str, str, Kind], int] = {}
        self._fired: dict[str, None] = {}  # insertion-ordered, bounded: a recent-ids set
        self._bouts: dict[tuple[str, datetime], BoutUpdate] = {}
        for name, text, label in (
            ("received", "messages received, per topic kind", "kind"),
            ("rejected", "messages rejected to the dead-letter topic, per reason", "reason"),
            ("duplicates", "re-delivered messages dropped by seq, per topic kind", "kind"),
            ("prompts", "prompts sent, per rule", "rule"),
            ("answered", "prompts answered, per outcome", "outcome"),
            ("store_errors", "store writes that failed, per kind of write", "write"),
        ):
            metrics.describe(name, text, label)

    async def run(self) -> None:
        """Work the slow lane until cancelled; bouts are stored every ``flush_interval_s``.

        Closed bouts and open ones alike: the open bout's end moves every message, and
        storing it every few seconds instead of every message keeps SQL off the hot path.
        """
        flusher = asyncio.create_task(self._flush_forever())
        try:
            while True:
                job = await self.lane.get()
                try:
                    await job()
                except StoreUnavailable as exc:
                    self.metrics.inc("store_errors", "slow_lane")
                    log.error("store unavailable: %s", exc)
                finally:
                    self.lane.task_done()
        finally:
            flusher.cancel()
            await self.flush()

    async def drain(self) -> None:
        """Wait until every job queued so far is done and bouts are stored."""
        await self.lane.join()
        await self.flush()

    async def caught_up(self, wearer: str, device: str, seq: int, timeout: float = 10) -> None:
        """Wait until the posture event ``seq`` of ``device`` has arrived, then ``drain``."""
        key = (wearer, device, Kind.POSTURE)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._last_seq.get(key, -1) < seq:
            if loop.time() > deadline:
                raise TimeoutError(f"posture event {seq} of {wearer}/{device} never arrived")
            await asyncio.sleep(0.01)
        await self.drain()

    def on_message(self, topic: str, payload: bytes) -> None:
        """Handle one MQTT message (called on the event loop, in arrival order)."""
        try:
            where = parse(topic)
            message = decode(where, payload)
        except WireError as exc:
            self.metrics.inc("rejected", exc.reason)
            self._dead(topic, payload, exc.reason, str(exc))
            return
        kind = where.kind
        self.metrics.inc("received", kind)
        if isinstance(message, Prompt):
            return  # our own prompts, if someone subscribed us to everything
        if not isinstance(message, Status):
            key = (message.wearer, message.device, kind)
            if message.seq <= self._last_seq.get(key, -1):
                self.metrics.inc("duplicates", kind)
                return
            self._last_seq[key] = message.seq
        if isinstance(message, PostureEvent):
            self._posture(message)
        elif isinstance(message, Ack):
            self._later(functools.partial(self._ack, message))
        else:
            self._later(functools.partial(self._status, message))

    def _posture(self, event: PostureEvent) -> None:
        update = self.tracker.update(event)
        for span in (*update.closed, update.current):
            self._bouts[(event.wearer, span.start)] = BoutUpdate(
                event.wearer, event.device, span.posture, span.start, span.end
            )
        if self.timeseries is not None:
            self.timeseries.add(posture_points(event))
        if event.since >= event.start:  # a new bout began in this event
            self._later(
                functools.partial(self._settle, event.wearer, event.since, event.posture.upright)
            )
        for due in self.engine.due(event):
            prompt_id = due.prompt_id(event.wearer)
            if prompt_id in self._fired:
                continue
            self._fired[prompt_id] = None
            if len(self._fired) > FIRED_MEMORY:
                del self._fired[next(iter(self._fired))]
            prompt = due.prompt(event.wearer, event.device, at=event.end)
            self._later(functools.partial(self._prompt, prompt))
        if self.live.listening:
            self.live.publish(
                {
                    "type": "posture",
                    "wearer": event.wearer,
                    "device": event.device,
                    "seq": event.seq,
                    "posture": event.posture.value,
                    "since": event.since.isoformat(),
                    "at": event.end.isoformat(),
                    "changed": event.since >= event.start,
                }
            )

    def _later(self, job: Job) -> None:
        try:
            self.lane.put_nowait(job)
        except asyncio.QueueFull:
            self.metrics.inc("rejected", "overloaded")
            log.error("slow lane full; a store write or prompt was dropped")

    async def _prompt(self, prompt: Prompt) -> None:
        if not await asyncio.to_thread(self.store.record_prompt, prompt):
            return  # another instance, or this one before a restart, already sent it
        self.metrics.inc("prompts", prompt.rule)
        self.notifier.send(prompt)
        self.live.publish({"type": "prompt", **prompt.model_dump(mode="json")})

    async def _ack(self, ack: Ack) -> None:
        if await asyncio.to_thread(self.store.record_ack, ack):
            self.metrics.inc("answered", ack.action)
            self.live.publish(
                {
                    "type": "answer",
                    "wearer": ack.wearer,
                    "prompt_id": ack.prompt_id,
                    "outcome": ack.action,
                    "at": ack.at.isoformat(),
                }
            )

    async def _status(self, status: Status) -> None:
        await asyncio.to_thread(self.store.record_status, status)
        self.live.publish({"type": "status", **status.model_dump(mode="json")})

    async def _settle(self, wearer: str, at: datetime, moved: bool) -> None:
        settled = await asyncio.to_thread(self.store.settle_prompts, wearer, at, moved=moved)
        for prompt_id, outcome in settled:
            self.metrics.inc("answered", outcome)
            self.live.publish(
                {
                    "type": "answer",
                    "wearer": wearer,
                    "prompt_id": prompt_id,
                    "outcome": str(outcome),
                    "at": at.isoformat(),
                }
            )

    async def flush(self) -> None:
        """Write pending bouts to the store (kept for the next try if it is away)."""
        if not self._bouts:
            return
        bouts, self._bouts = list(self._bouts.values()), {}
        try:
            await asyncio.to_thread(self.store.upsert_bouts, bouts)
        except StoreUnavailable as exc:
            self.metrics.inc("store_errors", "bouts")
            log.error("cannot store %d bouts, will retry: %s", len(bouts), exc)
            for bout in bouts:
                self._bouts.setdefault((bout.wearer, bout.start), bout)

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval_s)
            await self.flush()

    def _dead(self, topic: str, payload: bytes, reason: str, error: str) -> None:
        log.warning("rejected message on %s: %s (%s)", topic, error, reason)
        body = {
            "reason": reason,
            "error": error,
            "topic": topic,
            "payload": payload[:2048].decode("utf-8", errors="replace"),
        }
        future = self.mqtt.publish(DEAD, json.dumps(body).encode(), qos=0)
        future.add_done_callback(lambda f: f.cancelled() or f.exception())


def wanted_kinds() -> tuple[Kind, ...]:
    """The topic kinds the service subscribes to."""
    return (Kind.POSTURE, Kind.STATUS, Kind.ACK)
