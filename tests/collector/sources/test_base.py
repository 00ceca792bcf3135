"""The ``Samples`` chunk and the ``Source`` protocol."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from collector.sources import Replay, Samples, Simulator, Source
from collector.sources.simulator import Segment
from sitless.wire.posture import Posture


def test_samples_are_read_only_so_consumers_can_share_a_chunk() -> None:
    chunk = Samples([0.0, 0.02], [[0, 0, 1], [0, 0, 1]])
    with pytest.raises(ValueError, match="read-only"):
        chunk.accel_g[0, 0] = 5.0
    with pytest.raises(AttributeError):
        chunk.t = np.zeros(2)  # type: ignore[misc]


def test_samples_refuse_accel_that_does_not_match_t() -> None:
    with pytest.raises(ValueError, match=r"shape \(3, 3\)"):
        Samples([0.0, 1.0, 2.0], [[0, 0, 1], [0, 0, 1]])
    with pytest.raises(ValueError):
        Samples([0.0], [[0, 1]])


def test_samples_hold_float64_times_and_g() -> None:
    chunk = Samples(np.arange(3, dtype=np.int32), np.ones((3, 3), dtype=np.float32))
    assert chunk.t.dtype == np.float64 and chunk.accel_g.dtype == np.float64
    assert len(chunk) == 3


def test_simulator_and_replay_are_sources(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("t,ax,ay,az\n0,0,0,1\n0.04,0,0,1\n")
    assert isinstance(Simulator([Segment(Posture.SITTING, 2)]), Source)
    assert isinstance(Replay(path), Source)
