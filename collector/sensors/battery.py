"""SIG Battery Service (0x180F): Battery Level (0x2A19), one byte of percent (ble-sensors.md §7.2).

Every link reads it after connecting when the device has it; ``battery:ADDRESS`` is a
sensor that is read for nothing else.
"""

from __future__ import annotations

from typing import ClassVar

from collector.sensors.driver import Battery, Gatt, NoPrompt, Reading, SensorError, sig_uuid
from sitless.errors import FrameError

BATTERY_SERVICE = sig_uuid(0x180F)
BATTERY_LEVEL = sig_uuid(0x2A19)


def parse_level(data: bytes) -> Battery:
    """One uint8, 0-100 %; 101-255 are reserved by the SIG and rejected."""
    if len(data) != 1:
        raise FrameError(
            f"battery level is {len(data)} bytes, expected 1",
            reason="short" if not data else "long",
        )
    if data[0] > 100:
        raise FrameError(
            f"battery level {data[0]} % is reserved", reason="impossible_value", value=data[0]
        )
    return Battery(data[0])


async def read_battery(gatt: Gatt) -> Battery | None:
    """The battery level if the device has the characteristic, else None."""
    if not gatt.has(BATTERY_LEVEL):
        return None
    return parse_level(await gatt.read(BATTERY_LEVEL))


class BatteryLevel(NoPrompt):
    """Driver: read (and follow, where it notifies) a device's battery level."""

    kind: ClassVar[str] = "battery"
    title: ClassVar[str] = "Battery level (SIG 0x180F)"
    prompt_note: ClassVar[str] = "none (no output)"

    @classmethod
    def matches(cls, name: str | None, service_uuids: list[str]) -> bool:
        return BATTERY_SERVICE in service_uuids

    async def start(self, gatt: Gatt) -> float | None:
        if not gatt.has(BATTERY_LEVEL):
            raise SensorError("the device has no battery level characteristic", reason="no_service")
        if gatt.has(BATTERY_LEVEL, "notify"):
            await gatt.subscribe(BATTERY_LEVEL)
        return None

    async def stop(self, gatt: Gatt) -> None:
        return None

    def parse(self, char: str, data: bytes, host_s: float) -> list[Reading]:
        if char != BATTERY_LEVEL:
            return []
        return [parse_level(data)]
