"""The classifier's exact output on fixed simulated recordings, pinned epoch by epoch.

``golden_postures.csv.gz`` holds every epoch the classifier decided for four scripted
recordings (25, 50, 60 and 100 Hz; a cold start before any walk, timestamp jitter, a
gap that restarts the stream, short dropouts, a bike cadence sensor, a given
calibration, chunks of 0.5 s to a minute). It was written by the classifier before its
feature extraction was vectorised over epochs, so the test proves that the faster code
decides every epoch exactly as before. A change meant to alter decisions rewrites it
(``python -m tests.collector.posture.test_golden``), and says why in the change.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from collector.posture import Calibration, Epoch, PostureClassifier
from collector.sources import Segment, Simulator
from sitless.wire.posture import Posture

GOLDEN = Path(__file__).with_name("golden_postures.csv.gz")
W, S, T, L = Posture.WALKING, Posture.SITTING, Posture.STANDING, Posture.LYING
C, R, N = Posture.CYCLING, Posture.RUNNING, Posture.NONWEAR

# Opens still, before any walk: the cold-start clusters and sway decide at first.
COLD = (
    (S, 150), (T, 120), (S, 60), (L, 60), (W, 120), (T, 90), (S, 120), (W, 30),
    (C, 180), (W, 30), (R, 60), (W, 30), (T, 45), (N, 150), (S, 60),
)  # fmt: skip
WARM = (
    (W, 90), (S, 120), (W, 30), (C, 150), (T, 60), (W, 60), (L, 90), (W, 30),
    (R, 60), (S, 90), (W, 40), (T, 40),
)  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    """One scripted recording and how it is fed to the classifier."""

    name: str
    timeline: tuple[tuple[Posture, float], ...]
    rate_hz: float
    seed: int
    chunk_s: float
    start_t: float = 0.0
    jitter: bool = False
    gap_s: tuple[float, float] | None = None
    dropouts: tuple[tuple[float, float], ...] = ()
    cadence: bool = False
    given: bool = False


SCENARIOS = (
    Scenario("cold-25", COLD, 25, 11, 1.0, start_t=0.37),
    Scenario(
        "jitter-gap-cadence-50",
        WARM,
        50,
        12,
        60.0,
        jitter=True,
        gap_s=(455.0, 471.5),
        dropouts=((300.2, 301.9), (700.0, 700.6)),
        cadence=True,
    ),
    Scenario("given-60", WARM, 60, 13, 0.5, start_t=1000.0, given=True),
    Scenario("chunks-100", COLD, 100, 14, 7.3, start_t=12.9),
)


def _samples(sc: Scenario) -> tuple[np.ndarray, np.ndarray, Simulator]:
    sim = Simulator([Segment(p, d) for p, d in sc.timeline], sc.rate_hz, sc.seed)
    s = sim.samples()
    t, accel = s.t + sc.start_t, s.accel_g
    if sc.jitter:
        rng = np.random.default_rng(sc.seed)
        t = t + rng.uniform(-0.3, 0.3, t.size) / sc.rate_hz
    keep = np.ones(t.size, dtype=bool)
    for lo, hi in (*sc.dropouts, *([sc.gap_s] if sc.gap_s else [])):
        keep &= ~((t >= lo) & (t < hi))
    return t[keep], accel[keep], sim


def run(sc: Scenario) -> list[Epoch]:
    """Feed one scenario to a fresh classifier; every epoch it decides, in order."""
    t, accel, sim = _samples(sc)
    calibration = None
    if sc.given:
        standing = next(i for i, (p, _) in enumerate(sc.timeline) if p is T)
        start = sc.start_t + sum(d for _, d in sc.timeline[:standing])
        calibration = Calibration.from_standing(accel[(t >= start + 10) & (t < start + 20)])
    clf = PostureClassifier(sc.rate_hz, calibration, nonwear_after_s=90.0)
    out: list[Epoch] = []
    step = max(1, round(sc.chunk_s * sc.rate_hz))
    ride = [(sc.start_t + lo, sc.start_t + hi) for lo, hi, p in sim.segment_bounds() if p is C]
    fed_cadence = 0.0
    for lo in range(0, t.size, step):
        ct, ca = t[lo : lo + step], accel[lo : lo + step]
        if sc.cadence:
            # A cadence sensor reporting once a second, ahead of the samples.
            upto = float(np.floor(ct[-1])) + 1.0
            times = np.arange(fed_cadence, upto)
            if times.size:
                turning = np.array([any(a <= x < b for a, b in ride) for x in times])
                clf.feed_cadence(times, np.where(turning, 80.0, 0.0))
                fed_cadence = upto
        out.extend(clf.feed(ct, ca))
    out.extend(clf.flush())
    return out


def _runs(epochs: list[Epoch]) -> list[tuple[int, int, str]]:
    """Runs of consecutive 1-s epochs with one posture: (first epoch, count, posture)."""
    runs: list[tuple[int, int, str]] = []
    for e in epochs:
        k = int(e.t_start)
        assert (e.t_start, e.t_end) == (k, k + 1)
        if runs and runs[-1][0] + runs[-1][1] == k and runs[-1][2] == e.posture.value:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1, runs[-1][2])
        else:
            runs.append((k, 1, e.posture.value))
    return runs


def _golden() -> dict[str, list[tuple[int, int, str]]]:
    out: dict[str, list[tuple[int, int, str]]] = {}
    with gzip.open(GOLDEN, "rt", encoding="ascii", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for name, first, count, posture in reader:
            out.setdefault(name, []).append((int(first), int(count), posture))
    return out


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_every_epoch_is_decided_as_the_golden_file_says(scenario: Scenario) -> None:
    expected = _golden()[scenario.name]
    got = _runs(run(scenario))
    assert got == expected


def write() -> None:
    """Rewrite the golden file from the classifier as it is now."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("scenario", "first_epoch", "epochs", "posture"))
    for sc in SCENARIOS:
        writer.writerows((sc.name, *row) for row in _runs(run(sc)))
    with gzip.GzipFile(GOLDEN, "wb", mtime=0) as f:
        f.write(buffer.getvalue().encode("ascii"))


if __name__ == "__main__":
    write()
