"""Bluetooth connection life: find, connect, start, stream, recover -- for every sensor.

In: ``KIND:ADDRESS`` specs and their drivers (``collector.sensors``). Out: one async
stream per wearer (``SensorSet.stream``) of ``Samples`` on the collector's time scale
(seconds since ``t0``, UTC), ``Gap`` when the accelerometer came back after a drop, and
``SensorState`` when it went offline or online (with battery). Cadence readings stay
here and confirm cycling through ``SensorSet.refine``; prompts go out through
``SensorSet.signal``.

Upstream: bleak (any backend: the OS stack, or ``collector.emulator``), reached through
bleak-retry-connector. Downstream: ``collector.app.Collector``.

How a link lives (``Link.run``):

- find the device by address (a short scan), connect with ``establish_connection``
  (its own retries and error-class backoff), run the driver's GATT recipe;
- the notify callback only stamps the host time and enqueues the bytes; one consumer
  task parses, counts bad frames by reason (``FrameError``) and goes on;
- device time is mapped to UTC by ``ClockMap`` (arrival times' lower envelope, slewed
  to follow drift), or, for sensors without a clock, by counting samples at the nominal
  rate; a hole in device time is counted as dropped samples;
- on a disconnect it reports offline, then reconnects with capped exponential backoff
  (never shorter than what bleak-retry-connector advises for that error), and reports
  the gap once data flows again. Samples never go backwards across a reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Protocol, runtime_checkable

import numpy as np
from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.exc import BleakBluetoothNotAvailableError, BleakDeviceNotFoundError, BleakError
from bleak_retry_connector import (
    BleakClientWithServiceCache,
    calculate_backoff_time,
    establish_connection,
)

from collector.posture.epochs import Epoch
from collector.sensors import SensorSpec, make_driver
from collector.sensors.battery import read_battery
from collector.sensors.csc import CadenceTrack, confirm_cycling
from collector.sensors.driver import (
    Accel,
    Battery,
    Cadence,
    Driver,
    HeartRate,
    Reading,
    Reply,
    SensorError,
    StreamStopped,
)
from collector.sources.base import Samples
from sitless.errors import FrameError
from sitless.wire import Prompt

log = logging.getLogger(__name__)

Clock = Callable[[], float]
# Clock mapping for devices with a clock: crystals drift tens of ppm, so slewing the
# offset by at most 1 ms per second follows them without ever reordering samples. The
# envelope looks back a minute: a host busy for a while delays arrivals, and only a
# lateness that lasts longer than the window may move the offset up in a step.
CLOCKED_SLEW = 1e-3
CLOCKED_WINDOW_S = 60.0
CLOCKED_STEP_S = 5.0
# Without a device clock the "device time" is a sample count at the nominal rate, and
# real rates differ from nominal by a few percent; more samples missing than this lag
# counts them as dropped.
COUNTED_SLEW = 0.05
COUNTED_WINDOW_S = 10.0
COUNTED_STEP_S = 0.5
# Samples of a new session are held this long (host time) so that their mapping starts
# from the latency floor of many arrivals rather than from the first few, which often
# come in a burst after the start command (and would otherwise need minutes to slew off).
SETTLE_S = 10.0
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 2.0


class ClockMap:
    """Maps a device's clock onto the host's UTC clock, following its drift.

    Every notification arrives some latency after its last sample was taken, and the
    latency is never negative, so the smallest ``arrival - device time`` over a recent
    window is the best estimate of the clock offset. For the first ``settle_s`` of
    arrivals the offset is that estimate (nothing has been mapped yet); after that it moves
    towards it by at most ``max_slew`` seconds per second of device time (so mapped
    times keep their order), and jumps only when the two disagree by more than
    ``step_s`` (a clock reset).

    Args:
        max_slew: the fastest the offset may change, s/s.
        window_s: how far back (host seconds) the envelope looks.
        step_s: a larger disagreement is a step, taken at once and counted.
        settle_s: host seconds during which the offset follows the estimate freely.
    """

    def __init__(
        self,
        max_slew: float = CLOCKED_SLEW,
        window_s: float = CLOCKED_WINDOW_S,
        step_s: float = CLOCKED_STEP_S,
        settle_s: float = SETTLE_S,
    ) -> None:
        self.max_slew = max_slew
        self.window_s = window_s
        self.step_s = step_s
        self.settle_s = settle_s
        self.offset: float | None = None
        self._first_host: float | None = None
        self._last_host = 0.0
        self.steps = 0
        self.last_step_s = 0.0
        self._window: deque[tuple[float, float]] = deque()
        self._last_dev: float | None = None

    def update(self, dev_s: float, host_s: float) -> float:
        """Add a notification (device time of its last sample, host arrival); the offset."""
        d = host_s - dev_s
        while self._window and self._window[-1][1] >= d:
            self._window.pop()
        self._window.append((host_s, d))
        while self._window[0][0] < host_s - self.window_s:
            self._window.popleft()
        target = self._window[0][1]
        self.last_step_s = 0.0
        if self._first_host is None:
            self._first_host = host_s
        self._last_host = host_s
        if self.offset is None or self._last_dev is None or self.settling:
            self.offset = target
        elif abs(target - self.offset) > self.step_s:
            self.last_step_s = target - self.offset
            self.offset = target
            self.steps += 1
        else:
            allowed = self.max_slew * max(0.0, dev_s - self._last_dev)
            self.offset += max(-allowed, min(allowed, target - self.offset))
        self._last_dev = dev_s
        return self.offset

    @property
    def settling(self) -> bool:
        """Whether the map has seen arrivals for less than ``settle_s`` (host time)."""
        return self._first_host is None or self._last_host - self._first_host < self.settle_s


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means there is no Bluetooth to retry with (no adapter, no BlueZ).

    bleak raises ``BleakBluetoothNotAvailableError`` when the stack has no adapter, and
    on Linux a ``FileNotFoundError`` when there is no system D-Bus to reach BlueZ.
    """
    return isinstance(exc, BleakBluetoothNotAvailableError | FileNotFoundError)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Capped exponential backoff between reconnects, never below bleak's advice.

    ``calculate_backoff_time`` (bleak-retry-connector) knows how long each error class
    needs (an adapter out of connection slots needs seconds); ours grows from
    ``min_s`` by ``factor`` per failed attempt up to ``max_s``, with +-``jitter``.
    """

    min_s: float = 1.0
    max_s: float = 60.0
    factor: float = 2.0
    jitter: float = 0.2

    def delay(self, attempt: int, exc: BaseException | None = None) -> float:
        ours = min(self.max_s, self.min_s * self.factor ** max(0, attempt))
        ours *= 1 + random.uniform(-self.jitter, self.jitter)
        advised = calculate_backoff_time(exc) if isinstance(exc, Exception) else 0.0
        return max(ours, min(advised, self.max_s))


@dataclass
class LinkStats:
    """What one link has seen; ``frame_errors`` by reason."""

    connects: int = 0
    failed_connects: int = 0
    disconnects: int = 0
    notifications: int = 0
    samples: int = 0
    dropped_samples: int = 0
    overflow: int = 0
    out_of_order: int = 0
    clock_steps: int = 0
    frame_errors: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True, eq=False)
class Chunk:
    """Accelerometer samples from ``sensor`` on the collector's time scale."""

    sensor: SensorSpec
    samples: Samples


