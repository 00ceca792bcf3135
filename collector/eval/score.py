"""Counting epochs against the truth, and every figure ``sitless eval`` reports.

A ``Score`` is a confusion matrix: rows are the truth (the six scored postures, then
``other``), columns the prediction (the six, then ``nonwear`` and ``unknown``). Scores
add, so a pooled score is the sum of the files' scores, and every figure is computed
from the counts alone:

- precision, recall and F1 per scored posture (the ``other`` row is left out of all of
  them and reported on its own);
- sedentary (sitting + lying) versus not, balanced accuracy: the mean of the share of
  sedentary epochs called sitting or lying and the share of the others called one of
  standing, walking, running or cycling. ``unknown`` and ``nonwear`` are therefore an
  error whatever the truth -- never excluded;
- sedentary minutes predicted versus labelled over the scored epochs, and the error in
  percent of the labelled minutes;
- cycling F1, and the share of cycling epochs called sedentary.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from collector.eval.truth import EMPTY, OTHER, OTHER_LABEL, SCORED, Truth
from collector.posture import Epoch
from sitless.wire.posture import Posture

PREDICTED: tuple[Posture, ...] = (*SCORED, Posture.NONWEAR, Posture.UNKNOWN)
ROWS: tuple[str, ...] = (*(p.value for p in SCORED), OTHER_LABEL)
_COLUMN = {p: i for i, p in enumerate(PREDICTED)}
_SEDENTARY = np.array([p.sedentary for p in SCORED])
_ACTIVE = np.array([not p.sedentary for p in SCORED])
_PRED_SEDENTARY = np.array([p.sedentary for p in PREDICTED])
_PRED_ACTIVE = np.array([p in SCORED and not p.sedentary for p in PREDICTED])
_CYCLING = SCORED.index(Posture.CYCLING)


def predictions(truth: Truth, epochs: Iterable[Epoch]) -> NDArray[np.int64]:
    """Column index of each truth epoch's predicted posture (``unknown`` where none)."""
    out = np.full(len(truth), _COLUMN[Posture.UNKNOWN], dtype=np.int64)
    for e in epochs:
        k = math.floor(e.t_start + 1e-9) - truth.first
        if 0 <= k < out.size:
            out[k] = _COLUMN[e.posture]
    return out


def columns_of(postures: Sequence[Posture]) -> NDArray[np.int64]:
    """Column indices of a sequence of postures."""
    out: NDArray[np.int64] = np.array([_COLUMN[p] for p in postures], dtype=np.int64)
    return out


