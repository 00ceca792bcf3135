"""SIG Heart Rate (0x180D): Heart Rate Measurement (0x2A37) notifications (ble-sensors.md §7.1).

Flags (bit 0 uint16 HR, bits 1-2 contact, bit 3 energy expended, bit 4 RR intervals),
then HR, optional energy (kJ), then RR intervals in 1/1024 s, oldest first.
"""

from __future__ import annotations

from typing import ClassVar

from collector.sensors.driver import Gatt, HeartRate, NoPrompt, Reading, SensorError, sig_uuid
from sitless.errors import FrameError

HR_SERVICE = sig_uuid(0x180D)
HR_MEASUREMENT = sig_uuid(0x2A37)
RR_TICKS_PER_S = 1024
# Beyond any human heart (resting minimum ~25, exercise maximum ~220).
MIN_BPM, MAX_BPM = 20, 255


def parse_measurement(data: bytes) -> HeartRate:
    """Decode one Heart Rate Measurement; ``FrameError`` when it is malformed."""
    if len(data) < 2:
        raise FrameError("heart-rate measurement shorter than 2 bytes", reason="short")
    flags = data[0]
    if flags & 0xE0:
        raise FrameError(
            f"reserved heart-rate flag bits set: 0x{flags:02x}", reason="bad_flags", value=flags
        )
    pos = 1
    wide = flags & 0x01
    size = 2 if wide else 1
    if len(data) < pos + size:
        raise FrameError("heart-rate measurement ends inside the rate", reason="short")
    bpm = int.from_bytes(data[pos : pos + size], "little")
    pos += size
    contact_bits = (flags >> 1) & 0x03
    contact = None if contact_bits < 2 else contact_bits == 3
    energy = None
    if flags & 0x08:
        if len(data) < pos + 2:
            raise FrameError("heart-rate measurement ends inside energy expended", reason="short")
        energy = int.from_bytes(data[pos : pos + 2], "little")
        pos += 2
    rr: tuple[float, ...] = ()
    if flags & 0x10:
        rest = data[pos:]
        if len(rest) % 2:
            raise FrameError("RR intervals are not whole uint16 values", reason="truncated")
        rr = tuple(
            int.from_bytes(rest[i : i + 2], "little") / RR_TICKS_PER_S
            for i in range(0, len(rest), 2)
        )
    elif pos != len(data):
        raise FrameError("heart-rate measurement has trailing bytes", reason="long")
    if bpm and not MIN_BPM <= bpm <= MAX_BPM:
        raise FrameError(
            f"heart rate {bpm} bpm is impossible", reason="impossible_value", value=bpm
        )
    return HeartRate(bpm=bpm, rr_s=rr, contact=contact, energy_kj=energy)


class HeartRateMonitor(NoPrompt):
    """Driver: follow the standard heart-rate notifications."""

    kind: ClassVar[str] = "hr"
    title: ClassVar[str] = "Heart rate (SIG 0x180D)"
    prompt_note: ClassVar[str] = "none (no output)"

    @classmethod
    def matches(cls, name: str | None, service_uuids: list[str]) -> bool:
        return HR_SERVICE in service_uuids

    async def start(self, gatt: Gatt) -> float | None:
        if not gatt.has(HR_MEASUREMENT):
            raise SensorError("the device has no heart-rate measurement", reason="no_service")
        await gatt.subscribe(HR_MEASUREMENT)
        return None

    async def stop(self, gatt: Gatt) -> None:
        return None

    def parse(self, char: str, data: bytes, host_s: float) -> list[Reading]:
        if char != HR_MEASUREMENT:
            return []
        return [parse_measurement(data)]
