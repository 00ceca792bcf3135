"""The simulator's physics: what a thigh sensor reads in each scripted posture.

Body frame: x along the thigh towards the hip, y out of the front of the thigh, z lateral.
Specific-force convention: at rest the sensor reads +1 g on the axis pointing up.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from collector.posture.features import window_features
from collector.sources import Replay, Segment, Simulator, office_day, write_recording
from collector.sources.simulator import SENSOR_NOISE_G, random_rotation
from sitless.wire.posture import Posture

BODY = np.eye(3)


def _body(posture: Posture, seconds: float = 60, seed: int = 1, rate: float = 50) -> np.ndarray:
    sim = Simulator([Segment(posture, seconds)], rate, seed=seed, orientation=BODY)
    return sim.samples().accel_g


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_standing_reads_one_g_along_the_thigh(seed: int) -> None:
    """Standing, the thigh is vertical: gravity lies along its long axis (+x)."""
    mean = _body(Posture.STANDING, seed=seed).mean(axis=0)
    assert mean[0] > 0.98
    assert abs(np.linalg.norm(mean) - 1) < 0.02


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sitting_reads_one_g_out_of_the_front_of_the_thigh(seed: int) -> None:
    """Sitting, the thigh is near horizontal with its front up: gravity along +y."""
    mean = _body(Posture.SITTING, seed=seed).mean(axis=0)
    assert mean[1] > 0.9
    assert abs(mean[0]) < 0.45


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lying_on_the_side_rolls_gravity_onto_the_lateral_axis(seed: int) -> None:
    """On the side the horizontal thigh is rolled ~90 degrees about its long axis."""
    mean = _body(Posture.LYING, seed=seed).mean(axis=0)
    assert abs(mean[2]) > 0.9
    assert abs(mean[0]) < 0.3


def test_static_postures_read_about_one_g() -> None:
    """Nothing accelerates the thigh when still: |specific force| is gravity's 1 g."""
    for posture in (Posture.STANDING, Posture.SITTING, Posture.LYING, Posture.NONWEAR):
        norms = np.linalg.norm(_body(posture, 30), axis=1)
        assert abs(norms.mean() - 1) < 0.02, posture


def test_heel_strikes_make_gait_impulsive_and_pedalling_is_smooth() -> None:
    """Impacts put power above 4 Hz and spikes in |a|; pedalling rocks the thigh smoothly."""
    rate = 50
    for seed in (1, 2, 3):
        walk, cycle = _body(Posture.WALKING, seed=seed), _body(Posture.CYCLING, seed=seed)
        assert np.percentile(np.linalg.norm(walk, axis=1), 99) > 1.8
        w = window_features(walk[:200], rate, expected_n=200, epoch_n=50, epoch_expected_n=50)
        c = window_features(cycle[:200], rate, expected_n=200, epoch_n=50, epoch_expected_n=50)
        assert w.hf_share > 0.2 and c.hf_share < 0.05
        assert 0.6 <= c.rhythm_hz <= 1.7


def test_running_moves_the_thigh_harder_than_walking() -> None:
    walk = _body(Posture.WALKING).std(axis=0)
    run = _body(Posture.RUNNING).std(axis=0)
    assert np.linalg.norm(run) > 2 * np.linalg.norm(walk)


def test_the_sensor_frame_is_a_rotation_of_the_body_frame() -> None:
    """Mounting only rotates the signal: rotating body-frame data gives the sensor's."""
    rot = random_rotation(np.random.default_rng(7))
    timeline = [Segment(Posture.WALKING, 20), Segment(Posture.SITTING, 20)]
    body = Simulator(timeline, 25, seed=4, orientation=BODY).samples().accel_g
    sensor = Simulator(timeline, 25, seed=4, orientation=rot).samples().accel_g
    # The same sensor-noise draws are added after the rotation in both: they differ by
    # noise - noise @ rot, a few mg.
    assert np.abs(body @ rot - sensor).max() < 12 * SENSOR_NOISE_G


