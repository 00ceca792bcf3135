"""ActiMotus as the peer: the axes it is given, its activity names, one real run."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from collector.eval import baseline
from collector.eval.runs import load, run_baseline
from collector.sources import Simulator, write_recording
from sitless.wire.posture import Posture
from tests.collector.scripted import COMPACT_DAY


def test_every_actimotus_activity_has_a_posture_of_ours() -> None:
    """Pins the ActiMotus API we rely on: its activity names, all mapped."""
    from actimotus.settings import ACTIVITIES

    assert set(ACTIVITIES.values()) == set(baseline.ACTIVITY)
    assert baseline.ACTIVITY["bicycle"] is Posture.CYCLING
    assert baseline.ACTIVITY["kneel"].sedentary and baseline.ACTIVITY["lie"].sedentary


def test_actimotus_is_given_the_thigh_axes_measured_from_the_labels(tmp_path: Path) -> None:
    """x along the thigh (reads +1 g standing), z out of the back of the thigh (sitting
    reads -1 g on it), y completing a right-handed frame."""
    sim = Simulator(COMPACT_DAY[:4], 25, seed=7)
    rec = load(write_recording(sim, tmp_path / "r.csv"))
    axes = baseline.oracle_axes(rec.t, rec.accel_g, rec.truth)
    long_axis, front = sim.orientation[0], sim.orientation[1]
    assert np.degrees(np.arccos(axes[0] @ long_axis)) < 10
    assert np.degrees(np.arccos(-axes[2] @ front)) < 10
    assert np.allclose(np.cross(axes[0], axes[1]), axes[2])


def test_actimotus_classifies_a_recording_into_our_postures(tmp_path: Path) -> None:
    sim = Simulator(COMPACT_DAY[:4], 25, seed=8)
    rec = load(write_recording(sim, tmp_path / "r.csv.gz"))
    run = run_baseline(rec)
    assert abs(len(run.epochs) - len(rec.truth)) <= 2
    assert run.score.sedentary_balanced_accuracy > 0.9
