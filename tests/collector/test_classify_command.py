"""``sitless classify`` over recordings: scripted postures back, and clear file errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from collector.posture import Epoch
from collector.sources import Simulator, write_recording
from sitless.cli import app
from sitless.wire.posture import Posture
from tests.collector.scripted import COMPACT_DAY, accuracy

runner = CliRunner()


def _epochs(text: str) -> list[Epoch]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["t_start", "t_end", "posture"]
    return [Epoch(float(a), float(b), Posture(p)) for a, b, p in rows[1:]]


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Simulator, Path]:
    sim = Simulator(COMPACT_DAY, 25, seed=12)
    return sim, write_recording(sim, tmp_path_factory.mktemp("rec") / "day.csv.gz")


def test_classify_returns_the_scripted_postures(recording: tuple[Simulator, Path]) -> None:
    sim, path = recording
    result = runner.invoke(app, ["classify", str(path)])
    assert result.exit_code == 0, result.stderr
    epochs = _epochs(result.stdout)
    assert len(epochs) == round(sim.duration_s)
    assert accuracy(sim, epochs) >= 0.95


def test_classify_writes_out_csv_when_asked(
    recording: tuple[Simulator, Path], tmp_path: Path
) -> None:
    sim, path = recording
    out = tmp_path / "epochs.csv"
    result = runner.invoke(app, ["classify", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert accuracy(sim, _epochs(out.read_text())) >= 0.95


def test_prescan_classifies_from_the_first_second(recording: tuple[Simulator, Path]) -> None:
    """Calibrated from the whole file, even the seconds before the first walk are known;
    read cold, a still posture before any walk is taken as sitting, the commonest one."""
    sim = Simulator(COMPACT_DAY[1:], 25, seed=13)  # stands, sits, walks only later
    path = write_recording(sim, recording[1].with_name("stand_first.csv"))
    cold = _epochs(runner.invoke(app, ["classify", str(path)]).stdout)
    warm = _epochs(runner.invoke(app, ["classify", str(path), "--prescan"]).stdout)
    assert cold[10].posture is Posture.SITTING
    assert warm[10].posture is Posture.STANDING
    assert accuracy(sim, warm) >= 0.95


def test_stand_first_calibrates_from_a_standing_start(tmp_path: Path) -> None:
    sim = Simulator(COMPACT_DAY[1:3], 25, seed=14)  # standing, then sitting: no gait at all
    path = write_recording(sim, tmp_path / "stand.csv")
    result = runner.invoke(app, ["classify", str(path), "--stand-first", "20"])
    assert result.exit_code == 0, result.stderr
    epochs = _epochs(result.stdout)
    assert accuracy(sim, epochs) >= 0.95


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        ("t,ax,ay,az\n0,0,0,1\n0.04,0,0,1\n0.08,0,one,1\n", 4, "ay is not a finite number"),
        ("t,ax,ay\n0,0,0\n", 1, "lacks column(s) az"),
        ("t,ax,ay,az\n0,0,0,1\n0.04,0,0,1\n0.02,0,0,1\n", 4, "t does not increase"),
        ("t,ax,ay,az\n0,0,0,1\n0.04,0,0\n", 3, "expected 4 fields"),
        ("", 1, "empty file"),
    ],
)
def test_a_bad_file_is_one_clear_line_naming_file_and_line_with_exit_code_2(
    tmp_path: Path, content: str, line: int, words: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    out = tmp_path / "never.csv"
    result = runner.invoke(app, ["classify", str(path), "-o", str(out)])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert message.startswith(f"error: {path}:{line}: ") and words in message
    assert not out.exists() and not out.with_name("never.csv.part").exists()


def test_a_missing_file_exits_2_naming_it(tmp_path: Path) -> None:
    result = runner.invoke(app, ["classify", str(tmp_path / "nope.csv.gz")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope.csv.gz'}: cannot open" in result.stderr


def test_help_explains_the_output_and_the_options() -> None:
    result = runner.invoke(app, ["classify", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for text in ("t_start,t_end,posture", "--out", "--prescan", "--stand-first", "exit code 2"):
        assert text in result.stdout
    assert all(p.value in result.stdout for p in Posture)


def test_epoch_times_are_on_the_recordings_own_time_scale(tmp_path: Path) -> None:
    sim = Simulator(COMPACT_DAY[:2], 25, seed=15, start_t=1_700_000_000.0)
    path = write_recording(sim, tmp_path / "unix.csv")
    epochs = _epochs(runner.invoke(app, ["classify", str(path)]).stdout)
    assert epochs[0].t_start == 1_700_000_000.0
    assert np.all(np.diff([e.t_start for e in epochs]) == 1.0)
