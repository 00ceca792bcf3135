"""Emulated Polar H10 and Verity Sense: the PMD control point and accelerometer stream (§1).

The H10 offers 25/50/100/200 Hz, 16 bit, ±2/4/8 g and sends raw int16 mG frames
(type 0x01) of as many samples as fit its 232-byte MTU (36); the Verity Sense offers 52
Hz, ±8 g, 3 channels and sends delta-compressed type-0 frames scaled by the FACTOR its
START answer carries. Frames are timestamped by the device clock (ns since 2000), which
by default runs on the H10's unset 2019-01-01 clock and drifts a little, as real ones do.
Heart rate (0x2A37) is notified once a second while subscribed.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from collector.emulator.gatt import Char, Corrupt, Drop, Feed, Lose, Peripheral, SampleClock
from collector.sensors.battery import BATTERY_LEVEL, BATTERY_SERVICE
from collector.sensors.driver import sig_uuid
from collector.sensors.heart_rate import HR_MEASUREMENT, HR_SERVICE
from collector.sensors.polar_pmd import (
    ACC,
    HEADER_BYTES,
    PMD_CONTROL,
    PMD_DATA,
    PMD_SERVICE,
    UNSET_CLOCK_NS,
    Op,
    Setting,
    parse_settings,
)
from sitless.errors import FrameError

INVALID_OP = 1
INVALID_MEASUREMENT = 2
INVALID_PARAMETER = 5
ALREADY_IN_STATE = 6
INVALID_SAMPLE_RATE = 8
INVALID_RANGE = 9


def encode_settings(settings: dict[Setting, tuple[int, ...]]) -> bytes:
    """A settings list as the device sends it in a GET answer."""
    out = bytearray()
    sizes = {Setting.SAMPLE_RATE: 2, Setting.RESOLUTION: 2, Setting.RANGE: 2, Setting.CHANNELS: 1}
    for kind, values in settings.items():
        out += bytes([kind, len(values)])
        for v in values:
            out += int(v).to_bytes(sizes[kind], "little")
    return bytes(out)


def signed_bits(values: NDArray[np.int64]) -> int:
    """Bits needed to hold every value as two's complement (at least 1)."""
    if values.size == 0:
        return 1
    hi, lo = int(values.max()), int(values.min())
    return max(1, max(hi.bit_length(), (-lo - 1).bit_length()) + 1)


def encode_delta(samples: NDArray[np.int64], ref_bytes: int = 2) -> bytes:
    """Samples → a delta-compressed payload: reference sample and one block (§1.8)."""
    out = bytearray()
    for v in samples[0]:
        out += int(v).to_bytes(ref_bytes, "little", signed=True)
    deltas = np.diff(samples, axis=0)
    if deltas.shape[0] == 0:
        return bytes(out)
    width = signed_bits(deltas)
    values = deltas.reshape(-1) & ((1 << width) - 1)
    bits = ((values[:, None] >> np.arange(width)) & 1).astype(np.uint8).reshape(-1)
    out += bytes([width, deltas.shape[0]])
    out += np.packbits(bits, bitorder="little").tobytes()
    return bytes(out)


def raw_frame(device_ns: int, accel_g: NDArray[np.float64], range_g: float = 8.0) -> bytes:
    """An H10 ACC notification: header with the last sample's time, int16 mG samples."""
    mg = np.clip(np.rint(accel_g * 1000), -range_g * 1000, range_g * 1000)
    return bytes([ACC]) + struct.pack("<Q", device_ns) + b"\x01" + mg.astype("<i2").tobytes()


