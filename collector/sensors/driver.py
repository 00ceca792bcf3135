"""What every sensor driver hands the link, and what the link offers every driver.

A driver is a pure parser (bytes in, readings out, ``FrameError`` with a reason on a
bad frame) plus a small GATT recipe (start, stop, settings, prompt) written against the
``Gatt`` protocol below, which ``collector.link`` implements over bleak. Drivers never
touch bleak, a clock or a queue, so they test without a radio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np
from numpy.typing import NDArray

from sitless.errors import FrameError, SitlessError

Array = NDArray[np.float64]

BASE_UUID_SUFFIX = "-0000-1000-8000-00805f9b34fb"


def sig_uuid(short: int) -> str:
    """The full lower-case 128-bit form of a Bluetooth SIG 16-bit UUID.

    bleak's scanner filter compares lower-case strings without normalizing (ble-sensors.md
    §8.2), so ``"180d"`` would match nothing; this is the form it needs.
    """
    return f"0000{short:04x}{BASE_UUID_SUFFIX}"


class SensorError(SitlessError):
    """A sensor lacks what its driver needs, or refused a command."""

    reason = "sensor_error"


@dataclass(frozen=True, slots=True, eq=False)
class Accel:
    """Accelerometer samples from one notification.

    Attributes:
        accel_g: specific force in g, shape (n, 3); +1 g on the axis pointing up at rest.
        t_dev_s: each sample's time on the device's own clock, seconds, or None for
            devices that send no timestamp (the link counts samples at the nominal rate).
    """

    accel_g: Array
    t_dev_s: Array | None = None

    def __len__(self) -> int:
        return int(self.accel_g.shape[0])


@dataclass(frozen=True, slots=True)
class Cadence:
    """Crank cadence from a cycling speed and cadence sensor.

    ``rpm`` is None while the meter is still seeding (first notification after a
    connect, or after a silence too long to tell rollovers apart).
    """

    rpm: float | None


@dataclass(frozen=True, slots=True)
class HeartRate:
    """One Heart Rate Measurement: bpm, RR intervals (s, oldest first), contact."""

    bpm: int
    rr_s: tuple[float, ...] = ()
    contact: bool | None = None
    energy_kj: int | None = None


@dataclass(frozen=True, slots=True)
class Battery:
    """Battery level, percent."""

    pct: int


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete answer on a control point, for the request waiting on it."""

    data: bytes


@dataclass(frozen=True, slots=True)
class StreamStopped:
    """The device ended the stream by itself (the link starts it again)."""

    reason: str


Reading = Accel | Cadence | HeartRate | Battery | Reply | StreamStopped


class Gatt(Protocol):
    """The GATT operations a driver's recipe may use (``collector.link`` provides them)."""

    def has(self, char: str, prop: str | None = None) -> bool:
        """Whether the device has this characteristic (with property ``prop``, e.g. notify)."""
        ...

    async def read(self, char: str) -> bytes:
        """Read a characteristic."""
        ...

    async def write(self, char: str, data: bytes, *, response: bool) -> None:
        """Write a characteristic, with or without response."""
        ...

    async def subscribe(self, char: str) -> None:
        """Enable notifications or indications; they come back through ``parse``."""
        ...

    async def request(self, char: str, data: bytes, *, timeout_s: float = 10.0) -> bytes:
        """Write with response, then wait for the next ``Reply`` the driver parses."""
        ...


class Driver(Protocol):
    """One protocol's parser and GATT recipe.

    Class attributes describe the protocol for ``sitless scan``; an instance holds the
    state of one stream (previous timestamps, partial control-point answers).
    """

    kind: ClassVar[str]
    title: ClassVar[str]
    prompt_note: ClassVar[str]
    """How the device signals a prompt, or why it cannot."""
    can_prompt: ClassVar[bool]

    @classmethod
    def matches(cls, name: str | None, service_uuids: list[str]) -> bool:
        """Whether an advertisement looks like a device this driver can read."""
        ...

    async def start(self, gatt: Gatt) -> float | None:
        """Configure and start streaming; the accelerometer rate in Hz, None if none."""
        ...

    async def stop(self, gatt: Gatt) -> None:
        """Stop streaming (best effort: the device may already be gone)."""
        ...

    def parse(self, char: str, data: bytes, host_s: float) -> list[Reading]:
        """Turn one notification (arrived at host time ``host_s``, s) into readings.

        Raises ``FrameError`` with a reason on a bad frame; the stream goes on.
        """
        ...

    async def signal(self, gatt: Gatt, text: str) -> bool:
        """Show a prompt on the device; False when it has no way to."""
        ...


class NoPrompt:
    """Mixin for devices with no output a wearer would notice."""

    can_prompt: ClassVar[bool] = False

    async def signal(self, gatt: Gatt, text: str) -> bool:
        return False


def finite_or_raise(values: Array, what: str) -> None:
    """Raise ``FrameError(reason='not_numeric')`` if any value is NaN or infinite."""
    if not np.isfinite(values).all():
        raise FrameError(f"{what} holds NaN or infinite values", reason="not_numeric")


def check_range(accel_g: Array, limit_g: float, what: str) -> None:
    """Raise ``FrameError(reason='out_of_range')`` beyond what the sensor can measure."""
    if accel_g.size and float(np.abs(accel_g).max()) > limit_g:
        worst = float(np.abs(accel_g).max())
        raise FrameError(
            f"{what}: {worst:.2f} g is beyond the sensor's {limit_g:g} g range",
            reason="out_of_range",
            value=worst,
        )
