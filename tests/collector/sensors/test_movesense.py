"""Movesense GSP against ble-sensors.md §3.2-3.4, and malformed frames."""

from __future__ import annotations

import struct

import pytest

from collector.sensors.driver import Accel
from collector.sensors.movesense import (
    GSP_DATA,
    Movesense,
    acc_path,
    parse_acc,
    subscribe_command,
    unsubscribe_command,
)
from sitless.errors import FrameError

# §3.4 constructed data vector: ref 99, ts 123456 ms, two samples.
DATA = bytes.fromhex(
    "02 63 40 E2 01 00 00 00 00 3E 00 00 00 BF 00 00 1D 41 00 00 80 3E 00 00 00 BF 00 00 1C 41"
)


def test_documented_commands() -> None:
    # §3.2 public (official python client): subscribe /Meas/Acc/13 under ref 99.
    assert subscribe_command(99, "/Meas/Acc/13") == bytes.fromhex(
        "01 63 2F 4D 65 61 73 2F 41 63 63 2F 31 33"
    )
    assert unsubscribe_command(99) == bytes.fromhex("02 63")
    assert acc_path(50) == ("/Meas/Acc/52", 52)
    with pytest.raises(ValueError, match="0 is invalid"):
        subscribe_command(0, "/Meas/Acc/13")


def test_documented_data() -> None:
    reference, first_ms, ms2 = parse_acc(DATA)
    assert (reference, first_ms) == (99, 123456)
    assert ms2.tolist() == [[0.125, -0.5, 9.8125], [0.25, -0.5, 9.75]]


def test_driver_gives_g_and_first_sample_times() -> None:
    driver = Movesense(rate_hz=52, reference=99)
    driver.rate = 52
    (accel,) = driver.parse(GSP_DATA, DATA, 0.0)
    assert isinstance(accel, Accel) and accel.t_dev_s is not None
    assert accel.accel_g[0, 2] == pytest.approx(9.8125 / 9.80665)
    assert accel.t_dev_s.tolist() == pytest.approx([123.456, 123.456 + 1 / 52])


def test_command_results_are_advisory() -> None:
    # §3.3: the sample firmware's "no free slot" (507) comes big-endian: 01 FB.
    assert Movesense().parse(GSP_DATA, bytes.fromhex("01 63 01 FB"), 0.0) == []


def test_the_32_bit_millisecond_clock_wraps() -> None:
    driver = Movesense(rate_hz=52, reference=99)
    driver.rate = 52
    late = bytearray(DATA)
    late[2:6] = (2**32 - 100).to_bytes(4, "little")
    driver.parse(GSP_DATA, bytes(late), 0.0)
    early = bytearray(DATA)
    early[2:6] = (200).to_bytes(4, "little")
    (accel,) = driver.parse(GSP_DATA, bytes(early), 0.0)
    assert isinstance(accel, Accel) and accel.t_dev_s is not None
    assert accel.t_dev_s[0] == pytest.approx((2**32 + 200) / 1000)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (DATA[:17], "short"),
        (DATA[:-1], "truncated"),
        (b"\x04" + DATA[1:], "wrong_type"),
        (DATA[:1] + b"\x07" + DATA[2:], "wrong_reference"),
        (DATA[:6] + struct.pack("<3f", float("nan"), 0, 9.8) + DATA[18:], "not_numeric"),
        (DATA[:6] + struct.pack("<3f", 400.0, 0, 9.8) + DATA[18:], "out_of_range"),
    ],
)
def test_malformed_frames(frame: bytes, reason: str) -> None:
    with pytest.raises(FrameError) as err:
        Movesense(reference=99).parse(GSP_DATA, frame, 0.0)
    assert err.value.reason == reason
