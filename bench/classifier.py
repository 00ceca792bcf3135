"""Classifier throughput: our streaming classifier vs ActiMotus, same samples, same run.

Each recording is resampled to 25, 50 and 100 Hz (linear interpolation onto a uniform
grid: the throughput of a rate, not its accuracy, is measured here). At each rate both
classifiers turn the same samples into 1-s epochs, alternately, twice in a row for a few
rounds each, and the best run of each counts (CPU time of this process, so other work on the machine
disturbs the ratio less). Ours is fed as ``sitless classify`` feeds it -- five-minute
chunks, causal, from cold; ActiMotus gets the whole recording at once, as it is meant
to be run (``Features().compute`` then ``Activities().compute``, the same calls
``sitless eval --baseline actimotus`` makes). Samples per second are the samples over
the time taken; the target is a ratio of at least 5 at every rate.

Both run single-threaded: the BLAS thread pools are limited to one thread before numpy
loads (unless OPENBLAS_NUM_THREADS and friends are already set). Otherwise ActiMotus's
BLAS threads busy-wait on the other cores, which on a two-core machine adds more than
half again to its CPU time without making it any faster, and the ratio would depend on
how many cores the machine has.

    python -m bench.classifier [FILE ...] [--rounds 5] [--rates 25 50 100]

Without FILE it runs one DSA recording (25 Hz thigh sensor) and one MotionSense
recording (50 Hz pocket phone) from ../shared/data. Needs the baseline extra:
pip install 'sitless[baseline]'.
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import replace  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from collector.eval import baseline  # noqa: E402
from collector.eval.runs import Recording, load  # noqa: E402
from collector.posture import FILE_CHUNK_S, PostureClassifier  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
DEFAULT_FILES = ("dsa-p1.csv.gz", "motionsense-01.csv.gz")
RATES_HZ = (25.0, 50.0, 100.0)
TARGET = 5.0


def resampled(rec: Recording, rate_hz: float) -> Recording:
    """The recording on a uniform grid at ``rate_hz`` (linear interpolation per axis)."""
    if rate_hz == rec.rate_hz:
        return rec
    t = np.arange(rec.t[0], rec.t[-1], 1.0 / rate_hz)
    accel = np.column_stack([np.interp(t, rec.t, rec.accel_g[:, i]) for i in range(3)])
    return replace(rec, rate_hz=rate_hz, t=t, accel_g=accel)


def ours(rec: Recording) -> int:
    """Classify the recording with a fresh streaming classifier; the number of epochs."""
    clf = PostureClassifier(rec.rate_hz)
    step = max(1, round(FILE_CHUNK_S * rec.rate_hz))
    n = 0
    for lo in range(0, rec.samples, step):
        n += len(clf.feed(rec.t[lo : lo + step], rec.accel_g[lo : lo + step]))
    return n + len(clf.flush())


def actimotus(rec: Recording, axes: np.ndarray) -> int:
    """Classify the recording with ActiMotus; the number of epochs."""
    return len(baseline.classify(rec.t, rec.accel_g, rec.rate_hz, axes))


def timed(run: Callable[[], int], samples: int) -> tuple[float, int]:
    """Samples per second of process CPU time for one run, and the epochs it made."""
    started = time.process_time()
    epochs = run()
    return samples / max(time.process_time() - started, 1e-9), epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="recordings (default: two)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rates", type=float, nargs="+", default=list(RATES_HZ))
    args = parser.parse_args()
    if not baseline.available():
        raise SystemExit(f"ActiMotus is not installed: {baseline.INSTALL_HINT}")
    files = args.files or [DATA / name for name in DEFAULT_FILES]
    print(f"{'recording':24} {'rate':>6} {'samples':>8} {'ActiMotus':>12} {'sitless':>12} ratio")
    ratios = []
    for path in files:
        original = load(path)
        for rate in args.rates:
            rec = resampled(original, rate)
            axes = baseline.oracle_axes(rec.t, rec.accel_g, rec.truth)
            actimotus(rec, axes)  # ActiMotus compiles its kernels on first use
            ours_rate = peer_rate = 0.0
            # Alternate, so a busy spell on the machine hits both alike; twice in a row
            # each time, so neither is only ever timed just after the other has filled
            # the caches with its own data.
            for _ in range(args.rounds):
                for _ in range(2):
                    ours_rate = max(ours_rate, timed(partial(ours, rec), rec.samples)[0])
                for _ in range(2):
                    peer = timed(partial(actimotus, rec, axes), rec.samples)[0]
                    peer_rate = max(peer_rate, peer)
            ratio = ours_rate / peer_rate
            ratios.append(ratio)
            print(
                f"{rec.name:24} {rate:4g}Hz {rec.samples:8d} {peer_rate:10.0f}/s"
                f" {ours_rate:10.0f}/s {ratio:5.2f}"
            )
    print(f"\nlowest ratio {min(ratios):.2f} (target >= {TARGET:g}), highest {max(ratios):.2f}")


if __name__ == "__main__":
    main()
