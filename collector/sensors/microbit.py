"""BBC micro:bit accelerometer and LED services (ble-sensors.md §2 and §9).

Accelerometer Data (E95DCA4B…, notify): three int16 LE values in milli-g, one sample per
notification, no timestamp; the link counts samples at the period read back from
Accelerometer Period (E95DFB24…, uint16 ms). A prompt scrolls text on the 5x5 LEDs by
writing up to 20 bytes to LED Text (E95D93EE…).

The axis sign at rest is unverified (§2.5). It does not matter here: the classifier
learns the thigh's axes from the data, and a sign flip of all three axes changes no
angle it measures (tests/collector/sensors/test_microbit.py proves that on simulated
data).
"""

from __future__ import annotations

import unicodedata
from typing import ClassVar

import numpy as np

from collector.sensors.driver import Accel, Gatt, Reading, SensorError, check_range
from sitless.errors import FrameError

ACCEL_SERVICE = "e95d0753-251d-470a-a062-fa1922dfa9a8"
ACCEL_DATA = "e95dca4b-251d-470a-a062-fa1922dfa9a8"
ACCEL_PERIOD = "e95dfb24-251d-470a-a062-fa1922dfa9a8"
LED_SERVICE = "e95dd91d-251d-470a-a062-fa1922dfa9a8"
LED_MATRIX = "e95d7b77-251d-470a-a062-fa1922dfa9a8"
LED_TEXT = "e95d93ee-251d-470a-a062-fa1922dfa9a8"
LED_SCROLL_DELAY = "e95d0d2d-251d-470a-a062-fa1922dfa9a8"

# Periods the firmware supports (§2.3); it picks the nearest and stores the real one.
PERIODS_MS = (1, 2, 5, 10, 20, 80, 160, 640)
# MICROBIT_BLE_MAXIMUM_SCROLLTEXT (codal LED service).
MAX_TEXT_BYTES = 20
# The micro:bit accelerometers measure at most ±8 g.
RANGE_G = 8.0


def parse_data(data: bytes) -> np.ndarray:
    """Accelerometer Data → (x, y, z) in g, shape (1, 3)."""
    if len(data) != 6:
        raise FrameError(
            f"micro:bit accelerometer data is {len(data)} bytes, expected 6",
            reason="short" if len(data) < 6 else "long",
            value=len(data),
        )
    mg = np.frombuffer(bytes(data), dtype="<i2").astype(np.float64)
    return (mg / 1000.0).reshape(1, 3)


def period_ms(rate_hz: float) -> int:
    """The supported period closest to ``1 / rate_hz`` (never 0: writing 0 crashes it)."""
    wanted = 1000.0 / rate_hz
    return min(PERIODS_MS, key=lambda p: abs(p - wanted))


def led_text(text: str) -> bytes:
    """``text`` as the LED matrix can show it: ASCII, at most 20 bytes, whole words kept."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    plain = " ".join(plain.split())
    if len(plain) > MAX_TEXT_BYTES:
        cut = plain[: MAX_TEXT_BYTES + 1].rsplit(" ", 1)[0]
        plain = cut if cut else plain[:MAX_TEXT_BYTES]
    return plain[:MAX_TEXT_BYTES].encode("ascii")


class MicroBit:
    """Driver: stream the micro:bit accelerometer; scroll prompts on its LEDs."""

    kind: ClassVar[str] = "microbit"
    title: ClassVar[str] = "BBC micro:bit accelerometer service"
    prompt_note: ClassVar[str] = "LED text"
    can_prompt: ClassVar[bool] = True

    def __init__(self, rate_hz: float = 50.0) -> None:
        self.rate_hz = rate_hz
        self.period_ms: int | None = None

    @classmethod
    def matches(cls, name: str | None, service_uuids: list[str]) -> bool:
        return bool(name) and str(name).startswith("BBC micro:bit")

    async def start(self, gatt: Gatt) -> float | None:
        if not gatt.has(ACCEL_DATA):
            raise SensorError(
                "the micro:bit program does not start the accelerometer service",
                reason="no_service",
            )
        if gatt.has(ACCEL_PERIOD):
            await gatt.write(
                ACCEL_PERIOD, period_ms(self.rate_hz).to_bytes(2, "little"), response=True
            )
            # The firmware rounds to a period it supports and stores that one (§2.3).
            actual = int.from_bytes((await gatt.read(ACCEL_PERIOD))[:2], "little")
            self.period_ms = actual or period_ms(self.rate_hz)
        else:
            self.period_ms = period_ms(self.rate_hz)
        await gatt.subscribe(ACCEL_DATA)
        return 1000.0 / self.period_ms

    async def stop(self, gatt: Gatt) -> None:
        return None

    def parse(self, char: str, data: bytes, host_s: float) -> list[Reading]:
        if char != ACCEL_DATA:
            return []
        accel = parse_data(data)
        check_range(accel, RANGE_G * 1.05, "micro:bit sample")
        return [Accel(accel)]

    async def signal(self, gatt: Gatt, text: str) -> bool:
        if not gatt.has(LED_TEXT):
            return False
        await gatt.write(LED_TEXT, led_text(text), response=True)
        return True
