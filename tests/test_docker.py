"""The self-hosting files: the compose file is valid and wires the service to its parts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

DOCKER = Path(__file__).resolve().parents[1] / "docker"


def test_compose_file_validates_with_docker_compose() -> None:
    done = subprocess.run(
        ["docker-compose", "--env-file", str(DOCKER / "sitless.env.example"),
         "-f", str(DOCKER / "compose.yaml"), "config"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    assert set(config["services"]) == {"mosquitto", "influxdb", "sitless"}
    env = config["services"]["sitless"]["environment"]
    assert env["SITLESS_MQTT__URL"].startswith("mqtt://")
    assert env["SITLESS_SERVICE__INFLUX__URL"] == "http://influxdb:8086"
    assert env["SITLESS_SERVICE__INFLUX__TOKEN"] == "change-me-to-a-long-random-token"


def test_the_broker_config_keeps_sessions_and_sends_without_delay() -> None:
    lines = {line.split()[0]: line.split()[1:] for line in
             (DOCKER / "mosquitto.conf").read_text().splitlines() if line and line[0] != "#"}
    assert lines["persistence"] == ["true"]
    assert lines["set_tcp_nodelay"] == ["true"]
    assert lines["allow_anonymous"] == ["false"]