@dataclass(frozen=True, slots=True)
class Gap:
    """No accelerometer data from ``start_t`` to ``end_t`` (collector seconds)."""

    sensor: SensorSpec
    start_t: float
    end_t: float


@dataclass(frozen=True, slots=True)
class SensorState:
    """A sensor came online (``rate_hz`` known) or went offline; ``t``: last data time."""

    sensor: SensorSpec
    online: bool
    t: float | None = None
    rate_hz: float | None = None
    battery_pct: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Observation:
    """A non-accelerometer reading (cadence, heart rate, battery) at ``t``."""

    sensor: SensorSpec
    t: float
    reading: Cadence | HeartRate | Battery


Event = Chunk | Gap | SensorState | Observation


class BleakGatt:
    """The ``Gatt`` a driver sees, over a connected ``BleakClient``."""

    def __init__(self, client: BleakClient, on_notify: Callable[[str, bytearray], None]) -> None:
        self.client = client
        self._on_notify = on_notify
        self._chars: dict[str, BleakGATTCharacteristic] = {
            c.uuid: c for s in client.services for c in s.characteristics
        }
        self._replies: deque[asyncio.Future[bytes]] = deque()

    def has(self, char: str, prop: str | None = None) -> bool:
        found = self._chars.get(char)
        return found is not None and (prop is None or prop in found.properties)

    def _char(self, char: str) -> BleakGATTCharacteristic:
        found = self._chars.get(char)
        if found is None:
            raise SensorError(f"the device has no characteristic {char}", reason="no_service")
        return found

    async def read(self, char: str) -> bytes:
        return bytes(await self.client.read_gatt_char(self._char(char)))

    async def write(self, char: str, data: bytes, *, response: bool) -> None:
        await self.client.write_gatt_char(self._char(char), data, response=response)

    async def subscribe(self, char: str) -> None:
        # A plain function (not async): bleak calls it in order on the loop (§8.1).
        await self.client.start_notify(self._char(char), partial(self._notified, char))

    def _notified(self, char: str, _sender: BleakGATTCharacteristic, data: bytearray) -> None:
        self._on_notify(char, data)

    async def request(self, char: str, data: bytes, *, timeout_s: float = 10.0) -> bytes:
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._replies.append(future)
        try:
            await self.write(char, data, response=True)
            return await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            raise SensorError(
                f"no answer on {char} within {timeout_s:g} s", reason="no_answer"
            ) from None
        finally:
            with contextlib.suppress(ValueError):
                self._replies.remove(future)

    def deliver(self, reply: Reply) -> bool:
        """Hand a parsed answer to the oldest waiting request; False if none waits."""
        while self._replies:
            future = self._replies.popleft()
            if not future.done():
                future.set_result(reply.data)
                return True
        return False


