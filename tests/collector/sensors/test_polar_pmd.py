"""Polar PMD parser against the vectors of ble-sensors.md §1.11, and malformed frames."""

from __future__ import annotations

import numpy as np
import pytest

from collector.sensors.driver import Accel, Reply, StreamStopped
from collector.sensors.polar_pmd import (
    PMD_CONTROL,
    PMD_DATA,
    AccSettings,
    ControlResponse,
    PolarPmd,
    Setting,
    acc_mg,
    choose_settings,
    parse_control,
    parse_features,
    parse_frame,
    parse_settings,
    sample_times_ns,
    settings_request,
    start_request,
    stop_request,
)
from sitless.errors import FrameError


def hexbytes(text: str) -> bytes:
    return bytes.fromhex(" ".join(text.split()))


# §1.11 P5: raw TYPE_1 full frame (polar-ble-sdk AccDataTest.kt), 226 bytes.
P5 = hexbytes("""
02 00 94 35 77 00 00 00 00 01 F7 FF FF FF E7 03 F8 FF FE FF E5 03 F9 FF
FF FF E5 03 FA FF FF FF E6 03 FA FF FE FF E6 03 F9 FF FF FF E5 03 F8 FF
FF FF E6 03 F8 FF FE FF E6 03 FA FF FF FF E5 03 FA FF FF FF E7 03 FA FF
FF FF E5 03 F8 FF FF FF E6 03 F7 FF FF FF E6 03 F8 FF FE FF E6 03 F9 FF
FE FF E7 03 F9 FF 00 00 E6 03 F9 FF FF FF E6 03 F7 FF FE FF E5 03 F9 FF
FF FF E5 03 F9 FF FF FF E5 03 FA FF 00 00 E6 03 F9 FF FE FF E6 03 F8 FF
FF FF E6 03 F8 FF FF FF E5 03 F9 FF FF FF E6 03 F9 FF FF FF E5 03 FA FF
FF FF E6 03 F9 FF FF FF E5 03 F9 FF FF FF E5 03 F8 FF FE FF E6 03 F9 FF
FF FF E6 03 F9 FF FF FF E6 03 F9 FF 00 00 E5 03 F9 FF FE FF E6 03 F8 FF
FE FF E6 03 F7 FF FE FF E6 03
""")
# §1.11 P6: compressed TYPE_1 (same test file).
P6 = hexbytes("02 65 00 00 00 00 00 00 00 81 F1 FF 14 00 F0 03 06 01 7B 0F 08")
# §1.11 P7: compressed TYPE_0 with FACTOR (same test file), 228 bytes.
P7 = hexbytes("""
02 00 94 35 77 00 00 00 00 80 71 07 F0 6A 9E 8D 0A 38 BE 5C BE BA 2F 96
B3 EE 4B E5 AD FB 42 B9 EB BE 4C FE BA 2F 92 BF EE 4B E4 B1 FB 12 B9 EC
BD 3C 3E BB 2F 8F D3 DE 4B E3 B5 F7 D2 B8 ED BD 30 7E 7B 2F 8B E3 CE 8B
E2 BA F7 A2 B8 EE BC 20 BE 7B 2F 88 F3 CE CB E1 BD EF 52 F8 EF BC 18 FE
3B 2F 84 03 BF CB E0 C2 EF 32 B8 F0 BB 04 4E BC 2E 81 13 AF 0B E0 C6 EF
F2 F7 F1 B9 FC 7D BC 2E 7D 27 9F 4B DF CA EB C2 F7 F2 B8 EC CD 7C 2E 7B
37 8F 4B DE CE E3 92 F7 F3 B8 E0 0D FD 2D 77 4B 7F CB DD D2 DF 62 37 F5
B7 D4 4D BD 2D 74 5B 6F CB DC D7 D7 32 37 F6 B5 C8 8D 7D 2D 71 6B 4F 4B
DC DC D3 F2 36 F7 B4 BC DD FD 2C 6F 7B 3F 4B DB E0 CF D2 36 F8 B2 B0 2D
BE 2C 6C 8F 1F CB DA E3 C7 A2 76 F9
""")
# §1.11 P8: the start of a Verity Sense compressed frame (the doc's figure is truncated).
P8_PREFIX = hexbytes("02 64 6C 76 C4 3C C6 7F 07 80 D0 FF 65 01 E4 0F 08 1D FC 07 FF 0C 13 F2")
# §1.11 P4: the first two samples of an H10 frame (truncated in the doc; whole samples).
P4_PREFIX = hexbytes("02 EA 54 A2 42 8B 45 52 08 01 45 FF E4 FF B5 03 45 FF E4 FF B8 03")
# §1.5: the Verity START answer with FACTOR 0x397FDA40.
VERITY_START_ANSWER = hexbytes("F0 02 02 00 00 05 01 40 DA 7F 39")
FACTOR = 0.000244


