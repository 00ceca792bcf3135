"""CSC parser and cadence against ble-sensors.md §6.4, rollovers, and malformed frames."""

from __future__ import annotations

import pytest

from collector.sensors.csc import (
    CSC_MEASUREMENT,
    CadenceMeter,
    CadenceTrack,
    CscMeasurement,
    CyclingSpeedCadence,
    cadence_rpm,
    confirm_cycling,
    parse_measurement,
)
from collector.sensors.driver import Cadence
from sitless.errors import FrameError
from sitless.wire.posture import Posture


def hexbytes(text: str) -> bytes:
    return bytes.fromhex(text)


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        # §6.4 public: RonanB96/bluetooth-sig-python test_csc_measurement.py.
        ("03 40 E2 01 00 00 28 41 01 00 08", CscMeasurement(123456, 10240, 321, 2048)),
        ("01 50 C3 00 00 00 14", CscMeasurement(50000, 5120, None, None)),
        # §6.4 public capture, SunDing515 sensor (StackOverflow q 49644523).
        ("03 6D 01 00 00 FC 7E 2C 01 F8 7E", CscMeasurement(365, 32508, 300, 32504)),
        # §6.4 public capture, Wahoo cadence sensor (StackOverflow q 71235792).
        ("02 04 00 5E 17", CscMeasurement(None, None, 4, 5982)),
    ],
)
def test_documented_measurements(frame: str, expected: CscMeasurement) -> None:
    assert parse_measurement(hexbytes(frame)) == expected


def test_one_revolution_in_one_second_is_60_rpm() -> None:
    # §6.4: prev 02 04 00 5E 17, next 02 05 00 5E 1B → d_revs 1, d_time 1024 → 60 rpm.
    meter = CadenceMeter()
    assert meter.update(parse_measurement(hexbytes("02 04 00 5E 17")), 10.0).rpm is None
    assert meter.update(parse_measurement(hexbytes("02 05 00 5E 1B")), 11.0).rpm == 60.0


def test_both_counters_rolling_over_at_once_is_120_rpm() -> None:
    # §6.4 constructed: revs 65534 → 1 (3), time 65000 → 1000 (1536 ticks = 1.5 s).
    meter = CadenceMeter()
    meter.update(parse_measurement(hexbytes("02 FE FF E8 FD")), 0.0)
    assert meter.update(parse_measurement(hexbytes("02 01 00 E8 03")), 1.5).rpm == 120.0
    assert cadence_rpm(65534, 65000, 1, 1000) == 120.0


def test_no_new_crank_event_keeps_the_cadence_then_drops_to_zero() -> None:
    meter = CadenceMeter()
    meter.update(CscMeasurement(crank_revs=10, crank_time=0), 0.0)
    assert meter.update(CscMeasurement(crank_revs=11, crank_time=1024), 1.0).rpm == 60.0
    assert meter.update(CscMeasurement(crank_revs=11, crank_time=1024), 2.0).rpm == 60.0
    assert meter.update(CscMeasurement(crank_revs=11, crank_time=1024), 4.0).rpm == 0.0


def test_a_silence_longer_than_a_rollover_reseeds() -> None:
    """Event times wrap every 64 s, so after a longer silence the interval is unknowable."""
    meter = CadenceMeter()
    meter.update(CscMeasurement(crank_revs=10, crank_time=0), 0.0)
    assert meter.update(CscMeasurement(crank_revs=11, crank_time=1024), 70.0).rpm is None
    assert meter.update(CscMeasurement(crank_revs=12, crank_time=2048), 71.0).rpm == 60.0


def test_pedalling_after_a_long_idle_spell_reseeds_first() -> None:
    """Notifications kept coming, but the crank stood still for 100 s: the next event's
    time may have wrapped once or twice, so it only seeds."""
    meter = CadenceMeter()
    for second in range(101):
        meter.update(CscMeasurement(crank_revs=10, crank_time=5000), float(second))
    assert meter.update(CscMeasurement(crank_revs=10, crank_time=5000), 101.0).rpm == 0.0
    assert meter.update(CscMeasurement(crank_revs=11, crank_time=20000), 102.0).rpm == 0.0
    assert meter.update(CscMeasurement(crank_revs=12, crank_time=21024), 103.0).rpm == 60.0


def test_a_glitch_is_rejected_and_the_meter_keeps_its_state() -> None:
    meter = CadenceMeter()
    meter.update(CscMeasurement(crank_revs=10, crank_time=0), 0.0)
    with pytest.raises(FrameError) as err:
        meter.update(CscMeasurement(crank_revs=20, crank_time=1024), 1.0)
    assert err.value.reason == "impossible_value"
    assert meter.update(CscMeasurement(crank_revs=11, crank_time=1024), 1.0).rpm == 60.0


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("", "short"),
        ("02 04 00 5E", "short"),
        ("03 40 E2 01 00 00 28 41 01 00", "short"),
        ("01 50 C3 00 00 00 14 00", "long"),
        ("06 04 00 5E 17", "bad_flags"),
    ],
)
def test_malformed_measurements(frame: str, reason: str) -> None:
    with pytest.raises(FrameError) as err:
        parse_measurement(hexbytes(frame))
    assert err.value.reason == reason


def test_driver_turns_notifications_into_cadence() -> None:
    driver = CyclingSpeedCadence()
    assert driver.parse(CSC_MEASUREMENT, hexbytes("02 04 00 5E 17"), 1.0) == [Cadence(None)]
    assert driver.parse(CSC_MEASUREMENT, hexbytes("02 05 00 5E 1B"), 2.0) == [Cadence(60.0)]


def test_cadence_confirms_cycling_but_not_a_sensor_left_on_the_desk() -> None:
    assert confirm_cycling(Posture.SITTING, 70.0) is Posture.CYCLING
    assert confirm_cycling(Posture.STANDING, 70.0) is Posture.CYCLING
    assert confirm_cycling(Posture.SITTING, 5.0) is Posture.SITTING
    assert confirm_cycling(Posture.SITTING, None) is Posture.SITTING
    assert confirm_cycling(Posture.NONWEAR, 70.0) is Posture.NONWEAR


def test_cadence_track_goes_stale() -> None:
    track = CadenceTrack()
    track.add(10.0, 80.0)
    track.add(11.0, 0.0)
    assert track.rpm_at(9.0) is None
    assert track.rpm_at(10.5) == 80.0
    assert track.rpm_at(12.0) == 0.0, "the crank stopped"
    assert track.rpm_at(21.5) is None, "the sensor went silent"
