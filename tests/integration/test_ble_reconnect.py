"""A Bluetooth link that drops mid-stream and comes back: reconnect, gap, no duplicates.

On a broker of its own: the gap it leaves in the retained status is no other test's.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from collector.emulator import Corrupt, Drop, Feed, PolarH10
from collector.sources import Segment, Simulator
from sitless.wire import Posture
from tests.integration.ble_rig import MONDAY_9, Spy, collecting, new_world, run_until, settle
from tests.integration.conftest import RunService
from tests.servers import Mosquitto

H10 = "A0:9E:1A:00:00:10"
TIMELINE = (
    Segment(Posture.WALKING, 120),
    Segment(Posture.SITTING, 420),
    Segment(Posture.STANDING, 60),
    Segment(Posture.WALKING, 60),
)
DROP_AT_S, DOWN_S = 300.0, 90.0
# A truncated frame, a frame of another measurement type (ECG), and a compressed frame
# whose delta width is impossible for 16-bit samples.
BAD_FRAMES = (
    Corrupt(200.0, bytes.fromhex("02 00 94 35 77 00 00 00 00 01 F7 FF FF")),
    Corrupt(210.0, bytes.fromhex("00 00 94 35 77 00 00 00 00 00 01 02 03")),
    Corrupt(220.0, bytes.fromhex("02 65 00 00 00 00 00 00 00 81 F1 FF 14 00 F0 03 1F 01 7B 0F 08")),
)
SPEED = 150.0


async def test_a_dropped_link_reconnects_reports_the_gap_and_never_repeats_an_epoch(
    own_mosquitto: Mosquitto, run_service: RunService, tmp_path: Path
) -> None:
    sim = Simulator(TIMELINE, rate_hz=50, seed=4)
    world = new_world(SPEED)
    h10 = world.add(PolarH10(H10, feed=Feed(sim), script=[*BAD_FRAMES, Drop(DROP_AT_S, DOWN_S)]))
    spy = Spy(own_mosquitto.port)
    async with (
        spy.client,
        run_service(own_mosquitto.port, timezone="UTC") as service,
        collecting(world, [f"polar:{H10}"], own_mosquitto.port, tmp_path / "outbox.db") as rig,
    ):
        await spy.client.wait_connected(10)
        await run_until(rig, sim.duration_s - 5)
        await settle()
        assert service.ingest is not None
        await service.ingest.drain()

        link = rig.sensors.links[rig.sensors.primary]
        assert h10.connections == 2
        assert link.stats.connects == 2
        assert link.stats.disconnects >= 1
        assert link.stats.failed_connects >= 1, "it looked for the strap while it was away"
        assert dict(link.stats.frame_errors) == {
            "truncated": 1,
            "wrong_type": 1,
            "bad_delta_width": 1,
        }
        assert link.stats.out_of_order == 0
        assert rig.collector.gaps == 1

        # No epoch twice, none out of order, none inside the gap; seqs only grow.
        seqs = [e.seq for e in spy.events]
        assert seqs == sorted(set(seqs))
        epochs = spy.epochs()
        starts = [at for at, _ in epochs]
        assert starts == sorted(set(starts))
        (status,) = [s for s in spy.statuses if s.gap_start is not None][:1]
        assert status.gap_start is not None and status.gap_end is not None
        gap_start_s = (status.gap_start - MONDAY_9).total_seconds()
        gap_end_s = (status.gap_end - MONDAY_9).total_seconds()
        assert abs(gap_start_s - DROP_AT_S) < 2
        assert DOWN_S <= gap_end_s - gap_start_s < DOWN_S + 30
        second = timedelta(seconds=1)
        inside = [at for at in starts if status.gap_start <= at and at + second <= status.gap_end]
        assert inside == []
        states = [s.state for s in spy.statuses]
        assert "offline" in states[1:] and states.index("offline") < len(states) - 1

        # The service stored the gap, and no bout runs through it.
        (gap,) = service.store.gaps_between("ann", MONDAY_9, MONDAY_9 + timedelta(hours=1))
        assert (gap.device, gap.start, gap.end) == ("thigh-1", status.gap_start, status.gap_end)
        bouts = service.store.bouts_between("ann", MONDAY_9, MONDAY_9 + timedelta(hours=1))
        assert not [b for b in bouts if b.start < gap.start and b.end > gap.end]
        sitting = [b for b in bouts if b.posture is Posture.SITTING]
        assert len(sitting) >= 2, "the sitting before the gap and the sitting after it"
        assert abs((sitting[0].end - gap.start).total_seconds()) < 3
        sat_s = sum((b.end - b.start).total_seconds() for b in sitting)
        assert 420 - DOWN_S - 40 < sat_s < 420 - DOWN_S + 5, "the gap is not counted as sitting"
