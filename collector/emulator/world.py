"""A set of emulated devices sharing one virtual clock, and the bleak backends that reach them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from collector.emulator.clock import VirtualClock
from collector.emulator.devices import CadenceSensor, MicroBitDevice, MovesenseDevice, ThingyDevice
from collector.emulator.gatt import EmulatedClient, EmulatedScanner, Feed, Peripheral, bound
from collector.emulator.polar import PolarH10, VeritySense
from collector.sources.simulator import Segment, Simulator, office_day

P = TypeVar("P", bound=Peripheral)


class World:
    """Emulated devices in radio range, by address.

    ``client_backend`` and ``scanner_backend`` are the classes to give bleak's
    ``BleakClient(..., backend=...)`` and ``BleakScanner(..., backend=...)``.
    """

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.devices: dict[str, Peripheral] = {}
        self.client_backend: type[Any] = bound(EmulatedClient, self)
        self.scanner_backend: type[Any] = bound(EmulatedScanner, self)

    def add(self, device: P) -> P:
        """Bring ``device`` into range (it starts advertising)."""
        device.clock = self.clock
        self.devices[device.address] = device
        return device


def demo_world(
    start: datetime,
    speed: float = 1.0,
    seed: int = 0,
    timeline: tuple[Segment, ...] | None = None,
) -> World:
    """One of each supported sensor, worn through the same simulated day.

    Addresses: H10 ``A0:9E:1A:00:00:10``, Verity Sense ``A0:9E:1A:00:00:11``,
    micro:bit ``E4:11:5B:00:00:20``, Movesense ``0C:8C:DC:00:00:30``, Thingy:52
    ``D4:CA:6E:00:00:40``, cadence sensor ``C7:4A:11:00:00:50``.
    """
    day = timeline or office_day()
    world = World(VirtualClock(start, speed))

    def feed(rate: float) -> Feed:
        return Feed(Simulator(day, rate_hz=rate, seed=seed))

    world.add(PolarH10("A0:9E:1A:00:00:10", feed=feed(50)))
    world.add(VeritySense("A0:9E:1A:00:00:11", feed=feed(52)))
    world.add(MicroBitDevice("E4:11:5B:00:00:20", feed=feed(50)))
    world.add(MovesenseDevice("0C:8C:DC:00:00:30", feed=feed(52)))
    world.add(ThingyDevice("D4:CA:6E:00:00:40", feed=feed(50)))
    world.add(CadenceSensor("C7:4A:11:00:00:50", sim=Simulator(day, rate_hz=10, seed=seed)))
    return world
