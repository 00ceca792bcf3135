"""Prompting through the running service over a real Mosquitto: answers from MQTT and the
API, focus, meetings from an ICS file, state that survives a restart, Home Assistant."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.config import CalendarSettings, HomeAssistantSettings, NotifySettings
from service.rules import default_rules_path
from sitless.mqtt import BrokerUrl, MqttClient
from sitless.wire import Ack, Focus, Kind, Posture, WearerState, decode, encode, topic
from tests.integration.prompting_rig import PromptSpy, Service, Wearer, service, until
from tests.servers import Mosquitto
from tests.service.test_homeassistant import check_sensor, render

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
QUIET = NotifySettings(console=False)


async def caught_up(svc: Service, wearer: Wearer) -> None:
    assert svc.runtime.ingest is not None
    await svc.runtime.ingest.caught_up(wearer.name, wearer.device, wearer.seq - 1)


async def test_done_from_the_api_ends_the_repeats_and_counts_a_program_session(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    spy = PromptSpy(mosquitto.port)
    async with (
        spy.client,
        service(mosquitto.port, tmp_path / "s.db", f"done-{tmp_path.name}", notify=QUIET) as svc,
        MqttClient(BrokerUrl("127.0.0.1", mosquitto.port)) as client,
        svc.http() as http,
    ):
        await spy.client.wait_connected(10)
        await client.wait_connected(10)
        ann = Wearer(client, name="done-ann")
        await ann.hold(Posture.SITTING, MONDAY_9, 46)
        (first,) = await spy.wait_for(1)
        answer = await http.post(
            "/api/v1/wearers/done-ann/acks", json={"prompt_id": first.id, "action": "done"}
        )
        assert answer.status_code == 202, answer.text
        await ann.hold(Posture.SITTING, MONDAY_9 + timedelta(minutes=46), 60)
        await caught_up(svc, ann)
        await asyncio.sleep(0.3)
        program = (await http.get("/api/v1/wearers/done-ann/program")).json()
        prompts = (await http.get("/api/v1/wearers/done-ann/prompts?days=366")).json()
        unknown = await http.post(
            "/api/v1/wearers/done-ann/acks", json={"prompt_id": "nope", "action": "done"}
        )
    assert [p.repeat for p, _ in spy.prompts] == [0], "no 'still sitting?' after done"
    assert program["sessions_today"] == 1 and program["sessions_per_day"] == 3
    assert program["streak_days"] == 0 and program["weeks"] == 10
    assert [(p["outcome"], p["answered"]) for p in prompts] == [("done", True)]
    assert prompts[0]["response_s"] is not None
    assert unknown.status_code == 404


async def test_snooze_over_mqtt_holds_for_ten_minutes_and_cant_stand_sends_the_seated_one(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    spy = PromptSpy(mosquitto.port)
    async with (
        spy.client,
        service(mosquitto.port, tmp_path / "s.db", f"snz-{tmp_path.name}", notify=QUIET) as svc,
        MqttClient(BrokerUrl("127.0.0.1", mosquitto.port)) as client,
        svc.http() as http,
    ):
        await spy.client.wait_connected(10)
        await client.wait_connected(10)
        ann = Wearer(client, name="snz-ann")
        await ann.hold(Posture.SITTING, MONDAY_9, 46)
        (first,) = await spy.wait_for(1)
        snooze = Ack(
            wearer="snz-ann",
            device="watch",
            seq=1,
            prompt_id=first.id,
            action="snooze",
            snooze_min=10,
            at=datetime.now(UTC),
        )
        await client.publish(topic("snz-ann", Kind.ACK), encode(snooze))
        await until(lambda: svc.runtime.metrics.get("answered", "snooze") == 1)
        # Still sitting: the bundled rule would repeat at 10:00; the snooze asks for 09:56.
        await ann.hold(Posture.SITTING, MONDAY_9 + timedelta(minutes=46), 12)
        prompts = await spy.wait_for(2)
        again = prompts[1]
        answer = await http.post(
            "/api/v1/wearers/snz-ann/acks", json={"prompt_id": again.id, "action": "cant_stand"}
        )
        assert answer.status_code == 202
        prompts = await spy.wait_for(3)
        await caught_up(svc, ann)
        adherence = (await http.get("/api/v1/wearers/snz-ann/adherence?days=366")).json()
    assert again.repeat == 1 and again.at == MONDAY_9 + timedelta(minutes=56)
    assert again.title == "Still sitting?"
    seated = prompts[2]
    assert seated.routine == "glute-squeeze-release" and seated.rule == "long-sitting.seated"
    assert any("Squeeze both glutes" in s.text for s in seated.steps)
    assert seated.dose is not None and "Do not clench all day" in seated.dose
    assert adherence["outcomes"] == {"snooze": 1, "cant_stand": 1, "open": 1}
    assert adherence["answer_rate"] == round(2 / 3, 3)


async def test_snooze_until_tomorrow_and_done_survive_a_restart(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    spy = PromptSpy(mosquitto.port)
    db, cid = tmp_path / "s.db", f"restart-{tmp_path.name}"
    async with spy.client:
        await spy.client.wait_connected(10)
        async with (
            service(mosquitto.port, db, cid, notify=QUIET) as svc,
            MqttClient(BrokerUrl("127.0.0.1", mosquitto.port)) as client,
            svc.http() as http,
        ):
            await client.wait_connected(10)
            ann = Wearer(client, name="rs-ann")
            await ann.hold(Posture.SITTING, MONDAY_9, 46)
            (first,) = await spy.wait_for(1)
            answer = await http.post(
                "/api/v1/wearers/rs-ann/acks",
                json={"prompt_id": first.id, "action": "snooze", "snooze_until": "tomorrow"},
            )
            assert answer.status_code == 202
        # A new service: nothing in memory. A second long sit the same afternoon stays quiet.
        async with (
            service(mosquitto.port, db, cid, notify=QUIET) as svc,
            MqttClient(BrokerUrl("127.0.0.1", mosquitto.port)) as client,
        ):
            await client.wait_connected(10)
            ann = Wearer(client, name="rs-ann", seq=1000)
            afternoon = MONDAY_9 + timedelta(hours=5)
            await ann.hold(Posture.WALKING, afternoon - timedelta(minutes=2), 2)
            await ann.hold(Posture.SITTING, afternoon, 60)
            await caught_up(svc, ann)
            await asyncio.sleep(0.3)
            assert len(spy.prompts) == 1
            # The next morning the rule is back.
            tuesday = MONDAY_9 + timedelta(days=1)
            await ann.hold(Posture.WALKING, tuesday - timedelta(minutes=2), 2)
            await ann.hold(Posture.SITTING, tuesday, 46)
            prompts = await spy.wait_for(2)
    assert prompts[1].bout_start == tuesday and prompts[1].repeat == 0


async def test_focus_over_mqtt_suppresses_and_a_meeting_in_the_calendar_defers(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    # Calendars are read for the days around the wall clock, so this test's data time is
    # today, and its trigger has no work hours (today may be a weekend).
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(default_rules_path() / "routines.yaml", rules)
    (rules / "triggers.yaml").write_text(
        "triggers:\n  sit:\n    title: Up\n    message: Stand up\n    posture: sitting\n"
        "    kind: ongoing\n    min_minutes: 45\n    routine: hip-flexor-reset\n"
    )
    t0 = (datetime.now(UTC) - timedelta(hours=4)).replace(second=0, microsecond=0)
    ics = tmp_path / "bob.ics"
    ics.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:m1\r\n"
        f"DTSTAMP:20240101T000000Z\r\nDTSTART:{t0 + timedelta(minutes=30):%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{t0 + timedelta(minutes=70):%Y%m%dT%H%M%SZ}\r\nSUMMARY:Review\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    spy = PromptSpy(mosquitto.port)
    async with (
        spy.client,
        service(
            mosquitto.port,
            tmp_path / "s.db",
            f"ctx-{tmp_path.name}",
            notify=QUIET,
            rules=rules,
            calendar=CalendarSettings(sources={"bob": str(ics)}),
        ) as svc,
        MqttClient(BrokerUrl("127.0.0.1", mosquitto.port)) as client,
    ):
        await spy.client.wait_connected(10)
        await client.wait_connected(10)
        assert svc.runtime.metrics.get("calendar_reads", "ok") == 1
        cy = Wearer(client, name="cy")
        await cy.hold(Posture.STANDING, t0 - timedelta(minutes=1), 1)
        focus = Focus(
            wearer="cy",
            device="phone",
            mode="suppress",
            until=t0 + timedelta(minutes=60),
            reason="focus",
            at=datetime.now(UTC),
        )
        await client.publish(topic("cy", Kind.FOCUS), encode(focus))
        bob = Wearer(client, name="bob")
        await cy.hold(Posture.SITTING, t0, 100)
        await bob.hold(Posture.SITTING, t0, 100)
        await caught_up(svc, cy)
        await caught_up(svc, bob)
        await asyncio.sleep(0.3)
        focus_api = (await svc.http().get("/api/v1/wearers/cy/focus")).json()
    by_wearer = {p.wearer: p for p, _ in spy.prompts}
    assert "cy" not in by_wearer, "suppressed by focus for the whole bout"
    assert svc.runtime.metrics.get("suppressed", "sit") == 1
    assert by_wearer["bob"].at == t0 + timedelta(minutes=70), "given when the meeting ended"
    assert focus_api["mode"] == "suppress"


async def test_home_assistant_sees_each_wearer_as_a_device_with_live_state(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    seen: dict[str, bytes] = {}

    def got(name: str, payload: bytes) -> None:
        seen[name] = payload

    watcher = MqttClient(BrokerUrl("127.0.0.1", mosquitto.port), on_message=got)
    prefix = f"ha{tmp_path.name[-6:]}".replace("_", "")
    watcher.subscribe(f"{prefix}/#")
    watcher.subscribe("sitless/v1/ha-ann/state")
    ha = HomeAssistantSettings(enabled=True, discovery_prefix=prefix, interval_s=60)
    async with (
        watcher,
        service(
            mosquitto.port, tmp_path / "s.db", f"ha-{tmp_path.name}", notify=QUIET, homeassistant=ha
        ) as svc,
        MqttClient(BrokerUrl("127.0.0.1", mosquitto.port)) as client,
    ):
        await watcher.wait_connected(10)
        await client.wait_connected(10)
        ann = Wearer(client, name="ha-ann")
        await ann.hold(Posture.SITTING, MONDAY_9, 50)
        await ann.hold(Posture.STANDING, MONDAY_9 + timedelta(minutes=50), 2)
        await caught_up(svc, ann)
        state_topic = topic("ha-ann", Kind.STATE)
        await until(lambda: state_topic in seen and len(seen) >= 7, what="discovery and state")
        await asyncio.sleep(0.3)
    configs = {name: json.loads(body) for name, body in seen.items() if name.endswith("/config")}
    assert len(configs) == 6
    for name, config in configs.items():
        check_sensor(name, config, prefix)
    state = decode(state_topic, seen[state_topic])
    assert isinstance(state, WearerState)
    shown = {name.rsplit("/", 2)[1]: render(c, seen[state_topic]) for name, c in configs.items()}
    assert shown["posture"] == "standing"
    assert float(shown["bout_minutes"]) == 2.0
    assert float(shown["sitting_today"]) == 50.0
    assert shown["last_prompt"] == "Time to stand up"
    assert shown["last_outcome"] == "movement"
