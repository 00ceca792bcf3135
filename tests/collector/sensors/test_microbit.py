"""micro:bit accelerometer and LED against ble-sensors.md §2.4 and §9, malformed frames."""

from __future__ import annotations

import numpy as np
import pytest

from collector.posture import PostureClassifier
from collector.sensors.driver import Accel
from collector.sensors.microbit import ACCEL_DATA, MicroBit, led_text, parse_data, period_ms
from collector.sources import Segment, Simulator
from sitless.errors import FrameError
from sitless.wire.posture import Posture


def test_documented_data() -> None:
    # §2.4 constructed: 10 00 E0 FF 04 FC → (16, -32, -1020) mG.
    assert parse_data(bytes.fromhex("10 00 E0 FF 04 FC")).tolist() == [[0.016, -0.032, -1.02]]


def test_documented_periods() -> None:
    # §2.4: 20 ms is written as 14 00, 80 ms as 50 00.
    assert period_ms(50).to_bytes(2, "little") == bytes.fromhex("14 00")
    assert period_ms(12.5).to_bytes(2, "little") == bytes.fromhex("50 00")
    assert period_ms(10_000) == 1, "never 0: writing 0 crashes the device"


def test_led_text() -> None:
    # §9: "Stand!" is written as its UTF-8 bytes.
    assert led_text("Stand!") == bytes.fromhex("53 74 61 6E 64 21")
    assert led_text("Hip-flexor reset: stand up now") == b"Hip-flexor reset:"
    assert led_text("Pause café") == b"Pause cafe"
    assert len(led_text("x" * 40)) == 20


@pytest.mark.parametrize(("frame", "reason"), [(b"\x10\x00", "short"), (b"\x00" * 7, "long")])
def test_malformed_frames(frame: bytes, reason: str) -> None:
    with pytest.raises(FrameError) as err:
        parse_data(frame)
    assert err.value.reason == reason


def test_impossible_acceleration() -> None:
    frame = (30000).to_bytes(2, "little", signed=True) + b"\x00\x00\x00\x00"
    with pytest.raises(FrameError) as err:
        MicroBit().parse(ACCEL_DATA, frame, 0.0)
    assert err.value.reason == "out_of_range"


def test_driver_sends_samples_without_device_time() -> None:
    (accel,) = MicroBit().parse(ACCEL_DATA, bytes.fromhex("10 00 E0 FF 04 FC"), 0.0)
    assert isinstance(accel, Accel) and accel.t_dev_s is None


def test_either_axis_sign_gives_the_same_postures() -> None:
    """The micro:bit's sign at rest is unverified (§2.5). Flipping all three axes is a
    point reflection: every angle between two measured directions -- the thigh's
    inclination from the learned upright, its roll -- is unchanged, and so is every
    magnitude; the classifier learns the axes from the data, so both readings classify
    alike."""
    sim = Simulator(
        [
            Segment(Posture.WALKING, 60),
            Segment(Posture.SITTING, 90),
            Segment(Posture.WALKING, 30),
            Segment(Posture.STANDING, 60),
        ],
        rate_hz=50,
        seed=5,
    )
    runs = []
    for sign in (1.0, -1.0):
        clf = PostureClassifier(50)
        epochs = []
        for chunk in sim.chunks(5.0):
            epochs.extend(clf.feed(chunk.t, sign * chunk.accel_g))
        epochs.extend(clf.flush())
        runs.append([e.posture for e in epochs])
    assert runs[0] == runs[1]
    assert {Posture.SITTING, Posture.WALKING, Posture.STANDING} <= set(runs[0])
    assert np.mean([p is Posture.SITTING for p in runs[0][70:140]]) > 0.9
