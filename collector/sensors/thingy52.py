"""Nordic Thingy:52 motion service: raw accelerometer (ble-sensors.md §4), LED and speaker (§9).

Raw data (EF680406…, notify, 18 bytes): accel, gyro and compass as int16 LE fixed point
(Q6.10 g, Q11.5 deg/s, Q12.4 µT); no timestamp, one sample per notification at the
motion-processing frequency set in the 9-byte config (EF680401…, offset 6).

The firmware inverts all three accelerometer axes so that an axis pointing *down*
reads positive (``drv_motion.c``); the driver flips them back to sitless's convention
(+1 g on the axis pointing up at rest).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from collector.sensors.driver import Accel, Gatt, Reading, SensorError, check_range
from sitless.errors import FrameError

MOTION_SERVICE = "ef680400-9b35-4933-9b10-52ffa9740042"
MOTION_CONFIG = "ef680401-9b35-4933-9b10-52ffa9740042"
MOTION_RAW = "ef680406-9b35-4933-9b10-52ffa9740042"
CONFIG_SERVICE = "ef680100-9b35-4933-9b10-52ffa9740042"
UI_SERVICE = "ef680300-9b35-4933-9b10-52ffa9740042"
UI_LED = "ef680301-9b35-4933-9b10-52ffa9740042"
SOUND_SERVICE = "ef680500-9b35-4933-9b10-52ffa9740042"
SOUND_CONFIG = "ef680501-9b35-4933-9b10-52ffa9740042"
SPEAKER_DATA = "ef680502-9b35-4933-9b10-52ffa9740042"

CONFIG_BYTES = 9
# Firmware defaults (§4.2): step 1000 ms, temperature 500 ms, magnetometer 500 ms,
# motion 10 Hz, wake-on-motion on.
DEFAULT_CONFIG = bytes.fromhex("e803f401f4010a0001")
MIN_HZ, MAX_HZ = 5, 200
# MPU-9250 accelerometer: at most ±16 g.
RANGE_G = 16.0
# Red breathing at 50 % once a second; 440 Hz for 500 ms at 80 % (§9).
LED_BREATHE_RED = bytes.fromhex("020132e803")
SPEAKER_FREQUENCY_MODE = bytes.fromhex("0101")
TONE_440HZ = bytes.fromhex("b801f40150")


@dataclass(frozen=True, slots=True)
class RawMotion:
    """One raw-data notification, as the firmware reports it."""

    accel_g: tuple[float, float, float]
    gyro_dps: tuple[float, float, float]
    compass_ut: tuple[float, float, float]


def parse_raw(data: bytes) -> RawMotion:
    """Raw data → accel (g, firmware sign), gyro (deg/s), compass (µT)."""
    if len(data) != 18:
        raise FrameError(
            f"Thingy raw motion is {len(data)} bytes, expected 18",
            reason="short" if len(data) < 18 else "long",
            value=len(data),
        )
    v = np.frombuffer(bytes(data), dtype="<i2").astype(np.float64)
    a, g, c = v[0:3] / 1024.0, v[3:6] / 32.0, v[6:9] / 16.0
    return RawMotion(
        (float(a[0]), float(a[1]), float(a[2])),
        (float(g[0]), float(g[1]), float(g[2])),
        (float(c[0]), float(c[1]), float(c[2])),
    )


def with_frequency(config: bytes, rate_hz: float) -> bytes:
    """A full 9-byte config with the motion frequency set (the firmware takes only 9)."""
    base = bytearray(config if len(config) == CONFIG_BYTES else DEFAULT_CONFIG)
    hz = round(min(max(rate_hz, MIN_HZ), MAX_HZ))
    base[6:8] = hz.to_bytes(2, "little")
    return bytes(base)


class Thingy52:
    """Driver: stream raw motion; breathe the LED and beep for a prompt."""

    kind: ClassVar[str] = "thingy"
    title: ClassVar[str] = "Nordic Thingy:52 raw motion"
    prompt_note: ClassVar[str] = "LED + tone"
    can_prompt: ClassVar[bool] = True

    def __init__(self, rate_hz: float = 50.0) -> None:
        self.rate_hz = rate_hz

    @classmethod
    def matches(cls, name: str | None, service_uuids: list[str]) -> bool:
        return CONFIG_SERVICE in service_uuids or (bool(name) and str(name).startswith("Thingy"))

    async def start(self, gatt: Gatt) -> float | None:
        if not gatt.has(MOTION_RAW):
            raise SensorError("the device has no Thingy motion service", reason="no_service")
        current = await gatt.read(MOTION_CONFIG) if gatt.has(MOTION_CONFIG) else DEFAULT_CONFIG
        config = with_frequency(bytes(current), self.rate_hz)
        if gatt.has(MOTION_CONFIG):
            await gatt.write(MOTION_CONFIG, config, response=True)
        # The firmware starts the sensor when the CCCD is written (§4.4).
        await gatt.subscribe(MOTION_RAW)
        return float(int.from_bytes(config[6:8], "little"))

    async def stop(self, gatt: Gatt) -> None:
        return None

    def parse(self, char: str, data: bytes, host_s: float) -> list[Reading]:
        if char != MOTION_RAW:
            return []
        raw = parse_raw(data)
        accel = -np.asarray(raw.accel_g, dtype=np.float64).reshape(1, 3)
        check_range(accel, RANGE_G * 1.05, "Thingy sample")
        return [Accel(accel)]

    async def signal(self, gatt: Gatt, text: str) -> bool:
        shown = False
        if gatt.has(UI_LED):
            await gatt.write(UI_LED, LED_BREATHE_RED, response=True)
            shown = True
        if gatt.has(SOUND_CONFIG) and gatt.has(SPEAKER_DATA):
            await gatt.write(SOUND_CONFIG, SPEAKER_FREQUENCY_MODE, response=True)
            await gatt.write(SPEAKER_DATA, TONE_440HZ, response=False)
            shown = True
        return shown
