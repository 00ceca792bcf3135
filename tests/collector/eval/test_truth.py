"""Epoch labels of a labelled recording: majority, label mapping, margins around joins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from collector.eval.truth import EMPTY, OTHER, SCORED, read_truth
from sitless.errors import FrameError
from sitless.wire.posture import Posture

WALK, SIT = SCORED.index(Posture.WALKING), SCORED.index(Posture.SITTING)


def _write(path: Path, rows: list[tuple[float, str, str]]) -> Path:
    lines = ["t,ax,ay,az,label,source_label"]
    lines += [f"{t:.3f},0,0,1,{label},{source}" for t, label, source in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_epoch_takes_the_label_most_of_its_samples_carry(tmp_path: Path) -> None:
    rows = [(0.1 * i, "sitting" if i < 6 else "walking", "a") for i in range(10)]
    truth = read_truth(_write(tmp_path / "r.csv", rows), margin_s=0.0)
    assert truth.labels.tolist() == [SIT]


def test_stairs_count_as_walking_transport_as_sitting_and_other_apart(tmp_path: Path) -> None:
    rows = [(0.5, "stairs", "a"), (1.5, "transport", "a"), (2.5, "other", "a")]
    truth = read_truth(_write(tmp_path / "r.csv", rows), margin_s=0.0)
    assert truth.labels.tolist() == [WALK, SIT, OTHER]


def test_epochs_near_a_change_of_source_label_are_not_scored(tmp_path: Path) -> None:
    """The recordings join separate takes; the seconds around a join are not scored,
    however the label itself changes (here it does not change at all)."""
    rows = [(0.5 + k, "walking", "a" if k < 10 else "b") for k in range(20)]
    truth = read_truth(_write(tmp_path / "r.csv", rows), margin_s=3.0)
    assert truth.changes.tolist() == [10.5]
    unscored = np.flatnonzero(~truth.scored).tolist()
    # [k, k+1) overlaps (7.5, 13.5)
    assert unscored == [7, 8, 9, 10, 11, 12, 13]


def test_seconds_without_samples_are_empty_not_guessed(tmp_path: Path) -> None:
    rows = [(0.5, "sitting", "a"), (3.5, "sitting", "a")]
    truth = read_truth(_write(tmp_path / "r.csv", rows), margin_s=0.0)
    assert truth.labels.tolist() == [SIT, EMPTY, EMPTY, SIT]


def test_an_unknown_label_is_a_frame_error_naming_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", [(0.5, "sitting", "a"), (1.5, "dancing", "a")])
    with pytest.raises(FrameError) as err:
        read_truth(path)
    assert str(err.value).startswith(f"{path}:3: unknown label 'dancing'")


def test_a_recording_without_labels_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("t,ax,ay,az\n0,0,0,1\n")
    with pytest.raises(FrameError) as err:
        read_truth(path)
    assert "label, source_label" in str(err.value)