@dataclass(frozen=True, slots=True, eq=False)
class Score:
    """A confusion matrix of epochs: ``counts[truth row, predicted column]``.

    Attributes:
        counts: shape (7, 8): rows ``ROWS``, columns ``PREDICTED``.
        ignored: epochs left out (near a change of source label, or without samples).
    """

    counts: NDArray[np.int64] = field(
        default_factory=lambda: np.zeros((len(ROWS), len(PREDICTED)), dtype=np.int64)
    )
    ignored: int = 0

    @classmethod
    def of(cls, truth: Truth, predicted: NDArray[np.int64]) -> Score:
        """Count a file's predicted columns (one per truth epoch) against its truth."""
        if predicted.shape != truth.labels.shape:
            raise ValueError(f"need {len(truth)} predictions, got {predicted.shape}")
        keep = truth.scored & (truth.labels != EMPTY)
        counts = np.zeros((len(ROWS), len(PREDICTED)), dtype=np.int64)
        np.add.at(counts, (truth.labels[keep].astype(np.int64), predicted[keep]), 1)
        return cls(counts, int((~keep).sum()))

    def __add__(self, other: Score) -> Score:
        return Score(self.counts + other.counts, self.ignored + other.ignored)

    @property
    def scored(self) -> NDArray[np.int64]:
        """The six scored rows (``other`` left out)."""
        return self.counts[:OTHER]

    @property
    def other(self) -> NDArray[np.int64]:
        """How the ``other`` epochs were called, per predicted column."""
        row: NDArray[np.int64] = self.counts[OTHER, :]
        return row

    def precision(self, i: int) -> float:
        called = int(self.scored[:, i].sum())
        return self.scored[i, i] / called if called else math.nan

    def recall(self, i: int) -> float:
        real = int(self.scored[i].sum())
        return self.scored[i, i] / real if real else math.nan

    def f1(self, i: int) -> float:
        p, r = self.precision(i), self.recall(i)
        if math.isnan(p) or math.isnan(r):
            return math.nan
        return 2 * p * r / (p + r) if p + r > 0 else 0.0

    @property
    def accuracy(self) -> float:
        total = int(self.scored.sum())
        return float(np.trace(self.scored[:, :OTHER])) / total if total else math.nan

    @property
    def sedentary_sensitivity(self) -> float:
        rows = self.scored[_SEDENTARY]
        total = int(rows.sum())
        return float(rows[:, _PRED_SEDENTARY].sum()) / total if total else math.nan

    @property
    def sedentary_specificity(self) -> float:
        rows = self.scored[_ACTIVE]
        total = int(rows.sum())
        return float(rows[:, _PRED_ACTIVE].sum()) / total if total else math.nan

    @property
    def sedentary_balanced_accuracy(self) -> float:
        parts = [self.sedentary_sensitivity, self.sedentary_specificity]
        known = [p for p in parts if not math.isnan(p)]
        return sum(known) / len(known) if known else math.nan

    @property
    def sedentary_min_labelled(self) -> float:
        return float(self.scored[_SEDENTARY].sum()) / 60.0

    @property
    def sedentary_min_predicted(self) -> float:
        return float(self.scored[:, _PRED_SEDENTARY].sum()) / 60.0

    @property
    def sedentary_error_pct(self) -> float:
        """Signed: positive when more sedentary time was predicted than labelled."""
        labelled = self.sedentary_min_labelled
        if not labelled:
            return math.nan
        return 100.0 * (self.sedentary_min_predicted - labelled) / labelled

    @property
    def cycling_f1(self) -> float:
        return self.f1(_CYCLING)

    @property
    def cycling_called_sedentary(self) -> float:
        row = self.scored[_CYCLING]
        total = int(row.sum())
        return float(row[_PRED_SEDENTARY].sum()) / total if total else math.nan

    @property
    def unknown_share(self) -> float:
        total = int(self.scored.sum())
        return float(self.scored[:, _COLUMN[Posture.UNKNOWN]].sum()) / total if total else math.nan

    def to_dict(self) -> dict[str, Any]:
        """Every figure, JSON-ready (NaN as None)."""
        per_class = {
            p.value: {
                "epochs": int(self.scored[i].sum()),
                "precision": _num(self.precision(i)),
                "recall": _num(self.recall(i)),
                "f1": _num(self.f1(i)),
            }
            for i, p in enumerate(SCORED)
        }
        return {
            "epochs_scored": int(self.scored.sum()),
            "epochs_other": int(self.other.sum()),
            "epochs_ignored": self.ignored,
            "rows": list(ROWS),
            "columns": [p.value for p in PREDICTED],
            "confusion": self.counts.tolist(),
            "per_class": per_class,
            "accuracy": _num(self.accuracy),
            "unknown_share": _num(self.unknown_share),
            "sedentary": {
                "sensitivity": _num(self.sedentary_sensitivity),
                "specificity": _num(self.sedentary_specificity),
                "balanced_accuracy": _num(self.sedentary_balanced_accuracy),
                "minutes_labelled": round(self.sedentary_min_labelled, 3),
                "minutes_predicted": round(self.sedentary_min_predicted, 3),
                "error_pct": _num(self.sedentary_error_pct),
            },
            "cycling": {
                "f1": _num(self.cycling_f1),
                "called_sedentary": _num(self.cycling_called_sedentary),
            },
            "other": {p.value: int(n) for p, n in zip(PREDICTED, self.other, strict=True)},
        }


def _num(x: float) -> float | None:
    return None if math.isnan(x) else round(float(x), 6)