class Link:
    """One sensor's connection, kept up for as long as ``run`` runs.

    Args:
        spec: which sensor.
        driver: its protocol driver (fresh: it keeps stream state).
        t0_s: UTC seconds of the collector's ``t = 0``.
        emit: called with each ``Event`` (on the event loop, in order).
        clock: the host's UTC clock, seconds.
        scanner_backend, client_backend: bleak backends (None: the OS stack).
        backoff: delays between reconnects.
        scan_timeout_s: how long to look for the device before backing off.
        queue_size: notifications waiting for the consumer before they are dropped
            (and counted as overflow).
        chunk_s: accelerometer samples are handed on in chunks of at least this span.
        max_attempts: bleak-retry-connector's connect attempts per try.
    """

    def __init__(
        self,
        spec: SensorSpec,
        driver: Driver,
        *,
        t0_s: float,
        emit: Callable[[Event], None],
        clock: Clock = time.time,
        scanner_backend: type[Any] | None = None,
        client_backend: type[Any] | None = None,
        backoff: Backoff | None = None,
        scan_timeout_s: float = 10.0,
        queue_size: int = 4096,
        chunk_s: float = 0.5,
        max_attempts: int = 3,
    ) -> None:
        self.spec = spec
        self.driver = driver
        self.t0_s = t0_s
        self.emit = emit
        self.clock = clock
        self.scanner_backend = scanner_backend
        self.client_backend = client_backend
        self.backoff = backoff or Backoff()
        self.scan_timeout_s = scan_timeout_s
        self.queue_size = queue_size
        self.chunk_s = chunk_s
        self.max_attempts = max_attempts
        self.stats = LinkStats()
        self.rate_hz: float | None = None
        self.online = asyncio.Event()
        self.gatt: BleakGatt | None = None
        self._session_gatt: BleakGatt | None = None
        self._lost = asyncio.Event()
        self._restart = asyncio.Event()
        self._queue: asyncio.Queue[tuple[float, str, bytes] | None] = asyncio.Queue(queue_size)
        self._last_t: float | None = None
        self._gap_from: float | None = None
        self._reset_session()

    async def run(self) -> None:
        """Connect, stream and reconnect until cancelled."""
        attempt = 0
        while True:
            try:
                client = await self._connect()
            except (BleakError, SensorError, TimeoutError, OSError) as exc:
                if unavailable(exc):
                    raise
                self.stats.failed_connects += 1
                delay = self.backoff.delay(attempt, exc)
                attempt += 1
                log.info("%s: cannot connect (%s); again in %.1f s", self.spec, exc, delay)
                await asyncio.sleep(delay)
                continue
            attempt = 0
            try:
                await self._session(client)
            except (BleakError, SensorError, TimeoutError) as exc:
                level = logging.ERROR if isinstance(exc, SensorError) else logging.WARNING
                log.log(level, "%s: %s", self.spec, exc)
                attempt = 1
            finally:
                await self._close(client)
            await asyncio.sleep(self.backoff.delay(attempt - 1) if attempt else 0)

    async def signal(self, text: str) -> bool:
        """Show ``text`` on the device if it can; False if it cannot or is away."""
        if self.gatt is None or not self.driver.can_prompt:
            return False
        try:
            return await self.driver.signal(self.gatt, text)
        except (BleakError, SensorError) as exc:
            log.warning("%s: could not show the prompt: %s", self.spec, exc)
            return False

    async def _connect(self) -> BleakClient:
        kwargs: dict[str, Any] = {}
        if self.scanner_backend is not None:
            kwargs["backend"] = self.scanner_backend
        device = await BleakScanner.find_device_by_address(
            self.spec.address, timeout=self.scan_timeout_s, **kwargs
        )
        if device is None:
            raise BleakDeviceNotFoundError(
                self.spec.address, f"{self.spec.address} was not seen in {self.scan_timeout_s:g} s"
            )
        extra: dict[str, Any] = {}
        if self.client_backend is not None:
            extra["backend"] = self.client_backend
        self._lost.clear()
        client = await establish_connection(
            BleakClientWithServiceCache,
            device,
            str(self.spec),
            disconnected_callback=self._disconnected,
            max_attempts=self.max_attempts,
            **extra,
        )
        self.stats.connects += 1
        return client

    def _disconnected(self, _client: BleakClient) -> None:
        self._lost.set()

    async def _session(self, client: BleakClient) -> None:
        self._reset_session()
        gatt = self._session_gatt = BleakGatt(client, self._notified)
        consumer = asyncio.create_task(self._consume(gatt), name=f"parse {self.spec}")
        try:
            rate = await asyncio.wait_for(self.driver.start(gatt), START_TIMEOUT_S)
            self.rate_hz = rate
            self.gatt = gatt
            battery = await self._battery(gatt)
            log.info("%s: streaming%s", self.spec, f" at {rate:g} Hz" if rate else "")
            self.online.set()
            self.emit(
                SensorState(self.spec, True, self._last_t, rate, battery.pct if battery else None)
            )
            while not self._lost.is_set():
                lost = asyncio.ensure_future(self._lost.wait())
                restart = asyncio.ensure_future(self._restart.wait())
                await asyncio.wait({lost, restart}, return_when=asyncio.FIRST_COMPLETED)
                lost.cancel()
                restart.cancel()
                if self._restart.is_set() and not self._lost.is_set():
                    self._restart.clear()
                    log.warning("%s: the device stopped streaming; starting it again", self.spec)
                    await asyncio.wait_for(self.driver.start(gatt), START_TIMEOUT_S)
        finally:
            self.gatt = None
            self.online.clear()
            await self._queue.put(None)
            await consumer
            self._flush()
            self.stats.disconnects += 1
            if self._last_t is not None:
                self._gap_from = self._last_t
            self.emit(SensorState(self.spec, False, self._last_t, reason="disconnected"))

    async def _close(self, client: BleakClient) -> None:
        gatt, self._session_gatt = self._session_gatt, None
        if client.is_connected:
            with contextlib.suppress(BleakError, TimeoutError, SensorError):
                if gatt is not None:
                    await asyncio.wait_for(self.driver.stop(gatt), STOP_TIMEOUT_S)
            with contextlib.suppress(BleakError, TimeoutError):
                await asyncio.wait_for(client.disconnect(), STOP_TIMEOUT_S)

    async def _battery(self, gatt: BleakGatt) -> Battery | None:
        try:
            return await read_battery(gatt)
        except (FrameError, BleakError) as exc:
            log.info("%s: battery level unreadable: %s", self.spec, exc)
            return None

    def _notified(self, char: str, data: bytearray) -> None:
        try:
            self._queue.put_nowait((self.clock(), char, bytes(data)))
        except asyncio.QueueFull:
            self.stats.overflow += 1

    async def _consume(self, gatt: BleakGatt) -> None:
        while (item := await self._queue.get()) is not None:
            host_s, char, data = item
            self.feed(char, data, host_s, gatt)

    def feed(self, char: str, data: bytes, host_s: float, gatt: BleakGatt | None = None) -> None:
        """Parse one notification and pass on what it holds: the consumer task's work.

        A bad frame is counted by reason and skipped; the stream goes on.
        """
        self.stats.notifications += 1
        try:
            readings = self.driver.parse(char, data, host_s)
        except FrameError as exc:
            self.stats.frame_errors[exc.reason] += 1
            log.debug("%s: bad frame (%s): %s", self.spec, exc.reason, exc)
            return
        for reading in readings:
            self._reading(reading, host_s, gatt)

    def _reading(self, reading: Reading, host_s: float, gatt: BleakGatt | None) -> None:
        if isinstance(reading, Accel):
            self._accel(reading, host_s)
        elif isinstance(reading, Reply):
            if gatt is None or not gatt.deliver(reading):
                log.debug("%s: an answer nobody asked for", self.spec)
        elif isinstance(reading, StreamStopped):
            self._restart.set()
        else:
            self.emit(Observation(self.spec, host_s - self.t0_s, reading))

    def _reset_session(self) -> None:
        self._map: ClockMap | None = None
        self._last_dev: float | None = None
        self._count = 0
        self._pending_t: list[np.ndarray] = []
        self._pending_a: list[np.ndarray] = []
        self._restart.clear()

    def _accel(self, reading: Accel, host_s: float) -> None:
        n = len(reading)
        if n == 0:
            return
        rate = self.rate_hz or 50.0
        period = 1.0 / rate
        if reading.t_dev_s is not None:
            t_dev = reading.t_dev_s
            if self._last_dev is not None:
                hole = float(t_dev[0]) - self._last_dev
                if hole > 1.5 * period:
                    self.stats.dropped_samples += round(hole * rate) - 1
            self._last_dev = float(t_dev[-1])
            if self._map is None:
                self._map = ClockMap()
        else:
            t_dev = (self._count + np.arange(n, dtype=np.float64)) * period
            self._count += n
            if self._map is None:
                self._map = ClockMap(COUNTED_SLEW, COUNTED_WINDOW_S, COUNTED_STEP_S)
        self._map.update(float(t_dev[-1]), host_s)
        if self._map.last_step_s:
            self.stats.clock_steps += 1
            if reading.t_dev_s is None and self._map.last_step_s > 0:
                self.stats.dropped_samples += round(self._map.last_step_s * rate)
        self._pending_t.append(t_dev)
        self._pending_a.append(reading.accel_g)
        span = float(t_dev[-1] - self._pending_t[0][0])
        if span >= self.chunk_s and not self._map.settling:
            self._flush()

    def _flush(self) -> None:
        """Map the pending samples onto the collector's time scale and hand them on.

        The offset is applied at hand-over, so the first samples of a session wait until
        ``SETTLE_S`` of arrivals have shown the latency's floor.
        """
        if not self._pending_t or self._map is None or self._map.offset is None:
            return
        t = np.concatenate(self._pending_t) + (self._map.offset - self.t0_s)
        accel = np.concatenate(self._pending_a)
        self._pending_t, self._pending_a = [], []
        floor = self._last_t if self._last_t is not None else -math.inf
        before = np.maximum.accumulate(np.concatenate([[floor], t[:-1]]))
        keep = t > before
        if not keep.all():
            self.stats.out_of_order += int(t.size - keep.sum())
            t, accel = t[keep], accel[keep]
            if t.size == 0:
                return
        self.stats.samples += int(t.size)
        self._last_t = float(t[-1])
        if self._gap_from is not None:
            self.emit(Gap(self.spec, self._gap_from, float(t[0])))
            self._gap_from = None
        self.emit(Chunk(self.spec, Samples(t, accel)))


