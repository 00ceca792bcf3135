"""Heart Rate Measurement against ble-sensors.md §7.1, and malformed frames."""

from __future__ import annotations

import pytest

from collector.sensors.heart_rate import parse_measurement
from sitless.errors import FrameError


@pytest.mark.parametrize(
    ("frame", "bpm", "rr_ms", "contact", "energy"),
    [
        # §7.1 public: H10 captures (StackOverflow q 50477232, q 67024800).
        ("10 48 2C 03", 72, (793.0,), None, None),
        ("10 49 5E 03 96 03", 73, (841.8, 896.5), None, None),
        ("10 3B 53 04", 59, (1081.1,), None, None),
        # §7.1 public: H7 capture, contact supported and detected.
        ("16 4D 16 03", 77, (771.5,), True, None),
        # §7.1 constructed: uint16 rate; energy expended.
        ("11 48 00 2C 03", 72, (793.0,), None, None),
        ("18 48 10 00 2C 03", 72, (793.0,), None, 16),
        ("04 48", 72, (), False, None),
    ],
)
def test_documented_measurements(
    frame: str, bpm: int, rr_ms: tuple[float, ...], contact: bool | None, energy: int | None
) -> None:
    hr = parse_measurement(bytes.fromhex(frame))
    assert hr.bpm == bpm
    assert tuple(round(r * 1000, 1) for r in hr.rr_s) == rr_ms
    assert hr.contact is contact
    assert hr.energy_kj == energy


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("10", "short"),
        ("11 48", "short"),
        ("18 48 10", "short"),
        ("10 48 2C", "truncated"),
        ("00 48 00", "long"),
        ("30 48", "bad_flags"),
        ("00 05", "impossible_value"),
    ],
)
def test_malformed_measurements(frame: str, reason: str) -> None:
    with pytest.raises(FrameError) as err:
        parse_measurement(bytes.fromhex(frame))
    assert err.value.reason == reason
