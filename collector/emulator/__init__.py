"""Emulated Bluetooth sensors, served to bleak's real client and scanner through ``backend=``.

In: a ``Simulator`` (what the wearer does), a virtual clock (how fast time runs) and a
script (drops, outages, malformed frames). Out: devices that advertise, accept
connections, serve each supported sensor's GATT table with the real UUIDs, answer
commands the way the firmware does, and stream frames built from the simulated
samples -- to anything that speaks bleak, here ``collector.link``.

Used by the tests, by ``bench/ble.py`` and by ``sitless scan|collect --emulate`` for a
demo without a radio. Modules: ``clock`` (virtual time), ``gatt`` (the bleak backends
and the peripheral base), ``polar`` (H10 and Verity Sense PMD), ``devices`` (micro:bit,
Movesense, Thingy:52, cycling cadence), ``world`` (a set of devices sharing a clock).
"""

from collector.emulator.clock import VirtualClock
from collector.emulator.devices import CadenceSensor, MicroBitDevice, MovesenseDevice, ThingyDevice
from collector.emulator.gatt import Corrupt, Drop, Feed, Lose, Peripheral
from collector.emulator.polar import PolarH10, VeritySense
from collector.emulator.world import World, demo_world

__all__ = [
    "CadenceSensor",
    "Corrupt",
    "Drop",
    "Feed",
    "Lose",
    "MicroBitDevice",
    "MovesenseDevice",
    "Peripheral",
    "PolarH10",
    "ThingyDevice",
    "VeritySense",
    "VirtualClock",
    "World",
    "demo_world",
]