def test_p4_h10_frame_header_and_first_samples() -> None:
    frame = parse_frame(P4_PREFIX)
    assert frame.measurement == 2
    assert frame.timestamp_ns == 0x0852458B42A254EA == 599618164814402794
    assert (frame.frame_type, frame.compressed) == (1, False)
    # The Polar figure annotates x = -184; 0xFF45 is -187 (§1.11 P4 note).
    assert frame.samples.tolist() == [[-187, -28, 949], [-187, -28, 952]]


def test_p5_raw_type1_full_frame() -> None:
    frame = parse_frame(P5)
    assert len(P5) == 226
    assert frame.timestamp_ns == 2_000_000_000
    assert frame.samples.shape == (36, 3)
    assert frame.samples[:3].tolist() == [[-9, -1, 999], [-8, -2, 997], [-7, -1, 997]]
    assert frame.samples[-1].tolist() == [-9, -2, 998]
    assert acc_mg(frame).tolist() == frame.samples.tolist()


def test_p6_compressed_type1_one_six_bit_delta() -> None:
    frame = parse_frame(P6)
    assert (frame.timestamp_ns, frame.frame_type, frame.compressed) == (101, 1, True)
    assert frame.samples.tolist() == [[-15, 20, 1008], [-20, 17, 1008]]
    assert acc_mg(frame).tolist() == [[-15, 20, 1008], [-20, 17, 1008]]


def test_p6_sample_times_follow_the_polar_sdk() -> None:
    # §1.11 P6: with the previous frame at 100 the SDK assigns 100 and 101 (its Long
    # truncation of 100.5 and 101). The nominal rate is set so the spacing is nominal.
    times = sample_times_ns(101, 2, rate_hz=2e9, previous_ns=100)
    assert times.tolist() == [100.5, 101.0]
    assert np.floor(times).tolist() == [100, 101]


def test_p7_compressed_type0_ten_bit_block_with_factor() -> None:
    frame = parse_frame(P7)
    assert len(P7) == 228
    assert (frame.frame_type, frame.compressed) == (0, True)
    assert frame.samples.shape == (57, 3)
    assert frame.samples[:3].tolist() == [
        [1905, 27376, -29282],
        [2095, 27271, -29367],
        [2285, 27165, -29451],
    ]
    assert frame.samples[-1].tolist() == [12274, 20173, -32449]
    # The SDK truncates raw x FACTOR x 1000 to whole mG.
    mg = np.trunc(acc_mg(frame, FACTOR))
    assert mg[:2].tolist() == [[464, 6679, -7144], [511, 6654, -7165]]
    assert mg[-1].tolist() == [2994, 4922, -7917]


def test_p7_reading_the_bits_msb_first_would_give_other_deltas() -> None:
    """The pitfall of §1.8: LSB-first gives +190, -105, -85 for P7's first deltas."""
    frame = parse_frame(P7)
    assert (frame.samples[1] - frame.samples[0]).tolist() == [190, -105, -85]


def test_p8_verity_reference_and_first_deltas() -> None:
    # The doc's P8 stops after two deltas of a 29-sample block: as sent it is truncated.
    with pytest.raises(FrameError) as err:
        parse_frame(P8_PREFIX)
    assert err.value.reason == "truncated"
    # The same reference and two 8-bit deltas, with the block count set to 2.
    two = P8_PREFIX[:16] + bytes([0x08, 0x02]) + P8_PREFIX[18:]
    frame = parse_frame(two)
    assert frame.timestamp_ns == 540368444604181604
    assert frame.samples.tolist() == [[-48, 357, 4068], [-52, 364, 4067], [-40, 383, 4053]]
    assert np.trunc(acc_mg(frame, FACTOR)[0]).tolist() == [-11, 87, 992]


