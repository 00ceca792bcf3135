"""``sitless serve`` as an operator runs it: configured by file and environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sitless.broker import free_port
from tests.servers import Mosquitto

SERVE = [sys.executable, "-m", "sitless.cli", "serve"]


def test_serve_starts_from_config_and_environment_and_reports_healthy(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    port = free_port()
    config = tmp_path / "sitless.toml"
    config.write_text(f'[service]\ndatabase_url = "sqlite:///{tmp_path}/var/s.db"\nport = 1\n')
    env = {
        **os.environ,
        "SITLESS_MQTT__URL": f"mqtt://127.0.0.1:{mosquitto.port}",
        "SITLESS_SERVICE__PORT": str(port),
        "SITLESS_SERVICE__CLIENT_ID": tmp_path.name,
    }
    proc = subprocess.Popen(
        [*SERVE, "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = None
        for _ in range(100):
            time.sleep(0.1)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as r:
                    health = json.load(r)
                if health["mqtt_connected"]:
                    break
            except OSError:
                continue
        assert health is not None and health["status"] == "ok", health
        assert (tmp_path / "var" / "s.db").exists()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err


def test_serve_refuses_a_bad_config_listing_every_problem(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[service]\ntimezone = "Nowhere/Land"\nport = 70000\n')
    done = subprocess.run(
        [*SERVE, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SITLESS_MQTT__URL": "ftp://x"},
    )
    assert done.returncode == 2
    assert "3 problem(s)" in done.stderr
    for needle in ("service.timezone", "service.port", "mqtt.url"):
        assert needle in done.stderr