class PolarH10(Peripheral):
    """An emulated Polar H10 chest strap.

    Args:
        clock_origin_ns: device time (ns since 2000) at data time 0; the unset default.
        drift_ppm: how much faster than true time the device clock runs.
        battery_pct: the Battery Level it reports.
        bpm: the heart rate it reports.
    """

    data_char = PMD_DATA
    advertised_uuids = (HR_SERVICE, sig_uuid(0xFEEE))
    mtu = 232
    features = bytes.fromhex("0f05") + bytes(15)
    offered: dict[Setting, tuple[int, ...]] = {  # noqa: RUF012
        Setting.SAMPLE_RATE: (25, 50, 100, 200),
        Setting.RESOLUTION: (16,),
        Setting.RANGE: (2, 4, 8),
    }
    start_answer_params = b"\x01"

    def __init__(
        self,
        address: str,
        name: str | None = None,
        *,
        feed: Feed | None = None,
        script: Iterable[Drop | Corrupt | Lose] = (),
        clock_origin_ns: int = UNSET_CLOCK_NS,
        drift_ppm: float = 20.0,
        battery_pct: int = 87,
        bpm: int = 72,
        rssi: int = -58,
    ) -> None:
        label = address.replace(":", "")[-8:]
        super().__init__(address, name or f"Polar H10 {label}", feed=feed, script=script, rssi=rssi)
        self.manufacturer_data = {0x006B: b"\x3f\x00"}
        self.clock_origin_ns = clock_origin_ns
        self.drift = drift_ppm * 1e-6
        self.bpm = bpm
        self.chars[BATTERY_LEVEL].value = bytes([battery_pct])
        self.rate_hz = 0.0
        self.range_g = 8
        self.acc_on = False
        self.acc_started_s: float | None = None
        self.grid = SampleClock(50.0)
        self._next_hr_s = 0.0

    def table(self) -> dict[str, list[Char]]:
        return {
            PMD_SERVICE: [
                Char(PMD_CONTROL, ("read", "write", "indicate")),
                Char(PMD_DATA, ("notify",)),
            ],
            HR_SERVICE: [Char(HR_MEASUREMENT, ("notify",))],
            BATTERY_SERVICE: [Char(BATTERY_LEVEL, ("read", "notify"))],
        }

    @property
    def samples_per_frame(self) -> int:
        return (self.mtu - 3 - HEADER_BYTES) // 6

    def device_ns(self, t_s: float) -> int:
        return self.clock_origin_ns + round(t_s * 1e9 * (1 + self.drift))

    def on_read(self, uuid: str) -> bytes:
        if uuid == PMD_CONTROL:
            return self.features
        return super().on_read(uuid)

    def on_disconnect(self) -> None:
        self.acc_on = False

    def on_subscribe(self, uuid: str) -> None:
        if uuid == HR_MEASUREMENT:
            self.start_stream()

    def answer(self, op: int, measurement: int, status: int, params: bytes = b"") -> None:
        message = bytes([0xF0, op, measurement, status])
        if status == 0:
            message += b"\x00" + params
        self.notify(PMD_CONTROL, message)

    def on_write(self, uuid: str, data: bytes) -> None:
        if uuid != PMD_CONTROL or len(data) < 2:
            return
        op, measurement = data[0], data[1]
        if op not in (Op.GET_SETTINGS, Op.START, Op.STOP):
            self.answer(op, measurement, INVALID_OP)
        elif measurement != ACC:
            self.answer(op, measurement, INVALID_MEASUREMENT)
        elif op == Op.GET_SETTINGS:
            self.answer(op, ACC, 0, encode_settings(self.offered))
        elif op == Op.STOP:
            self.acc_on = False
            self.answer(op, ACC, 0)
        elif self.acc_on:
            self.answer(op, ACC, ALREADY_IN_STATE)
        else:
            self._start(data[2:])

    def _start(self, body: bytes) -> None:
        try:
            wanted = parse_settings(body)
        except FrameError:
            self.answer(Op.START, ACC, INVALID_PARAMETER)
            return
        rate = wanted.get(Setting.SAMPLE_RATE, (0,))[0]
        rng = wanted.get(Setting.RANGE, (0,))[0]
        if rate not in self.offered[Setting.SAMPLE_RATE]:
            self.answer(Op.START, ACC, INVALID_SAMPLE_RATE)
            return
        if rng not in self.offered[Setting.RANGE]:
            self.answer(Op.START, ACC, INVALID_RANGE)
            return
        self.rate_hz, self.range_g = float(rate), int(rng)
        self.grid = SampleClock(self.rate_hz)
        self.grid.restart(self.now_s)
        self.acc_started_s = self.now_s
        self.acc_on = True
        self.answer(Op.START, ACC, 0, self.start_answer_params)
        self.start_stream()

    def stream_started(self, now_s: float) -> None:
        self._next_hr_s = math.ceil(now_s)

    def emit_until(self, now_s: float) -> None:
        while HR_MEASUREMENT in self.subscribers and self._next_hr_s <= now_s:
            rr = round(60 / self.bpm * 1024)
            self.notify(HR_MEASUREMENT, bytes([0x10, self.bpm]) + rr.to_bytes(2, "little"))
            self._next_hr_s += 1.0
        if not self.acc_on or self.feed is None:
            return
        for times in self.grid.due(now_s, self.samples_per_frame):
            accel = self.feed.at(times)
            if accel is None:
                self.acc_on = False
                return
            last = float(times[len(accel) - 1])
            self.notify(PMD_DATA, self.frame(self.device_ns(last), accel))

    def frame(self, device_ns: int, accel_g: NDArray[np.float64]) -> bytes:
        return raw_frame(device_ns, accel_g, self.range_g)


class VeritySense(PolarH10):
    """An emulated Polar Verity Sense: 52 Hz, compressed type-0 frames with FACTOR."""

    features = bytes.fromhex("0f6e00") + bytes(14)
    offered: dict[Setting, tuple[int, ...]] = {  # noqa: RUF012
        Setting.SAMPLE_RATE: (52,),
        Setting.RESOLUTION: (16,),
        Setting.RANGE: (8,),
        Setting.CHANNELS: (3,),
    }
    factor = struct.unpack("<f", bytes.fromhex("40da7f39"))[0]
    start_answer_params = bytes.fromhex("050140da7f39")
    advertised_uuids = (HR_SERVICE, sig_uuid(0xFEEE))

    def __init__(self, address: str, name: str | None = None, **kwargs: object) -> None:
        label = address.replace(":", "")[-8:]
        super().__init__(address, name or f"Polar Sense {label}", **kwargs)  # type: ignore[arg-type]

    @property
    def samples_per_frame(self) -> int:
        return 30

    def frame(self, device_ns: int, accel_g: NDArray[np.float64]) -> bytes:
        raw = np.clip(np.rint(accel_g / self.factor).astype(np.int64), -32768, 32767)
        header = bytes([ACC]) + struct.pack("<Q", device_ns) + b"\x80"
        return header + encode_delta(raw)
