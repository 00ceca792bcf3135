"""The Bluetooth link over emulated devices, through bleak's real BleakClient and BleakScanner."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService
from bleak_retry_connector import BleakClientWithServiceCache, establish_connection

from collector.emulator import (
    CadenceSensor,
    Corrupt,
    Feed,
    Lose,
    MicroBitDevice,
    MovesenseDevice,
    Peripheral,
    PolarH10,
    ThingyDevice,
    VeritySense,
    VirtualClock,
    World,
)
from collector.emulator.gatt import EmulatedClient, EmulatedScanner
from collector.link import Backoff, BleakGatt, ClockMap, Link, SensorSet
from collector.sensors import SensorSpec, identify
from collector.sensors.driver import Reply, sig_uuid
from collector.sensors.polar_pmd import PMD_CONTROL, Op, PolarPmd
from collector.sensors.thingy52 import LED_BREATHE_RED, SPEAKER_DATA, TONE_440HZ, UI_LED
from collector.sources import Samples, Segment, Simulator
from sitless.wire import Posture, Prompt

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# The bleak release whose backend interface collector.emulator implements (§8.3: the
# backend API is not part of bleak's stable API).
BLEAK_SERIES = "3.1."


def walk_then_sit(rate_hz: float = 50.0, seed: int = 0) -> Simulator:
    return Simulator(
        [Segment(Posture.WALKING, 60), Segment(Posture.SITTING, 600)], rate_hz=rate_hz, seed=seed
    )


def options(world: World) -> dict[str, Any]:
    return {
        "clock": world.clock,
        "scanner_backend": world.scanner_backend,
        "client_backend": world.client_backend,
        "backoff": Backoff(min_s=0.02, max_s=0.2),
        "scan_timeout_s": 0.1,
    }


async def stream_for(
    world: World, specs: Sequence[str], data_s: float
) -> tuple[SensorSet, list[Samples]]:
    """Run a SensorSet until the virtual clock passes ``data_s``; its samples."""
    sensors = SensorSet(
        [SensorSpec.parse(s) for s in specs], t0=world.clock.start, **options(world)
    )
    chunks: list[Samples] = []
    async with sensors:
        await sensors.ready(10)

        async def stop() -> None:
            await world.clock.sleep_until(data_s)
            sensors.close()

        stopper = asyncio.create_task(stop())
        async for item in sensors.stream():
            if isinstance(item, Samples):
                chunks.append(item)
        await stopper
    return sensors, chunks


def test_the_bleak_backend_interface_is_the_one_the_emulator_implements() -> None:
    """Fails when bleak changes what a backend must provide; then update the emulator."""
    assert version("bleak").startswith(BLEAK_SERIES), version("bleak")
    assert BaseBleakClient.__abstractmethods__ == {
        "connect",
        "disconnect",
        "pair",
        "unpair",
        "is_connected",
        "mtu_size",
        "read_gatt_char",
        "read_gatt_descriptor",
        "write_gatt_char",
        "write_gatt_descriptor",
        "start_notify",
        "stop_notify",
    }
    assert BaseBleakScanner.__abstractmethods__ == {"start", "stop"}
    assert not EmulatedClient.__abstractmethods__
    assert not EmulatedScanner.__abstractmethods__

    def params(fn: Callable[..., Any]) -> list[str]:
        return list(inspect.signature(fn).parameters)

    assert params(BaseBleakClient.__init__) == [
        "self",
        "address_or_ble_device",
        "disconnected_callback",
        "timeout",
        "kwargs",
    ]
    assert params(BaseBleakClient.connect) == ["self", "pair", "kwargs"]
    assert params(BaseBleakClient.write_gatt_char) == ["self", "characteristic", "data", "response"]
    assert params(BaseBleakClient.start_notify) == ["self", "characteristic", "callback", "kwargs"]
    assert params(BaseBleakScanner.__init__) == ["self", "detection_callback", "service_uuids"]
    assert params(BaseBleakScanner.create_or_update_device) == [
        "self",
        "key",
        "address",
        "name",
        "details",
        "adv",
    ]
    assert params(BleakGATTService.__init__) == ["self", "obj", "handle", "uuid"]
    assert params(BleakGATTCharacteristic.__init__) == [
        "self",
        "obj",
        "handle",
        "uuid",
        "properties",
        "max_write_without_response_size",
        "service",
    ]
    assert AdvertisementData._fields == (
        "local_name",
        "manufacturer_data",
        "service_data",
        "service_uuids",
        "tx_power",
        "rssi",
        "platform_data",
    )
    assert "backend" in inspect.signature(BleakClient.__init__).parameters
    assert "backend" in inspect.signature(BleakScanner.__init__).parameters


async def test_bleak_client_runs_the_pmd_command_sequence_on_an_emulated_h10() -> None:
    """§8.3's verification run, with our driver: features, settings, start, frames."""
    world = World(VirtualClock(START, speed=20))
    world.add(PolarH10("A0:9E:1A:00:00:10", feed=Feed(walk_then_sit())))
    found = await BleakScanner.discover(
        timeout=0.05,
        return_adv=True,
        service_uuids=[sig_uuid(0x180D)],
        backend=world.scanner_backend,
    )
    ((device, adv),) = found.values()
    assert adv.local_name == "Polar H10 1A000010"
    client = await establish_connection(
        BleakClientWithServiceCache, device, "h10", backend=world.client_backend
    )
    assert client.backend_id == "EmulatedClient"
    frames: list[bytes] = []
    driver = PolarPmd(rate_hz=50)
    gatt = BleakGatt(client, lambda char, data: frames.append(bytes(data)))
    try:
        assert bytes(await client.read_gatt_char(PMD_CONTROL))[:3] == bytes.fromhex("0f 05 00")
        # BleakGatt hands indications to whoever asked; here we parse them ourselves.
        task = asyncio.create_task(driver.start(gatt))
        while not task.done():
            while frames:
                for reply in driver.parse(PMD_CONTROL, frames.pop(0), 0.0):
                    assert isinstance(reply, Reply)
                    gatt.deliver(reply)
            await asyncio.sleep(0.001)
        assert await task == 50.0
        assert driver.settings is not None and driver.settings.range_g == 8
    finally:
        await client.disconnect()
    assert not client.is_connected


