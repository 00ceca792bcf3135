"""A bike cadence sensor beside the thigh sensor: counters roll over, cadence confirms cycling."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np

from collector.emulator import CadenceSensor, Feed, PolarH10
from collector.sensors.csc import CSC_MEASUREMENT
from collector.sources import Segment, Simulator
from sitless.wire import Posture
from tests.integration.ble_rig import MONDAY_9, Spy, collecting, new_world, run_until, settle
from tests.integration.conftest import RunService
from tests.servers import Mosquitto

H10 = "A0:9E:1A:00:00:10"
CSC = "C7:4A:11:00:00:50"
# The thigh looks like sitting throughout the desk-bike session (a recumbent or desk
# bike barely moves a thigh sensor the way the classifier expects): the crank says
# otherwise from 150 s to 330 s.
TIMELINE = (
    Segment(Posture.WALKING, 120),
    Segment(Posture.SITTING, 300),
    Segment(Posture.WALKING, 60),
)
PEDAL_FROM_S, PEDAL_TO_S, RPM = 150.0, 330.0, 72.0
SPEED = 150.0


def desk_bike(t: float) -> float:
    return RPM if PEDAL_FROM_S <= t < PEDAL_TO_S else 0.0


async def test_cadence_across_rollovers_turns_pedalling_into_cycling(
    mosquitto: Mosquitto, run_service: RunService, tmp_path: Path
) -> None:
    sim = Simulator(TIMELINE, rate_hz=50, seed=2)
    world = new_world(SPEED)
    world.add(PolarH10(H10, feed=Feed(sim)))
    # Counters start just below their 16-bit rollovers: revolutions wrap after 36
    # turns, event times after 5.4 s.
    crank = world.add(
        CadenceSensor(CSC, cadence=desk_bike, revs_origin=65_500, ticks_origin=60_000)
    )
    spy = Spy(mosquitto.port)
    async with (
        spy.client,
        run_service(mosquitto.port, timezone="UTC") as service,
        collecting(
            world, [f"polar:{H10}", f"csc:{CSC}"], mosquitto.port, tmp_path / "outbox.db"
        ) as rig,
    ):
        rig.sensors.cadence.keep_s = 3600.0
        await spy.client.wait_connected(10)
        await run_until(rig, sim.duration_s - 5)
        await settle()
        assert service.ingest is not None
        await service.ingest.drain()

        csc_link = rig.sensors.links[next(s for s in rig.sensors.specs if s.kind == "csc")]
        assert csc_link.stats.frame_errors.total() == 0, "no rollover looked like a glitch"
        assert crank.sent[CSC_MEASUREMENT] > 300
        readings = rig.sensors.cadence.readings
        pedalling = [rpm for t, rpm in readings if PEDAL_FROM_S + 5 < t < PEDAL_TO_S - 1]
        assert len(pedalling) > 150
        assert np.allclose(pedalling, RPM, atol=1.5), "every reading, across the rollovers"
        idle = [rpm for t, rpm in readings if t > PEDAL_TO_S + 5]
        assert idle and set(idle) == {0.0}

        epochs = spy.epochs()

        def share(lo: float, hi: float, posture: Posture) -> float:
            chosen = [p for at, p in epochs if lo <= (at - MONDAY_9).total_seconds() < hi]
            return float(np.mean([p is posture for p in chosen]))

        assert share(PEDAL_FROM_S + 5, PEDAL_TO_S - 1, Posture.CYCLING) > 0.97
        assert share(PEDAL_TO_S + 8, 420 - 4, Posture.SITTING) > 0.95
        assert share(125, PEDAL_FROM_S - 1, Posture.SITTING) > 0.9

        bouts = service.store.bouts_between("ann", MONDAY_9, MONDAY_9 + timedelta(hours=1))
        (ride,) = [b for b in bouts if b.posture is Posture.CYCLING]
        assert abs((ride.start - MONDAY_9).total_seconds() - PEDAL_FROM_S) < 6
        assert abs((ride.end - MONDAY_9).total_seconds() - PEDAL_TO_S) < 6
