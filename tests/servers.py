"""Real servers for the test run: Mosquitto and VictoriaMetrics on free loopback ports.

Each server lives in its own temporary directory and keeps its port for its whole
life, so a test can ``stop()`` it mid-stream and ``start()`` it again and clients
reconnect to the same address. VictoriaMetrics keeps its data directory across a
restart; Mosquitto runs without persistence.

The binaries come from the Debian packages ``mosquitto`` and ``victoria-metrics``;
``SITLESS_TEST_MOSQUITTO`` and ``SITLESS_TEST_VICTORIA_METRICS`` point at others.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0


class ServerMissing(RuntimeError):
    """A server binary the tests need is not installed."""


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def find_binary(name: str, env_var: str, *extra_dirs: str) -> str:
    """The path of ``name``: from ``env_var``, ``PATH`` or ``extra_dirs``; else raise."""
    override = os.environ.get(env_var)
    if override:
        if not os.access(override, os.X_OK):
            raise ServerMissing(f"{env_var}={override!r} is not an executable file")
        return override
    search = os.pathsep.join([os.environ.get("PATH", ""), *extra_dirs])
    found = shutil.which(name, path=search)
    if found is None:
        raise ServerMissing(
            f"{name} is not installed: install the test servers and run the tests the way"
            f" the README's test command does (or set {env_var} to the binary)"
        )
    return found


class _Server:
    """A child process bound to one loopback port; subclasses say how to run and probe it."""

    name = "server"

    def __init__(self, port: int | None = None) -> None:
        self.host = HOST
        self.port = port if port is not None else free_port()
        self._tmp = tempfile.TemporaryDirectory(prefix=f"sitless-{self.name}-")
        self.dir = Path(self._tmp.name)
        self.log_path = self.dir / f"{self.name}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _ready(self) -> bool:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Self:
        """Start the server (again) on the same port and wait until it answers."""
        if self.running:
            return self
        command = self._command()
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self._proc.returncode} while starting on port"
                    f" {self.port}:\n{self.log_tail()}"
                )
            if self._ready():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"{self.name} did not become ready on port {self.port} within"
            f" {START_TIMEOUT_S:.0f} s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Stop the server gracefully (SIGTERM), killing it if it does not exit in time."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def close(self) -> None:
        """Stop the server and remove its directory."""
        self.stop()
        self._tmp.cleanup()

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the server logged, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.host}:{self.port} running={self.running}>"


class Mosquitto(_Server):
    """A Mosquitto broker: anonymous, persistent sessions, one listener on ``host:port``."""

    name = "mosquitto"

    def __init__(self, port: int | None = None) -> None:
        self.binary = find_binary("mosquitto", "SITLESS_TEST_MOSQUITTO", "/usr/sbin")
        super().__init__(port)
        self.dir.chmod(0o777)  # run as root, mosquitto drops to its own user to write here
        self.config_path = self.dir / "mosquitto.conf"
        self.config_path.write_text(
            f"listener {self.port} {self.host}\n"
            "allow_anonymous true\n"
            # Persistent sessions survive a restart, as on a production broker.
            "persistence true\n"
            f"persistence_location {self.dir}/\n"
            "max_queued_messages 100000\n"
            "set_tcp_nodelay true\n"
            "log_dest stderr\n"
        )

    def _command(self) -> list[str]:
        return [self.binary, "-c", str(self.config_path)]

    def _ready(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return True
        except OSError:
            return False


class VictoriaMetrics(_Server):
    """A single-node VictoriaMetrics; its data directory survives ``stop()``/``start()``."""

    name = "victoria-metrics"

    def __init__(self, port: int | None = None) -> None:
        self.binary = find_binary("victoria-metrics", "SITLESS_TEST_VICTORIA_METRICS")
        super().__init__(port)
        self.data_dir = self.dir / "data"

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8428``."""
        return f"http://{self.host}:{self.port}"

    def _command(self) -> list[str]:
        return [
            self.binary,
            f"-httpListenAddr={self.host}:{self.port}",
            f"-storageDataPath={self.data_dir}",
            "-retentionPeriod=100y",
        ]

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=0.5) as response:
                return bool(response.status == 200 and response.read().strip() == b"OK")
        except (OSError, urllib.error.URLError):
            return False

    def force_flush(self) -> None:
        """Make everything ingested so far visible to queries and exports."""
        with urllib.request.urlopen(f"{self.url}/internal/force_flush", timeout=10) as response:
            response.read()
