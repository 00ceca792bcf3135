"""From MQTT messages to bouts, prompts and answers.

In: raw (topic, payload) from the service's MQTT subscription. Out: bouts and prompts in
the SQL store, points to the time-series writer, prompts to the notifier, updates to the
live stream. Every payload is validated; a bad one goes to ``sitless/v1/_dead`` with its
reason and is counted, and ingest carries on. Re-delivered messages (``seq`` not newer
than the last one seen from that device and topic kind) are counted and dropped; status
is last-state-wins and exempt, since the broker's Last Will carries an older seq; prompts are
deduplicated by id here and, across restarts and instances, by the store.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

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


@dataclass(slots=True)
class _Open:
    prompt_id: str
    at: datetime
    deadline: datetime


class Ingest:
    """Consumes the service's MQTT messages one at a time, in arrival order."""

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
        flush_interval_s: float = 1.0,
    ) -> None:
        self.mqtt = mqtt
        self.store = store
        self.engine = engine
        self.notifier = notifier
        self.metrics = metrics
        self.live = live
        self.timeseries = timeseries
        self.flush_interval_s = flush_interval_s
        self.queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(queue_size)
        self.tracker = BoutTracker()
        self._last_seq: dict[tuple[str, str, str], int] = {}
        self._fired: set[str] = set()
        self._open: dict[str, dict[str, _Open]] = {}
        self._bouts: dict[tuple[str, datetime], BoutUpdate] = {}
        self._wearers: set[str] = set()
        for name, text in {
            "received": "messages received, per topic kind",
            "rejected": "messages rejected to the dead-letter topic, per reason",
            "duplicates": "re-delivered messages dropped by seq",
            "prompts": "prompts sent, per rule",
            "answered": "prompts answered, per outcome",
            "store_errors": "store writes that failed and were retried",
        }.items():
            metrics.describe(name, text)

    def on_message(self, topic: str, payload: bytes) -> None:
        """Called on the event loop for each MQTT message; only enqueues."""
        try:
            self.queue.put_nowait((topic, payload))
        except asyncio.QueueFull:
            self.metrics.inc("rejected", "overloaded")
            self._dead(topic, payload, "overloaded", "ingest queue is full")

    async def run(self) -> None:
        """Consume until cancelled; stored state is flushed every ``flush_interval_s``."""
        flusher = asyncio.create_task(self._flush_forever())
        try:
            while True:
                topic, payload = await self.queue.get()
                try:
                    await self.handle(topic, payload)
                except StoreUnavailable as exc:
                    self.metrics.inc("store_errors", "handle")
                    log.error("store unavailable while handling %s: %s", topic, exc)
        finally:
            flusher.cancel()
            await self.flush()

    async def drain(self) -> None:
        """Wait until everything queued so far is handled and flushed."""
        while not self.queue.empty():
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)
        await self.flush()

    async def handle(self, topic: str, payload: bytes) -> None:
        """Validate and act on one message."""
        try:
            message = decode(topic, payload)
        except WireError as exc:
            self.metrics.inc("rejected", exc.reason)
            self._dead(topic, payload, exc.reason, str(exc))
            return
        kind = parse(topic).kind
        self.metrics.inc("received", kind)
        if isinstance(message, Prompt):
            return  # our own prompts echoed back when subscribed to everything
        if not isinstance(message, Status):  # status is last-state-wins, Will included
            key = (message.wearer, message.device, kind)
            if message.seq <= self._last_seq.get(key, -1):
                self.metrics.inc("duplicates", kind)
                return
            self._last_seq[key] = message.seq
        if message.wearer not in self._wearers:
            await asyncio.to_thread(self.store.ensure_wearer, message.wearer)
            self._wearers.add(message.wearer)
        if isinstance(message, PostureEvent):
            await self._posture(message)
        elif isinstance(message, Ack):
            await self._ack(message)
        elif isinstance(message, Status):
            await asyncio.to_thread(self.store.record_status, message)
            self.live.publish({"type": "status", **message.model_dump(mode="json")})

    async def _posture(self, event: PostureEvent) -> None:
        update = self.tracker.update(event)
        for span in (*update.closed, update.current):
            self._bouts[(event.wearer, span.start)] = BoutUpdate(
                event.wearer, event.device, span.posture, span.start, span.end
            )
        if self.timeseries is not None:
            self.timeseries.add(posture_points(event))
        await self._check_answers(event)
        for due in self.engine.due(event):
            prompt = due.prompt(event.wearer, event.device, at=event.end)
            if prompt.id in self._fired:
                continue
            self._fired.add(prompt.id)
            if await asyncio.to_thread(self.store.record_prompt, prompt):
                self.metrics.inc("prompts", prompt.rule)
                self._open.setdefault(event.wearer, {})[prompt.id] = _Open(
                    prompt.id, prompt.at, prompt.at + timedelta(seconds=due.answer_within_s)
                )
                self.notifier.send(prompt)
                self.live.publish({"type": "prompt", **prompt.model_dump(mode="json")})
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

    async def _check_answers(self, event: PostureEvent) -> None:
        open_ = self._open.get(event.wearer)
        if open_ is None:
            open_ = {
                p.id: _Open(p.id, p.at, p.deadline)
                for p in await asyncio.to_thread(self.store.open_prompts, event.wearer, event.start)
            }
            self._open[event.wearer] = open_
        if not open_:
            return
        for entry in list(open_.values()):
            moved = next(
                (t for t, p in event.epochs() if p.upright and entry.at <= t <= entry.deadline),
                None,
            )
            if moved is not None:
                await self._answer(event.wearer, entry.prompt_id, "movement", moved)
            elif event.start > entry.deadline:
                await self._answer(event.wearer, entry.prompt_id, "ignored", entry.deadline)

    async def _ack(self, ack: Ack) -> None:
        if await asyncio.to_thread(self.store.record_ack, ack):
            self._open.get(ack.wearer, {}).pop(ack.prompt_id, None)
            self.metrics.inc("answered", ack.action)
            self.live.publish({"type": "answer", "wearer": ack.wearer, "prompt_id": ack.prompt_id,
                               "outcome": ack.action, "at": ack.at.isoformat()})

    async def _answer(self, wearer: str, prompt_id: str, outcome: str, at: datetime) -> None:
        self._open.get(wearer, {}).pop(prompt_id, None)
        if await asyncio.to_thread(self.store.answer_prompt, prompt_id, outcome, at):
            self.metrics.inc("answered", outcome)
            self.live.publish(
                {"type": "answer", "wearer": wearer, "prompt_id": prompt_id, "outcome": outcome,
                 "at": at.isoformat()}
            )

    async def flush(self) -> None:
        """Write pending bouts to the store."""
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
