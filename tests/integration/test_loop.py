"""The whole loop over a real Mosquitto: simulator → collector → MQTT → service → prompt."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collector.app import Collector
from collector.publish.outbox import Outbox
from collector.sources.simulator import Simulator
from service.config import InfluxSettings
from sitless.mqtt import BrokerUrl, MqttClient
from sitless.wire import Kind, Posture, Prompt, decode, subscription
from tests.integration.conftest import RunService
from tests.integration.test_timeseries import export, ms
from tests.servers import Mosquitto, VictoriaMetrics

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # inside the default work hours
FIFTY_MINUTES_SITTING = [
    (Posture.WALKING, 120.0),
    (Posture.SITTING, 50 * 60.0),
    (Posture.STANDING, 240.0),
    (Posture.WALKING, 120.0),
]


class Spy:
    """Records every prompt and posture payload the broker carries for the test."""

    def __init__(self, port: int) -> None:
        self.prompts: list[Prompt] = []
        self.postures: list[tuple[str, bytes]] = []
        self.client = MqttClient(BrokerUrl("127.0.0.1", port), on_message=self._got)
        self.client.subscribe(subscription(Kind.PROMPT))
        self.client.subscribe(subscription(Kind.POSTURE))

    def _got(self, name: str, payload: bytes) -> None:
        if name.endswith("/prompt"):
            message = decode(name, payload)
            assert isinstance(message, Prompt)
            self.prompts.append(message)
        else:
            self.postures.append((name, payload))

    async def settle(self, seconds: float = 1.0) -> None:
        """Give in-flight messages time to arrive."""
        await asyncio.sleep(seconds)


async def test_fifty_minutes_sitting_prompts_once_and_standing_answers_it(
    mosquitto: Mosquitto, run_service: RunService, tmp_path: Path
) -> None:
    spy = Spy(mosquitto.port)
    async with spy.client, run_service(mosquitto.port, timezone="UTC") as service:
        await spy.client.wait_connected(10)
        collector = Collector(
            Simulator(FIFTY_MINUTES_SITTING, rate_hz=50, seed=3),
            BrokerUrl("127.0.0.1", mosquitto.port),
            wearer="ann",
            device="thigh-1",
            outbox=Outbox(tmp_path / "outbox.db"),
            t0=MONDAY_9,
            speed=float("inf"),
        )
        progress = await collector.run()
        assert service.ingest is not None and progress.last_seq is not None
        await service.ingest.caught_up("ann", "thigh-1", progress.last_seq)
        await spy.settle()

        assert len(spy.prompts) == 1
        prompt = spy.prompts[0]
        assert (prompt.wearer, prompt.posture, prompt.repeat) == ("ann", Posture.SITTING, 0)
        assert timedelta(minutes=45) <= prompt.at - prompt.bout_start < timedelta(minutes=46)
        assert [s.text for s in prompt.steps], "the prompt carries its routine's steps"

        start, end = MONDAY_9, MONDAY_9 + timedelta(hours=2)
        (stored,) = service.store.prompts_between("ann", start, end)
        assert stored.id == prompt.id
        assert stored.outcome == "movement"
        assert stored.answered_at is not None
        assert timedelta(0) < stored.answered_at - prompt.at <= timedelta(minutes=10)

        # Every posture event delivered a second time: dropped by seq, no new prompt.
        delivered = len(spy.postures)
        assert delivered > 0
        for name, payload in list(spy.postures):
            await spy.client.publish(name, payload)
        await spy.settle()
        await service.ingest.drain()
        assert service.metrics.get("duplicates", Kind.POSTURE) == delivered
        assert len(spy.prompts) == 1
        assert len(service.store.prompts_between("ann", start, end)) == 1

    # The same events once more to a restarted service that remembers nothing in memory:
    # the store's uniqueness still allows no second prompt.
    again = Spy(mosquitto.port)
    async with again.client, run_service(mosquitto.port, timezone="UTC") as restarted:
        await again.client.wait_connected(10)
        for name, payload in spy.postures[:delivered]:
            await again.client.publish(name, payload)
        await again.settle()
        assert restarted.ingest is not None
        await restarted.ingest.drain()
        assert restarted.metrics.get("received", Kind.POSTURE) >= delivered
        assert again.prompts == []
        assert len(restarted.store.prompts_between("ann", start, end)) == 1


async def test_the_service_writes_each_epoch_to_the_time_series_server(
    mosquitto: Mosquitto, victoria: VictoriaMetrics, run_service: RunService, tmp_path: Path
) -> None:
    wearer = f"ts-{tmp_path.name[-8:]}".replace("_", "-")
    influx = InfluxSettings(url=victoria.url, flush_interval_s=0.1)
    spy = Spy(mosquitto.port)
    async with spy.client, run_service(mosquitto.port, influx=influx) as service:
        await spy.client.wait_connected(10)
        timeline = [(Posture.WALKING, 60.0), (Posture.SITTING, 120.0), (Posture.WALKING, 30.0)]
        collector = Collector(
            Simulator(timeline, rate_hz=50, seed=5),
            BrokerUrl("127.0.0.1", mosquitto.port),
            wearer=wearer,
            device="thigh-1",
            outbox=Outbox(tmp_path / "o.db"),
            t0=MONDAY_9,
            speed=float("inf"),
        )
        progress = await collector.run()
        assert service.ingest is not None and service.timeseries is not None
        assert progress.last_seq is not None
        await service.ingest.caught_up(wearer, "thigh-1", progress.last_seq)
        assert service.timeseries.flush(10)
        assert service.timeseries.stats().written == progress.epochs
    series = export(victoria, wearer)
    seconds = {posture: len(samples) for (_, posture), samples in series.items()}
    assert sum(seconds.values()) == progress.epochs
    assert seconds["sitting"] == pytest.approx(120, abs=6)
    first = min(t for samples in series.values() for t, _ in samples)
    assert first == ms(MONDAY_9)
    assert all(v == 1.0 for samples in series.values() for _, v in samples)
