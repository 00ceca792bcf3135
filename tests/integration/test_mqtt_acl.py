"""A real Mosquitto with the files `sitless mqtt config` writes: each collector on its own topics.

The logins are made with the ``sitless mqtt`` commands themselves; the broker is the Debian
``mosquitto`` on a free port, configured only by what sitless generated.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode
from typer.testing import CliRunner

from service.auth.mosquitto import WEARER_READS, WEARER_WRITES, render_conf
from sitless.commands import mqttconf
from sitless.wire.topics import Kind, topic
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration
TIMEOUT_S = 10


class ConfiguredMosquitto(Mosquitto):
    """Mosquitto configured by the ``mosquitto.conf`` sitless renders, and nothing else.

    Its password file and ACL go in ``conf_dir``, inside the broker's own directory,
    which the broker can read after dropping to its own user.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conf_dir = self.dir / "conf"
        listener = f"{self.port} {self.host}"
        self.config_path.write_text(render_conf(str(self.conf_dir), listener=listener))


class Client:
    """A blocking paho MQTT 5 client for checking what the broker allows."""

    def __init__(self, port: int, username: str | None, password: str | None) -> None:
        self.paho = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        if username is not None:
            self.paho.username_pw_set(username, password)
        self.connected = threading.Event()
        self.connack: ReasonCode | None = None
        self.acks: dict[int, ReasonCode] = {}
        self.subacks: dict[int, list[ReasonCode]] = {}
        self.messages: list[tuple[str, bytes]] = []
        self.done = threading.Condition()
        self.paho.on_connect = self._on_connect
        self.paho.on_publish = self._on_publish
        self.paho.on_subscribe = self._on_subscribe
        self.paho.on_message = self._on_message
        self.paho.connect("127.0.0.1", port)
        self.paho.loop_start()
        assert self.connected.wait(TIMEOUT_S), "no CONNACK"

    def _on_connect(self, c: Any, u: Any, flags: Any, rc: ReasonCode, props: Any) -> None:
        self.connack = rc
        self.connected.set()

    def _on_publish(self, c: Any, u: Any, mid: int, rc: ReasonCode, props: Any) -> None:
        with self.done:
            self.acks[mid] = rc
            self.done.notify_all()

    def _on_subscribe(self, c: Any, u: Any, mid: int, rcs: list[ReasonCode], props: Any) -> None:
        with self.done:
            self.subacks[mid] = rcs
            self.done.notify_all()

    def _on_message(self, c: Any, u: Any, message: paho.MQTTMessage) -> None:
        with self.done:
            self.messages.append((message.topic, message.payload))
            self.done.notify_all()

    def publish(self, name: str, payload: bytes) -> ReasonCode:
        """Publish at QoS 1; the reason code of the broker's PUBACK."""
        mid = self.paho.publish(name, payload, qos=1).mid
        with self.done:
            assert self.done.wait_for(lambda: mid in self.acks, TIMEOUT_S), "no PUBACK"
            return self.acks[mid]

    def subscribe(self, name: str) -> ReasonCode:
        """Subscribe at QoS 1; the reason code of the broker's SUBACK."""
        _, mid = self.paho.subscribe(name, qos=1)
        with self.done:
            assert self.done.wait_for(lambda: mid in self.subacks, TIMEOUT_S), "no SUBACK"
            return self.subacks[mid][0]

    def received(self, count: int) -> list[tuple[str, bytes]]:
        """Wait for ``count`` messages in all; return them."""
        with self.done:
            self.done.wait_for(lambda: len(self.messages) >= count, TIMEOUT_S)
            return list(self.messages)

    def close(self) -> None:
        self.paho.disconnect()
        self.paho.loop_stop()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[tuple[Mosquitto, dict[str, str]]]:
    """A broker configured from logins for a service and two wearers made with `sitless mqtt`."""
    runner = CliRunner(env={"SITLESS_SERVICE__DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"})
    passwords = {}
    for args in (["service", "svc"], ["password", "ann-1"], ["password", "bob-1"]):
        done = runner.invoke(mqttconf.app, args)
        assert done.exit_code == 0, done.output
        passwords[args[1]] = done.stdout.strip()
    server = ConfiguredMosquitto()
    out = str(server.conf_dir)
    done = runner.invoke(mqttconf.app, ["config", "--out", out, "--broker-dir", out])
    assert done.exit_code == 0, done.output
    with server:
        yield server, passwords


def test_every_topic_kind_has_a_direction_for_collectors() -> None:
    assert set(Kind) == WEARER_WRITES | WEARER_READS
    assert not WEARER_WRITES & WEARER_READS


def test_a_collector_publishes_under_its_own_wearer_only(
    broker: tuple[Mosquitto, dict[str, str]],
) -> None:
    server, passwords = broker
    service = Client(server.port, "svc", passwords["svc"])
    ann = Client(server.port, "ann-1", passwords["ann-1"])
    try:
        assert service.subscribe("sitless/v1/+/posture").value == 1  # granted QoS 1
        assert service.subscribe("$share/svc/sitless/v1/+/ack").value == 1
        own = ann.publish(topic("ann-1", Kind.POSTURE), b"mine")
        other = ann.publish(topic("bob-1", Kind.POSTURE), b"as bob")
        outside = ann.publish("sitless/v1/_dead", b"noise")
        assert not own.is_failure
        assert other.is_failure and other.getName() == "Not authorized"
        assert outside.is_failure
        # The service sees ann's own message and nothing published as bob.
        assert ann.publish(topic("ann-1", Kind.ACK), b"ack").value == 0
        seen = service.received(2)
        assert ("sitless/v1/ann-1/posture", b"mine") in seen
        assert all(t.split("/")[2] == "ann-1" for t, _ in seen)
        # ann reads her prompts, never bob's, even subscribed to everything: Mosquitto
        # grants any subscription and checks each message against the ACL on delivery.
        bob = Client(server.port, "bob-1", passwords["bob-1"])
        try:
            assert bob.subscribe(topic("bob-1", Kind.PROMPT)).value == 1
            for name in (topic("ann-1", Kind.PROMPT), topic("bob-1", Kind.PROMPT), "#"):
                ann.subscribe(name)
            assert service.publish(topic("bob-1", Kind.PROMPT), b"for bob").value == 0
            assert service.publish(topic("ann-1", Kind.PROMPT), b"for ann").value == 0
            assert bob.received(1) == [("sitless/v1/bob-1/prompt", b"for bob")]
            got = ann.received(1)
            assert ("sitless/v1/ann-1/prompt", b"for ann") in got
            assert all(t.split("/")[2] == "ann-1" for t, _ in got)
        finally:
            bob.close()
    finally:
        ann.close()
        service.close()


def test_wrong_passwords_and_anonymous_clients_are_refused(
    broker: tuple[Mosquitto, dict[str, str]],
) -> None:
    server, passwords = broker
    for username, password in (("ann-1", passwords["bob-1"]), (None, None), ("eve", "x")):
        client = Client(server.port, username, password)
        try:
            assert client.connack is not None and client.connack.is_failure, username
        finally:
            client.close()
