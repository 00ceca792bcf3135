"""Bad input at the MQTT boundary: a clear reason, a counter, and ingest keeps going."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.ingest import Ingest
from service.rules import Engine
from service.rules.context import Context
from service.rules.engine import Decision
from service.store.sql import SqlStore
from sitless.mqtt import BrokerUrl, MqttClient
from sitless.wire import Kind, PostureEvent, Status, encode, topic
from tests.servers import Mosquitto
from tests.service.ingests import new_ingest

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REASONS = {"bad_topic", "bad_id", "too_large", "not_json", "bad_version", "invalid", "wrong_wearer"}
VALID: dict[str, Any] = json.loads(
    encode(PostureEvent(wearer="ann", device="d", seq=0, start=T0, postures=("sitting",), since=T0))
)


@dataclass
class Running:
    ingest: Ingest
    seq: int = 0

    def good_event(self) -> None:
        """Deliver the next valid event from another device and check it was taken."""
        self.seq += 1
        before = self.ingest.metrics.get("received", Kind.POSTURE)
        event = PostureEvent(
            wearer="ann",
            device="probe",
            seq=self.seq,
            start=T0 + timedelta(seconds=self.seq),
            postures=("sitting",),
            since=T0,
        )
        self.ingest.on_message(topic("ann", Kind.POSTURE), encode(event))
        assert self.ingest.metrics.get("received", Kind.POSTURE) == before + 1


@pytest.fixture
async def running(mosquitto: Mosquitto, tmp_path: Path) -> AsyncIterator[Running]:
    store = SqlStore(f"sqlite:///{tmp_path / 'bad.db'}")
    store.create_all()
    client = MqttClient(BrokerUrl("127.0.0.1", mosquitto.port))
    await client.start()
    await client.wait_connected(10)
    ingest = new_ingest(store, client)
    task = asyncio.create_task(ingest.run())
    yield Running(ingest)
    await ingest.drain()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await client.stop()
    store.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated_events(draw: st.DrawFn) -> bytes:
    """A valid posture event with one field removed or replaced by any JSON value."""
    body = dict(VALID)
    key = draw(st.sampled_from(sorted(body)))
    if draw(st.booleans()):
        del body[key]
    else:
        body[key] = draw(json_values)
    return json.dumps(body).encode()


payloads = (
    st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()) | mutated_events()
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=payloads, kind=st.sampled_from(["posture", "status", "ack", "prompt", "raw"]))
async def test_any_payload_is_taken_or_rejected_with_a_reason_and_ingest_goes_on(
    running: Running, payload: bytes, kind: str
) -> None:
    metrics = running.ingest.metrics
    rejected, received = metrics.total("rejected"), metrics.total("received")
    running.ingest.on_message(f"sitless/v1/ann/{kind}", payload)
    took = metrics.total("received") - received
    refused = metrics.total("rejected") - rejected
    assert took + refused == 1
    if refused:
        assert set(metrics.as_dict()) & {f"rejected:{r}" for r in REASONS}
    running.good_event()


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(max_size=40))
async def test_any_topic_outside_the_contract_is_rejected_as_bad_topic(
    running: Running, name: str
) -> None:
    metrics = running.ingest.metrics
    before = metrics.get("rejected", "bad_topic") + metrics.get("rejected", "bad_id")
    running.ingest.on_message(f"sitless/v1/{name}", json.dumps(VALID).encode())
    valid = name.count("/") == 1 and name.split("/")[1] in {k.value for k in Kind}
    if not valid:
        assert (
            metrics.get("rejected", "bad_topic") + metrics.get("rejected", "bad_id") == before + 1
        )
    running.good_event()


async def test_rejected_messages_reach_the_dead_letter_topic_with_their_reason(
    running: Running, mosquitto: Mosquitto
) -> None:
    dead: list[dict[str, Any]] = []
    spy = MqttClient(
        BrokerUrl("127.0.0.1", mosquitto.port), on_message=lambda _t, p: dead.append(json.loads(p))
    )
    spy.subscribe("sitless/v1/_dead")
    async with spy:
        await spy.wait_connected(10)
        await asyncio.sleep(0.2)
        other = dict(VALID, wearer="bob")
        running.ingest.on_message("sitless/v1/ann/posture", b"{not json")
        running.ingest.on_message("sitless/v1/ann/posture", json.dumps(dict(VALID, v=9)).encode())
        running.ingest.on_message("sitless/v1/ann/posture", json.dumps(other).encode())
        for _ in range(50):
            if len(dead) == 3:
                break
            await asyncio.sleep(0.1)
    assert [d["reason"] for d in dead] == ["not_json", "bad_version", "wrong_wearer"]
    assert all(d["topic"] == "sitless/v1/ann/posture" and d["error"] for d in dead)
    assert running.ingest.metrics.get("rejected", "wrong_wearer") == 1
    running.good_event()


class FaultyEngine(Engine):
    """The bundled rules, with a bug that strikes on device ``bug``'s events."""

    def decide(
        self, event: PostureEvent, context: Context | None = None, end: datetime | None = None
    ) -> Decision:
        if event.device == "bug":
            raise RuntimeError("injected fault")
        return super().decide(event, context, end)


class FaultyStore(SqlStore):
    """A store with a bug that strikes when it records device ``bug``'s status."""

    def record_status(self, status: Status) -> bool:
        if status.device == "bug":
            raise RuntimeError("injected fault")
        return super().record_status(status)


async def test_a_bug_while_handling_a_message_is_counted_dead_lettered_and_ingest_goes_on(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    store = FaultyStore(f"sqlite:///{tmp_path / 'bug.db'}")
    store.create_all()
    dead: list[dict[str, Any]] = []
    client = MqttClient(BrokerUrl("127.0.0.1", mosquitto.port))
    spy = MqttClient(
        BrokerUrl("127.0.0.1", mosquitto.port), on_message=lambda _t, p: dead.append(json.loads(p))
    )
    spy.subscribe("sitless/v1/_dead")
    ingest = new_ingest(store, client, engine=FaultyEngine)
    metrics = ingest.metrics
    async with client, spy:
        await client.wait_connected(10)
        await spy.wait_connected(10)
        await asyncio.sleep(0.2)
        task = asyncio.create_task(ingest.run())
        running = Running(ingest)
        running.good_event()
        await ingest.drain()  # ann's context is loaded: her events now meet the rules at once
        bug = PostureEvent(
            wearer="ann", device="bug", seq=0, start=T0, postures=("sitting",), since=T0
        )
        ingest.on_message(topic("ann", Kind.POSTURE), encode(bug))
        for device in ("bug", "d"):
            status = Status(wearer="ann", device=device, seq=0, state="online", at=T0)
            ingest.on_message(topic("ann", Kind.STATUS), encode(status))
        running.good_event()
        await ingest.drain()
        for _ in range(50):
            if dead:
                break
            await asyncio.sleep(0.1)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert metrics.get("internal_errors", "message") == 1
    assert metrics.get("internal_errors", "slow_lane") == 1
    assert [(d["reason"], d["topic"]) for d in dead] == [
        ("internal_error", "sitless/v1/ann/posture")
    ]
    assert json.loads(dead[0]["payload"])["device"] == "bug"
    assert "injected fault" in dead[0]["error"]
    assert [s.device for s in store.statuses("ann")] == ["d"]
    assert 'sitless_internal_errors_total{stage="message"} 1' in metrics.prometheus()
    store.close()
