"""Bluetooth sensor drivers: one module per protocol, each a pure parser plus a GATT recipe.

In: the bytes of a notification (and the host time it arrived), from ``collector.link``.
Out: readings -- accelerometer samples in g with device timestamps (``Accel``), crank
cadence, heart rate, battery -- or a ``FrameError`` with a reason, which the link counts
before going on with the stream. Each driver's ``start`` is its GATT recipe: which
characteristics to subscribe, which commands to write, which settings to pick.

Upstream: the sensor, through bleak and ``collector.link``. Downstream: the link's clock
mapping, then ``collector.posture`` (accelerometer) and the collector app (cadence
confirms cycling; battery goes into the status).

Drivers by KIND, as used in ``--sensor KIND:ADDRESS``: ``polar`` (``polar_pmd``),
``microbit``, ``movesense``, ``thingy`` (``thingy52``), ``csc``, ``hr``
(``heart_rate``), ``battery``.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.sensors.battery import BatteryLevel
from collector.sensors.csc import CyclingSpeedCadence
from collector.sensors.driver import Driver, SensorError
from collector.sensors.heart_rate import HeartRateMonitor
from collector.sensors.microbit import MicroBit
from collector.sensors.movesense import Movesense
from collector.sensors.polar_pmd import PolarPmd
from collector.sensors.thingy52 import Thingy52

DRIVERS: dict[str, type[Driver]] = {
    d.kind: d
    for d in (
        PolarPmd,
        MicroBit,
        Movesense,
        Thingy52,
        CyclingSpeedCadence,
        HeartRateMonitor,
        BatteryLevel,
    )
}
# Kinds whose driver streams an accelerometer (and so can feed the classifier).
ACCEL_KINDS = frozenset({"polar", "microbit", "movesense", "thingy"})
# Advertisement matching order: vendor-specific first (a Polar strap also advertises
# the standard heart-rate service), standard services last.
_IDENTIFY_ORDER = ("polar", "thingy", "microbit", "movesense", "csc", "hr", "battery")


@dataclass(frozen=True, slots=True)
class SensorSpec:
    """One configured sensor: ``KIND:ADDRESS`` (the address may itself hold colons)."""

    kind: str
    address: str

    @classmethod
    def parse(cls, text: str) -> SensorSpec:
        """Parse ``KIND:ADDRESS``; ``SensorError(reason='bad_sensor')`` naming the problem."""
        kind, sep, address = text.strip().partition(":")
        kind = kind.lower()
        if not sep or not address:
            raise SensorError(
                f"sensor {text!r} is not KIND:ADDRESS (e.g. polar:A0:9E:1A:12:34:56)",
                reason="bad_sensor",
                value=text,
            )
        if kind not in DRIVERS:
            raise SensorError(
                f"sensor kind {kind!r} is unknown; use one of {', '.join(DRIVERS)}",
                reason="bad_sensor",
                value=text,
            )
        return cls(kind, address)

    @property
    def streams_accel(self) -> bool:
        return self.kind in ACCEL_KINDS

    def __str__(self) -> str:
        return f"{self.kind}:{self.address}"


def make_driver(kind: str, rate_hz: float = 50.0) -> Driver:
    """A fresh driver (its own stream state) for ``kind``."""
    cls = DRIVERS[kind]
    if kind in ACCEL_KINDS:
        return cls(rate_hz=rate_hz)  # type: ignore[call-arg]
    return cls()


def identify(name: str | None, service_uuids: list[str]) -> str | None:
    """The kind of driver that can read a device, from its advertisement; None if none."""
    uuids = [u.lower() for u in service_uuids]
    for kind in _IDENTIFY_ORDER:
        if DRIVERS[kind].matches(name, uuids):
            return kind
    return None


__all__ = [
    "ACCEL_KINDS",
    "DRIVERS",
    "Driver",
    "SensorError",
    "SensorSpec",
    "identify",
    "make_driver",
]
