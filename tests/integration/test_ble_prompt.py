"""A prompt from the service reaches the wearable: the emulated micro:bit scrolls it."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from collector.emulator import Feed, MicroBitDevice
from collector.sensors.microbit import LED_TEXT, led_text
from collector.sources import Segment, Simulator
from sitless.wire import Posture
from tests.integration.ble_rig import Spy, collecting, new_world, run_until, settle
from tests.integration.conftest import RunService
from tests.servers import Mosquitto

ROOT = Path(__file__).resolve().parents[2]
MICROBIT = "E4:11:5B:00:00:20"
# Two minutes of sitting prompt once; the bout is too short for a second prompt even if
# the classifier split it.
TIMELINE = (Segment(Posture.WALKING, 120), Segment(Posture.SITTING, 210))
SHORT_SITTING = """
triggers:
  short-sitting:
    title: Time to stand up
    message: You have been sitting for two minutes.
    posture: sitting
    kind: ongoing
    min_minutes: 2
    routine: hip-flexor-reset
"""
SPEED = 100.0


def rules_with_short_sitting(folder: Path) -> Path:
    folder.mkdir()
    (folder / "triggers.yaml").write_text(SHORT_SITTING)
    shutil.copy(ROOT / "rules" / "routines.yaml", folder / "routines.yaml")
    return folder


async def test_the_microbit_scrolls_the_prompt_the_service_sends(
    mosquitto: Mosquitto, run_service: RunService, tmp_path: Path
) -> None:
    sim = Simulator(TIMELINE, rate_hz=50, seed=8)
    world = new_world(SPEED)
    # Its axes read gravity with the other sign: the unverified reading of §2.5.
    microbit = world.add(MicroBitDevice(MICROBIT, feed=Feed(sim), axis_sign=-1.0))
    rules = rules_with_short_sitting(tmp_path / "rules")
    spy = Spy(mosquitto.port)
    async with (
        spy.client,
        run_service(mosquitto.port, timezone="UTC", rules=rules),
        collecting(world, [f"microbit:{MICROBIT}"], mosquitto.port, tmp_path / "outbox.db") as rig,
    ):
        await spy.client.wait_connected(10)
        assert rig.sensors.rate_hz == 50.0, "period 20 ms, read back after writing"
        assert microbit.written(LED_TEXT) == []
        await run_until(rig, sim.duration_s - 5)
        await settle()
        for _ in range(50):
            if microbit.led_texts:
                break
            await asyncio.sleep(0.05)

        (prompt,) = spy.prompts
        assert prompt.rule == "short-sitting"
        assert prompt.posture is Posture.SITTING
        assert microbit.led_texts == ["Time to stand up"]
        assert microbit.written(LED_TEXT) == [led_text(prompt.title)]
        assert rig.sensors.signals == {f"microbit:{MICROBIT}": 1}
        link = rig.sensors.links[rig.sensors.primary]
        assert link.stats.frame_errors.total() == 0
