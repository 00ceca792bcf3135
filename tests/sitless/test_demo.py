"""``sitless demo`` as a newcomer runs it: a real process, embedded or real broker."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from typing import Any

from sitless.broker import free_port
from tests.servers import Mosquitto

DEMO = [sys.executable, "-m", "sitless.cli", "demo", "--no-web", "--speed", "20000"]


def _run(*args: str) -> dict[str, Any]:
    done = subprocess.run([*DEMO, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def _check_first_100_minutes(summary: dict[str, Any]) -> None:
    # The bundled day sits 08:42-09:38 and from 09:43 on: one 45-minute crossing at 09:27,
    # and the wearer stands up 11 minutes later, past the 10-minute window.
    assert summary["wearer"] == "demo"
    assert [(p["rule"], p["routine"], p["answered"]) for p in summary["prompts"]] == [
        ("long-sitting", "hip-flexor-reset", False)
    ]
    assert "T09:27" in summary["prompts"][0]["at"]
    assert 54 <= summary["longest_bout_min"] <= 58
    assert 70 <= summary["sitting_min"] <= 90
    assert summary["breaks"] >= 1


def test_demo_on_the_embedded_broker_prints_a_json_summary() -> None:
    _check_first_100_minutes(_run("--for", "100m", "--json"))


def test_demo_uses_a_given_broker(mosquitto: Mosquitto) -> None:
    summary = _run("--for", "100m", "--json", "--broker", f"mqtt://127.0.0.1:{mosquitto.port}")
    _check_first_100_minutes(summary)


def test_demo_serves_the_dashboard_and_stops_cleanly_on_ctrl_c() -> None:
    port = free_port()
    command = [*DEMO, "--web", "--port", str(port), "--for", "100m", "--keep"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        banner = ""
        while "day=" not in banner:  # "dashboard: http://...?wearer=demo&day=YYYY-MM-DD"
            banner = proc.stderr.readline()
            assert banner, "the demo ended before printing the dashboard link"
        day_url = f"http://127.0.0.1:{port}/api/v1/wearers/demo/days/{banner.split('day=')[1][:10]}"
        day: dict[str, Any] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (day.get("prompts") and day["sitting_min"] > 45):
            time.sleep(0.3)
            try:
                with urllib.request.urlopen(day_url) as r:
                    day = json.load(r)
            except OSError:
                continue
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as r:
            page = r.read().decode()
        assert "<title>sitless</title>" in page
        assert day["prompts"] and day["sitting_min"] > 45
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
