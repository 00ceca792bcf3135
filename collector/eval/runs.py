"""One labelled recording through our classifier, or through the baseline, and scored.

Our classifier is fed exactly as the collector feeds it: a fresh ``PostureClassifier``
at the file's rate, no calibration given, samples in order in five-minute chunks (the
epochs do not depend on the chunking), then ``flush``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from collector.eval import baseline
from collector.eval.score import Score, predictions
from collector.eval.truth import MARGIN_S, Truth, read_truth
from collector.posture import FILE_CHUNK_S, Epoch, PostureClassifier
from collector.sources import Replay

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class Recording:
    """A labelled recording held in memory."""

    path: Path
    rate_hz: float
    t: Array
    accel_g: Array
    truth: Truth

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def samples(self) -> int:
        return int(self.t.shape[0])


@dataclass(frozen=True, slots=True, eq=False)
class Run:
    """One classifier's epochs for a recording, their score and the time it took."""

    epochs: list[Epoch]
    score: Score
    seconds: float


def load(path: Path, *, margin_s: float = MARGIN_S) -> Recording:
    """Read a labelled recording (samples through ``Replay``, labels beside them).

    Raises:
        FrameError: a bad file, naming file and line.
    """
    source = Replay(path)
    chunks = list(source.chunks(FILE_CHUNK_S))
    t = np.concatenate([c.t for c in chunks])
    accel = np.concatenate([c.accel_g for c in chunks])
    return Recording(
        Path(path), source.rate_hz, t, accel, read_truth(Path(path), margin_s=margin_s)
    )


def run_ours(rec: Recording, progress: Callable[[float], None] | None = None) -> Run:
    """Our streaming classifier over the recording; ``progress`` gets the share done."""
    started = time.perf_counter()
    clf = PostureClassifier(rec.rate_hz)
    step = max(1, round(FILE_CHUNK_S * rec.rate_hz))
    epochs: list[Epoch] = []
    for lo in range(0, rec.samples, step):
        hi = min(lo + step, rec.samples)
        epochs.extend(clf.feed(rec.t[lo:hi], rec.accel_g[lo:hi]))
        if progress is not None:
            progress(hi / rec.samples)
    epochs.extend(clf.flush())
    seconds = time.perf_counter() - started
    return Run(epochs, Score.of(rec.truth, predictions(rec.truth, epochs)), seconds)


def run_baseline(rec: Recording) -> Run:
    """ActiMotus over the whole recording, given the axes measured from its labels.

    Raises:
        BaselineUnavailable: ActiMotus is not installed.
    """
    axes = baseline.oracle_axes(rec.t, rec.accel_g, rec.truth)
    started = time.perf_counter()
    epochs = baseline.classify(rec.t, rec.accel_g, rec.rate_hz, axes)
    seconds = time.perf_counter() - started
    return Run(epochs, Score.of(rec.truth, predictions(rec.truth, epochs)), seconds)
