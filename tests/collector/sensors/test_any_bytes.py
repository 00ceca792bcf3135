"""Whatever bytes arrive, every driver either reads them or raises FrameError with a reason.

Anything else (an IndexError, a numpy error) would end a link's consumer task; a typed
error is counted and the stream goes on.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.sensors import make_driver
from collector.sensors.battery import BATTERY_LEVEL
from collector.sensors.csc import CSC_MEASUREMENT
from collector.sensors.heart_rate import HR_MEASUREMENT
from collector.sensors.microbit import ACCEL_DATA
from collector.sensors.movesense import GSP_DATA
from collector.sensors.polar_pmd import PMD_CONTROL, PMD_DATA, AccSettings, PolarPmd
from collector.sensors.thingy52 import MOTION_RAW
from sitless.errors import FrameError

CHARS = {
    "polar": (PMD_DATA, PMD_CONTROL),
    "microbit": (ACCEL_DATA,),
    "movesense": (GSP_DATA,),
    "thingy": (MOTION_RAW,),
    "csc": (CSC_MEASUREMENT,),
    "hr": (HR_MEASUREMENT,),
    "battery": (BATTERY_LEVEL,),
}
# PMD frames: a plausible header (ACC, a timestamp, any frame type) and any payload.
pmd_frames = st.builds(
    lambda ts, ftype, payload: bytes([2]) + ts.to_bytes(8, "little") + bytes([ftype]) + payload,
    st.integers(0, 2**64 - 1),
    st.sampled_from([0x00, 0x01, 0x02, 0x80, 0x81, 0x7F]),
    st.binary(max_size=240),
)


@pytest.mark.parametrize("kind", sorted(CHARS))
@settings(max_examples=150, deadline=None)
@given(notifications=st.lists(st.binary(max_size=64), min_size=1, max_size=6))
def test_random_bytes_read_or_raise_frame_error(kind: str, notifications: list[bytes]) -> None:
    driver = make_driver(kind)
    for i, data in enumerate(notifications):
        for char in CHARS[kind]:
            try:
                driver.parse(char, data, float(i))
            except FrameError as exc:
                assert exc.reason and exc.reason != FrameError.reason


@settings(max_examples=400, deadline=None)
@given(frames=st.lists(pmd_frames, min_size=1, max_size=4))
def test_pmd_frames_with_any_payload_read_or_raise_frame_error(frames: list[bytes]) -> None:
    driver = PolarPmd()
    driver.settings = AccSettings(rate_hz=50, range_g=8)
    for data in frames:
        try:
            driver.parse(PMD_DATA, data, 0.0)
        except FrameError as exc:
            assert exc.reason != FrameError.reason
