"""``sitless eval``: per-file and pooled figures, the rules in its help, the baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from collector.sources import Simulator, write_recording
from sitless.commands.eval import eval_
from tests.collector.scripted import COMPACT_DAY

runner = CliRunner()
app = typer.Typer(add_completion=False)
app.command("eval")(eval_)


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with two scripted recordings in the shared labelled format."""
    folder = tmp_path_factory.mktemp("labelled")
    write_recording(Simulator(COMPACT_DAY[:7], 25, seed=41), folder / "a.csv.gz")
    write_recording(Simulator(COMPACT_DAY[3:], 50, seed=42), folder / "b.csv")
    (folder / "notes.txt").write_text("not a recording")
    return folder


def test_eval_prints_the_matrix_and_figures_per_file_and_pooled(
    recordings: Path, tmp_path: Path
) -> None:
    out = tmp_path / "scores.json"
    result = runner.invoke(app, [str(recordings), "--json", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    for text in ("a.csv.gz", "b.csv", "pooled over 2 file(s)", "sedentary balanced accuracy"):
        assert text in result.stdout
    assert "cycling called sedentary" in result.stdout and "truth \\ called" in result.stdout
    doc = json.loads(out.read_text())
    assert [Path(f["path"]).name for f in doc["files"]] == ["a.csv.gz", "b.csv"]
    files = [f["sitless"] for f in doc["files"]]
    pooled = doc["pooled"]["sitless"]
    assert pooled["epochs_scored"] == sum(f["epochs_scored"] for f in files)
    summed = [
        [a + b for a, b in zip(r1, r2, strict=True)]
        for r1, r2 in zip(files[0]["confusion"], files[1]["confusion"], strict=True)
    ]
    assert pooled["confusion"] == summed
    # The scripted day is easy: the simulator's postures come back.
    assert pooled["sedentary"]["balanced_accuracy"] >= 0.95
    assert pooled["cycling"]["f1"] >= 0.9
    assert doc["rules"]["margin_s"] == 5.0


def test_eval_compares_actimotus_side_by_side_on_the_same_files(
    recordings: Path, tmp_path: Path
) -> None:
    out = tmp_path / "both.json"
    result = runner.invoke(
        app,
        [str(recordings / "a.csv.gz"), "--baseline", "actimotus", "--json", str(out)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.stderr
    assert "actimotus" in result.stdout
    entry = json.loads(out.read_text())["files"][0]
    assert entry["sitless"]["epochs_scored"] == entry["actimotus"]["epochs_scored"]
    assert entry["actimotus"]["sedentary"]["balanced_accuracy"] > 0.5


def test_a_bad_recording_is_one_line_naming_file_and_line_with_exit_code_2(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("t,ax,ay,az,label,source_label\n0,0,0,1,sitting,a\n0.04,0,x,1,sitting,a\n")
    result = runner.invoke(app, [str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"error: {path}:3: ")


def test_a_folder_without_recordings_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, [str(tmp_path)])
    assert result.exit_code == 2
    assert "no *.csv or *.csv.gz recordings" in result.stderr


def test_help_states_the_scoring_rules() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    for rule in (
        "label of most of its samples",
        "change of source_label are not scored",
        "stairs count as walking, transport as sitting",
        "never dropped",
        "unknown and nonwear are errors whatever the truth",
        "--baseline",
        "--json",
    ):
        assert rule in text, rule
