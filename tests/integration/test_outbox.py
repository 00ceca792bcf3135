"""The outbox: nothing lost, nothing doubled in effect, order kept, across outages."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from collector.publish.outbox import Outbox
from collector.publish.sender import Sender
from service.app import Runtime
from service.live import Update
from sitless.mqtt import BrokerUrl, MqttClient
from tests.integration.conftest import RunService
from tests.integration.outbox_producer import produce
from tests.servers import Mosquitto

ROOT = Path(__file__).resolve().parents[2]


async def _drain_seqs(
    queue: asyncio.Queue[Update], expected: int, timeout: float = 90
) -> list[int]:
    """Seqs of the posture events the service acted on, in the order it acted."""
    seen: list[int] = []

    async def collect() -> None:
        while len(seen) < expected:
            update = await queue.get()
            if update["type"] == "posture":
                seen.append(update["seq"])

    await asyncio.wait_for(collect(), timeout)
    return seen


async def _seqs_seen(runtime: Runtime, expected: int, timeout: float = 90) -> list[int]:
    async with runtime.live.subscribe() as queue:
        return await _drain_seqs(queue, expected, timeout)


async def test_events_queued_during_a_broker_outage_arrive_once_and_in_order(
    own_mosquitto: Mosquitto, run_service: RunService, tmp_path: Path
) -> None:
    count = 300
    async with run_service(own_mosquitto.port) as service:
        seen_task = asyncio.create_task(_seqs_seen(service, count, timeout=90))
        outbox = Outbox(tmp_path / "outbox.db")
        client = MqttClient(BrokerUrl("127.0.0.1", own_mosquitto.port), client_id="collector")
        sender = Sender(outbox, client)
        await client.start()
        await client.wait_connected(10)
        sending = asyncio.create_task(sender.run())
        await produce(outbox, sender, 100, 0.005)
        own_mosquitto.stop()
        await produce(outbox, sender, 100, 0.01)  # the broker is away meanwhile
        queued_while_down = len(outbox)
        own_mosquitto.start()
        await produce(outbox, sender, 100, 0.005)
        assert await sender.flush(60)
        seen = await seen_task
        sending.cancel()
        await client.stop()
        outbox.close()
    assert queued_while_down >= 100
    assert seen == list(range(count))


async def test_a_killed_collector_resends_its_outbox_after_restart(
    own_mosquitto: Mosquitto, run_service: RunService, tmp_path: Path
) -> None:
    path = tmp_path / "outbox.db"
    first, second = 400, 100
    command = [
        sys.executable,
        "-m",
        "tests.integration.outbox_producer",
        "--port",
        str(own_mosquitto.port),
        "--outbox",
        str(path),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    async with run_service(own_mosquitto.port) as service, service.live.subscribe() as queue:
        proc = await asyncio.create_subprocess_exec(
            *command,
            "--count",
            str(first),
            "--pause",
            "0",
            "--window",
            "1",
            env=env,
            cwd=ROOT,
        )
        pending = 0
        for _ in range(2000):  # kill it while messages wait in its outbox
            await asyncio.sleep(0.01)
            try:
                with sqlite3.connect(path) as db:
                    pending = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
            except sqlite3.OperationalError:
                continue  # not created yet
            if pending > 20:
                break
        os.kill(proc.pid, signal.SIGKILL)
        await proc.wait()
        assert pending > 20, "the producer never had messages waiting; nothing was tested"
        restarted = await asyncio.create_subprocess_exec(
            *command, "--count", str(second), env=env, cwd=ROOT
        )
        assert await restarted.wait() == 0
        with sqlite3.connect(path) as db:
            produced = db.execute("SELECT last FROM seqs").fetchone()[0] + 1
        seen = await _drain_seqs(queue, produced)
    assert produced > second  # the killed run's queued events are among them
    assert seen == list(range(produced))
