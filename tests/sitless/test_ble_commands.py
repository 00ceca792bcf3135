"""``sitless scan``, ``collect`` and ``calibrate``, run as a user runs them."""

from __future__ import annotations

import asyncio
import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import typer
from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason
from typer.testing import CliRunner, Result

from collector.sources.simulator import Simulator, office_day
from sitless.commands import ble
from tests.integration.ble_rig import Spy, settle
from tests.servers import Mosquitto

app = typer.Typer()
app.command("scan")(ble.scan)
app.command("collect")(ble.collect)
app.command("calibrate")(ble.calibrate)
runner = CliRunner()


def config(tmp_path: Path) -> Path:
    path = tmp_path / "sitless.toml"
    path.write_text(
        "[collector]\n"
        f'outbox = "{tmp_path / "outbox.db"}"\n'
        f'calibrations = "{tmp_path / "calibrations.json"}"\n'
    )
    return path


def test_scan_explains_a_missing_adapter_or_lists_what_it_hears() -> None:
    """On a machine without Bluetooth (like CI) bleak fails to reach BlueZ: the command
    says what is missing and what to do; with an adapter it scans."""
    result = runner.invoke(app, ["scan", "--timeout", "0.5", "--no-battery"])
    if result.exit_code == 2:
        assert "No Bluetooth adapter is available here" in result.output
        assert "--emulate" in result.output
    else:
        assert result.exit_code == 0, result.output
        assert "address" in result.output


def test_bleak_errors_that_mean_no_bluetooth_are_explained() -> None:
    off = BleakBluetoothNotAvailableError(
        "adapter is off", BleakBluetoothNotAvailableReason.POWERED_OFF
    )
    assert ble.no_adapter(off) is not None
    assert "No Bluetooth adapter" in str(ble.no_adapter(FileNotFoundError(2, "no D-Bus")))
    assert ble.no_adapter(ValueError("something else")) is None


def test_scan_lists_emulated_sensors_with_driver_battery_and_prompt_ability() -> None:
    result = runner.invoke(app, ["scan", "--timeout", "0.6", "--emulate"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    rows = {
        line.split("│")[2].strip(): line
        for line in result.output.splitlines()
        if line.count("│") > 6
    }
    assert set(rows) == {
        "A0:9E:1A:00:00:10",
        "A0:9E:1A:00:00:11",
        "E4:11:5B:00:00:20",
        "0C:8C:DC:00:00:30",
        "D4:CA:6E:00:00:40",
        "C7:4A:11:00:00:50",
    }
    assert "polar" in rows["A0:9E:1A:00:00:10"] and "87%" in rows["A0:9E:1A:00:00:10"]
    assert "none (PMD has no output)" in rows["A0:9E:1A:00:00:10"]
    assert "LED text" in rows["E4:11:5B:00:00:20"] and "n/a" in rows["E4:11:5B:00:00:20"]
    assert "LED + tone" in rows["D4:CA:6E:00:00:40"]
    assert "csc" in rows["C7:4A:11:00:00:50"] and "none" in rows["C7:4A:11:00:00:50"]
    assert "sitless collect --sensor polar:A0:9E:1A:00:00:10" in result.output


async def test_collect_streams_emulated_sensors_to_the_broker(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    spy = Spy(mosquitto.port)
    async with spy.client:
        await spy.client.wait_connected(10)
        result = await _invoke(
            [
                "collect",
                "--config",
                str(config(tmp_path)),
                "--wearer",
                "bea",
                "--sensor",
                "polar:A0:9E:1A:00:00:10",
                "--sensor",
                "csc:C7:4A:11:00:00:50",
                "--broker",
                f"mqtt://127.0.0.1:{mosquitto.port}",
                "--emulate",
                "--speed",
                "200",
                "--for",
                "3m",
            ]
        )
        await settle()
    assert result.exit_code == 0, result.output
    assert "polar:A0:9E:1A:00:00:10 streams at 50 Hz" in result.output
    assert "epochs in" in result.output
    assert spy.events and {e.wearer for e in spy.events} == {"bea"}
    epochs = spy.epochs()
    assert 150 < len(epochs) <= 200, "about three minutes of 1-s epochs"
    assert [s.state for s in spy.statuses][-1] == "offline"


def test_collect_refuses_a_bad_sensor(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["collect", "--config", str(config(tmp_path)), "--sensor", "fitbit:AA"]
    )
    assert result.exit_code == 2
    assert "sensor kind 'fitbit' is unknown" in result.output


def test_calibrate_stores_the_orientation_of_the_standing_thigh(tmp_path: Path) -> None:
    """The emulated wearer stands first: the stored thigh axis is the simulator's own
    (a sample reads body @ orientation, and standing is body x up)."""
    result = runner.invoke(
        app,
        [
            "calibrate",
            "--config",
            str(config(tmp_path)),
            "--sensor",
            "polar:A0:9E:1A:00:00:10",
            "--emulate",
            "--speed",
            "20",
        ],
    )
    assert result.exit_code == 0, result.output
    stored = json.loads((tmp_path / "calibrations.json").read_text())["polar:A0:9E:1A:00:00:10"]
    truth = Simulator(office_day(), seed=0).orientation[0]
    angle = math.degrees(math.acos(float(np.clip(np.dot(stored["up"], truth), -1, 1))))
    assert angle < 10, angle
    calibration = ble.calibration_for(tmp_path / "calibrations.json", "polar:A0:9E:1A:00:00:10")
    assert calibration is not None and np.allclose(calibration.up, stored["up"])
    assert datetime.fromisoformat(stored["at"]).utcoffset() == timedelta(0)


async def _invoke(args: list[str]) -> Result:
    """Run the command on a thread: it runs its own event loop, as from a shell."""
    return await asyncio.to_thread(runner.invoke, app, args)
