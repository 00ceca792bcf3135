"""The only bridge to paho-mqtt: an asyncio-friendly client both sides use.

paho's socket is driven by the asyncio event loop itself (paho's "external loop"
mode): the loop reads when the socket is readable and writes when paho has packets to
send, so paho's callbacks, and the ``on_message`` handler, run on the event loop, in
arrival order, with no thread and no hand-over in between. Only the blocking TCP (and
TLS) connect runs in the default executor. Publishes return an awaitable that resolves
when the broker acknowledges them (PUBACK for QoS 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import traceback
import uuid
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
KEEPALIVE_S = 30
# paho's keepalive and timeout bookkeeping (``loop_misc``) runs this often.
MISC_EVERY_S = 1.0
# Reconnect backoff: doubles from the first to the last after each failed attempt.
RECONNECT_DELAY_S = (1.0, 10.0)
# Packets read per readable event before other work on the loop gets a turn.
READ_BURST = 256


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


def _tcp(sock: Any) -> bool:
    return isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6)


def no_delay(_c: paho.Client, _u: Any, sock: Any) -> None:
    """paho ``on_socket_open`` hook that turns Nagle's algorithm off."""
    # Without TCP_NODELAY a prompt published right after a PUBACK waits for the broker's
    # delayed ACK (Nagle): about 40 ms on Linux loopback, for every prompt.
    if _tcp(sock):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _cork(sock: Any, on: bool) -> None:
    """Hold (or release and send at once) what is written to ``sock`` (Linux TCP_CORK)."""
    cork = getattr(socket, "TCP_CORK", None)
    if cork is not None and _tcp(sock) and sock.fileno() >= 0:
        sock.setsockopt(socket.IPPROTO_TCP, cork, int(on))


