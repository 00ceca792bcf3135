"""The whole collector over an emulated Polar H10: bleak, link, classifier, Mosquitto, service."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np

from collector.emulator import Feed, PolarH10
from collector.sources import Segment, Simulator
from sitless.wire import Posture
from tests.integration.ble_rig import (
    MONDAY_9,
    Spy,
    collecting,
    judged,
    new_world,
    run_until,
    settle,
)
from tests.integration.conftest import RunService
from tests.servers import Mosquitto

H10 = "A0:9E:1A:00:00:10"
TIMELINE = (
    Segment(Posture.WALKING, 150),
    Segment(Posture.SITTING, 360),
    Segment(Posture.STANDING, 90),
    Segment(Posture.WALKING, 90),
    Segment(Posture.SITTING, 180),
)
SPEED = 150.0


async def test_postures_and_bouts_from_an_emulated_h10_reach_the_service(
    mosquitto: Mosquitto, run_service: RunService, tmp_path: Path
) -> None:
    sim = Simulator(TIMELINE, rate_hz=50, seed=11)
    world = new_world(SPEED)
    h10 = world.add(PolarH10(H10, feed=Feed(sim)))
    spy = Spy(mosquitto.port)
    async with (
        spy.client,
        run_service(mosquitto.port, timezone="UTC") as service,
        collecting(world, [f"polar:{H10}"], mosquitto.port, tmp_path / "outbox.db") as rig,
    ):
        await spy.client.wait_connected(10)
        await run_until(rig, sim.duration_s - 5)
        await settle()
        assert service.ingest is not None
        await service.ingest.drain()

        link = rig.sensors.links[rig.sensors.primary]
        assert link.stats.connects == 1
        assert link.stats.frame_errors.total() == 0
        assert link.stats.dropped_samples == 0
        assert link.stats.out_of_order == 0
        assert h10.connections == 1
        assert rig.sensors.rate_hz == 50.0

        # Every epoch once, in order, from the first second the strap streamed.
        epochs = spy.epochs()
        starts = [at for at, _ in epochs]
        assert starts == sorted(set(starts))
        assert all(b - a == timedelta(seconds=1) for a, b in pairwise(starts))
        assert h10.acc_started_s is not None
        first_s = (starts[0] - MONDAY_9).total_seconds()
        assert first_s <= h10.acc_started_s + 1, "epochs from the first second of streaming"
        truth, got = judged(sim, epochs, MONDAY_9)
        accuracy = float(np.mean([a == b for a, b in zip(truth, got, strict=True)]))
        assert accuracy > 0.95, accuracy

        bouts = service.store.bouts_between("ann", MONDAY_9, MONDAY_9 + timedelta(hours=1))
        long_bouts = [b for b in bouts if b.end - b.start >= timedelta(seconds=30)]
        assert [b.posture for b in long_bouts] == [s.posture for s in TIMELINE]
        for bout, (start_s, _, _) in zip(long_bouts[1:], sim.segment_bounds()[1:], strict=False):
            assert abs((bout.start - MONDAY_9).total_seconds() - start_s) < 5
        sitting = long_bouts[1]
        assert abs((sitting.end - sitting.start).total_seconds() - 360) < 8

        (status,) = service.store.statuses("ann")
        assert (status.state, status.sensor, status.battery_pct) == ("offline", "polar", 87)
        assert service.store.gaps_between("ann", MONDAY_9, MONDAY_9 + timedelta(hours=1)) == []
