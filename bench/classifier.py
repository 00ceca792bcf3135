"""Classifier throughput: our streaming classifier vs ActiMotus, same file, same run.

Both classify the same recording of the shared data into 1-s epochs, alternately, a few
rounds each, and the best round of each counts (CPU time of this process, so other
work on the machine disturbs the ratio less). Ours is fed as the collector feeds it --
one-minute chunks, causal, from cold; ActiMotus gets the whole file at once, as it is
meant to be run (``Features().compute`` then ``Activities().compute``, the same calls
``sitless eval --baseline actimotus`` makes). Samples per second are the recording's
samples over the time taken; the target is a ratio of at least 5.

    python -m bench.classifier [FILE ...] [--rounds 3]

Without FILE it runs one DSA recording (25 Hz) and one MotionSense recording (50 Hz)
from ../shared/data. Needs the baseline extra: pip install 'sitless[baseline]'.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from collector.eval import baseline
from collector.eval.runs import CHUNK_S, Recording, load
from collector.posture import PostureClassifier

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
DEFAULT_FILES = ("dsa-p1.csv.gz", "motionsense-01.csv.gz")
TARGET = 5.0


def ours(rec: Recording) -> int:
    """Classify the recording with a fresh streaming classifier; the number of epochs."""
    clf = PostureClassifier(rec.rate_hz)
    step = max(1, round(CHUNK_S * rec.rate_hz))
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
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not baseline.available():
        raise SystemExit(f"ActiMotus is not installed: {baseline.INSTALL_HINT}")
    files = args.files or [DATA / name for name in DEFAULT_FILES]
    ratios = []
    for path in files:
        rec = load(path)
        axes = baseline.oracle_axes(rec.t, rec.accel_g, rec.truth)
        ours_rate = peer_rate = 0.0
        ours_epochs = peer_epochs = 0
        # Alternate, so a busy spell on the machine hits both alike.
        for _ in range(args.rounds):
            rate, ours_epochs = timed(partial(ours, rec), rec.samples)
            ours_rate = max(ours_rate, rate)
            rate, peer_epochs = timed(partial(actimotus, rec, axes), rec.samples)
            peer_rate = max(peer_rate, rate)
        ratio = ours_rate / peer_rate
        ratios.append(ratio)
        minutes = rec.samples / rec.rate_hz / 60
        print(f"{rec.name} ({rec.rate_hz:g} Hz, {minutes:.0f} min, {rec.samples} samples)")
        print(f"  ActiMotus          : {peer_rate:12.0f} samples/s ({peer_epochs} epochs)")
        print(f"  sitless classifier : {ours_rate:12.0f} samples/s ({ours_epochs} epochs)")
        print(f"  ratio sitless/ActiMotus: {ratio:.2f}   (target >= {TARGET:g})")
    if len(ratios) > 1:
        print(f"\nlowest ratio {min(ratios):.2f}, highest {max(ratios):.2f}")


if __name__ == "__main__":
    main()
