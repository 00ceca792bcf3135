"""Movesense GATT SensorData Protocol (GSP): the /Meas/Acc subscription (ble-sensors.md §3).

Commands go to 34800001… as ``[command][reference][path]``; notifications on 34800002…
are ``[type][reference][payload]``: type 1 a command result (advisory: the sample
firmware sends its one error big-endian), 2 (and 3, the tail of a split message) data.
/Meas/Acc data is a uint32 timestamp in ms of the *first* sample, then float32 x, y, z
in m/s² per sample.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from collector.sensors.driver import (
    Accel,
    Gatt,
    NoPrompt,
    Reading,
    SensorError,
    check_range,
    finite_or_raise,
)
from sitless.errors import FrameError

GSP_SERVICE = "34802252-7185-4d5d-b431-630e7050e8f0"
GSP_COMMAND = "34800001-7185-4d5d-b431-630e7050e8f0"
GSP_DATA = "34800002-7185-4d5d-b431-630e7050e8f0"

HELLO, SUBSCRIBE, UNSUBSCRIBE = 0, 1, 2
RESULT, DATA, DATA_PART2 = 1, 2, 3
STANDARD_GRAVITY = 9.80665
# The LSM6DS3 rate ladder (partially unverified, §3.3).
RATES_HZ = (13, 26, 52, 104, 208, 416, 833, 1666)
RANGE_G = 16.0
SAMPLE_BYTES = 12
HEADER_BYTES = 6
WRAP_MS = 1 << 32


def subscribe_command(reference: int, path: str) -> bytes:
    """SUBSCRIBE ``path`` under ``reference`` (1-255)."""
    if not 1 <= reference <= 255:
        raise ValueError("a GSP reference must be 1-255 (0 is invalid)")
    return bytes([SUBSCRIBE, reference]) + path.encode()


def unsubscribe_command(reference: int) -> bytes:
    """UNSUBSCRIBE ``reference``."""
    return bytes([UNSUBSCRIBE, reference])


def acc_path(rate_hz: float) -> tuple[str, int]:
    """The /Meas/Acc resource for the supported rate closest to ``rate_hz``."""
    rate = min(RATES_HZ, key=lambda r: abs(r - rate_hz))
    return f"/Meas/Acc/{rate}", rate


def parse_acc(data: bytes) -> tuple[int, int, np.ndarray]:
    """A /Meas/Acc data notification → (reference, first-sample ms, samples in m/s²)."""
    if len(data) < HEADER_BYTES + SAMPLE_BYTES:
        raise FrameError(f"GSP data of {len(data)} bytes holds no sample", reason="short")
    if data[0] not in (DATA, DATA_PART2):
        raise FrameError(
            f"GSP message type {data[0]} is not data", reason="wrong_type", value=data[0]
        )
    if (len(data) - HEADER_BYTES) % SAMPLE_BYTES:
        raise FrameError(
            f"GSP data of {len(data)} bytes is not whole samples",
            reason="truncated",
            value=len(data),
        )
    reference = data[1]
    timestamp_ms = int.from_bytes(data[2:6], "little")
    values = np.frombuffer(bytes(data[HEADER_BYTES:]), dtype="<f4").astype(np.float64)
    return reference, timestamp_ms, values.reshape(-1, 3)


class Movesense(NoPrompt):
    """Driver: subscribe to /Meas/Acc over GSP.

    Args:
        rate_hz: wanted rate; the closest of 13, 26, 52, … Hz is used.
        reference: the client reference echoed in every notification (1-255).
    """

    kind: ClassVar[str] = "movesense"
    title: ClassVar[str] = "Movesense (GSP, /Meas/Acc)"
    prompt_note: ClassVar[str] = "none (LED not reachable over GSP)"

    def __init__(self, rate_hz: float = 50.0, reference: int = 99) -> None:
        self.rate_hz = rate_hz
        self.reference = reference
        self.rate: int | None = None
        self._wraps = 0
        self._last_ms: int | None = None
        self._previous: tuple[float, int] | None = None

    @classmethod
    def matches(cls, name: str | None, service_uuids: list[str]) -> bool:
        return bool(name) and str(name).startswith("Movesense")

    async def start(self, gatt: Gatt) -> float | None:
        if not gatt.has(GSP_COMMAND) or not gatt.has(GSP_DATA):
            raise SensorError("this Movesense firmware has no GSP service", reason="no_service")
        path, self.rate = acc_path(self.rate_hz)
        self._wraps, self._last_ms, self._previous = 0, None, None
        await gatt.subscribe(GSP_DATA)
        # Success shows only as data arriving (§3.3).
        await gatt.write(GSP_COMMAND, subscribe_command(self.reference, path), response=True)
        return float(self.rate)

    async def stop(self, gatt: Gatt) -> None:
        await gatt.write(GSP_COMMAND, unsubscribe_command(self.reference), response=True)

    def parse(self, char: str, data: bytes, host_s: float) -> list[Reading]:
        if char != GSP_DATA or (data and data[0] == RESULT):
            return []
        reference, first_ms, ms2 = parse_acc(data)
        if reference != self.reference:
            raise FrameError(
                f"GSP data for reference {reference}, ours is {self.reference}",
                reason="wrong_reference",
                value=reference,
            )
        finite_or_raise(ms2, "GSP sample")
        accel = ms2 / STANDARD_GRAVITY
        check_range(accel, RANGE_G * 1.05, "GSP sample")
        # 32-bit ms since boot wraps after ~49.7 days.
        if self._last_ms is not None and first_ms < self._last_ms - WRAP_MS // 2:
            self._wraps += 1
        self._last_ms = first_ms
        start = float(first_ms + self._wraps * WRAP_MS)
        nominal = 1000.0 / (self.rate or acc_path(self.rate_hz)[1])
        # The sensor's real rate differs a little from nominal: space the samples by the
        # time between this message and the previous one where that is plausible (§3.3).
        step = nominal
        if self._previous is not None:
            measured = (start - self._previous[0]) / self._previous[1]
            if 0.5 * nominal <= measured <= 1.5 * nominal:
                step = measured
        self._previous = (start, len(accel))
        times_ms = start + np.arange(len(accel), dtype=np.float64) * step
        return [Accel(accel, times_ms / 1000.0)]
