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

What the rules need beyond one event (prompts given, snoozes, "done", focus, meetings,
today's totals) is each wearer's ``Context``, kept in ``service.context.Contexts``: the
fast path reads and updates it in memory; acks and focus messages update it from the
slow lane after the store has them; a wearer first seen since start-up is loaded from
the store by the slow lane (many wearers per query) and not prompted until then.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from service.bouts import BoutTracker
from service.context.cache import WAITING_MAX, Contexts, snapshot_since
from service.context.cache import WearerState as Wearer
from service.homeassistant import HomeAssistant
from service.live import Live
from service.metrics import Metrics
from service.notify import Notifier
from service.rules import Engine
from service.rules.context import Focus as FocusPeriod
from service.rules.context import FocusMode, Sent, Snooze, local_midnight
from service.store.sql import BoutUpdate, SqlStore
from service.store.timeseries import TimeSeriesWriter, posture_points
from sitless.errors import StoreUnavailable, WireError
from sitless.mqtt import MqttClient
from sitless.wire import (
    DEAD,
    Ack,
    Focus,
    Kind,
    Message,
    PostureEvent,
    Prompt,
    Status,
    WearerState,
    decode,
    parse,
)

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]
T = TypeVar("T")
# Prompt ids remembered to skip the store on repeat: a prompt stays due for as long as
# its condition holds (minutes), so this only needs to outlast that; the store is the
# authority after that.
FIRED_MEMORY = 100_000
# Bouts per store write: about 10 ms of SQLite, the longest a prompt waits for a flush.
BOUT_CHUNK = 500
SNOOZE_DEFAULT_MIN = 10


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
        contexts: Contexts | None = None,
        homeassistant: HomeAssistant | None = None,
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
        self.homeassistant = homeassistant
        self.contexts = contexts or Contexts(
            engine.default_tz, keep_totals=engine.needs_totals or homeassistant is not None
        )
        self._loading = False
        for name, text, label in (
            ("received", "messages received, per topic kind", "kind"),
            ("rejected", "messages rejected to the dead-letter topic, per reason", "reason"),
            ("duplicates", "re-delivered messages dropped by seq, per topic kind", "kind"),
            ("prompts", "prompts sent, per rule", "rule"),
            ("answered", "prompts answered, per outcome", "outcome"),
            ("store_errors", "store writes that failed, per kind of write", "write"),
            ("suppressed", "prompts dropped by a suppressing focus, per rule", "rule"),
            ("sessions", "routines done (program sessions), per source", "source"),
            ("internal_errors", "bugs caught while handling a message, per stage", "stage"),
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
                except Exception:  # a bug: the jobs after it still run
                    self.metrics.inc("internal_errors", "slow_lane")
                    log.exception("a slow-lane job failed: %r", job)
                finally:
                    self.lane.task_done()
        finally:
            flusher.cancel()
            # Let it hand back the chunks it had not written before the last flush.
            await asyncio.gather(flusher, return_exceptions=True)
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
        self.metrics.inc("received", where.kind)
        try:
            self._dispatch(message, where.kind)
        except Exception as exc:  # a bug: kept on the dead-letter topic, ingest goes on
            self.metrics.inc("internal_errors", "message")
            log.exception("handling a message on %s failed", topic)
            self._dead(topic, payload, "internal_error", repr(exc))

    def _dispatch(self, message: Message, kind: Kind) -> None:
        if isinstance(message, Prompt | WearerState):
            return  # our own prompts and states, if someone subscribed us to everything
        if not isinstance(message, Status | Focus):
            key = (message.wearer, message.device, kind)
            if message.seq <= self._last_seq.get(key, -1):
                self.metrics.inc("duplicates", kind)
                return
            self._last_seq[key] = message.seq
        if isinstance(message, PostureEvent):
            self._posture(message)
        elif isinstance(message, Ack):
            self._later(functools.partial(self._ack, message))
        elif isinstance(message, Focus):
            # In memory at once, so posture events right behind it already see it; the
            # store keeps it for restarts and other instances.
            self._apply_focus(message)
            self._later(functools.partial(self.focus, message))
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
        end = event.end
        state = self.contexts.seen(event, end)
        if self.contexts.pending and not self._loading:
            self._loading = True
            self._later(self._load)
        if state.loaded:
            self._rules(event, state, end)
        else:
            state.waiting.append(event)
        if self.homeassistant is not None:
            self.homeassistant.update(event.wearer, state)
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

    def _rules(self, event: PostureEvent, state: Wearer, end: datetime | None = None) -> None:
        """Ask the engine about ``event`` (ending at ``end``) and act on its decision."""
        end = end or event.end
        if event.since >= event.start:
            # A new bout began: settle open prompts. Queued here, in event order after any
            # prompt an earlier event (perhaps held while the context loaded) fell due for.
            self._later(
                functools.partial(self._settle, event.wearer, event.since, event.posture.upright)
            )
        decision = self.engine.decide(event, state.context, end)
        if decision.send == () and decision.suppressed == ():
            return
        for due in decision.send:
            prompt_id = due.prompt_id(event.wearer)
            sent = Sent(due.rule, due.bout_start, due.repeat, end)
            self.contexts.note_sent(event.wearer, sent, due.title, prompt_id)
            if prompt_id in self._fired:
                continue
            self._fired[prompt_id] = None
            if len(self._fired) > FIRED_MEMORY:
                del self._fired[next(iter(self._fired))]
            prompt = due.prompt(event.wearer, event.device, at=end)
            self._later(functools.partial(self._prompt, prompt))
        for due in decision.suppressed:
            self.metrics.inc("suppressed", due.rule)
            self.contexts.close(event.wearer, due.rule, due.bout_start)
            self._later(functools.partial(self._close, event.wearer, due.rule, due.bout_start))

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
        if not await asyncio.to_thread(self.store.record_ack, ack):
            return
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
        stored = await asyncio.to_thread(self.store.prompt, ack.prompt_id)
        if stored is None or stored.wearer != ack.wearer:
            log.warning("ack for unknown prompt %r of %s", ack.prompt_id, ack.wearer)
            return
        self.contexts.note_outcome(ack.wearer, ack.prompt_id, ack.action)
        self._republish(ack.wearer)
        if ack.action in ("done", "dismiss"):
            self.contexts.close(ack.wearer, stored.rule, stored.bout_start)
            await self._close(ack.wearer, stored.rule, stored.bout_start)
        if ack.action == "done":
            await self.record_session(ack.wearer, ack.prompt_id, ack.at, stored.routine, "prompt")
        elif ack.action == "snooze":
            # Counted from the wearer's data time, which the rules run on (the same as the
            # clock in real use; ahead of it in a sped-up demo or a replay).
            state = self.contexts.get(ack.wearer)
            now = self.data_time(ack.wearer, ack.at)
            if ack.snooze_until == "tomorrow":
                tz = self.engine.zone_of(stored.rule, state.context if state else None)
                until = local_midnight(now.astimezone(tz).date(), tz, 1)
            else:
                until = now + timedelta(minutes=ack.snooze_min or SNOOZE_DEFAULT_MIN)
            self.contexts.snooze(ack.wearer, stored.rule, Snooze(until, stored.bout_start))
            await asyncio.to_thread(
                self.store.snooze_rule, ack.wearer, stored.rule, until, stored.bout_start
            )
        elif ack.action == "cant_stand":
            original = Prompt(
                wearer=stored.wearer,
                device=stored.device,
                id=stored.id,
                rule=stored.rule,
                routine=stored.routine,
                title="",
                message="",
                repeat=stored.repeat,
                posture=stored.posture,
                bout_start=stored.bout_start,
                at=stored.at,
                answer_within_s=stored.answer_within_s,
            )
            seated = self.engine.alternative(original, at=ack.at)
            if seated is not None:
                await self._prompt(seated)

    def _republish(self, wearer: str) -> None:
        """Tell Home Assistant at once about an outcome (not at the next posture event)."""
        state = self.contexts.get(wearer)
        if self.homeassistant is not None and state is not None:
            self.homeassistant.update(wearer, state)

    def data_time(self, wearer: str, default: datetime) -> datetime:
        """The end of the wearer's latest posture event, or ``default`` if none yet."""
        state = self.contexts.get(wearer)
        return state.at if state is not None and state.at is not None else default

    async def acknowledge(self, ack: Ack) -> None:
        """Handle an ack that came another way than MQTT (API, web push), in lane order."""
        await self.in_lane(functools.partial(self._ack, ack))

    async def focus(self, message: Focus) -> None:
        """Store a focus message (last ``at`` wins) and apply it to the wearer's context."""
        kept = await asyncio.to_thread(
            self.store.set_focus,
            message.wearer,
            mode=message.mode,
            until=message.until,
            reason=message.reason,
            at=message.at,
        )
        if not kept:
            return
        self._apply_focus(message)
        self.live.publish({"type": "focus", **message.model_dump(mode="json")})

    def _apply_focus(self, message: Focus) -> None:
        if message.mode == "off" or message.until is None:
            self.contexts.set_focus(message.wearer, None, at=message.at)
        else:
            period = FocusPeriod(FocusMode(message.mode), message.until, message.reason)
            self.contexts.set_focus(message.wearer, period, at=message.at)

    async def record_session(
        self, wearer: str, key: str, at: datetime, routine: str, source: str
    ) -> bool:
        """Count a routine done towards the program (once per ``key``)."""
        new = await asyncio.to_thread(
            self.store.record_session, wearer, key=key, at=at, routine=routine, source=source
        )
        if new:
            self.metrics.inc("sessions", source)
        return new

    async def in_lane(self, job: Callable[[], Awaitable[T]]) -> T:
        """Run ``job`` in the slow lane, after everything queued before it; its result."""
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()

        async def wrapped() -> None:
            try:
                result = await job()
            except BaseException as exc:
                if not done.done():
                    done.set_exception(exc)
                raise
            else:
                if not done.done():
                    done.set_result(result)

        self.lane.put_nowait(wrapped)
        return await done

    async def _close(self, wearer: str, rule: str, bout_start: datetime) -> None:
        await asyncio.to_thread(self.store.close_bout, wearer, rule, bout_start)

    async def _load(self) -> None:
        """Build the contexts of wearers seen for the first time since start-up."""
        self._loading = False
        wearers = self.contexts.take_pending()
        if not wearers:
            return
        starts = [s.first_start for w in wearers if (s := self.contexts.get(w)) is not None]
        since = snapshot_since(min(starts) if starts else datetime.now(UTC))
        try:
            snapshots = await asyncio.to_thread(self.store.snapshots, wearers, since)
        except StoreUnavailable:
            self.contexts.requeue(wearers)
            raise
        self.contexts.load(snapshots)
        for wearer in snapshots:
            state = self.contexts.get(wearer)
            if state is None:
                continue
            waiting, state.waiting = state.waiting, deque(maxlen=WAITING_MAX)
            for event in waiting:
                self._rules(event, state)

    async def _status(self, status: Status) -> None:
        await asyncio.to_thread(self.store.record_status, status)
        self.live.publish({"type": "status", **status.model_dump(mode="json")})

    async def _settle(self, wearer: str, at: datetime, moved: bool) -> None:
        settled = await asyncio.to_thread(self.store.settle_prompts, wearer, at, moved=moved)
        for prompt_id, outcome in settled:
            self.metrics.inc("answered", outcome)
            self.contexts.note_outcome(wearer, prompt_id, str(outcome))
        if settled:
            self._republish(wearer)
            self.live.publish(
                {
                    "type": "answer",
                    "wearer": wearer,
                    "prompt_id": prompt_id,
                    "outcome": str(outcome),
                    "at": at.isoformat(),
                }
            )

    async def flush(self, *, in_lane: bool = False) -> None:
        """Write pending bouts to the store, ``BOUT_CHUNK`` at a time; keep what fails.

        ``in_lane``: each chunk is a slow-lane job of its own, so a prompt that falls due
        during a flush waits for one chunk's write, not for thousands of bouts (SQLite has
        one writer). The periodic flush does this; a flush on the way out writes directly.
        """
        bouts, self._bouts = list(self._bouts.values()), {}
        for lo in range(0, len(bouts), BOUT_CHUNK):
            chunk = bouts[lo : lo + BOUT_CHUNK]
            write = functools.partial(self._store_bouts, chunk)
            try:
                stored = await (self.in_lane(write) if in_lane else write())
            except asyncio.QueueFull:
                log.warning("slow lane full; %d bouts wait for the next flush", len(bouts) - lo)
                stored = False
            except asyncio.CancelledError:  # shutting down: the last flush writes them
                self._keep(bouts[lo:])
                raise
            if not stored:
                self._keep(bouts[lo:])
                return

    async def _store_bouts(self, bouts: list[BoutUpdate]) -> bool:
        """Store ``bouts``; False if the store is away (the caller keeps them)."""
        try:
            await asyncio.to_thread(self.store.upsert_bouts, bouts)
        except StoreUnavailable as exc:
            self.metrics.inc("store_errors", "bouts")
            log.error("cannot store %d bouts, will retry: %s", len(bouts), exc)
            return False
        except Exception:  # a bug: these bouts are lost (an open bout's next update heals)
            self.metrics.inc("internal_errors", "bouts")
            log.exception("storing %d bouts failed; they are dropped", len(bouts))
        return True

    def _keep(self, bouts: list[BoutUpdate]) -> None:
        """Hold ``bouts`` for the next flush, unless a newer update of the bout is held."""
        for bout in bouts:
            self._bouts.setdefault((bout.wearer, bout.start), bout)

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval_s)
            await self.flush(in_lane=True)

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
    return (Kind.POSTURE, Kind.STATUS, Kind.ACK, Kind.FOCUS)