class MqttClient:
    """One paho connection, reconnecting by itself, driven by the running asyncio loop.

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
        self._loop_thread: int | None = None
        self.on_message = on_message
        self._subscriptions: dict[str, int] = {}
        self._acks: dict[int, asyncio.Future[None]] = {}
        self.connected = asyncio.Event()
        self._lost = asyncio.Event()
        self._accepted = False  # the broker accepted the current connection
        self._stopping = False
        self._runner: asyncio.Task[None] | None = None
        self._packets = 0  # messages and acknowledgements read: a read burst's progress
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
        self._client.on_socket_open = self._socket_open
        self._client.on_socket_close = self._socket_close
        self._client.on_socket_register_write = self._want_write
        self._client.on_socket_unregister_write = self._written

    async def __aenter__(self) -> MqttClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start connecting in the background; see ``wait_connected``."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._runner = self._loop.create_task(self._run(), name=f"mqtt {self.broker}")

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Wait until the broker has accepted the connection."""
        await asyncio.wait_for(self.connected.wait(), timeout)

    async def stop(self) -> None:
        """Disconnect cleanly (no Last Will) and stop reconnecting."""
        self._stopping = True
        if self._client.socket() is not None:
            self._client.disconnect()  # sent by the loop; paho then closes the socket
            try:
                await asyncio.wait_for(self._lost.wait(), 2.0)
            except TimeoutError:
                log.warning("MQTT broker %s did not take our DISCONNECT in time", self.broker)
        self._lost.set()
        if self._runner is not None:
            await self._runner
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
        the caller decides whether to send again (the outbox does). paho keeps a QoS 1
        message it could not send and sends it after reconnecting, so a failed publish
        may still arrive: delivery is at least once, and receivers drop repeats by seq.
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

    # The connection: connect, keep alive, reconnect with backoff until stopped.

    async def _run(self) -> None:
        assert self._loop is not None
        delay, failures = RECONNECT_DELAY_S[0], 0
        while not self._stopping:
            self._lost.clear()
            self._accepted = False
            try:
                await self._loop.run_in_executor(None, self._connect)
            except (OSError, ValueError) as exc:  # refused, unreachable, TLS, bad host
                failures += 1
                level = logging.WARNING if failures == 1 else logging.DEBUG
                log.log(level, "cannot reach MQTT broker %s (%s); retrying", self.broker, exc)
                # paho does not close the socket of a failed TLS handshake; let go of the
                # frames that hold it, so it is closed now rather than whenever the
                # cycle collector gets to it.
                traceback.clear_frames(exc.__traceback__)
            else:
                while not self._lost.is_set() and not self._stopping:
                    try:
                        await asyncio.wait_for(self._lost.wait(), MISC_EVERY_S)
                    except TimeoutError:
                        self._client.loop_misc()
                if self._accepted:  # a working connection was lost: start over
                    delay, failures = RECONNECT_DELAY_S[0], 0
            self.connected.clear()
            if not self._stopping:
                await self._sleep(delay)
                delay = min(delay * 2, RECONNECT_DELAY_S[1])
        if self._client.socket() is not None:
            # Stopped before the DISCONNECT went out (say, while connecting): send it now.
            self._client.disconnect()
            self._client.loop_write()

    def _connect(self) -> None:
        """Open the TCP (and TLS) connection and send CONNECT: blocking, in the executor."""
        if self.v5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = 7 * 24 * 3600 if self.persistent else 0
            self._client.connect(
                self.broker.host,
                self.broker.port,
                keepalive=KEEPALIVE_S,
                clean_start=not self.persistent,
                properties=props,
            )
        else:
            self._client.connect(self.broker.host, self.broker.port, keepalive=KEEPALIVE_S)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, waking early if ``stop`` is called."""
        self._lost.clear()
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._lost.wait(), seconds)

    # The socket, on the event loop.

    def _on_loop(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn`` on the event loop: now if this is its thread (paho's callbacks come
        from the executor only while connecting)."""
        if threading.get_ident() == self._loop_thread:
            fn(*args)
        elif self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    # File descriptors are taken when paho hands the socket over: by the time a call
    # from the executor runs on the loop, paho may have closed the socket object.

    def _socket_open(self, c: paho.Client, u: Any, sock: Any) -> None:
        # Nagle off, for prompts; bursts of small packets are corked into full segments
        # instead (``_writable``).
        no_delay(c, u, sock)
        self._on_loop(self._watch, sock, sock.fileno())

    def _watch(self, sock: Any, fd: int) -> None:
        assert self._loop is not None
        if sock is self._client.socket():
            self._loop.add_reader(fd, self._readable)

    def _socket_close(self, _c: paho.Client, _u: Any, sock: Any) -> None:
        self._on_loop(self._unwatch, sock.fileno())

    def _unwatch(self, fd: int) -> None:
        assert self._loop is not None
        if fd >= 0:
            self._loop.remove_reader(fd)
            self._loop.remove_writer(fd)

    def _want_write(self, _c: paho.Client, _u: Any, sock: Any) -> None:
        self._on_loop(self._watch_writes, sock, sock.fileno())

    def _watch_writes(self, sock: Any, fd: int) -> None:
        assert self._loop is not None
        if sock is self._client.socket():
            self._loop.add_writer(fd, self._writable)

    def _written(self, _c: paho.Client, _u: Any, sock: Any) -> None:
        self._on_loop(self._unwatch_writes, sock.fileno())

    def _unwatch_writes(self, fd: int) -> None:
        assert self._loop is not None
        if fd >= 0:
            self._loop.remove_writer(fd)

    def _readable(self) -> None:
        # paho reads one packet per call when it has nothing in flight: keep reading
        # while packets keep coming (and while TLS holds decrypted bytes the socket no
        # longer shows), then let the loop's other work in.
        client = self._client
        for _ in range(READ_BURST):
            before = self._packets
            if client.loop_read() != paho.MQTT_ERR_SUCCESS:
                return
            sock = client.socket()
            if sock is None:
                return
            if self._packets == before and not _pending(sock):
                return
        assert self._loop is not None
        self._loop.call_soon(self._readable)

    def _writable(self) -> None:
        # Everything paho has queued (a burst of PUBACKs, say) goes out in as few
        # segments as possible, and at once.
        sock = self._client.socket()
        _cork(sock, True)
        try:
            self._client.loop_write()
        finally:
            if sock is self._client.socket():
                _cork(sock, False)

    # paho's callbacks: on the event loop.

    def _connected(
        self, client: paho.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Properties | None
    ) -> None:
        if rc.is_failure:
            log.warning("MQTT broker %s refused the connection: %s", self.broker, rc)
            return
        for flt, qos in self._subscriptions.items():
            client.subscribe(flt, qos)
        self._on_loop(self._on_connected)

    def _on_connected(self) -> None:
        log.info("connected to MQTT broker %s", self.broker)
        self._accepted = True
        self.connected.set()

    def _disconnected(
        self, _c: paho.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Properties | None
    ) -> None:
        self._on_loop(self._on_disconnected, str(rc))

    def _on_disconnected(self, reason: str) -> None:
        if self.connected.is_set() and not self._stopping:
            log.warning("lost MQTT broker %s (%s); reconnecting", self.broker, reason)
        self.connected.clear()
        self._lost.set()
        self._fail_pending(ConnectionError(f"disconnected: {reason}"))

    def _fail_pending(self, exc: Exception) -> None:
        acks, self._acks = self._acks, {}
        for future in acks.values():
            if not future.done():
                future.set_exception(exc)
                future.exception()  # retrieved here so an unawaited one is not reported

    def _message(self, _c: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
        self._packets += 1
        handler = self.on_message
        if handler is None:
            return
        topic = msg.topic
        try:
            handler(topic, bytes(msg.payload))
        except Exception:
            log.exception("handling a message on %s failed", topic)

    def _published(
        self, _c: paho.Client, _u: Any, mid: int, _rc: ReasonCode, _p: Properties | None
    ) -> None:
        self._packets += 1
        self._on_loop(self._on_published, mid)

    def _on_published(self, mid: int) -> None:
        future = self._acks.pop(mid, None)
        if future is not None and not future.done():
            future.set_result(None)


def _pending(sock: Any) -> int:
    """Bytes TLS has decrypted but paho has not read yet (0 for plain TCP)."""
    pending = getattr(sock, "pending", None)
    return int(pending()) if pending is not None else 0
