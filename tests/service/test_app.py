"""The service as a whole: start-up checks and the JSON API over a real broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from service.app import create_app
from service.config import ServiceSettings
from sitless.errors import RuleError
from sitless.mqtt import BrokerUrl, MqttClient
from sitless.mqtt_config import MqttSettings
from sitless.wire import Bout, Kind, PostureEvent, encode, topic
from tests.servers import Mosquitto

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_an_invalid_rule_file_stops_start_up_naming_file_rule_and_field(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        "triggers:\n  too-long:\n    posture: sitting\n    kind: ongoing\n"
        "    min_minutes: soon\n    routine: hip-flexor-reset\n"
    )
    with pytest.raises(RuleError) as caught:
        create_app(ServiceSettings(rules=tmp_path), MqttSettings())
    text = str(caught.value)
    assert "mine.yaml" in text and "too-long" in text and "min_minutes" in text


async def _events(port: int) -> None:
    """Sit 09:00-09:50, then stand: one 50-minute bout and its prompt."""
    client = MqttClient(BrokerUrl("127.0.0.1", port))
    async with client:
        await client.wait_connected(10)
        sit_end = MONDAY_9 + timedelta(minutes=50)
        seq = 0
        t = MONDAY_9
        while t < sit_end:
            event = PostureEvent(
                wearer="ann",
                device="d",
                seq=seq,
                start=t,
                postures=("sitting",) * 60,
                since=MONDAY_9,
            )
            await client.publish(topic("ann", Kind.POSTURE), encode(event))
            seq, t = seq + 1, t + timedelta(minutes=1)
        stand = PostureEvent(
            wearer="ann",
            device="d",
            seq=seq,
            start=sit_end,
            postures=("standing",) * 30,
            since=sit_end,
            prior=Bout(posture="sitting", start=MONDAY_9),
        )
        await client.publish(topic("ann", Kind.POSTURE), encode(stand))


async def test_the_api_reports_the_day_bouts_timeline_and_answered_prompts(
    own_mosquitto: Mosquitto, tmp_path: Path
) -> None:
    mosquitto = own_mosquitto  # no retained messages from other tests
    settings = ServiceSettings(
        database_url=f"sqlite:///{tmp_path / 'api.db'}", client_id=f"api-{tmp_path.name}"
    )
    app = create_app(settings, MqttSettings(url=f"mqtt://127.0.0.1:{mosquitto.port}"))
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        await runtime.mqtt.wait_connected(10)
        await _events(mosquitto.port)
        await runtime.ingest.caught_up("ann", "d", 50)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sitless") as http:
            health = (await http.get("/healthz")).json()
            wearers = (await http.get("/api/v1/wearers")).json()
            day = (await http.get("/api/v1/wearers/ann/days/2026-03-02")).json()
            bouts = (await http.get("/api/v1/wearers/ann/days/2026-03-02/bouts")).json()
            timeline = (await http.get("/api/v1/wearers/ann/days/2026-03-02/timeline")).json()
            unknown = await http.get("/api/v1/wearers/nobody/days/today")
            bad_day = await http.get("/api/v1/wearers/ann/days/someday")
            bad_id = await http.get("/api/v1/wearers/a+b/days/today")
            metrics = (await http.get("/metrics")).text
            page = await http.get("/")
            schema = (await http.get("/openapi.json")).json()
    assert health["status"] == "ok" and health["mqtt_connected"]
    assert [w["id"] for w in wearers] == ["ann"]
    assert day["sitting_min"] == pytest.approx(50)
    assert day["longest_sitting_min"] == pytest.approx(50)
    assert day["breaks"] == 1
    assert day["sitting_by_hour"][9] == pytest.approx(50)
    assert [(p["rule"], p["answered"], p["outcome"]) for p in day["prompts"]] == [
        ("long-sitting", True, "movement")
    ]
    assert day["prompts_answered"] == 1
    assert [(b["posture"], b["minutes"]) for b in bouts] == [("sitting", 50), ("standing", 0.5)]
    assert timeline["minutes"][9 * 60 : 9 * 60 + 50] == ["sitting"] * 50
    assert timeline["minutes"][8 * 60] is None
    assert unknown.status_code == 404 and "nobody" in unknown.json()["detail"]
    assert bad_day.status_code == 422 and "YYYY-MM-DD" in bad_day.json()["detail"]
    assert bad_id.status_code == 422
    assert 'sitless_prompts_total{rule="long-sitting"} 1' in metrics
    assert 'sitless_received_total{kind="posture"} 51' in metrics
    assert page.status_code == 200 and "sitless" in page.text
    assert "/api/v1/wearers/{wearer}/days/{day}" in schema["paths"]