def test_p1_h10_settings_answer() -> None:
    answer = parse_control(
        hexbytes("F0 01 02 00 00 00 04 19 00 32 00 64 00 C8 00 01 01 10 00 02 03 02 00 04 00 08 00")
    )
    assert isinstance(answer, ControlResponse)
    assert (answer.op, answer.measurement, answer.status, answer.more) == (1, 2, 0, False)
    assert parse_settings(answer.params) == {
        Setting.SAMPLE_RATE: (25, 50, 100, 200),
        Setting.RESOLUTION: (16,),
        Setting.RANGE: (2, 4, 8),
    }


def test_p2_verity_settings_answer() -> None:
    answer = parse_control(hexbytes("F0 01 02 00 00 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03"))
    assert isinstance(answer, ControlResponse)
    assert parse_settings(answer.params) == {
        Setting.SAMPLE_RATE: (52,),
        Setting.RESOLUTION: (16,),
        Setting.RANGE: (8,),
        Setting.CHANNELS: (3,),
    }


def test_p3_start_and_stop_commands_and_answers() -> None:
    # §1.4: the rate-first order is equivalent to the doc example's range-first one.
    chosen = {Setting.SAMPLE_RATE: 200, Setting.RESOLUTION: 16, Setting.RANGE: 8}
    assert start_request(chosen) == hexbytes("02 02 00 01 C8 00 01 01 10 00 02 01 08 00")
    verity = {**chosen, Setting.SAMPLE_RATE: 52, Setting.CHANNELS: 3}
    assert start_request(verity) == hexbytes("02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03")
    assert settings_request() == hexbytes("01 02")
    assert stop_request() == hexbytes("03 02")
    h10 = parse_control(hexbytes("F0 02 02 00 00 01"))
    assert isinstance(h10, ControlResponse) and h10.ok
    assert parse_settings(h10.params) == {}, "the H10's one reserved byte is no setting"
    verity_answer = parse_control(VERITY_START_ANSWER)
    assert isinstance(verity_answer, ControlResponse)
    (factor,) = parse_settings(verity_answer.params)[Setting.FACTOR]
    assert factor == pytest.approx(FACTOR, rel=1e-6)
    stopped = parse_control(hexbytes("F0 03 02 00 00"))
    assert isinstance(stopped, ControlResponse) and stopped.ok and stopped.params == b""


def test_feature_bitmaps() -> None:
    # §1.3: H10 → ECG + ACC; Verity → PPG, ACC, PPI, GYRO, MAG (+ SDK mode on one unit).
    assert parse_features(hexbytes("0F 05" + " 00" * 15)) == {0, 2}
    assert parse_features(hexbytes("0F 6E 00")) == {1, 2, 3, 5, 6}
    assert parse_features(hexbytes("0F 6E 02")) == {1, 2, 3, 5, 6, 9}


def test_device_stopping_the_stream_is_a_message_not_an_error() -> None:
    # §1.5: an unsolicited 0x01 message names the types the device stopped.
    message = parse_control(hexbytes("01 02"))
    assert isinstance(message, StreamStopped)


def test_settings_choice_for_an_h10_and_a_verity() -> None:
    h10 = {
        Setting.SAMPLE_RATE: (25, 50, 100, 200),
        Setting.RESOLUTION: (16,),
        Setting.RANGE: (2, 4, 8),
    }
    assert choose_settings(h10, 50, 8) == {
        Setting.SAMPLE_RATE: 50,
        Setting.RANGE: 8,
        Setting.RESOLUTION: 16,
    }
    verity = {Setting.SAMPLE_RATE: (52,), Setting.RANGE: (8,), Setting.CHANNELS: (3,)}
    assert choose_settings(verity, 50, 16)[Setting.SAMPLE_RATE] == 52
    assert choose_settings(verity, 50, 16)[Setting.RANGE] == 8, "the largest when none is enough"


def test_first_frame_times_end_at_the_frame_timestamp() -> None:
    times = sample_times_ns(2_000_000_000, 3, 50.0, None)
    assert times.tolist() == [1_960_000_000, 1_980_000_000, 2_000_000_000]