async def test_the_scanner_filter_needs_the_full_uuid() -> None:
    """§8.2: bleak compares lower-case strings unnormalized; "180d" matches nothing."""
    world = World(VirtualClock(START))
    world.add(PolarH10("A0:9E:1A:00:00:10"))
    short = await BleakScanner.discover(
        timeout=0.05, service_uuids=["180d"], backend=world.scanner_backend
    )
    full = await BleakScanner.discover(
        timeout=0.05, service_uuids=[sig_uuid(0x180D).upper()], backend=world.scanner_backend
    )
    assert short == []
    assert [d.name for d in full] == ["Polar H10 1A000010"]


@pytest.mark.parametrize(
    ("kind", "device", "rate_hz"),
    [
        ("polar", PolarH10("A0:9E:1A:00:00:10", feed=Feed(walk_then_sit(50))), 50.0),
        ("polar", VeritySense("A0:9E:1A:00:00:11", feed=Feed(walk_then_sit(52))), 52.0),
        ("microbit", MicroBitDevice("E4:11:5B:00:00:20", feed=Feed(walk_then_sit(50))), 50.0),
        ("movesense", MovesenseDevice("0C:8C:DC:00:00:30", feed=Feed(walk_then_sit(52))), 52.0),
        ("thingy", ThingyDevice("D4:CA:6E:00:00:40", feed=Feed(walk_then_sit(50))), 50.0),
    ],
    ids=["h10", "verity-compressed", "microbit", "movesense", "thingy"],
)
async def test_every_accelerometer_driver_streams_from_its_emulated_device(
    kind: str, device: Peripheral, rate_hz: float
) -> None:
    world = World(VirtualClock(START, speed=30))
    world.add(device)
    sensors, chunks = await stream_for(world, [f"{kind}:{device.address}"], 36.0)
    link = sensors.links[sensors.primary]
    assert link.rate_hz == rate_hz
    assert link.stats.frame_errors.total() == 0
    assert link.stats.dropped_samples == 0
    t = np.concatenate([c.t for c in chunks])
    accel = np.concatenate([c.accel_g for c in chunks])
    assert (np.diff(t) > 0).all()
    assert len(t) > 20 * rate_hz
    assert np.median(np.diff(t)) == pytest.approx(1 / rate_hz, rel=0.05)
    # The samples are a contiguous run of the simulator's, in g, none lost or repeated,
    # and each is mapped onto the host clock close to when the simulator made it.
    truth = np.concatenate([c.accel_g for c in walk_then_sit(rate_hz).chunks(10.0)])
    first = int(np.argmin(np.linalg.norm(truth - accel[0], axis=1)))
    expected = truth[first : first + len(accel)]
    bad = np.flatnonzero(~np.isclose(accel, expected, atol=0.002).all(axis=1))
    assert bad.size == 0, (bad[:5], len(accel), accel[bad[:3]], expected[bad[:3]], t[bad[:3]])
    assert t[0] == pytest.approx(first / rate_hz, abs=0.25)
    assert t[-1] < world.clock.elapsed()


