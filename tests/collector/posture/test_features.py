"""Features of tiny synthetic windows, checked against the physics that defines them."""

from __future__ import annotations

import numpy as np
import pytest

from collector.posture.features import GAIT_HF_SHARE, window_features
from collector.sources.simulator import random_rotation
from tests.collector.signals import features_of, rocking, still, thigh


def test_a_still_sensor_shows_gravity_direction_and_no_motion() -> None:
    """At rest the mean specific force is gravity: its direction is 'up' in sensor axes."""
    f = features_of(still(np.array([0.0, 0.6, 0.8])))
    assert np.allclose(f.direction, [0.0, 0.6, 0.8], atol=0.01)
    assert f.intensity_g < 0.005 and f.max_sd_g < 0.003
    assert not f.moving and not f.gait_like and not f.pedalling_like


def test_rhythm_is_the_swing_frequency_and_pure_rocking_is_strongly_periodic() -> None:
    """A thigh rocked sinusoidally at f repeats every 1/f s; nothing lies above 4 Hz."""
    for hz in (0.8, 1.2, 1.7):
        f = features_of(rocking(65, 15, hz))
        assert f.rhythm_hz == pytest.approx(hz, rel=0.08)
        assert f.rhythm_strength > 0.9
        assert f.hf_share < 0.02
        assert f.pedalling_like and not f.gait_like


def test_heel_strikes_put_power_above_4_hz_and_make_the_motion_gait() -> None:
    """An impact is short (~30 ms), so its power spreads far above the swing frequency."""
    smooth = features_of(rocking(5, 25, 1.0))
    struck = features_of(rocking(5, 25, 1.0, impacts_g=2.0))
    assert smooth.hf_share < 0.02
    assert struck.hf_share > GAIT_HF_SHARE
    assert struck.gait_like and not struck.pedalling_like


def test_motion_intensity_is_the_vector_standard_deviation() -> None:
    """A 0.3 g sine on one axis has SD 0.3/sqrt(2) g; the other axes add nothing."""
    t = np.arange(200) / 50
    accel = np.column_stack([np.ones(200), 0.3 * np.sin(2 * np.pi * 2 * t), np.zeros(200)])
    f = features_of(accel)
    assert f.intensity_g == pytest.approx(0.3 / np.sqrt(2), rel=0.02)
    assert f.sd_along(np.array([0.0, 1.0, 0.0])) == pytest.approx(f.intensity_g, rel=1e-6)
    assert f.sd_along(np.array([0.0, 0.0, 1.0])) == pytest.approx(0.0, abs=1e-9)


def test_features_do_not_depend_on_how_the_sensor_is_mounted() -> None:
    """Rotating the sensor rotates the mean and covariance; scalars stay the same."""
    accel = rocking(10, 25, 1.0, impacts_g=1.5)
    rot = random_rotation(np.random.default_rng(3))
    a, b = features_of(accel), features_of(accel @ rot)
    assert np.allclose(np.array(a.direction) @ rot, b.direction)
    assert np.allclose(rot.T @ a.cov_matrix() @ rot, b.cov_matrix())
    for name in ("intensity_g", "hf_share", "rhythm_hz", "rhythm_strength"):
        assert getattr(a, name) == pytest.approx(getattr(b, name), rel=1e-9, abs=1e-12), name


def test_coverage_counts_samples_against_the_nominal_rate() -> None:
    f = window_features(still(thigh(0))[:100], 50, expected_n=200, epoch_n=20, epoch_expected_n=50)
    assert f.coverage == 0.5 and f.epoch_coverage == 0.4


def test_too_few_samples_give_undefined_features() -> None:
    f = features_of(still(thigh(0))[:3])
    assert f.n == 3 and np.isnan(f.intensity_g)
    assert not f.moving and not f.gait_like and not f.pedalling_like
