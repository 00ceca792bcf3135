"""An emulated Bluetooth world wired to a real collector, for the test_ble_* tests.

The world's virtual clock runs ``speed`` times real time and is also the link's host
clock, so minutes of wear pass in seconds with every timing relation intact.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from collector.app import Collector
from collector.emulator import VirtualClock, World
from collector.link import Backoff, SensorSet
from collector.posture import Epoch
from collector.publish.outbox import Outbox
from collector.sensors import SensorSpec
from collector.sources import Simulator
from sitless.mqtt import BrokerUrl, MqttClient
from sitless.wire import Kind, Posture, PostureEvent, Prompt, Status, decode, subscription

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # inside the default work hours
# Scripted changes are abrupt and the feature window spans 4 s; the clock mapping adds
# tens of ms: judge epochs at least this far from a change.
MARGIN_S = 4.0


def fast_link_options(world: World) -> dict[str, Any]:
    """Link options for the emulator: its backends and clock, short scans and backoff."""
    return {
        "clock": world.clock,
        "scanner_backend": world.scanner_backend,
        "client_backend": world.client_backend,
        "backoff": Backoff(min_s=0.02, max_s=0.2),
        "scan_timeout_s": 0.1,
    }


def new_world(speed: float, start: datetime = MONDAY_9) -> World:
    return World(VirtualClock(start, speed))


class Spy:
    """Records every posture event, status and prompt the broker carries."""

    def __init__(self, port: int) -> None:
        self.events: list[PostureEvent] = []
        self.statuses: list[Status] = []
        self.prompts: list[Prompt] = []
        self.client = MqttClient(BrokerUrl("127.0.0.1", port), on_message=self._got)
        for kind in (Kind.POSTURE, Kind.STATUS, Kind.PROMPT):
            self.client.subscribe(subscription(kind))

    def _got(self, name: str, payload: bytes) -> None:
        message = decode(name, payload)
        if isinstance(message, PostureEvent):
            self.events.append(message)
        elif isinstance(message, Status):
            self.statuses.append(message)
        elif isinstance(message, Prompt):
            self.prompts.append(message)

    def epochs(self) -> list[tuple[datetime, Posture]]:
        return [e for event in self.events for e in event.epochs()]


@dataclass
class Rig:
    world: World
    sensors: SensorSet
    collector: Collector


@contextlib.asynccontextmanager
async def collecting(
    world: World,
    specs: Sequence[str],
    port: int,
    outbox: Path,
    *,
    wearer: str = "ann",
    device: str = "thigh-1",
) -> AsyncIterator[Rig]:
    """A SensorSet over ``world`` feeding a Collector on the broker at ``port``."""
    sensors = SensorSet(
        [SensorSpec.parse(s) for s in specs],
        t0=world.clock.start,
        **fast_link_options(world),
    )
    async with sensors:
        await sensors.ready(10)
        box = Outbox(outbox)
        collector = Collector(
            sensors,
            BrokerUrl("127.0.0.1", port),
            wearer=wearer,
            device=device,
            outbox=box,
            t0=world.clock.start,
            on_prompt=sensors.signal,
        )
        try:
            yield Rig(world, sensors, collector)
        finally:
            box.close()


async def run_until(rig: Rig, data_s: float) -> None:
    """Run the collector until the virtual clock reaches ``data_s``, then end the stream."""

    async def stop_later() -> None:
        await rig.world.clock.sleep_until(data_s)
        rig.sensors.close()

    stopper = asyncio.create_task(stop_later())
    try:
        await rig.collector.run()
    finally:
        stopper.cancel()


async def settle(seconds: float = 0.5) -> None:
    """Give messages in flight through the broker time to arrive."""
    await asyncio.sleep(seconds)


def judged(
    sim: Simulator, epochs: Sequence[tuple[datetime, Posture]], start: datetime
) -> tuple[list[Posture], list[Posture]]:
    """Scripted and published postures of the epochs away from scripted changes."""
    changes = np.array([a for a, _, _ in sim.segment_bounds()[1:]])
    truth, got = [], []
    for at, posture in epochs:
        mid = (at - start).total_seconds() + 0.5
        if changes.size and np.min(np.abs(changes - mid)) < MARGIN_S:
            continue
        truth.append(sim.posture_at([mid])[0])
        got.append(posture)
    return truth, got


def epochs_of(events: Sequence[Epoch], start: datetime) -> list[tuple[datetime, Posture]]:
    return [(start + timedelta(seconds=e.t_start), e.posture) for e in events]
