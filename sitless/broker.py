"""An in-process MQTT broker (amqtt) for ``sitless demo`` when no broker is configured."""

from __future__ import annotations

import logging
import socket
from types import TracebackType

from amqtt.broker import Broker

from sitless.mqtt import BrokerUrl


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class EmbeddedBroker:
    """amqtt on loopback, anonymous, for one process's lifetime."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.url = BrokerUrl(host, port or free_port(host))
        self._broker = Broker(
            {
                "listeners": {"default": {"type": "tcp", "bind": f"{host}:{self.url.port}"}},
                "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {}},
            }
        )
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)

    async def __aenter__(self) -> EmbeddedBroker:
        await self._broker.start()
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._broker.shutdown()
