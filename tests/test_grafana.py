"""The Grafana dashboard: its SQL runs on the store's real schema, its Flux reads our series.

The SQL panels (long sits, prompts) run here against PostgreSQL holding the scripted day,
with Grafana's macros expanded as Grafana expands them. The Flux panels cannot run without
InfluxDB itself; they are checked against the schema ``service.store.timeseries`` writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from service.store.sql import SqlStore
from service.store.timeseries import FIELD, MEASUREMENT, epoch_point
from sitless.wire.posture import Posture
from tests import days
from tests.people import ANN, seed

DOCKER = Path(__file__).resolve().parents[1] / "docker"
DASHBOARD = json.loads((DOCKER / "grafana/dashboards/sitless.json").read_text())
SOURCES = yaml.safe_load((DOCKER / "grafana/provisioning/datasources/sitless.yaml").read_text())
FROM, TO = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)


def _targets(kind: str) -> dict[str, str]:
    """ "Panel title" (or "title/refId" for a second query) -> query, on ``kind`` sources."""
    uid = next(s["uid"] for s in SOURCES["datasources"] if s["type"] == kind)
    out = {}
    for panel in DASHBOARD["panels"]:
        for target in panel["targets"]:
            if target["datasource"]["uid"] == uid:
                name = (
                    panel["title"]
                    if target["refId"] == "A"
                    else f"{panel['title']}/{target['refId']}"
                )
                out[name] = target.get("rawSql") or target["query"]
    return out


def _expand(sql: str, wearer: str = ANN, tz: str = "Europe/Oslo") -> str:
    """The macros and variables expanded the way Grafana expands them."""
    window = f"BETWEEN '{FROM.isoformat()}' AND '{TO.isoformat()}'"
    sql = re.sub(r"\$__timeFilter\(([^)]+)\)", rf"\1 {window}", sql)
    return sql.replace("$wearer", wearer).replace("$default_tz", "UTC").replace("$tz", tz)


@pytest.fixture
def database(postgres_url: str) -> Iterator[Any]:
    store = SqlStore(postgres_url)
    store.create_all()
    seed(store)
    store.ensure_wearer(ANN, timezone="Europe/Oslo")
    for minutes, key in ((0, "logged-1"), (60, "logged-2")):  # two routines the wearer logged
        at = days.start_of() + timedelta(hours=6, minutes=minutes)
        store.record_session(ANN, key=key, at=at, routine="hip-flexor-reset", source="self")
    store.close()
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def test_every_panel_uses_a_provisioned_data_source() -> None:
    uids = {s["uid"] for s in SOURCES["datasources"]}
    for panel in DASHBOARD["panels"]:
        assert panel["datasource"]["uid"] in uids, panel["title"]
        assert all(t["datasource"]["uid"] in uids for t in panel["targets"])
    assert set(_targets("influxdb")) >= {"Sitting per hour", "Sitting per day"}
    assert set(_targets("postgres")) >= {"Long sits (30 minutes or more)", "Prompts"}


def test_the_flux_queries_read_the_series_the_service_writes() -> None:
    point = epoch_point("ann", "thigh", Posture.SITTING, days.start_of(), 1.0)
    tags = set(point._tags)
    flux = {
        **_targets("influxdb"),
        "downsampling task": (DOCKER / "influxdb/downsample.flux").read_text(),
    }
    for title, query in flux.items():
        assert f'r._measurement == "{MEASUREMENT}"' in query, title
        assert f'r._field == "{FIELD}"' in query, title
        for tag in re.findall(r"r\.(\w+) [!=]=", query):
            assert tag in tags | {"_measurement", "_field"}, (title, tag)
        for value in re.findall(r'r\.posture [!=]= "(\w+)"', query):
            Posture(value)
        assert 'bucket: "sitless' in query


@pytest.mark.integration
def test_the_sql_panels_and_variables_give_the_scripted_days_numbers(database: Any) -> None:
    def run(sql: str) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in database.execute(text(_expand(sql)))]

    sql = _targets("postgres")
    longest = run(sql["Longest sit per day"])
    assert [(r["time"], float(r["longest sit (min)"])) for r in longest] == [
        (datetime(2026, 3, 1, 23, 0, tzinfo=UTC), max(days.long_sits()))  # Oslo midnight
    ]
    per_day = run(sql["Prompts and routines per day"])
    assert [(r["answered"], r["missed or open"]) for r in per_day] == [(1, 0)]
    routines = run(sql["Prompts and routines per day/B"])
    assert [r["routines done"] for r in routines] == [2]
    sits = run(sql["Long sits (30 minutes or more)"])
    assert [r["minutes"] for r in sits] == list(reversed(days.long_sits()))
    prompts = run(sql["Prompts"])
    assert [(p["rule"], p["outcome"], p["answered after (min)"]) for p in prompts] == [
        ("long-sitting", "done", 5)
    ]
    variables = {v["name"]: v for v in DASHBOARD["templating"]["list"]}
    assert [r["id"] for r in run(variables["wearer"]["query"])] == [ANN, "bob-thigh"]
    assert list(run(variables["tz"]["query"])[0].values()) == ["Europe/Oslo"]
