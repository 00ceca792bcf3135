"""The only bridge to paho-mqtt: an asyncio-friendly client both sides use.

paho runs its network loop on its own thread; every callback here hands over to the
event loop with ``call_soon_threadsafe`` and does nothing else, so no project code runs
on paho's thread (incoming messages are queued and handed over in bursts). Publishes
return an awaitable that resolves when the broker acknowledges them (PUBACK for QoS 1).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from sitless.errors import ConfigError

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]
DELIVERY_DELAY_S = 0.002


@dataclass(frozen=True, slots=True)
class BrokerUrl:
    """Where the broker is: ``mqtt://[user:password@]host[:port]`` (``mqtts://`` for TLS)."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerUrl:
        """Parse a broker URL; raises ``ConfigError`` naming what is wrong."""
        parts = urlsplit(url if "://" in url else f"mqtt://{url}")
        if parts.scheme not in ("mqtt", "mqtts", "tcp"):
            raise ConfigError(f"broker URL {url!r}: scheme must be mqtt:// or mqtts://", value=url)
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"broker URL {url!r}: port is not a number", value=url) from None
        if not parts.hostname:
            raise ConfigError(f"broker URL {url!r} has no host", value=url)
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.hostname,
            port=port or (8883 if tls else 1883),
            tls=tls,
            username=parts.username,
            password=parts.password,
        )

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def no_delay(_c: paho.Client, _u: Any, sock: Any) -> None:
    """paho ``on_socket_open`` hook that turns Nagle's algorithm off."""
    # Without TCP_NODELAY a prompt published right after a PUBACK waits for the broker's
    # delayed ACK (Nagle): about 40 ms on Linux loopback, for every prompt.
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class MqttClient:
    """One paho connection, reconnecting by itself, driven from an asyncio loop.

    Args:
        broker: where to connect.
        client_id: stable id (a collector reuses its own so the broker knows it).
        on_message: called on the event loop with (topic, payload) for each message.
        will: (topic, payload) published retained by the broker if we vanish.
        v5: speak MQTT 5 (needed for shared subscriptions); otherwise 3.1.1.
        persistent: ask the broker to keep our session (subscriptions and QoS 1
            messages) while we are away; needs a stable ``client_id``.
    """

    def __init__(
        self,
        broker: BrokerUrl,
        *,
        client_id: str | None = None,
        on_message: Handler | None = None,
        will: tuple[str, bytes] | None = None,
        v5: bool = False,
        persistent: bool = False,
        max_inflight: int = 100,
    ) -> None:
        self.broker = broker
        self._loop: asyncio.AbstractEventLoop | None = None
        self.on_message = on_message
        self._subscriptions: dict[str, int] = {}
        self._acks: dict[int, asyncio.Future[None]] = {}
        self.connected = asyncio.Event()
        self._stopping = False
        self._inbox: deque[tuple[str, bytes]] = deque()
        self._wake_scheduled = False
        self.v5 = v5
        self.persistent = persistent
        if persistent and not client_id:
            raise ValueError("a persistent session needs a stable client_id")
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"sitless-{uuid.uuid4().hex[:12]}",
            protocol=paho.MQTTv5 if v5 else paho.MQTTv311,
            clean_session=None if v5 else not persistent,
        )
        self._client.max_inflight_messages_set(max_inflight)
        self._client.max_queued_messages_set(0)
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)
        if broker.username:
            self._client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self._client.tls_set()
        if will:
            self._client.will_set(will[0], will[1], qos=1, retain=True)
        self._client.on_connect = self._connected
        self._client.on_disconnect = self._disconnected
        self._client.on_message = self._message
        self._client.on_publish = self._published
        self._client.on_socket_open = no_delay

    async def __aenter__(self) -> MqttClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start connecting in the background; see ``wait_connected``."""
        self._loop = asyncio.get_running_loop()
        if self.v5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = 7 * 24 * 3600 if self.persistent else 0
            self._client.connect_async(
                self.broker.host,
                self.broker.port,
                keepalive=30,
                clean_start=not self.persistent,
                properties=props,
            )
        else:
            self._client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self._client.loop_start()

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Wait until the broker has accepted the connection."""
        await asyncio.wait_for(self.connected.wait(), timeout)

    async def stop(self) -> None:
        """Disconnect cleanly (no Last Will) and stop paho's thread."""
        self._stopping = True
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)
        self.connected.clear()
        self._fail_pending(ConnectionError("client stopped"))

    def subscribe(self, topic_filter: str, qos: int = 1) -> None:
        """Subscribe now if connected, and again after every reconnect."""
        self._subscriptions[topic_filter] = qos
        if self.connected.is_set():
            self._client.subscribe(topic_filter, qos)

    def publish(
        self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False
    ) -> asyncio.Future[None]:
        """Publish; the future resolves on the broker's acknowledgement.

        It fails with ``ConnectionError`` if the connection drops first, in which case
        the caller decides whether to send again (the outbox does).
        """
        assert self._loop is not None, "start() first"
        future: asyncio.Future[None] = self._loop.create_future()
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            future.set_exception(ConnectionError(paho.error_string(info.rc)))
        elif qos == 0 or info.is_published():
            future.set_result(None)
        else:
            self._acks[info.mid] = future
        return future

    # paho's thread from here on: hand over to the loop, nothing else.

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    def _connected(
        self, client: paho.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Properties | None
    ) -> None:
        if rc.is_failure:
            log.warning("MQTT broker %s refused the connection: %s", self.broker, rc)
            return
        for flt, qos in self._subscriptions.items():
            client.subscribe(flt, qos)
        self._call(self._on_connected)

    def _on_connected(self) -> None:
        log.info("connected to MQTT broker %s", self.broker)
        self.connected.set()

    def _disconnected(
        self, _c: paho.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Properties | None
    ) -> None:
        self._call(self._on_disconnected, str(rc))

    def _on_disconnected(self, reason: str) -> None:
        if self.connected.is_set() and not self._stopping:
            log.warning("lost MQTT broker %s (%s); reconnecting", self.broker, reason)
        self.connected.clear()
        self._fail_pending(ConnectionError(f"disconnected: {reason}"))

    def _fail_pending(self, exc: Exception) -> None:
        acks, self._acks = self._acks, {}
        for future in acks.values():
            if not future.done():
                future.set_exception(exc)
                future.exception()  # retrieved here so an unawaited one is not reported

    def _message(self, _c: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
        self._inbox.append((msg.topic, bytes(msg.payload)))
        if not self._wake_scheduled:
            self._wake_scheduled = True
            self._call(self._deliver_soon)

    def _deliver_soon(self) -> None:
        # Waking the loop costs more than handling a message, so let a burst gather for
        # DELIVERY_DELAY_S first: a few hundred wake-ups a second instead of one per message.
        assert self._loop is not None
        self._loop.call_later(DELIVERY_DELAY_S, self._deliver)

    def _deliver(self) -> None:
        self._wake_scheduled = False
        inbox, handler = self._inbox, self.on_message
        while inbox:
            name, payload = inbox.popleft()
            if handler is not None:
                handler(name, payload)

    def _published(
        self, _c: paho.Client, _u: Any, mid: int, _rc: ReasonCode, _p: Properties | None
    ) -> None:
        self._call(self._on_published, mid)

    def _on_published(self, mid: int) -> None:
        future = self._acks.pop(mid, None)
        if future is not None and not future.done():
            future.set_result(None)
