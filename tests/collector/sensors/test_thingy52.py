"""Thingy:52 raw motion against ble-sensors.md §4.3, config writes (§4.2), malformed frames."""

from __future__ import annotations

import pytest

from collector.sensors.driver import Accel
from collector.sensors.thingy52 import MOTION_RAW, Thingy52, parse_raw, with_frequency
from sitless.errors import FrameError

# §4.3 constructed vector.
RAW = bytes.fromhex("00 00 00 FE 00 04 20 00 C0 FF 00 00 A0 00 B0 FF 10 00")


def test_documented_raw_frame() -> None:
    raw = parse_raw(RAW)
    assert raw.accel_g == (0.0, -0.5, 1.0)
    assert raw.gyro_dps == (1.0, -2.0, 0.0)
    assert raw.compass_ut == (10.0, -5.0, 1.0)


def test_driver_flips_the_firmware_sign_so_up_reads_plus_one_g() -> None:
    """The firmware reads +1 g on the axis pointing down (drv_motion.c, §4.3)."""
    (accel,) = Thingy52().parse(MOTION_RAW, RAW, 0.0)
    assert isinstance(accel, Accel) and accel.t_dev_s is None
    assert accel.accel_g.tolist() == [[0.0, 0.5, -1.0]]


def test_config_for_50_hz() -> None:
    # §4.2 constructed vector: defaults with 50 Hz motion processing.
    default = bytes.fromhex("E8 03 F4 01 F4 01 0A 00 01")
    assert with_frequency(default, 50) == bytes.fromhex("E8 03 F4 01 F4 01 32 00 01")
    assert with_frequency(b"\x00", 50) == bytes.fromhex("E8 03 F4 01 F4 01 32 00 01")
    assert with_frequency(default, 1000)[6:8] == (200).to_bytes(2, "little")


@pytest.mark.parametrize(
    ("frame", "reason"), [(RAW[:17], "short"), (RAW + b"\x00", "long"), (b"", "short")]
)
def test_malformed_frames(frame: bytes, reason: str) -> None:
    with pytest.raises(FrameError) as err:
        parse_raw(frame)
    assert err.value.reason == reason


def test_impossible_acceleration() -> None:
    # Q6.10 can hold 31 g; the MPU-9250 cannot measure beyond 16 g.
    frame = (20 * 1024).to_bytes(2, "little", signed=True) + RAW[2:]
    with pytest.raises(FrameError) as err:
        Thingy52().parse(MOTION_RAW, frame, 0.0)
    assert err.value.reason == "out_of_range"
