"""SIG Cycling Speed and Cadence (0x1816): crank cadence that confirms cycling (ble-sensors.md §6).

CSC Measurement (0x2A5B, notify only): flags (bit 0 wheel, bit 1 crank), then a uint32
wheel count and uint16 wheel event time, then a uint16 crank count and uint16 crank
event time; times in 1/1024 s. Counts and times roll over; ``CadenceMeter`` works in
modular arithmetic and re-seeds when a silence is too long to tell rollovers apart.

``confirm_cycling`` is where a cadence sensor overrides the thigh classifier.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import ClassVar

from collector.sensors.driver import Cadence, Gatt, NoPrompt, Reading, SensorError, sig_uuid
from sitless.errors import FrameError
from sitless.wire.posture import Posture

CSC_SERVICE = sig_uuid(0x1816)
CSC_MEASUREMENT = sig_uuid(0x2A5B)
CSC_FEATURE = sig_uuid(0x2A5C)
TICKS_PER_S = 1024
# Event times wrap every 65536 / 1024 = 64 s: a longer silence makes the interval ambiguous.
ROLLOVER_S = 65536 / TICKS_PER_S
# A seated crank above this is a glitch, not pedalling (§6.3).
MAX_RPM = 200.0
# No new crank event for this long means the crank stopped (heuristic, §6.3).
STOP_AFTER_S = 3.0
# Pedalling slower than this is not riding (a crank nudged while sitting down).
CYCLING_MIN_RPM = 20.0
# A cadence reading speaks for the epochs up to this long after it: the meter itself
# reports 0 once the crank stops, so this only ends the say of a sensor gone silent
# (readings can also arrive a few seconds late, in a burst, after radio trouble).
STALE_AFTER_S = 10.0
_LENGTHS = {0x01: 7, 0x02: 5, 0x03: 11}


@dataclass(frozen=True, slots=True)
class CscMeasurement:
    """One CSC Measurement; absent fields are None."""

    wheel_revs: int | None = None
    wheel_time: int | None = None
    crank_revs: int | None = None
    crank_time: int | None = None


def parse_measurement(data: bytes) -> CscMeasurement:
    """Decode a CSC Measurement; ``FrameError`` when it is malformed."""
    if not data:
        raise FrameError("empty CSC measurement", reason="short")
    flags = data[0]
    if flags & 0xFC:
        raise FrameError(
            f"reserved CSC flag bits set: 0x{flags:02x}", reason="bad_flags", value=flags
        )
    expected = _LENGTHS.get(flags & 0x03, 1)
    if len(data) != expected:
        raise FrameError(
            f"CSC measurement with flags 0x{flags:02x} must be {expected} bytes, got {len(data)}",
            reason="short" if len(data) < expected else "long",
            value=len(data),
        )
    pos = 1
    wheel_revs = wheel_time = crank_revs = crank_time = None
    if flags & 0x01:
        wheel_revs = int.from_bytes(data[1:5], "little")
        wheel_time = int.from_bytes(data[5:7], "little")
        pos = 7
    if flags & 0x02:
        crank_revs = int.from_bytes(data[pos : pos + 2], "little")
        crank_time = int.from_bytes(data[pos + 2 : pos + 4], "little")
    return CscMeasurement(wheel_revs, wheel_time, crank_revs, crank_time)


def cadence_rpm(prev_revs: int, prev_time: int, revs: int, time: int) -> float | None:
    """Crank rpm between two (count, event time) pairs, modulo the uint16 rollovers.

    None when no new crank event happened (equal event times).
    """
    d_revs = (revs - prev_revs) % 65536
    d_time = (time - prev_time) % 65536
    if d_time == 0:
        return None
    return d_revs * 60 * TICKS_PER_S / d_time


class CadenceMeter:
    """Turns successive measurements (with the host time they arrived) into cadence.

    The first measurement after a (re)connect only seeds the meter, and so does a new
    crank event after a silence (no notification, or no crank event) of a rollover
    period or more: the 16-bit event time cannot tell how many times it wrapped. The
    cadence drops to 0 once no crank event has come for ``STOP_AFTER_S``. Implausible
    values raise ``FrameError`` and leave the meter as it was.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the previous measurement (after a reconnect)."""
        self._event: tuple[int, int] | None = None
        self._event_host = 0.0
        self._seen_host = 0.0
        self._rpm: float | None = None

    def update(self, m: CscMeasurement, host_s: float) -> Cadence:
        if m.crank_revs is None or m.crank_time is None:
            return Cadence(self._rpm)
        current = (m.crank_revs, m.crank_time)
        silent = host_s - self._seen_host >= ROLLOVER_S
        self._seen_host = host_s
        if self._event is None or silent:
            self._event, self._event_host, self._rpm = current, host_s, None
            return Cadence(None)
        rpm = cadence_rpm(*self._event, *current)
        if rpm is None:
            if host_s - self._event_host >= STOP_AFTER_S:
                self._rpm = 0.0
            return Cadence(self._rpm)
        if host_s - self._event_host >= ROLLOVER_S:
            # The crank stood still longer than the event time can count.
            self._event, self._event_host = current, host_s
            return Cadence(self._rpm)
        if rpm > MAX_RPM:
            raise FrameError(
                f"cadence {rpm:.0f} rpm is a glitch", reason="impossible_value", value=rpm
            )
        self._event, self._event_host, self._rpm = current, host_s, rpm
        return Cadence(rpm)


class CadenceTrack:
    """Recent cadence readings on the collector's time scale, to judge epochs by.

    ``rpm_at(t)`` is the latest reading at or before ``t`` if it is at most
    ``STALE_AFTER_S`` old, else None (no cadence sensor data for that moment).
    """

    def __init__(self, keep_s: float = 120.0) -> None:
        self.keep_s = keep_s
        self._readings: deque[tuple[float, float]] = deque()

    @property
    def readings(self) -> list[tuple[float, float]]:
        """The ``(t, rpm)`` readings kept, oldest first."""
        return list(self._readings)

    def add(self, t: float, rpm: float) -> None:
        if self._readings and t < self._readings[-1][0]:
            return
        self._readings.append((t, rpm))
        while self._readings and self._readings[0][0] < t - self.keep_s:
            self._readings.popleft()

    def rpm_at(self, t: float) -> float | None:
        best = None
        for when, rpm in reversed(self._readings):
            if when <= t:
                best = (when, rpm)
                break
        if best is None or t - best[0] > STALE_AFTER_S:
            return None
        return best[1]


def confirm_cycling(posture: Posture, rpm: float | None) -> Posture:
    """The epoch's posture once a crank cadence is known.

    A crank turning at riding cadence means the wearer pedals, whatever the thigh
    classifier made of it (pedalling out of the saddle looks like standing or walking
    to a thigh sensor). A thigh sensor lying on the desk says nothing about its owner,
    so non-wear stands. Without cadence, the classifier's posture stands.
    """
    if rpm is None or rpm < CYCLING_MIN_RPM or posture is Posture.NONWEAR:
        return posture
    return Posture.CYCLING


class CyclingSpeedCadence(NoPrompt):
    """Driver: follow a bike's crank cadence."""

    kind: ClassVar[str] = "csc"
    title: ClassVar[str] = "Cycling speed and cadence (SIG 0x1816)"
    prompt_note: ClassVar[str] = "none (no output)"

    def __init__(self) -> None:
        self.meter = CadenceMeter()

    @classmethod
    def matches(cls, name: str | None, service_uuids: list[str]) -> bool:
        return CSC_SERVICE in service_uuids

    async def start(self, gatt: Gatt) -> float | None:
        if not gatt.has(CSC_MEASUREMENT):
            raise SensorError("the device has no CSC measurement", reason="no_service")
        if gatt.has(CSC_FEATURE):
            feature = await gatt.read(CSC_FEATURE)
            if len(feature) >= 2 and not int.from_bytes(feature[:2], "little") & 0x02:
                raise SensorError("this CSC sensor reports no crank data", reason="no_cadence")
        self.meter.reset()
        await gatt.subscribe(CSC_MEASUREMENT)
        return None

    async def stop(self, gatt: Gatt) -> None:
        return None

    def parse(self, char: str, data: bytes, host_s: float) -> list[Reading]:
        if char != CSC_MEASUREMENT:
            return []
        return [self.meter.update(parse_measurement(data), host_s)]
