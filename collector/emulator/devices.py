"""Emulated micro:bit, Movesense, Thingy:52 and cadence sensor (ble-sensors.md §2-4, §6, §9)."""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable, Iterable

import numpy as np
from bleak.exc import BleakGATTProtocolError

from collector.emulator.gatt import Char, Corrupt, Drop, Feed, Lose, Peripheral, SampleClock
from collector.sensors import microbit, movesense, thingy52
from collector.sensors.battery import BATTERY_LEVEL, BATTERY_SERVICE
from collector.sensors.csc import CSC_FEATURE, CSC_MEASUREMENT, CSC_SERVICE, TICKS_PER_S
from collector.sensors.driver import sig_uuid
from collector.sensors.microbit import PERIODS_MS
from collector.sources.simulator import Simulator
from sitless.wire.posture import Posture

Script = Iterable[Drop | Corrupt | Lose]
ATT_INVALID_LENGTH = 0x0D


class _Accelerometer(Peripheral):
    """A device streaming the feed's samples on its own grid, ``per_notification`` to
    a notification of ``data_char``, each framed by ``frame``."""

    per_notification = 1
    grid: SampleClock

    def frame(self, times: np.ndarray, accel_g: np.ndarray) -> bytes:
        """The notification carrying samples ``accel_g`` (g) taken at data ``times``."""
        raise NotImplementedError

    def stream_started(self, now_s: float) -> None:
        self.grid.restart(now_s)

    def emit_until(self, now_s: float) -> None:
        if self.feed is None or self.data_char is None:
            return
        for times in self.grid.due(now_s, self.per_notification):
            accel = self.feed.at(times)
            if accel is None:
                return
            self.notify(self.data_char, self.frame(times, accel))


class MicroBitDevice(_Accelerometer):
    """An emulated micro:bit running a program with the accelerometer and LED services.

    Args:
        axis_sign: +1 or -1: which way its axes read gravity (unverified, §2.5).
    """

    data_char = microbit.ACCEL_DATA

    def __init__(
        self,
        address: str,
        name: str = "BBC micro:bit [tupov]",
        *,
        feed: Feed | None = None,
        script: Script = (),
        axis_sign: float = 1.0,
        rssi: int = -66,
    ) -> None:
        super().__init__(address, name, feed=feed, script=script, rssi=rssi)
        self.axis_sign = axis_sign
        self.chars[microbit.ACCEL_PERIOD].value = (20).to_bytes(2, "little")
        self.grid = SampleClock(50.0)

    def table(self) -> dict[str, list[Char]]:
        return {
            microbit.ACCEL_SERVICE: [
                Char(microbit.ACCEL_DATA, ("read", "notify"), bytes(6)),
                Char(microbit.ACCEL_PERIOD, ("read", "write")),
            ],
            microbit.LED_SERVICE: [
                Char(microbit.LED_MATRIX, ("read", "write"), bytes(5)),
                Char(microbit.LED_TEXT, ("write",)),
                Char(microbit.LED_SCROLL_DELAY, ("read", "write"), (120).to_bytes(2, "little")),
            ],
        }

    @property
    def period_ms(self) -> int:
        return int.from_bytes(self.chars[microbit.ACCEL_PERIOD].value, "little")

    @property
    def led_texts(self) -> list[str]:
        """Every text scrolled on the LEDs, oldest first."""
        return [data.decode() for data in self.written(microbit.LED_TEXT)]

    def on_write(self, uuid: str, data: bytes) -> None:
        if uuid == microbit.ACCEL_PERIOD:
            wanted = int.from_bytes(data[:2], "little")
            if wanted == 0:
                self.drop(down_s=5.0)  # writing 0 crashes the device (§2.3)
                return
            actual = min(PERIODS_MS, key=lambda p: abs(p - wanted))
            data = actual.to_bytes(2, "little")
        super().on_write(uuid, data)

    def on_subscribe(self, uuid: str) -> None:
        if uuid == microbit.ACCEL_DATA:
            self.grid = SampleClock(1000.0 / self.period_ms)
            self.start_stream()

    def frame(self, times: np.ndarray, accel_g: np.ndarray) -> bytes:
        mg = np.clip(np.rint(self.axis_sign * accel_g[0] * 1000), -8000, 8000)
        return bytes(mg.astype("<i2").tobytes())