def test_nonwear_is_a_still_sensor_lying_on_a_face() -> None:
    """On a desk: gravity within 2 degrees of one sensor axis, and only sensor noise."""
    sim = Simulator([Segment(Posture.NONWEAR, 60)], 50, seed=3)
    accel = sim.samples().accel_g
    mean = accel.mean(axis=0)
    assert np.degrees(np.arccos(np.abs(mean).max() / np.linalg.norm(mean))) < 2.0
    assert accel.std(axis=0).max() < 1.5 * SENSOR_NOISE_G


def test_the_same_seed_gives_the_same_samples_whatever_the_chunking() -> None:
    timeline = [Segment(Posture.WALKING, 7.3), Segment(Posture.SITTING, 5.1)]
    one = Simulator(timeline, 50, seed=9)
    whole = one.samples()
    for chunk_s in (0.37, 1.0, 4.2):
        parts = list(Simulator(timeline, 50, seed=9).chunks(chunk_s))
        assert np.array_equal(np.concatenate([p.t for p in parts]), whole.t)
        assert np.array_equal(np.concatenate([p.accel_g for p in parts]), whole.accel_g)
    other = Simulator(timeline, 50, seed=10).samples()
    assert not np.allclose(other.accel_g, whole.accel_g)


def test_samples_are_evenly_spaced_at_the_chosen_rate_from_start_t() -> None:
    sim = Simulator([Segment(Posture.STANDING, 10)], 25, start_t=100.0)
    t = sim.samples().t
    assert t[0] == 100.0 and len(t) == 250
    assert np.allclose(np.diff(t), 0.04)


def test_posture_at_follows_the_script() -> None:
    sim = Simulator([Segment(Posture.WALKING, 10), Segment(Posture.SITTING, 10)], 50)
    walk, sit = Posture.WALKING, Posture.SITTING
    assert sim.posture_at([0.0, 9.99, 10.0, 19.9]) == [walk, walk, sit, sit]


@pytest.mark.parametrize(
    ("timeline", "rate"),
    [
        ([], 50),
        ([Segment(Posture.SITTING, 0)], 50),
        ([Segment(Posture.UNKNOWN, 10)], 50),
        ([Segment(Posture.SITTING, 10)], 5),
    ],
)
def test_simulator_refuses_an_unplayable_script(timeline: list[Segment], rate: float) -> None:
    with pytest.raises(ValueError):
        Simulator(timeline, rate)


def test_office_day_is_a_realistic_working_day() -> None:
    day = office_day()
    total_h = sum(s.duration_s for s in day) / 3600
    assert 8.0 <= total_h <= 9.0
    assert day[0].posture is Posture.WALKING
    assert day[-1].posture is Posture.NONWEAR
    long_sits = [s for s in day if s.posture is Posture.SITTING and s.duration_s >= 50 * 60]
    assert len(long_sits) >= 3
    cycling = [s.duration_s for s in day if s.posture is Posture.CYCLING]
    assert len(cycling) == 1 and 20 * 60 <= cycling[0] <= 30 * 60
    assert any(s.posture is Posture.LYING for s in day)
    breaks = [s for s in day if s.posture in (Posture.STANDING, Posture.WALKING)]
    assert any(s.duration_s <= 5 * 60 for s in breaks)


@pytest.mark.parametrize("name", ["sim.csv", "sim.csv.gz"])
def test_write_recording_round_trips_through_replay(tmp_path: Path, name: str) -> None:
    timeline = [Segment(Posture.WALKING, 3), Segment(Posture.SITTING, 2)]
    sim = Simulator(timeline, 50, seed=2)
    path = write_recording(sim, tmp_path / name)
    replay = Replay(path)
    assert replay.rate_hz == 50
    got = np.concatenate([c.accel_g for c in replay.chunks()])
    assert np.allclose(got, sim.samples().accel_g, atol=1e-5)
    if name.endswith(".gz"):
        with gzip.open(path, "rt") as f:
            lines = f.read().splitlines()
    else:
        lines = path.read_text().splitlines()
    assert lines[0] == "t,ax,ay,az,label,source_label"
    assert lines[1].endswith(",walking,s000:walking")
    assert lines[-1].endswith(",sitting,s001:sitting")
