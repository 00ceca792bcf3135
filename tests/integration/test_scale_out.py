"""Two service instances on an MQTT v5 shared subscription act as one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.app import create_app
from service.config import ServiceSettings
from sitless.mqtt import BrokerUrl, MqttClient
from sitless.mqtt_config import MqttSettings
from sitless.wire import Bout, Kind, PostureEvent, encode, topic
from tests.servers import Mosquitto

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_shared_subscription_splits_events_and_still_prompts_once(
    own_mosquitto: Mosquitto, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    mqtt = MqttSettings(url=f"mqtt://127.0.0.1:{own_mosquitto.port}", v5=True, share_group="svc")
    apps = [
        create_app(ServiceSettings(database_url=database, client_id=f"svc-{i}"), mqtt)
        for i in (1, 2)
    ]
    async with apps[0].router.lifespan_context(apps[0]), apps[1].router.lifespan_context(apps[1]):
        runtimes = [app.state.runtime for app in apps]
        for runtime in runtimes:
            await runtime.mqtt.wait_connected(10)
        await asyncio.sleep(0.3)
        publisher = MqttClient(BrokerUrl("127.0.0.1", own_mosquitto.port))
        async with publisher:
            await publisher.wait_connected(10)
            seq, t = 0, MONDAY_9
            while t < MONDAY_9 + timedelta(minutes=50):  # sitting, 30 s a message
                event = PostureEvent(
                    wearer="ann",
                    device="d",
                    seq=seq,
                    start=t,
                    postures=("sitting",) * 30,
                    since=MONDAY_9,
                )
                await publisher.publish(topic("ann", Kind.POSTURE), encode(event))
                seq, t = seq + 1, t + timedelta(seconds=30)
            stand = PostureEvent(
                wearer="ann",
                device="d",
                seq=seq,
                start=t,
                postures=("standing",) * 30,
                since=t,
                prior=Bout(posture="sitting", start=MONDAY_9),
            )
            await publisher.publish(topic("ann", Kind.POSTURE), encode(stand))
        for _ in range(100):
            received = [r.metrics.get("received", Kind.POSTURE) for r in runtimes]
            if sum(received) >= seq + 1:
                break
            await asyncio.sleep(0.05)
        for runtime in runtimes:
            await runtime.ingest.drain()
        prompts = runtimes[0].store.prompts_between("ann", MONDAY_9, t + timedelta(hours=1))
        sent = [r.metrics.total("prompts") for r in runtimes]
    assert sum(received) == seq + 1, received
    assert all(n > 0 for n in received), f"one instance got nothing: {received}"
    assert sum(sent) == 1
    assert [(p.rule, p.outcome) for p in prompts] == [("long-sitting", "movement")]