async def test_h10_timestamps_count_lost_frames() -> None:
    """Three lost 36-sample frames leave a 2.16 s hole in device time: 108 samples."""
    world = World(VirtualClock(START, speed=30))
    h10 = world.add(
        PolarH10("A0:9E:1A:00:00:10", feed=Feed(walk_then_sit()), script=[Lose(20.0, 3)])
    )
    sensors, chunks = await stream_for(world, ["polar:A0:9E:1A:00:00:10"], 32.0)
    link = sensors.links[sensors.primary]
    assert h10.lost == 3
    assert link.stats.dropped_samples == 3 * 36
    t = np.concatenate([c.t for c in chunks])
    assert np.max(np.diff(t)) == pytest.approx(3 * 0.72 + 0.02, abs=0.01)


async def test_samples_lost_from_a_clockless_device_are_inferred_from_arrivals() -> None:
    """A micro:bit sends no timestamp: 150 lost notifications (3 s) show as arrivals
    running late by 3 s for longer than the envelope window."""
    world = World(VirtualClock(START, speed=15))
    bit = world.add(
        MicroBitDevice("E4:11:5B:00:00:20", feed=Feed(walk_then_sit()), script=[Lose(20.0, 150)])
    )
    sensors, _ = await stream_for(world, ["microbit:E4:11:5B:00:00:20"], 40.0)
    link = sensors.links[sensors.primary]
    assert bit.lost == 150
    assert 140 <= link.stats.dropped_samples <= 160


def test_clock_map_follows_drift_and_keeps_order() -> None:
    """A device clock 200 ppm fast, latencies of 5-80 ms: after settling the mapped time
    of each frame's last sample is within 20 ms of the 5 ms latency floor, and the offset
    never moves faster than it may."""
    rng = np.random.default_rng(1)
    clock = ClockMap()
    errors, offsets = [], []
    for k in range(1, 5000):
        true_s = 1_000_000.0 + 0.72 * k
        dev_s = 5_000.0 + 0.72 * k * (1 + 200e-6)
        host_s = true_s + rng.uniform(0.005, 0.08)
        offset = clock.update(dev_s, host_s)
        offsets.append(offset)
        if k > 200:
            errors.append(dev_s + offset - true_s)
    assert max(np.abs(errors)) < 0.025
    assert np.max(np.abs(np.diff(offsets[20:]))) <= 1e-3 * 0.72 * (1 + 200e-6) + 1e-9
    assert clock.steps == 0


def test_clock_map_steps_when_the_device_clock_is_set() -> None:
    """Set forward, arrivals are suddenly early: that cannot be latency, so it steps at
    once. Set back, they look late: only when that lasts the whole window."""
    clock = ClockMap()
    for k in range(100):
        clock.update(1000.0 + k, 5000.0 + k)
    assert clock.update(9000.0, 5100.0) == pytest.approx(5100.0 - 9000.0)
    assert clock.steps == 1
    for k in range(1, 100):
        offset = clock.update(100.0 + k, 5100.0 + k)
        if k < 55:
            assert offset == pytest.approx(5100.0 - 9000.0, abs=0.1)
    assert clock.steps == 2
    assert offset == pytest.approx(5000.0, abs=1e-6)


def test_a_full_queue_counts_overflow_instead_of_blocking_the_callback() -> None:
    link = Link(
        SensorSpec("polar", "A0:9E:1A:00:00:10"),
        PolarPmd(),
        t0_s=0.0,
        emit=lambda e: None,
        queue_size=2,
    )
    for _ in range(5):
        link._notified("x", bytearray(b"\x00"))
    assert link.stats.overflow == 3


