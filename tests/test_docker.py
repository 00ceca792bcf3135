"""The self-hosting files: the compose file is valid and wires the service to its parts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

DOCKER = Path(__file__).resolve().parents[1] / "docker"


def test_compose_file_validates_with_docker_compose() -> None:
    done = subprocess.run(
        [
            "docker-compose",
            "--env-file",
            str(DOCKER / "sitless.env.example"),
            "-f",
            str(DOCKER / "compose.yaml"),
            "config",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    services = config["services"]
    assert set(services) == {"mosquitto", "influxdb", "postgres", "sitless", "grafana"}
    env = services["sitless"]["environment"]
    assert env["SITLESS_MQTT__URL"].startswith("mqtt://")
    assert env["SITLESS_SERVICE__INFLUX__URL"] == "http://influxdb:8086"
    assert env["SITLESS_SERVICE__INFLUX__TOKEN"] == "change-me-to-a-long-random-token"
    assert env["SITLESS_SERVICE__DATABASE_URL"] == (
        "postgresql+psycopg://sitless:change-me-too@postgres/sitless"
    )
    grafana_env = services["grafana"]["environment"]
    assert grafana_env["INFLUXDB_TOKEN"] == env["SITLESS_SERVICE__INFLUX__TOKEN"]

    def mounts(service: str) -> dict[str, str]:
        """Files and folders of docker/ bound into ``service``: name -> path inside."""
        pairs = (v.split(":")[:2] for v in services[service]["volumes"])
        return {Path(src).name: dst for src, dst in pairs if src.startswith("/")}

    assert mounts("grafana") == {
        "provisioning": "/etc/grafana/provisioning",
        "dashboards": "/var/lib/grafana/dashboards",
    }
    assert mounts("mosquitto") == {
        "mosquitto.conf": "/mosquitto/config/mosquitto.conf",
        "passwd": "/mosquitto/config/passwd",
        "acl": "/mosquitto/config/acl",
    }
    assert mounts("influxdb") == {"influxdb": "/docker-entrypoint-initdb.d"}
    assert mounts("postgres") == {"postgres": "/docker-entrypoint-initdb.d"}
    for folder in ("grafana/provisioning", "grafana/dashboards", "influxdb", "postgres"):
        assert (DOCKER / folder).is_dir(), folder


def test_the_broker_config_keeps_sessions_and_sends_without_delay() -> None:
    lines = {
        line.split()[0]: line.split()[1:]
        for line in (DOCKER / "mosquitto.conf").read_text().splitlines()
        if line and line[0] != "#"
    }
    assert lines["persistence"] == ["true"]
    assert lines["set_tcp_nodelay"] == ["true"]
    assert lines["allow_anonymous"] == ["false"]
    # The files `sitless mqtt config` writes, where compose mounts them.
    assert lines["password_file"] == ["/mosquitto/config/passwd"]
    assert lines["acl_file"] == ["/mosquitto/config/acl"]


def test_the_init_scripts_are_valid_shell() -> None:
    for script in (*DOCKER.glob("influxdb/*.sh"), *DOCKER.glob("postgres/*.sh")):
        done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert done.returncode == 0, (script, done.stderr)
        assert script.stat().st_mode & 0o111, f"{script} is not executable"