@runtime_checkable
class StreamSource(Protocol):
    """A live source the collector reads asynchronously (``SensorSet`` is one)."""

    @property
    def name(self) -> str: ...

    @property
    def rate_hz(self) -> float: ...

    def stream(self) -> AsyncIterator[Samples | Gap | SensorState]: ...

    def refine(self, epochs: list[Epoch]) -> list[Epoch]: ...


_END = object()


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


class SensorSet:
    """A wearer's sensors as one stream: the first accelerometer sensor feeds the
    classifier; a cadence sensor confirms cycling; prompts go to every sensor that can
    show them.

    Args:
        specs: the sensors, at least one streaming an accelerometer.
        t0: the collector's ``t = 0`` (UTC).
        rate_hz: the accelerometer rate to ask for.
        link_options: passed to every ``Link`` (clock, backends, backoff, timeouts).
    """

    def __init__(
        self, specs: list[SensorSpec], *, t0: datetime, rate_hz: float = 50.0, **link_options: Any
    ) -> None:
        accel = [s for s in specs if s.streams_accel]
        if not accel:
            raise SensorError(
                "sitless needs one accelerometer sensor (polar, microbit, movesense or thingy)",
                reason="no_accelerometer",
            )
        if len({s.address for s in specs}) != len(specs):
            raise SensorError("each sensor address may be given once", reason="bad_sensor")
        self.specs = list(specs)
        self.primary = accel[0]
        self.requested_rate_hz = rate_hz
        self.t0 = t0
        self.cadence = CadenceTrack()
        self.heart_rate: HeartRate | None = None
        self.battery_pct: int | None = None
        self.signals: Counter[str] = Counter()
        self._events: asyncio.Queue[Event | object] = asyncio.Queue()
        self.links = {
            spec: Link(
                spec,
                make_driver(spec.kind, rate_hz),
                t0_s=t0.timestamp(),
                emit=self._events.put_nowait,
                **link_options,
            )
            for spec in specs
        }
        self._tasks: list[asyncio.Task[None]] = []
        self._signal_tasks: set[asyncio.Task[None]] = set()

    @property
    def name(self) -> str:
        return self.primary.kind

    @property
    def rate_hz(self) -> float:
        return self.links[self.primary].rate_hz or self.requested_rate_hz

    async def __aenter__(self) -> SensorSet:
        self._tasks = [
            asyncio.create_task(link.run(), name=str(spec)) for spec, link in self.links.items()
        ]
        for task in self._tasks:
            task.add_done_callback(self._link_ended)
        return self

    def _link_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._events.put_nowait(_Failed(task.exception()))  # type: ignore[arg-type]

    async def __aexit__(self, *exc: object) -> None:
        self.close()
        tasks = [*self._tasks, *self._signal_tasks]
        for task in tasks:
            task.cancel()
        # A link that failed has told ``ready`` or ``stream`` already.
        await asyncio.gather(*tasks, return_exceptions=True)

    async def ready(self, timeout_s: float | None = None) -> float:
        """Wait until the accelerometer sensor streams; its rate in Hz.

        Raises what ended a link (no Bluetooth adapter, for one) instead of waiting on.
        """
        online = asyncio.ensure_future(self.links[self.primary].online.wait())
        try:
            async with asyncio.timeout(timeout_s):
                await asyncio.wait({online, *self._tasks}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            online.cancel()
        for task in self._tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        return self.rate_hz

    def close(self) -> None:
        """End ``stream`` after what is already queued."""
        self._events.put_nowait(_END)

    async def stream(self) -> AsyncIterator[Samples | Gap | SensorState]:
        """The accelerometer's samples, gaps and state changes, in order, until ``close``."""
        while (event := await self._events.get()) is not _END:
            if isinstance(event, _Failed):
                raise event.error
            if isinstance(event, Observation):
                state = self._observed(event)
                if state is not None:
                    yield state
            elif isinstance(event, Chunk | Gap | SensorState) and event.sensor == self.primary:
                if isinstance(event, Chunk):
                    yield event.samples
                elif isinstance(event, SensorState) and event.online:
                    if event.battery_pct is not None:
                        self.battery_pct = event.battery_pct
                    yield SensorState(event.sensor, True, event.t, event.rate_hz, self.battery_pct)
                else:
                    yield event

    def _observed(self, event: Observation) -> SensorState | None:
        reading = event.reading
        if isinstance(reading, Cadence):
            if reading.rpm is not None:
                self.cadence.add(event.t, reading.rpm)
        elif isinstance(reading, HeartRate):
            self.heart_rate = reading
        elif event.sensor == self.primary and reading.pct != self.battery_pct:
            self.battery_pct = reading.pct
            link = self.links[self.primary]
            if link.online.is_set():
                return SensorState(self.primary, True, event.t, link.rate_hz, reading.pct)
        return None

    def refine(self, epochs: list[Epoch]) -> list[Epoch]:
        """Epochs with cycling confirmed by crank cadence where a cadence sensor says so."""
        out = []
        for epoch in epochs:
            rpm = self.cadence.rpm_at(epoch.t_end)
            posture = confirm_cycling(epoch.posture, rpm)
            if posture is not epoch.posture:
                epoch = Epoch(epoch.t_start, epoch.t_end, posture)
            out.append(epoch)
        return out

    def signal(self, prompt: Prompt) -> None:
        """Show ``prompt`` on every connected sensor that can (in the background)."""
        for link in self.links.values():
            if link.driver.can_prompt:
                task = asyncio.get_running_loop().create_task(self._signal(link, prompt.title))
                self._signal_tasks.add(task)
                task.add_done_callback(self._signal_tasks.discard)

    async def _signal(self, link: Link, text: str) -> None:
        if await link.signal(text):
            self.signals[str(link.spec)] += 1
            log.info("%s: prompt shown", link.spec)
        else:
            log.info("%s: prompt not shown (device away or unable)", link.spec)

    def stats(self) -> dict[str, LinkStats]:
        return {str(spec): link.stats for spec, link in self.links.items()}
