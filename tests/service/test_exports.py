"""Exports add up to the scripted day: epochs, bouts, prompts, activPAL events, weekly report."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest

from service.app import create_app
from service.bouts import BoutSpan
from service.config import ServiceSettings
from service.export.activpal import HEADER, events_csv, excel_serial
from service.export.report import WeekReport, html_to_pdf, pdf_converter, render_html, week_of
from service.export.tables import bouts_table, epochs, table_rows, to_csv, to_parquet
from service.store.sql import BoutUpdate
from service.trends import daily_totals, long_sits
from sitless.mqtt_config import MqttSettings
from sitless.wire.posture import Posture
from tests import days
from tests.servers import Mosquitto

DAY_START = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # Oslo midnight, 2 March 2026
DAY_END = DAY_START + timedelta(days=1)


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_epochs_are_one_row_per_second_of_each_bout_with_overlaps_counted_once() -> None:
    bouts = days.bouts()
    # An open-bout snapshot the store may still hold next to the closed bout it became.
    snapshot = BoutSpan(bouts[1].posture, bouts[1].start, bouts[1].start + timedelta(minutes=20))
    rows = list(epochs("ann", [*bouts, snapshot], DAY_START, DAY_END).rows)
    assert len(rows) == sum(m for _, m in days.OFFICE_DAY) * 60
    assert len({r[1] for r in rows}) == len(rows)
    per_posture = Counter(r[2] for r in rows)
    for posture in (Posture.SITTING, Posture.WALKING, Posture.CYCLING, Posture.LYING):
        assert per_posture[posture.value] == days.minutes(posture) * 60
    assert rows[0][1] == days.start_of() and rows[-1][1] == bouts[-1].end - timedelta(seconds=1)


def test_epochs_and_bouts_round_trip_through_csv_and_parquet_alike() -> None:
    bouts = days.bouts()
    for make in (epochs, bouts_table):
        text = "".join(to_csv(make("ann", bouts, DAY_START, DAY_END), chunk_rows=1000))
        parquet = pq.read_table(io.BytesIO(to_parquet(make("ann", bouts, DAY_START, DAY_END))))
        from_csv = _csv(text)
        assert parquet.num_rows == len(from_csv) > 0
        assert parquet.column_names == list(from_csv[0])
        first = parquet.slice(0, 1).to_pylist()[0]
        assert first["wearer"] == "ann" and from_csv[0]["wearer"] == "ann"
        time_column = "time" if "time" in first else "start"
        assert first[time_column] == days.start_of()
        assert from_csv[0][time_column] == days.start_of().isoformat().replace("+00:00", "Z")
        assert parquet.schema.field(time_column).type.tz == "UTC"
    sitting = [r for r in _csv("".join(to_csv(bouts_table("ann", bouts, DAY_START, DAY_END))))]
    total = sum(float(r["duration_s"]) for r in sitting if r["posture"] == "sitting")
    assert total == days.minutes(Posture.SITTING) * 60


def test_bouts_are_clipped_to_the_span_asked_for() -> None:
    noon = days.start_of() + timedelta(hours=3, minutes=30)
    rows = list(bouts_table("ann", days.bouts(), noon, DAY_END).rows)
    assert rows[0][2] == noon
    assert sum(r[4] for r in rows) == (days.bouts()[-1].end - noon).total_seconds()


def test_an_empty_span_still_makes_a_valid_parquet_file_with_its_columns() -> None:
    table = table_rows("prompts", "ann", bouts=[], prompts=[], start=DAY_START, end=DAY_END)
    parquet = pq.read_table(io.BytesIO(to_parquet(table)))
    assert parquet.num_rows == 0 and "outcome" in parquet.column_names


def test_activpal_events_carry_the_codes_local_excel_times_and_fill_gaps_with_non_wear() -> None:
    bouts = days.bouts()
    gap = timedelta(minutes=7)  # the sensor away between two bouts
    late = [BoutSpan(b.posture, b.start + gap, b.end + gap) for b in bouts[5:]]
    text = events_csv([*bouts[:5], *late], DAY_START, DAY_END, days.OSLO)
    lines = text.splitlines()
    assert lines[0] == ",".join(f'"{h}"' for h in HEADER)
    rows = list(csv.reader(lines[1:]))
    codes = [r[3] for r in rows]
    assert codes[:6] == ["2", "0", "1", "2", "0", "4"]  # walk, sit, stand, walk, sit, gap
    assert "2.1" in codes and "3.1" in codes
    # 08:30 on the Oslo clock, as activPAL writes local time.
    assert float(rows[0][0]) == pytest.approx(46083 + 8.5 / 24, abs=1e-9)
    assert excel_serial(days.start_of(), days.OSLO) == pytest.approx(float(rows[0][0]))
    assert [int(r[1]) for r in rows][:3] == [0, 600, 3600]  # DataCount: seconds since start
    total_s = sum(float(r[2]) for r in rows)
    assert total_s == (late[-1].end - bouts[0].start).total_seconds()
    assert all(r[4] == "" and r[5] == "" for r in rows)  # no steps, no METs: not made up


def test_trends_and_the_weekly_report_add_up_to_the_scripted_day() -> None:
    bouts = days.bouts()
    week = week_of(days.MONDAY)
    totals = daily_totals(bouts, [], week, days.OSLO)
    monday = totals[0]
    assert monday.day == days.MONDAY
    assert monday.sitting_min == days.minutes(Posture.SITTING)
    assert monday.long_sits == len(days.long_sits())
    assert monday.breaks == days.breaks()
    assert monday.longest_sitting_min == max(days.long_sits())
    assert all(t.covered_min == 0 for t in totals[1:])
    report = WeekReport(
        wearer="ann",
        tz=days.OSLO,
        days=totals,
        long_sits=long_sits(bouts),
        generated=datetime(2026, 3, 8, 18, 0, tzinfo=UTC),
    )
    page = render_html(report)
    assert "Mon 02 Mar to Sun 08 Mar 2026" in page and "Europe/Oslo" in page
    sitting = days.minutes(Posture.SITTING)
    assert f'id="avg-sitting">{sitting // 60} h {sitting % 60:02d} min<' in page
    assert f'id="long-sits">{len(days.long_sits())}<' in page
    # Monday's row in the day table, and one row per long sit; the other days have no data.
    assert page.count("<tr><td>Mon 02 Mar</td>") == 1 + len(days.long_sits())
    assert page.count("no data") == 6
    assert "http://" not in page and "https://" not in page  # nothing fetched when printed


def test_the_weekly_report_prints_to_pdf_with_the_installed_browser(tmp_path: Path) -> None:
    assert pdf_converter() is not None, "install chromium (scripts/test.sh does)"
    report = WeekReport(
        "ann",
        days.OSLO,
        daily_totals(days.bouts(), [], week_of(days.MONDAY), days.OSLO),
        long_sits(days.bouts()),
        datetime(2026, 3, 8, tzinfo=UTC),
    )
    pdf = html_to_pdf(render_html(report))
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1  # one A4 page
    (tmp_path / "report.pdf").write_bytes(pdf)


async def test_the_api_serves_exports_and_the_report_with_clear_errors(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    settings = ServiceSettings(
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        client_id=f"exports-{tmp_path.name}",
        timezone="Europe/Oslo",
    )
    app = create_app(settings, MqttSettings(url=f"mqtt://127.0.0.1:{mosquitto.port}"))
    async with app.router.lifespan_context(app):
        store = app.state.runtime.store
        store.upsert_bouts(
            BoutUpdate("ann", "thigh", b.posture, b.start, b.end) for b in days.bouts()
        )
        store.record_session(
            "ann", key="logged", at=days.start_of(), routine="hip-flexor-reset", source="self"
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://s") as http:
            base = "/api/v1/wearers/ann"
            span = "start=2026-03-02&end=2026-03-02"
            epochs_csv = await http.get(f"{base}/export/epochs?{span}")
            bouts_pq = await http.get(f"{base}/export/bouts?{span}&format=parquet")
            events = await http.get(f"{base}/export/activpal?{span}")
            report = await http.get(f"{base}/reports/week?day=2026-03-04")
            trend = await http.get(f"{base}/trend?end=2026-03-08&days=7")
            too_long = await http.get(f"{base}/export/epochs?start=2026-01-01&end=2026-03-02")
            backwards = await http.get(f"{base}/export/bouts?start=2026-03-03&end=2026-03-02")
            pq_events = await http.get(f"{base}/export/activpal?{span}&format=parquet")
            far = await http.get(f"{base}/export/bouts?start=9999-12-31&end=9999-12-31")
    assert epochs_csv.headers["content-type"].startswith("text/csv")
    assert (
        'filename="sitless-ann-epochs-2026-03-02_2026-03-02.csv"'
        in (epochs_csv.headers["content-disposition"])
    )
    rows = _csv(epochs_csv.text)
    assert sum(r["posture"] == "sitting" for r in rows) == days.minutes(Posture.SITTING) * 60
    table = pq.read_table(io.BytesIO(bouts_pq.content))
    assert table.num_rows == len(days.OFFICE_DAY)
    assert events.text.splitlines()[0].startswith('"Time","DataCount (samples)"')
    assert report.status_code == 200 and "Weekly sitting report" in report.text
    assert trend.json()["days"][0]["sitting_min"] == days.minutes(Posture.SITTING)
    assert trend.json()["days"][0]["long_sits"] == len(days.long_sits())
    assert [d["routines_done"] for d in trend.json()["days"]] == [1, 0, 0, 0, 0, 0, 0]
    assert too_long.status_code == 422 and "31 days" in too_long.json()["detail"]
    assert backwards.status_code == 422 and "before" in backwards.json()["detail"]
    assert pq_events.status_code == 422 and "CSV only" in pq_events.json()["detail"]
    assert far.status_code == 422