def test_backoff_grows_caps_and_respects_bleak_advice() -> None:
    from bleak.exc import BleakDeviceNotFoundError

    backoff = Backoff(min_s=1.0, max_s=30.0, jitter=0.0)
    assert [backoff.delay(a) for a in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    # bleak-retry-connector waits 4 s after "device not found" (out of slots, maybe).
    assert Backoff(min_s=0.1, jitter=0.0).delay(0, BleakDeviceNotFoundError("x", "gone")) == 4.0


async def test_thingy_signals_a_prompt_with_led_and_tone() -> None:
    world = World(VirtualClock(START, speed=20))
    thingy = world.add(ThingyDevice("D4:CA:6E:00:00:40", feed=Feed(walk_then_sit())))
    sensors = SensorSet([SensorSpec.parse("thingy:D4:CA:6E:00:00:40")], t0=START, **options(world))
    async with sensors:
        await sensors.ready(10)
        sensors.signal(prompt())
        for _ in range(100):
            if thingy.written(SPEAKER_DATA):
                break
            await asyncio.sleep(0.01)
    assert thingy.written(UI_LED) == [LED_BREATHE_RED]
    assert thingy.written(SPEAKER_DATA) == [TONE_440HZ]
    assert sensors.signals == {"thingy:D4:CA:6E:00:00:40": 1}


async def test_battery_heart_rate_and_cadence_sensors_report_through_the_set() -> None:
    world = World(VirtualClock(START, speed=30))
    world.add(PolarH10("A0:9E:1A:00:00:10", feed=Feed(walk_then_sit()), battery_pct=77))
    world.add(VeritySense("A0:9E:1A:00:00:11", bpm=64))
    world.add(CadenceSensor("C7:4A:11:00:00:50", rpm=90.0))
    sensors, _ = await stream_for(
        world,
        ["polar:A0:9E:1A:00:00:10", "hr:A0:9E:1A:00:00:11", "csc:C7:4A:11:00:00:50"],
        25.0,
    )
    assert sensors.battery_pct == 77
    assert sensors.heart_rate is not None and sensors.heart_rate.bpm == 64
    assert sensors.heart_rate.rr_s == (round(60 / 64 * 1024) / 1024,)
    rpms = [rpm for _, rpm in sensors.cadence.readings]
    assert len(rpms) > 10
    assert np.allclose(rpms, 90.0, atol=0.1), "event times are 1/1024 s ticks"


async def test_a_stream_the_device_stops_by_itself_is_started_again() -> None:
    """§1.5: an unsolicited ``01 02`` on the control point means the device stopped ACC.
    The driver starts it again; this emulated strap, still streaming, answers "already
    in state", so the driver stops and starts it (§1.2 step 7)."""
    world = World(VirtualClock(START, speed=30))
    stopped = Corrupt(20.0, bytes.fromhex("01 02"), char=PMD_CONTROL)
    h10 = world.add(PolarH10("A0:9E:1A:00:00:10", feed=Feed(walk_then_sit()), script=[stopped]))
    sensors, chunks = await stream_for(world, ["polar:A0:9E:1A:00:00:10"], 30.0)
    commands = [data[0] for data in h10.written(PMD_CONTROL)]
    restart = [Op.GET_SETTINGS, Op.START, Op.STOP, Op.START]
    assert commands == [Op.GET_SETTINGS, Op.START, *restart, Op.STOP], "and STOP at the end"
    assert sensors.links[sensors.primary].stats.connects == 1
    assert chunks[-1].t[-1] > 25.0, "samples keep coming after the restart"


async def test_no_bluetooth_stack_ends_the_link_instead_of_retrying_forever() -> None:
    """On Linux without a system D-Bus, bleak's scanner fails with FileNotFoundError:
    nothing a retry can fix, so ``ready`` raises it (``sitless collect`` explains it)."""
    world = World(VirtualClock(START))

    class NoDbusScanner(EmulatedScanner):
        async def start(self) -> None:
            raise FileNotFoundError(2, "No such file or directory")

    NoDbusScanner.world = world
    sensors = SensorSet(
        [SensorSpec.parse("polar:A0:9E:1A:00:00:10")],
        t0=START,
        **{**options(world), "scanner_backend": NoDbusScanner},
    )
    async with sensors:
        with pytest.raises(FileNotFoundError):
            await sensors.ready(5)
    assert sensors.links[sensors.primary].stats.failed_connects == 0


def test_advertisements_identify_the_driver() -> None:
    assert identify("Polar H10 1A000010", [sig_uuid(0x180D)]) == "polar"
    assert identify("Polar H9 1234", [sig_uuid(0x180D)]) == "hr"
    assert identify("BBC micro:bit [tupov]", []) == "microbit"
    assert identify("Movesense 174630000192", []) == "movesense"
    assert identify(None, ["ef680100-9b35-4933-9b10-52ffa9740042"]) == "thingy"
    assert identify("CADENCE", [sig_uuid(0x1816)]) == "csc"
    assert identify("Some lamp", []) is None


def prompt() -> Prompt:
    return Prompt(
        wearer="ann",
        device="thigh-1",
        id="ann/x/1/0",
        rule="x",
        routine="hip-flexor-reset",
        title="Time to stand up",
        message="m",
        posture=Posture.SITTING,
        bout_start=START,
        at=START,
    )
