"""``sitless export``: a wearer's data as CSV or Parquet, and the weekly report as HTML or PDF."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from service.store.sql import BoutUpdate, SqlStore
from sitless.commands import export
from sitless.wire.posture import Posture
from tests import days


def test_exports_and_reports_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    store = SqlStore(url)
    store.create_all()
    store.upsert_bouts(BoutUpdate("ann", "thigh", b.posture, b.start, b.end) for b in days.bouts())
    store.ensure_wearer("ann", timezone="Europe/Oslo")
    store.close()
    run = CliRunner(env={"SITLESS_SERVICE__DATABASE_URL": url}).invoke
    span = ["--start", "2026-03-02", "--end", "2026-03-02"]

    bouts = run(export.app, ["data", "ann", "bouts", *span])
    assert bouts.exit_code == 0, bouts.output
    rows = list(csv.DictReader(io.StringIO(bouts.stdout)))
    assert len(rows) == len(days.OFFICE_DAY)
    sitting = sum(float(r["duration_s"]) for r in rows if r["posture"] == "sitting")
    assert sitting == days.minutes(Posture.SITTING) * 60

    out = tmp_path / "epochs.parquet"
    assert (
        run(
            export.app, ["data", "ann", "epochs", *span, "--format", "parquet", "--out", str(out)]
        ).exit_code
        == 0
    )
    assert pq.read_table(out).num_rows == sum(m for _, m in days.OFFICE_DAY) * 60

    events = tmp_path / "events.csv"
    assert run(export.app, ["data", "ann", "activpal", *span, "--out", str(events)]).exit_code == 0
    assert events.read_text().startswith('"Time","DataCount (samples)"')
    refused = run(
        export.app,
        [
            "data",
            "ann",
            "activpal",
            *span,
            "--format",
            "parquet",
            "--out",
            str(tmp_path / "x.parquet"),
        ],
    )
    assert refused.exit_code == 1 and "CSV only" in refused.stderr
    assert run(export.app, ["data", "nobody", "bouts"]).exit_code == 1
    assert run(export.app, ["data", "ann", "bouts", "--start", "soon"]).exit_code == 1

    page = tmp_path / "week.html"
    assert (
        run(export.app, ["report", "ann", "--day", "2026-03-05", "--out", str(page)]).exit_code == 0
    )
    assert "Mon 02 Mar to Sun 08 Mar 2026" in page.read_text()
    pdf = tmp_path / "week.pdf"
    made = run(export.app, ["report", "ann", "--day", "2026-03-05", "--out", str(pdf)])
    assert made.exit_code == 0, made.output
    assert pdf.read_bytes().startswith(b"%PDF-")