def test_a_lost_frame_shows_as_a_gap_not_as_stretched_samples() -> None:
    # Two frames' worth of time since the previous one, but only one frame of samples.
    times = sample_times_ns(1_000_000_000 + 2 * 720_000_000, 36, 50.0, 1_000_000_000)
    spacing = np.diff(times)
    assert np.allclose(spacing, 20_000_000)
    assert times[0] - 1_000_000_000 == pytest.approx(720_000_000 + 20_000_000)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"", "short"),
        (P5[:10], "short"),
        (P5[:-1], "truncated"),
        (P5[:9] + b"\x05" + P5[10:], "bad_frame_type"),
        (P6[:9] + b"\x83" + P6[10:], "bad_frame_type"),
        (P6[:14], "truncated"),
        (P6[:16] + b"\x00\x01" + P6[18:], "bad_delta_width"),
        (P6[:16] + b"\x20\x01" + P6[18:], "bad_delta_width"),
        (P6[:16] + b"\x06\x00" + P6[18:], "bad_delta_count"),
        (P6[:16] + b"\x06\x09" + P6[18:], "truncated"),
        (P6 + b"\x06", "truncated"),
    ],
)
def test_malformed_frames_raise_a_frame_error_with_a_reason(frame: bytes, reason: str) -> None:
    with pytest.raises(FrameError) as err:
        parse_frame(frame)
    assert err.value.reason == reason


def test_deltas_that_leave_the_sample_range_are_impossible() -> None:
    # Reference x = 32767 plus a +1 delta: no 16-bit sensor can report that.
    frame = hexbytes("02 65 00 00 00 00 00 00 00 81 FF 7F 00 00 00 00 02 01 01")
    with pytest.raises(FrameError) as err:
        parse_frame(frame)
    assert err.value.reason == "impossible_value"


def test_driver_rejects_wrong_type_out_of_range_and_time_going_back() -> None:
    driver = PolarPmd()
    driver.settings = AccSettings(rate_hz=50, range_g=8)
    (accel,) = driver.parse(PMD_DATA, P5, host_s=0.0)
    assert isinstance(accel, Accel) and accel.t_dev_s is not None
    assert accel.accel_g[0].tolist() == pytest.approx([-0.009, -0.001, 0.999])
    assert accel.t_dev_s[-1] == pytest.approx(2.0)
    with pytest.raises(FrameError) as err:
        driver.parse(PMD_DATA, b"\x01" + P5[1:], host_s=0.0)
    assert err.value.reason == "wrong_type"
    with pytest.raises(FrameError) as err:
        driver.parse(PMD_DATA, P5, host_s=0.0)
    assert err.value.reason == "time_not_increasing"
    big = bytearray(P5)
    big[1:9] = (3_000_000_000).to_bytes(8, "little")
    big[10:12] = (9000).to_bytes(2, "little", signed=True)
    with pytest.raises(FrameError) as err:
        driver.parse(PMD_DATA, bytes(big), host_s=0.0)
    assert err.value.reason == "out_of_range"


def test_driver_joins_multi_part_control_answers() -> None:
    # §1.5: a non-zero "more" byte means the next indication's bytes 5.. continue the
    # parameters.
    driver = PolarPmd()
    first = hexbytes("F0 01 02 00 01 00 04 19 00 32 00 64 00")
    second = hexbytes("F0 01 02 00 00 C8 00 01 01 10 00")
    assert driver.parse(PMD_CONTROL, first, 0.0) == []
    (reply,) = driver.parse(PMD_CONTROL, second, 0.0)
    assert isinstance(reply, Reply)
    answer = parse_control(reply.data)
    assert isinstance(answer, ControlResponse) and not answer.more
    assert parse_settings(answer.params) == {
        Setting.SAMPLE_RATE: (25, 50, 100, 200),
        Setting.RESOLUTION: (16,),
    }


def test_type0_unit_is_taken_from_the_data_when_undocumented() -> None:
    """Raw type 0 is mG in one Polar table and G in another (§1.7): at rest a body reads
    about 1 g, so int8 values around 1 can only be G."""
    driver = PolarPmd()
    driver.settings = AccSettings(rate_hz=50, range_g=8)
    frame = hexbytes("02 00 94 35 77 00 00 00 00 00 00 00 01 00 00 01")
    (accel,) = driver.parse(PMD_DATA, frame, 0.0)
    assert isinstance(accel, Accel)
    assert accel.accel_g.tolist() == [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
