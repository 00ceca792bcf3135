"""Battery Level against ble-sensors.md §7.2, and malformed values."""

from __future__ import annotations

import pytest

from collector.sensors.battery import parse_level
from sitless.errors import FrameError


def test_documented_level() -> None:
    # §7.2 constructed: 5A → 90 %.
    assert parse_level(bytes.fromhex("5A")).pct == 90
    assert parse_level(b"\x00").pct == 0
    assert parse_level(b"\x64").pct == 100


@pytest.mark.parametrize(
    ("value", "reason"), [(b"", "short"), (b"\x5a\x00", "long"), (b"\x65", "impossible_value")]
)
def test_malformed_levels(value: bytes, reason: str) -> None:
    with pytest.raises(FrameError) as err:
        parse_level(value)
    assert err.value.reason == reason
