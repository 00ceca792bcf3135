"""bleak backends over emulated peripherals, and what every emulated peripheral shares.

``EmulatedClient`` subclasses bleak's ``BaseBleakClient`` and ``EmulatedScanner`` its
``BaseBleakScanner`` (ble-sensors.md §8.3); ``World`` binds them to a set of devices and
hands them to ``BleakClient(..., backend=...)`` / ``BleakScanner(..., backend=...)``.
A ``Peripheral`` holds a GATT table (lower-case 128-bit UUIDs), answers reads and
writes, delivers notifications only to subscribed characteristics (as a real CCCD
would), advertises while nobody is connected, and plays a script of drops and
malformed frames against its virtual clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from bleak.assigned_numbers import CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from numpy.typing import NDArray

from collector.emulator.clock import VirtualClock
from collector.sources.simulator import Simulator

if TYPE_CHECKING:
    from collector.emulator.world import World

log = logging.getLogger(__name__)

# How often (real seconds) a streaming device wakes to send what has come due.
TICK_S = 0.002
# How often (real seconds) the scanner repeats advertisements while scanning.
ADVERTISE_EVERY_S = 0.02
ATT_WRITE_NOT_PERMITTED = 0x03
ATT_READ_NOT_PERMITTED = 0x02


@dataclass
class Char:
    """One characteristic of an emulated GATT table."""

    uuid: str
    properties: tuple[CharacteristicPropertyName, ...]
    value: bytes = b""


@dataclass(frozen=True, slots=True)
class Drop:
    """At data time ``at_s`` the connection drops and the device is out of reach for
    ``down_s`` seconds (it neither advertises nor accepts connections)."""

    at_s: float
    down_s: float


@dataclass(frozen=True, slots=True)
class Corrupt:
    """At data time ``at_s`` the device sends ``frame`` on ``char`` (its data
    characteristic by default) in between its normal frames."""

    at_s: float
    frame: bytes
    char: str | None = None


@dataclass(frozen=True, slots=True)
class Lose:
    """At data time ``at_s`` the next ``count`` notifications on the data characteristic
    never arrive (the connection stays up)."""

    at_s: float
    count: int


class Feed:
    """A simulator's samples at arbitrary (increasing) times, nearest sample each.

    Emulated devices ask for the times on their own sample grid; the simulator keeps its
    own rate. Past the end of the timeline there is nothing more (``None``).
    """

    def __init__(self, sim: Simulator, chunk_s: float = 10.0) -> None:
        self.rate_hz = sim.rate_hz
        self.duration_s = sim.duration_s
        self._chunks: Iterator[Any] = sim.chunks(chunk_s)
        self._t0 = 0.0
        self._a = np.empty((0, 3))
        self._done = False

    def at(self, times: NDArray[np.float64]) -> NDArray[np.float64] | None:
        """Specific force (g) at ``times`` (s); None when they are past the end."""
        times = times[times < self.duration_s]
        if times.size == 0:
            return None
        last = float(times[-1])
        # Nearest sample: ``last`` needs the sample half a period past it loaded too.
        while not self._done and (
            self._a.shape[0] == 0 or self._end() <= last + 0.5 / self.rate_hz
        ):
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self._done = True
                break
            if self._a.shape[0] == 0:
                self._t0 = float(chunk.t[0])
            self._a = np.concatenate([self._a, chunk.accel_g])
        keep = max(0, math.floor((float(times[0]) - self._t0) * self.rate_hz) - 1)
        if keep:
            self._a = self._a[keep:]
            self._t0 += keep / self.rate_hz
        idx = np.rint((times - self._t0) * self.rate_hz).astype(np.int64)
        return np.asarray(self._a[np.clip(idx, 0, self._a.shape[0] - 1)])

    def _end(self) -> float:
        return self._t0 + self._a.shape[0] / self.rate_hz


class Peripheral:
    """An emulated BLE device: GATT table, advertisement, streaming, script.

    Subclasses fill ``table()`` and override the ``on_*`` hooks and ``emit_until``.

    Args:
        address: its Bluetooth address.
        name: the advertised local name.
        feed: where streamed samples come from.
        script: drops and malformed frames, by data time.
        rssi: the advertised signal strength, dBm.
    """

    data_char: ClassVar[str | None] = None
    advertised_uuids: ClassVar[tuple[str, ...]] = ()
    mtu: ClassVar[int] = 247

    def __init__(
        self,
        address: str,
        name: str,
        *,
        feed: Feed | None = None,
        script: Iterable[Drop | Corrupt | Lose] = (),
        rssi: int = -60,
    ) -> None:
        self.address = address
        self.name = name
        self.feed = feed
        self.rssi = rssi
        self.manufacturer_data: dict[int, bytes] = {}
        self.script = sorted(script, key=lambda e: e.at_s)
        self.clock: VirtualClock | None = None
        self.client: EmulatedClient | None = None
        self.chars = {c.uuid: c for chars in self.table().values() for c in chars}
        self.subscribers: dict[str, NotifyCallback] = {}
        self.writes: list[tuple[str, bytes]] = []
        self.sent: Counter[str] = Counter()
        self.connections = 0
        self.lost = 0
        self._to_lose = 0
        self.down_until = -math.inf
        self.powered = True
        self._task: asyncio.Task[None] | None = None

    def table(self) -> dict[str, list[Char]]:
        """Service UUID → its characteristics."""
        return {}

    # --- what the rest of the emulator calls -------------------------------------------

    @property
    def now_s(self) -> float:
        """Data time now (virtual seconds since the world's start)."""
        assert self.clock is not None, "add the device to a World first"
        return self.clock.elapsed()

    @property
    def advertising(self) -> bool:
        return self.powered and self.client is None and self.now_s >= self.down_until

    def advertisement(self) -> AdvertisementData:
        return AdvertisementData(
            local_name=self.name,
            manufacturer_data=dict(self.manufacturer_data),
            service_data={},
            service_uuids=list(self.advertised_uuids),
            tx_power=None,
            rssi=self.rssi,
            platform_data=(),
        )

    def services(self) -> BleakGATTServiceCollection:
        """The GATT table as bleak objects, with handles as a real stack numbers them."""
        collection = BleakGATTServiceCollection()
        handle = 1
        for service_uuid, chars in self.table().items():
            service = BleakGATTService(self, handle, service_uuid)
            collection.add_service(service)
            handle += 1
            for char in chars:
                ch = BleakGATTCharacteristic(
                    char,
                    handle + 1,
                    char.uuid,
                    list(char.properties),
                    lambda: self.mtu - 3,
                    service,
                )
                collection.add_characteristic(ch)
                handle += 3 if {"notify", "indicate"} & set(char.properties) else 2
        return collection

    def attach(self, client: EmulatedClient) -> None:
        if not self.advertising:
            raise BleakDeviceNotFoundError(
                self.address, f"Device with address {self.address} was not found"
            )
        self.client = client
        self.connections += 1
        self.on_connect()

    def detach(self) -> None:
        self.stop_stream()
        self.subscribers.clear()
        self.client = None
        self.on_disconnect()

    def drop(self, down_s: float = 0.0) -> None:
        """Lose the connection (as out of range), unreachable for ``down_s`` seconds."""
        self.down_until = self.now_s + down_s
        client = self.client
        self.detach()
        if client is not None:
            client.lost()

    async def read(self, uuid: str) -> bytes:
        char = self.chars[uuid]
        if "read" not in char.properties:
            raise BleakGATTProtocolError(ATT_READ_NOT_PERMITTED)
        return self.on_read(uuid)

    async def write(self, uuid: str, data: bytes, response: bool) -> None:
        char = self.chars[uuid]
        allowed = "write" if response else "write-without-response"
        if allowed not in char.properties:
            raise BleakGATTProtocolError(ATT_WRITE_NOT_PERMITTED)
        self.writes.append((uuid, data))
        self.on_write(uuid, data)

    def subscribe(self, uuid: str, callback: NotifyCallback) -> None:
        if not {"notify", "indicate"} & set(self.chars[uuid].properties):
            raise BleakError(f"characteristic {uuid} does not notify")
        self.subscribers[uuid] = callback
        self.on_subscribe(uuid)

    def unsubscribe(self, uuid: str) -> None:
        self.subscribers.pop(uuid, None)

    def notify(self, uuid: str, data: bytes) -> None:
        """Send a notification or indication; lost if the client did not subscribe."""
        callback = self.subscribers.get(uuid)
        if uuid == self.data_char and self._to_lose:
            self._to_lose -= 1
            self.lost += 1
            return
        if callback is not None and self.client is not None:
            self.sent[uuid] += 1
            callback(bytearray(data))

    def written(self, uuid: str) -> list[bytes]:
        """Everything written to ``uuid``, oldest first."""
        return [data for u, data in self.writes if u == uuid]

    # --- streaming ---------------------------------------------------------------------

    def start_stream(self) -> None:
        if self._task is None or self._task.done():
            self.stream_started(self.now_s)
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"emulated {self.name}"
            )

    def stop_stream(self) -> None:
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    @property
    def streaming(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        while self.client is not None:
            await asyncio.sleep(TICK_S)
            now = self.now_s
            while self.script and self.script[0].at_s <= now and self.client is not None:
                event = self.script.pop(0)
                if isinstance(event, Drop):
                    log.info("%s: scripted drop for %.0f s", self.name, event.down_s)
                    self.drop(event.down_s)
                    return
                if isinstance(event, Lose):
                    self._to_lose += event.count
                    continue
                char = event.char or self.data_char
                if char is not None:
                    self.notify(char, event.frame)
            if self.client is not None:
                self.emit_until(now)

    # --- hooks ---------------------------------------------------------------------

    def on_connect(self) -> None:
        return None

    def on_disconnect(self) -> None:
        return None

    def on_read(self, uuid: str) -> bytes:
        return self.chars[uuid].value

    def on_write(self, uuid: str, data: bytes) -> None:
        self.chars[uuid].value = data

    def on_subscribe(self, uuid: str) -> None:
        return None

    def stream_started(self, now_s: float) -> None:
        """Streaming begins at data time ``now_s``."""
        return None

    def emit_until(self, now_s: float) -> None:
        """Send everything that has come due by data time ``now_s``."""
        return None


class SampleClock:
    """A device's sample grid: which sample indices have come due by a data time."""

    def __init__(self, rate_hz: float) -> None:
        self.rate_hz = rate_hz
        self.next_index = 0

    def restart(self, now_s: float) -> None:
        self.next_index = math.ceil(now_s * self.rate_hz)

    def due(self, now_s: float, group: int = 1) -> Iterator[NDArray[np.float64]]:
        """Times of the whole groups of ``group`` samples due by ``now_s``."""
        last = math.floor(now_s * self.rate_hz)
        while self.next_index + group - 1 <= last:
            idx = np.arange(self.next_index, self.next_index + group, dtype=np.float64)
            self.next_index += group
            yield idx / self.rate_hz


class EmulatedClient(BaseBleakClient):
    """bleak client backend speaking to an emulated ``Peripheral`` of ``world``."""

    world: ClassVar[World]

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        super().__init__(
            address_or_ble_device,
            disconnected_callback=kwargs.get("disconnected_callback"),
            timeout=kwargs.get("timeout", 10.0),
        )
        self._device: Peripheral | None = None

    @property
    def name(self) -> str:
        device = self.world.devices.get(self.address)
        return device.name if device else self.address.replace(":", "-")

    @property
    def mtu_size(self) -> int:
        return self._device.mtu if self._device else 23

    @property
    def is_connected(self) -> bool:
        return self._device is not None and self._device.client is self

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        device = self.world.devices.get(self.address)
        if device is None:
            raise BleakDeviceNotFoundError(
                self.address, f"Device with address {self.address} was not found"
            )
        await asyncio.sleep(0)
        device.attach(self)
        self._device = device
        self.services = device.services()

    async def disconnect(self) -> None:
        device, self._device = self._device, None
        if device is not None and device.client is self:
            device.detach()
            # BlueZ calls the callback on requested disconnects too (§8.1).
            if self._disconnected_callback is not None:
                self._disconnected_callback()

    def lost(self) -> None:
        """The device went away: what the OS stack reports as an unsolicited disconnect."""
        self._device = None
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def unpair(self) -> None:
        return None

    def _connected_device(self) -> Peripheral:
        if self._device is None or self._device.client is not self:
            raise BleakError("Not connected")
        return self._device

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        return bytearray(await self._connected_device().read(characteristic.uuid))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        return bytearray()

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Any, response: bool
    ) -> None:
        await self._connected_device().write(characteristic.uuid, bytes(data), response)

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        return None

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        self._connected_device().subscribe(characteristic.uuid, callback)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        with contextlib.suppress(BleakError):
            self._connected_device().unsubscribe(characteristic.uuid)


class EmulatedScanner(BaseBleakScanner):
    """bleak scanner backend hearing the advertisements of ``world``'s devices."""

    world: ClassVar[World]

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._advertise()
        self._task = asyncio.get_running_loop().create_task(self._repeat())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _repeat(self) -> None:
        while True:
            await asyncio.sleep(ADVERTISE_EVERY_S)
            self._advertise()

    def _advertise(self) -> None:
        for device in list(self.world.devices.values()):
            if not device.advertising:
                continue
            adv = device.advertisement()
            if not self.is_allowed_uuid(adv.service_uuids):
                continue
            ble = self.create_or_update_device(
                device.address, device.address, device.name, device, adv
            )
            self.call_detection_callbacks(ble, adv)


def bound(backend: type[Any], world: World) -> type[Any]:
    """A subclass of ``backend`` that serves ``world`` (bleak instantiates backends itself)."""
    return type(backend.__name__, (backend,), {"world": world})
