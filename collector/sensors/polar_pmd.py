"""Polar Measurement Data (PMD): the accelerometer of the H10, Verity Sense and OH1.

Protocol facts are from ble-sensors.md §1. The control point (CP) takes commands
``[op][measurement][settings…]`` and answers by indication ``F0 op measurement status
more params…``; data notifications carry a 10-byte header (measurement type, uint64
timestamp in ns since 2000-01-01 of the *last* sample, frame type) and either raw
samples or delta-compressed blocks read LSB-first.

Units: raw frames are mG; compressed frames are scaled by the FACTOR the START answer
carries (type 0 is then in G, type 1 in mG). Where the unit is not pinned down by a
public vector -- raw type 0 (doc table: mG; Polar's Verity table: G) and compressed
type 0 without a FACTOR (OH1, unverified) -- the first frame decides between the two
readings: a body at rest or in motion reads about 1 g, and the readings differ by 1000x.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from collector.sensors.driver import (
    Accel,
    Gatt,
    NoPrompt,
    Reading,
    Reply,
    SensorError,
    StreamStopped,
    check_range,
)
from sitless.errors import FrameError

PMD_SERVICE = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

ACC = 2
HEADER_BYTES = 10
EPOCH_2000_UNIX_NS = 946_684_800_000_000_000
# H10/H9 fall back to 2019-01-01T00:00 (2000 epoch) when they shut down (§1.6).
UNSET_CLOCK_NS = 599_616_000_000_000_000
RESPONSE_MARKER = 0xF0
STOPPED_MARKER = 0x01
FEATURES_MARKER = 0x0F
# The deltas between two samples of an n-bit channel fit in n + 1 bits.
DELTA_HEADROOM_BITS = 1


class Op(IntEnum):
    """Control-point op codes (§1.4)."""

    GET_SETTINGS = 0x01
    START = 0x02
    STOP = 0x03


class Setting(IntEnum):
    """Setting type ids and, in ``SETTING_BYTES``, their value sizes (§1.4)."""

    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5
    SECURITY = 6


SETTING_BYTES = {
    Setting.SAMPLE_RATE: 2,
    Setting.RESOLUTION: 2,
    Setting.RANGE: 2,
    Setting.RANGE_MILLIUNIT: 4,
    Setting.CHANNELS: 1,
    Setting.FACTOR: 4,
    Setting.SECURITY: 16,
}

STATUS = (
    "success",
    "invalid op code",
    "invalid measurement type",
    "not supported",
    "invalid length",
    "invalid parameter",
    "already in state",
    "invalid resolution",
    "invalid sample rate",
    "invalid range",
    "invalid MTU",
    "invalid number of channels",
    "invalid state",
    "device in charger",
    "disk full",
)
ALREADY_IN_STATE = 6

# Feature bitmap (§1.3): byte 1 bit -> type, byte 2 bit -> type.
_FEATURE_BITS = (
    (1, {0: 0, 1: 1, 2: ACC, 3: 3, 5: 5, 6: 6, 7: 7}),
    (2, {1: 9, 2: 10, 3: 11, 4: 12, 5: 13, 6: 14}),
)
# Raw frame types: bytes per axis value (§1.7).
_RAW_BYTES = {0: 1, 1: 2, 2: 3}
# Data types that exist in compressed form (§1.7).
_COMPRESSED_TYPES = frozenset({0, 1})


def settings_request(measurement: int = ACC) -> bytes:
    """GET_MEASUREMENT_SETTINGS for one measurement type."""
    return bytes([Op.GET_SETTINGS, measurement])


def stop_request(measurement: int = ACC) -> bytes:
    """STOP_MEASUREMENT for one measurement type."""
    return bytes([Op.STOP, measurement])


def start_request(settings: Mapping[Setting, int], measurement: int = ACC) -> bytes:
    """REQUEST_MEASUREMENT_START with one value per setting, in type-id order.

    FACTOR and SECURITY are never sent (the device answers with FACTOR, §1.4).
    """
    out = bytearray([Op.START, measurement])
    for kind in sorted(settings):
        if kind in (Setting.FACTOR, Setting.SECURITY):
            continue
        size = SETTING_BYTES[kind]
        out += bytes([kind, 1]) + int(settings[kind]).to_bytes(size, "little")
    return bytes(out)


def parse_settings(blob: bytes) -> dict[Setting, tuple[float, ...]]:
    """A settings list: ``[type][count N][N values]…`` → values per setting.

    A blob of one byte or less means "no settings": the H10's START answer carries one
    reserved byte there (§1.5). FACTOR comes back as the float32 it encodes.
    """
    out: dict[Setting, tuple[float, ...]] = {}
    if len(blob) <= 1:
        return out
    pos = 0
    while pos < len(blob):
        if pos + 2 > len(blob):
            raise FrameError("settings list ends inside an entry header", reason="truncated")
        try:
            kind = Setting(blob[pos])
        except ValueError:
            raise FrameError(
                f"unknown PMD setting type {blob[pos]}", reason="bad_setting", value=blob[pos]
            ) from None
        count, size = blob[pos + 1], SETTING_BYTES[kind]
        pos += 2
        end = pos + count * size
        if end > len(blob):
            raise FrameError(f"setting {kind.name} is cut short", reason="truncated")
        raw = [blob[i : i + size] for i in range(pos, end, size)]
        if kind is Setting.FACTOR:
            out[kind] = tuple(struct.unpack("<f", r)[0] for r in raw)
        else:
            out[kind] = tuple(float(int.from_bytes(r, "little")) for r in raw)
        pos = end
    return out


def parse_features(data: bytes) -> frozenset[int]:
    """The measurement types a device offers, from a read of the control point (§1.3)."""
    if len(data) < 3 or data[0] != FEATURES_MARKER:
        raise FrameError(f"not a PMD feature read: {bytes(data[:3]).hex(' ')}", reason="wrong_type")
    found = {
        kind for byte, bits in _FEATURE_BITS for bit, kind in bits.items() if data[byte] >> bit & 1
    }
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class ControlResponse:
    """One control-point answer (§1.5)."""

    op: int
    measurement: int
    status: int
    more: bool
    params: bytes

    @property
    def ok(self) -> bool:
        return self.status == 0

    @property
    def status_text(self) -> str:
        return STATUS[self.status] if self.status < len(STATUS) else f"status {self.status}"


def parse_control(data: bytes) -> ControlResponse | StreamStopped:
    """A control-point indication: an answer, or the device stopping a stream."""
    if not data:
        raise FrameError("empty control-point message", reason="short")
    if data[0] == STOPPED_MARKER:
        types = ", ".join(str(b) for b in data[1:]) or "?"
        return StreamStopped(f"the device stopped measurement type(s) {types}")
    if data[0] != RESPONSE_MARKER:
        raise FrameError(
            f"control-point message starts with 0x{data[0]:02x}", reason="wrong_type", value=data[0]
        )
    if len(data) < 4:
        raise FrameError("control-point answer shorter than 4 bytes", reason="short")
    more = len(data) > 4 and data[4] != 0
    return ControlResponse(data[1], data[2], data[3], more, bytes(data[5:]))


@dataclass(frozen=True, slots=True, eq=False)
class PmdFrame:
    """One data notification, decoded to integer sample values (§1.6-1.8).

    Attributes:
        measurement: measurement type (2 = ACC).
        timestamp_ns: device time of the last sample, ns since 2000-01-01.
        frame_type: data type, bits 0-6 of the frame-type byte.
        compressed: bit 7 of the frame-type byte.
        samples: shape (n, channels), raw integers in the frame's unit.
    """

    measurement: int
    timestamp_ns: int
    frame_type: int
    compressed: bool
    samples: NDArray[np.int64]


def parse_frame(data: bytes, *, channels: int = 3, resolution: int = 16) -> PmdFrame:
    """Decode a PMD data notification; ``FrameError`` with a reason when it is malformed."""
    if len(data) <= HEADER_BYTES:
        raise FrameError(
            f"PMD frame of {len(data)} bytes has no payload", reason="short", value=len(data)
        )
    measurement = data[0] & 0x3F
    timestamp = int.from_bytes(data[1:9], "little")
    frame_byte = data[9]
    compressed, frame_type = bool(frame_byte & 0x80), frame_byte & 0x7F
    payload = bytes(data[HEADER_BYTES:])
    if compressed:
        if frame_type not in _COMPRESSED_TYPES:
            raise FrameError(
                f"unknown compressed frame type {frame_type}",
                reason="bad_frame_type",
                value=frame_byte,
            )
        samples = decode_delta(payload, channels, resolution)
    else:
        size = _RAW_BYTES.get(frame_type)
        if size is None:
            raise FrameError(
                f"unknown raw frame type {frame_type}", reason="bad_frame_type", value=frame_byte
            )
        samples = decode_raw(payload, channels, size)
    return PmdFrame(measurement, timestamp, frame_type, compressed, samples)


def decode_raw(payload: bytes, channels: int, size: int) -> NDArray[np.int64]:
    """Little-endian signed ``size``-byte values, channel-interleaved."""
    width = channels * size
    if len(payload) % width:
        raise FrameError(
            f"raw payload of {len(payload)} bytes is not a whole number of {width}-byte samples",
            reason="truncated",
            value=len(payload),
        )
    raw = np.frombuffer(payload, dtype=np.uint8).reshape(-1, size).astype(np.int64)
    values = raw @ (1 << (8 * np.arange(size, dtype=np.int64)))
    sign = np.int64(1) << (8 * size - 1)
    values = (values ^ sign) - sign
    return values.reshape(-1, channels)


def decode_delta(payload: bytes, channels: int, resolution: int) -> NDArray[np.int64]:
    """A delta-compressed payload → samples (§1.8).

    Reference sample (signed, ``ceil(resolution/8)`` bytes per channel), then blocks of
    ``[width W][count N][N*channels W-bit values, LSB-first]``, each value a signed
    delta from the previous sample.
    """
    ref_bytes = math.ceil(resolution / 8)
    ref_len = channels * ref_bytes
    if len(payload) < ref_len:
        raise FrameError("compressed frame ends inside its reference sample", reason="truncated")
    rows = [decode_raw(payload[:ref_len], channels, ref_bytes)]
    last = rows[0][-1]
    pos = ref_len
    max_width = resolution + DELTA_HEADROOM_BITS
    while pos < len(payload):
        if pos + 2 > len(payload):
            raise FrameError("compressed frame ends inside a block header", reason="truncated")
        width, count = payload[pos], payload[pos + 1]
        pos += 2
        if not 1 <= width <= max_width:
            raise FrameError(
                f"delta width {width} bits is impossible for {resolution}-bit samples",
                reason="bad_delta_width",
                value=width,
            )
        if count == 0:
            raise FrameError("delta block of zero samples", reason="bad_delta_count", value=0)
        n_values = width * count * channels
        n_bytes = math.ceil(n_values / 8)
        if pos + n_bytes > len(payload):
            raise FrameError(
                f"delta block needs {n_bytes} bytes, {len(payload) - pos} left", reason="truncated"
            )
        block = np.frombuffer(payload, dtype=np.uint8, count=n_bytes, offset=pos)
        bits = np.unpackbits(block, bitorder="little")[:n_values].reshape(-1, width)
        values = bits.astype(np.int64) @ (np.int64(1) << np.arange(width, dtype=np.int64))
        sign = np.int64(1) << (width - 1)
        deltas = ((values ^ sign) - sign).reshape(count, channels)
        block_samples = last + np.cumsum(deltas, axis=0)
        rows.append(block_samples)
        last = block_samples[-1]
        pos += n_bytes
    samples = np.concatenate(rows)
    limit = 1 << (resolution - 1)
    if (samples < -limit).any() or (samples >= limit).any():
        raise FrameError(
            f"decoded samples leave the {resolution}-bit range", reason="impossible_value"
        )
    return samples


def acc_mg(frame: PmdFrame, factor: float = 1.0) -> NDArray[np.float64]:
    """Acceleration in mG for frames whose unit is documented (§1.7).

    Raw types are mG; compressed type 1 is mG times FACTOR; compressed type 0 is G
    times FACTOR. (The Polar SDK then truncates to whole mG; we keep the fraction.)
    """
    values = frame.samples.astype(np.float64)
    if not frame.compressed:
        return values
    if frame.frame_type == 0:
        return values * factor * 1000.0
    return values * factor


def plausible_scale(values: NDArray[np.float64], candidates: tuple[float, ...]) -> float:
    """The candidate g-per-unit that puts the median |a| closest to 1 g (log distance)."""
    norms = np.linalg.norm(values, axis=1)
    median = float(np.median(norms)) if norms.size else 0.0
    if not median > 0:
        return candidates[0]
    return min(candidates, key=lambda c: abs(math.log(median * c)))


def sample_times_ns(
    timestamp_ns: int, n: int, rate_hz: float, previous_ns: int | None
) -> NDArray[np.float64]:
    """Per-sample device times, Polar SDK style (§1.9), guarded against lost frames.

    The frame's timestamp is its last sample. With a previous frame of the same type the
    interval to it is shared out evenly; for the first frame the nominal period is used.
    If the shared-out spacing is far from nominal (a frame was lost, or the clock
    jumped) the nominal period is used too, so a lost frame shows as a gap, not as
    stretched samples.
    """
    nominal = 1e9 / rate_hz
    if previous_ns is not None:
        if timestamp_ns <= previous_ns:
            raise FrameError(
                f"PMD timestamp {timestamp_ns} does not follow {previous_ns}",
                reason="time_not_increasing",
                value=timestamp_ns,
            )
        step = (timestamp_ns - previous_ns) / n
        if 0.5 * nominal <= step <= 1.5 * nominal:
            return previous_ns + step * np.arange(1, n + 1, dtype=np.float64)
    return timestamp_ns - nominal * np.arange(n - 1, -1, -1, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class AccSettings:
    """The settings a stream was started with."""

    rate_hz: float
    range_g: float
    resolution: int = 16
    channels: int = 3
    factor: float = 1.0


def choose_settings(
    offered: Mapping[Setting, tuple[float, ...]], rate_hz: float, range_g: float
) -> dict[Setting, int]:
    """One value per offered setting: the rate closest to ``rate_hz`` (the higher one on
    a tie), the smallest range of at least ``range_g`` (else the largest), the finest
    resolution, every channel."""
    chosen: dict[Setting, int] = {}
    rates = offered.get(Setting.SAMPLE_RATE)
    if rates:
        chosen[Setting.SAMPLE_RATE] = int(min(rates, key=lambda r: (abs(r - rate_hz), -r)))
    ranges = offered.get(Setting.RANGE)
    if ranges:
        wide = [r for r in ranges if r >= range_g]
        chosen[Setting.RANGE] = int(min(wide) if wide else max(ranges))
    for kind in (Setting.RESOLUTION, Setting.CHANNELS):
        values = offered.get(kind)
        if values:
            chosen[kind] = int(max(values))
    return chosen


class PolarPmd(NoPrompt):
    """Driver: start the PMD accelerometer, parse its frames.

    Args:
        rate_hz: wanted sample rate; the closest one the device offers is used.
        range_g: wanted range; ±8 g by default (at ±2 g an H10 has been seen to clip).
    """

    kind: ClassVar[str] = "polar"
    title: ClassVar[str] = "Polar PMD accelerometer (H10, Verity Sense, OH1)"
    prompt_note: ClassVar[str] = "none (PMD has no output)"
    name_prefixes: ClassVar[tuple[str, ...]] = (
        "Polar H10",
        "Polar OH1",
        "Polar Sense",
        "Polar Verity",
    )

    def __init__(self, rate_hz: float = 50.0, range_g: float = 8.0) -> None:
        self.rate_hz = rate_hz
        self.range_g = range_g
        self.settings: AccSettings | None = None
        self.clock_unset = False
        self._previous: dict[tuple[bool, int], int] = {}
        self._scales: dict[tuple[bool, int], float] = {}
        self._partial: bytearray | None = None

    @classmethod
    def matches(cls, name: str | None, service_uuids: list[str]) -> bool:
        return bool(name) and str(name).startswith(cls.name_prefixes)

    async def start(self, gatt: Gatt) -> float | None:
        if not gatt.has(PMD_CONTROL) or not gatt.has(PMD_DATA):
            raise SensorError("the device has no Polar PMD service", reason="no_service")
        # Both subscriptions before any command, or the answers are never seen (§1.2).
        await gatt.subscribe(PMD_CONTROL)
        await gatt.subscribe(PMD_DATA)
        if ACC not in parse_features(await gatt.read(PMD_CONTROL)):
            raise SensorError("this Polar device has no accelerometer stream", reason="no_acc")
        offered = self._answer(await gatt.request(PMD_CONTROL, settings_request()), Op.GET_SETTINGS)
        chosen = choose_settings(parse_settings(offered.params), self.rate_hz, self.range_g)
        started = parse_control(await gatt.request(PMD_CONTROL, start_request(chosen)))
        if isinstance(started, ControlResponse) and started.status == ALREADY_IN_STATE:
            await gatt.request(PMD_CONTROL, stop_request())
            started = parse_control(await gatt.request(PMD_CONTROL, start_request(chosen)))
        answer = self._answer(started, Op.START)
        factor = parse_settings(answer.params).get(Setting.FACTOR, (1.0,))[0]
        self.settings = AccSettings(
            rate_hz=float(chosen.get(Setting.SAMPLE_RATE, self.rate_hz)),
            range_g=float(chosen.get(Setting.RANGE, 16)),
            resolution=chosen.get(Setting.RESOLUTION, 16),
            channels=chosen.get(Setting.CHANNELS, 3),
            factor=factor,
        )
        self._previous.clear()
        return self.settings.rate_hz

    async def stop(self, gatt: Gatt) -> None:
        await gatt.write(PMD_CONTROL, stop_request(), response=True)

    def parse(self, char: str, data: bytes, host_s: float) -> list[Reading]:
        if char == PMD_CONTROL:
            return self._control(data)
        if char != PMD_DATA:
            return []
        settings = self.settings or AccSettings(self.rate_hz, 16.0)
        frame = parse_frame(data, channels=settings.channels, resolution=settings.resolution)
        if frame.measurement != ACC:
            raise FrameError(
                f"PMD frame of measurement type {frame.measurement}, expected ACC",
                reason="wrong_type",
                value=frame.measurement,
            )
        key = (frame.compressed, frame.frame_type)
        accel_g = acc_mg(frame, settings.factor) / 1000.0
        if frame.frame_type == 0 and (not frame.compressed or settings.factor == 1.0):
            scale = self._scales.get(key)
            if scale is None:
                scale = self._scales[key] = plausible_scale(accel_g, (1.0, 1000.0))
            accel_g = accel_g * scale
        check_range(accel_g, settings.range_g * 1.05, "PMD frame")
        self.clock_unset = abs(frame.timestamp_ns - UNSET_CLOCK_NS) < 86_400 * 10**9
        times = sample_times_ns(
            frame.timestamp_ns, len(accel_g), settings.rate_hz, self._previous.get(key)
        )
        self._previous[key] = frame.timestamp_ns
        return [Accel(accel_g, times / 1e9)]

    def _control(self, data: bytes) -> list[Reading]:
        message = parse_control(data)
        if isinstance(message, StreamStopped):
            self._partial = None
            return [message]
        if self._partial is None:
            self._partial = bytearray(data)
        else:
            self._partial += data[5:]
        if message.more:
            return []
        whole, self._partial = bytes(self._partial), None
        if len(whole) > 4:
            whole = whole[:4] + b"\x00" + whole[5:]
        return [Reply(whole)]

    @staticmethod
    def _answer(message: ControlResponse | StreamStopped | bytes, op: Op) -> ControlResponse:
        if isinstance(message, bytes):
            message = parse_control(message)
        if isinstance(message, StreamStopped):
            raise SensorError(message.reason, reason="stream_stopped")
        if message.op != op or not message.ok:
            raise SensorError(
                f"PMD {op.name} answered {message.status_text} (op {message.op})",
                reason="pmd_refused",
                value=message.status,
            )
        return message
