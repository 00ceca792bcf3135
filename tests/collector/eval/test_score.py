"""The figures of ``sitless eval``, computed from counted epochs."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from collector.eval.score import PREDICTED, ROWS, Score, columns_of
from collector.eval.truth import OTHER, SCORED, Truth
from sitless.wire.posture import Posture

P = Posture


def _truth(labels: Sequence[int | Posture], scored: list[bool] | None = None) -> Truth:
    codes = [x if isinstance(x, int) else SCORED.index(x) for x in labels]
    mask = np.ones(len(codes), dtype=bool) if scored is None else np.array(scored)
    return Truth(0, np.array(codes, dtype=np.int8), mask, np.empty(0))


def _score(truth: Sequence[int | Posture], called: list[Posture], **kw: list[bool]) -> Score:
    return Score.of(_truth(truth, kw.get("scored")), columns_of(called))


def test_the_confusion_matrix_counts_truth_rows_against_called_columns() -> None:
    s = _score([P.SITTING, P.SITTING, P.WALKING], [P.SITTING, P.STANDING, P.WALKING])
    sit, stand, walk = (PREDICTED.index(p) for p in (P.SITTING, P.STANDING, P.WALKING))
    assert s.counts[ROWS.index("sitting"), sit] == 1
    assert s.counts[ROWS.index("sitting"), stand] == 1
    assert s.counts[ROWS.index("walking"), walk] == 1
    assert s.counts.sum() == 3


def test_unscored_epochs_are_counted_apart_never_in_the_matrix() -> None:
    s = _score([P.SITTING, P.SITTING], [P.WALKING, P.SITTING], scored=[False, True])
    assert s.counts.sum() == 1 and s.ignored == 1
    assert s.sedentary_balanced_accuracy == 1.0


def test_unknown_is_an_error_whatever_the_truth() -> None:
    """An unknown epoch labelled sitting misses sensitivity; labelled standing, it misses
    specificity: it is never excluded."""
    s = _score([P.SITTING, P.STANDING], [P.UNKNOWN, P.UNKNOWN])
    assert s.sedentary_sensitivity == 0.0 and s.sedentary_specificity == 0.0
    assert s.unknown_share == 1.0


def test_other_is_reported_apart_and_left_out_of_every_figure() -> None:
    s = _score([OTHER, OTHER, P.CYCLING], [P.SITTING, P.WALKING, P.CYCLING])
    assert s.other[PREDICTED.index(P.SITTING)] == 1 and s.other.sum() == 2
    assert s.sedentary_min_predicted == 0.0
    assert s.cycling_f1 == 1.0 and s.accuracy == 1.0


def test_balanced_accuracy_weighs_both_classes_equally() -> None:
    """90 sitting epochs all right, 10 standing epochs half called sitting: sensitivity 1,
    specificity 0.5, balanced accuracy 0.75 (plain accuracy would say 0.95)."""
    truth = [P.SITTING] * 90 + [P.STANDING] * 10
    called = [P.SITTING] * 90 + [P.SITTING] * 5 + [P.STANDING] * 5
    s = _score(truth, called)
    assert s.sedentary_balanced_accuracy == pytest.approx(0.75)
    assert s.accuracy == pytest.approx(0.95)


def test_sedentary_minutes_and_their_error_are_signed() -> None:
    truth = [P.SITTING] * 120 + [P.STANDING] * 60
    called = [P.SITTING] * 120 + [P.LYING] * 6 + [P.STANDING] * 54
    s = _score(truth, called)
    assert s.sedentary_min_labelled == 2.0
    assert s.sedentary_min_predicted == pytest.approx(2.1)
    assert s.sedentary_error_pct == pytest.approx(5.0)


def test_cycling_f1_and_the_share_of_cycling_called_sedentary() -> None:
    truth = [P.CYCLING] * 10 + [P.SITTING] * 10
    called = [P.CYCLING] * 8 + [P.SITTING] * 2 + [P.SITTING] * 9 + [P.CYCLING]
    s = _score(truth, called)
    assert s.precision(SCORED.index(P.CYCLING)) == pytest.approx(8 / 9)
    assert s.recall(SCORED.index(P.CYCLING)) == pytest.approx(0.8)
    assert s.cycling_f1 == pytest.approx(2 * (8 / 9) * 0.8 / (8 / 9 + 0.8))
    assert s.cycling_called_sedentary == pytest.approx(0.2)


def test_scores_add_so_pooled_figures_come_from_pooled_counts() -> None:
    a = _score([P.SITTING] * 10, [P.SITTING] * 10)
    b = _score([P.STANDING] * 10, [P.SITTING] * 10)
    pooled = a + b
    assert pooled.counts.sum() == 20
    assert pooled.sedentary_balanced_accuracy == pytest.approx(0.5)


def test_figures_without_any_epoch_of_a_kind_are_missing_not_zero() -> None:
    s = _score([P.WALKING], [P.WALKING])
    assert math.isnan(s.cycling_f1) and math.isnan(s.sedentary_error_pct)
    d = s.to_dict()
    assert d["cycling"]["f1"] is None and d["sedentary"]["error_pct"] is None