class MovesenseDevice(_Accelerometer):
    """An emulated Movesense running the GSP sample firmware."""

    data_char = movesense.GSP_DATA
    per_notification = 8

    def __init__(
        self,
        address: str,
        name: str = "Movesense 174630000192",
        *,
        feed: Feed | None = None,
        script: Script = (),
        boot_ms: int = 4_000_000,
        drift_ppm: float = -15.0,
        rssi: int = -70,
    ) -> None:
        super().__init__(address, name, feed=feed, script=script, rssi=rssi)
        self.boot_ms = boot_ms
        self.drift = drift_ppm * 1e-6
        self.reference: int | None = None
        self.grid = SampleClock(52.0)

    def table(self) -> dict[str, list[Char]]:
        return {
            movesense.GSP_SERVICE: [
                Char(movesense.GSP_COMMAND, ("write",)),
                Char(movesense.GSP_DATA, ("notify",)),
            ]
        }

    def on_disconnect(self) -> None:
        self.reference = None  # the firmware clears subscriptions on disconnect (§3.5)

    def on_write(self, uuid: str, data: bytes) -> None:
        if uuid != movesense.GSP_COMMAND or len(data) < 2:
            return
        command, reference = data[0], data[1]
        if command == movesense.HELLO:
            self.notify(movesense.GSP_DATA, bytes([movesense.RESULT, reference]) + b"Hello")
        elif command == movesense.SUBSCRIBE:
            match = re.fullmatch(r"/Meas/Acc/(\d+)", data[2:].decode(errors="replace"))
            rate = int(match.group(1)) if match else 0
            if rate not in movesense.RATES_HZ:
                self.notify(movesense.GSP_DATA, bytes([movesense.RESULT, reference]) + b"\x01\xf5")
                return
            self.reference = reference
            self.grid = SampleClock(float(rate))
            self.start_stream()
        elif command == movesense.UNSUBSCRIBE and reference == self.reference:
            self.reference = None
            self.stop_stream()

    def emit_until(self, now_s: float) -> None:
        if self.reference is not None:  # subscribed
            super().emit_until(now_s)

    def frame(self, times: np.ndarray, accel_g: np.ndarray) -> bytes:
        assert self.reference is not None
        first_ms = (self.boot_ms + round(float(times[0]) * 1000 * (1 + self.drift))) % 2**32
        head = bytes([movesense.DATA, self.reference]) + struct.pack("<I", first_ms)
        return head + (accel_g * movesense.STANDARD_GRAVITY).astype("<f4").tobytes()


class ThingyDevice(_Accelerometer):
    """An emulated Nordic Thingy:52 with its motion, UI and sound services."""

    data_char = thingy52.MOTION_RAW
    advertised_uuids = (thingy52.CONFIG_SERVICE,)

    def __init__(
        self,
        address: str,
        name: str = "Thingy",
        *,
        feed: Feed | None = None,
        script: Script = (),
        battery_pct: int = 64,
        rssi: int = -62,
    ) -> None:
        super().__init__(address, name, feed=feed, script=script, rssi=rssi)
        self.chars[thingy52.MOTION_CONFIG].value = thingy52.DEFAULT_CONFIG
        self.chars[BATTERY_LEVEL].value = bytes([battery_pct])
        self.grid = SampleClock(10.0)

    def table(self) -> dict[str, list[Char]]:
        return {
            thingy52.MOTION_SERVICE: [
                Char(thingy52.MOTION_CONFIG, ("read", "write")),
                Char(thingy52.MOTION_RAW, ("notify",)),
            ],
            thingy52.UI_SERVICE: [Char(thingy52.UI_LED, ("read", "write"))],
            thingy52.SOUND_SERVICE: [
                Char(thingy52.SOUND_CONFIG, ("read", "write")),
                Char(thingy52.SPEAKER_DATA, ("write-without-response",)),
            ],
            BATTERY_SERVICE: [Char(BATTERY_LEVEL, ("read", "notify"))],
        }

    @property
    def rate_hz(self) -> int:
        return int.from_bytes(self.chars[thingy52.MOTION_CONFIG].value[6:8], "little")

    def on_write(self, uuid: str, data: bytes) -> None:
        if uuid == thingy52.MOTION_CONFIG and len(data) != thingy52.CONFIG_BYTES:
            raise BleakGATTProtocolError(ATT_INVALID_LENGTH)
        super().on_write(uuid, data)

    def on_subscribe(self, uuid: str) -> None:
        if uuid == thingy52.MOTION_RAW:
            self.grid = SampleClock(float(self.rate_hz))
            self.start_stream()

    def frame(self, times: np.ndarray, accel_g: np.ndarray) -> bytes:
        # The firmware reads +1 g on the axis pointing down (§4.3).
        q = np.clip(np.rint(-accel_g[0] * 1024), -32768, 32767).astype("<i2")
        return bytes(q.tobytes()) + bytes(12)


class CadenceSensor(Peripheral):
    """An emulated crank cadence sensor (CSC, crank data only, 5-byte notifications).

    Args:
        cadence: rpm at a data time; by default 80 rpm while ``sim`` scripts cycling.
        revs_origin, ticks_origin: where the uint16 counters start, near their rollover
            by default so that a short test sees both roll over.
    """

    data_char = CSC_MEASUREMENT
    advertised_uuids = (CSC_SERVICE,)

    def __init__(
        self,
        address: str,
        name: str = "CADENCE 4471",
        *,
        cadence: Callable[[float], float] | None = None,
        sim: Simulator | None = None,
        rpm: float = 80.0,
        script: Script = (),
        revs_origin: int = 65_500,
        ticks_origin: int = 60_000,
        battery_pct: int = 45,
        rssi: int = -74,
    ) -> None:
        super().__init__(address, name, script=script, rssi=rssi)
        if cadence is None:
            cadence = cycling_cadence(sim, rpm) if sim is not None else (lambda t: rpm)
        self.cadence = cadence
        self.revs_origin = revs_origin
        self.ticks_origin = ticks_origin
        self.chars[BATTERY_LEVEL].value = bytes([battery_pct])
        self._revs = 0
        self._phase = 0.0
        self._event_s = 0.0
        self._next_s = 0.0

    def table(self) -> dict[str, list[Char]]:
        return {
            CSC_SERVICE: [
                Char(CSC_MEASUREMENT, ("notify",)),
                Char(CSC_FEATURE, ("read",), (0x02).to_bytes(2, "little")),
                Char(sig_uuid(0x2A5D), ("read",), b"\x06"),
            ],
            BATTERY_SERVICE: [Char(BATTERY_LEVEL, ("read",))],
        }

    def on_subscribe(self, uuid: str) -> None:
        if uuid == CSC_MEASUREMENT:
            self.start_stream()

    def stream_started(self, now_s: float) -> None:
        self._next_s = math.floor(now_s) + 1.0
        self._event_s = now_s

    def emit_until(self, now_s: float) -> None:
        while self._next_s <= now_s:
            t_prev, t = self._next_s - 1.0, self._next_s
            rate = self.cadence(t_prev) / 60.0
            total = self._phase + rate
            whole = math.floor(total)
            if whole > 0 and rate > 0:
                self._event_s = t_prev + (whole - self._phase) / rate
                self._revs += whole
            self._phase = total - whole
            revs = (self.revs_origin + self._revs) % 65536
            ticks = (self.ticks_origin + round(self._event_s * TICKS_PER_S)) % 65536
            self.notify(CSC_MEASUREMENT, struct.pack("<BHH", 0x02, revs, ticks))
            self._next_s = t + 1.0


def cycling_cadence(sim: Simulator, rpm: float) -> Callable[[float], float]:
    """``rpm`` while the simulator scripts cycling, else 0."""
    bounds = [(a, b) for a, b, p in sim.segment_bounds() if p is Posture.CYCLING]

    def cadence(t: float) -> float:
        return rpm if any(a <= t < b for a, b in bounds) else 0.0

    return cadence
