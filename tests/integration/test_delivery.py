"""Real delivery: e-mail through Apprise to a real SMTP server, web push decrypted by a
receiver that follows RFC 8291, and a channel that is down not holding up MQTT."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from service.config import NotifySettings, WebPushSettings
from sitless.mqtt import BrokerUrl, MqttClient
from sitless.wire import Posture
from tests.integration.prompting_rig import PromptSpy, Wearer, service, until
from tests.servers import Mosquitto, free_port

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # bundled rules: work hours, no lunch yet
HIP_FLEXOR_STEPS = ("Kneel on one knee", "Push through the heel", "Stay at the top")


class Mailbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, mailbox
    finally:
        controller.stop()


def mailto(port: int) -> str:
    return f"mailto://127.0.0.1:{port}?from=sitless@example.com&to=ann@example.com&mode=insecure"


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def test_a_prompt_reaches_a_real_smtp_server_with_its_routine(
    mosquitto: Mosquitto, smtp: tuple[Controller, Mailbox], tmp_path: Path
) -> None:
    controller, mailbox = smtp
    notify = NotifySettings(apprise_urls=[mailto(controller.port)], console=False)
    async with (
        service(mosquitto.port, tmp_path / "s.db", f"mail-{tmp_path.name}", notify=notify) as svc,
        MqttClient(BrokerUrl("127.0.0.1", mosquitto.port)) as client,
    ):
        await client.wait_connected(10)
        await Wearer(client, name="mail-ann").hold(Posture.SITTING, MONDAY_9, 46)
        await until(lambda: mailbox.messages, 20, "an e-mail")
        await until(lambda: svc.runtime.metrics.get("notify_sent", "apprise") == 1)
    (message,) = mailbox.messages
    assert message["Subject"] == "Time to stand up"
    body = text_of(message)
    for step in HIP_FLEXOR_STEPS:
        assert step in body
    assert "How much:" in body and "Why:" in body and "Core engaged" in body
    assert "can't stand" in body.lower()


async def test_smtp_down_does_not_delay_the_mqtt_prompt_and_is_counted(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    # The mail server is down: nothing listens on its port, connections are refused.
    notify = NotifySettings(
        apprise_urls=[mailto(free_port())], console=False, retries=2, backoff_s=0.5
    )
    spy = PromptSpy(mosquitto.port)
    async with (
        spy.client,
        service(mosquitto.port, tmp_path / "s.db", f"down-{tmp_path.name}", notify=notify) as svc,
        MqttClient(BrokerUrl("127.0.0.1", mosquitto.port)) as client,
    ):
        await spy.client.wait_connected(10)
        await client.wait_connected(10)
        wearer = Wearer(client, name="down-ann")
        await wearer.hold(Posture.SITTING, MONDAY_9, 44)  # the last event ends at 09:44
        assert svc.runtime.ingest is not None
        await svc.runtime.ingest.caught_up("down-ann", "thigh", wearer.seq - 1)
        assert spy.prompts == []
        sent = time.monotonic()
        await wearer.hold(Posture.SITTING, MONDAY_9 + timedelta(minutes=44), 1)
        (prompt,) = await spy.wait_for(1)
        latency = spy.prompts[0][1] - sent
        metrics = svc.runtime.metrics
        failed_when_prompted = metrics.get("notify_failed", "apprise")
        await until(lambda: metrics.get("notify_failed", "apprise") == 1, 20, "counted failure")
        failed_after = time.monotonic() - sent
    assert prompt.wearer == "down-ann" and prompt.title == "Time to stand up"
    assert latency < 0.5, f"the MQTT prompt took {latency:.3f} s"
    assert failed_when_prompted == 0, "the prompt went out before the mail channel gave up"
    assert failed_after >= 1.5  # three tries, 0.5 s then 1 s apart
    assert metrics.get("notify_retries", "apprise") == 2
    assert metrics.get("notify_sent", "mqtt") == 1


# Web push: a browser stand-in that decrypts what the push service would pass on.


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 HKDF-SHA-256 with one block of output, as RFC 8291 uses it."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()[:length]


class Browser:
    """The user agent's side of RFC 8291: a P-256 key pair and an auth secret."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.public = self.private.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        self.auth = os.urandom(16)

    def decrypt(self, body: bytes) -> bytes:
        """Decrypt an ``aes128gcm`` message (RFC 8188 framing, RFC 8291 keys)."""
        salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        server_public = body[21 : 21 + idlen]
        records = body[21 + idlen :]
        assert idlen == 65 and len(records) <= rs, "one record, keyid = server's public key"
        shared = self.private.exchange(
            ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), server_public)
        )
        ikm = hkdf(self.auth, shared, b"WebPush: info\x00" + self.public + server_public, 32)
        cek = hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
        nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
        padded = AESGCM(cek).decrypt(nonce, records, None)
        data = padded.rstrip(b"\x00")
        assert data.endswith(b"\x02"), "the last record ends with the 0x02 delimiter"
        return data[:-1]


def verify_vapid(header: str, audience: str) -> tuple[dict[str, Any], str]:
    """Check an RFC 8292 ``vapid t=..., k=...`` header; returns (claims, k)."""
    scheme, _, params = header.partition(" ")
    assert scheme == "vapid"
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    token, key = fields["t"], fields["k"]
    head, claims, signature = token.split(".")
    assert json.loads(unb64u(head)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64u(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(key))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    decoded = json.loads(unb64u(claims))
    assert decoded["aud"] == audience and decoded["exp"] > time.time()
    return decoded, key


class PushService:
    """An HTTP endpoint standing in for a browser vendor's push service."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                headers = {k.lower(): v for k, v in self.headers.items()}
                received.append((headers, self.rfile.read(length)))
                self.send_response(201)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_web_push_is_encrypted_so_the_browser_decrypts_it_per_rfc_8291(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    push_service = PushService()
    browser = Browser()
    webpush = WebPushSettings(
        enabled=True, vapid_key_file=tmp_path / "vapid.pem", subject="mailto:ops@example.com"
    )
    notify = NotifySettings(console=False, webpush=webpush)
    try:
        async with (
            service(
                mosquitto.port, tmp_path / "s.db", f"push-{tmp_path.name}", notify=notify
            ) as svc,
            MqttClient(BrokerUrl("127.0.0.1", mosquitto.port)) as client,
            svc.http() as http,
        ):
            await client.wait_connected(10)
            wearer = Wearer(client, name="push-ann")
            await wearer.hold(Posture.STANDING, MONDAY_9 - timedelta(minutes=1), 1)
            assert svc.runtime.ingest is not None
            await svc.runtime.ingest.caught_up("push-ann", "thigh", 0)
            key = (await http.get("/api/v1/webpush/key")).json()["public_key"]
            subscribed = await http.post(
                "/api/v1/wearers/push-ann/webpush",
                json={
                    "endpoint": f"{push_service.url}/push/abc",
                    "keys": {"p256dh": b64u(browser.public), "auth": b64u(browser.auth)},
                },
            )
            assert subscribed.status_code == 201, subscribed.text
            await wearer.hold(Posture.SITTING, MONDAY_9, 46)
            await until(lambda: push_service.received, 20, "a push message")
            headers, body = push_service.received[0]
            message = json.loads(browser.decrypt(body))
            # The service worker's "snooze" button posts this back.
            ack = await http.post(
                message["ack"]["url"],
                json={
                    "prompt_id": message["id"],
                    "action": "snooze",
                    "snooze_min": message["ack"]["snooze_min"],
                },
            )
            assert ack.status_code == 202, ack.text
            stored = svc.runtime.store.prompt(message["id"])
            await until(lambda: svc.runtime.metrics.get("notify_sent", "webpush") == 1)
    finally:
        push_service.close()
    assert headers["content-encoding"] == "aes128gcm"
    assert int(headers["ttl"]) == 600
    claims, k = verify_vapid(headers["authorization"], push_service.url)
    assert claims["sub"] == "mailto:ops@example.com" and k == key
    assert message["title"] == "Time to stand up" and message["wearer"] == "push-ann"
    assert [a["action"] for a in message["actions"]] == ["done", "snooze"]
    assert "Kneel on one knee" in message["body"]
    assert stored is not None and stored.outcome == "snooze"


async def test_a_push_subscription_the_push_service_reports_gone_is_forgotten(
    tmp_path: Path,
) -> None:
    from service.notify.webpush import VapidKeys, WebPushChannel
    from service.store.sql import SqlStore
    from sitless.wire import Prompt

    class Gone(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(410)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gone)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    store = SqlStore(f"sqlite:///{tmp_path / 's.db'}")
    store.create_all()
    browser = Browser()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/push/x"
    store.add_push_subscription("ann", endpoint, b64u(browser.public), b64u(browser.auth))
    channel = WebPushChannel(
        store, VapidKeys.load_or_create(tmp_path / "k.pem"), subject="mailto:a@example.com"
    )
    prompt = Prompt(
        wearer="ann",
        device="d",
        id="ann/r/20260302T090000Z/0",
        rule="r",
        routine="x",
        title="T",
        message="M",
        posture=Posture.SITTING,
        bout_start=MONDAY_9,
        at=MONDAY_9,
    )
    try:
        await channel.deliver(prompt)
    finally:
        server.shutdown()
        server.server_close()
    assert store.push_subscriptions("ann") == []
    assert (tmp_path / "k.pem").stat().st_mode & 0o777 == 0o600
    store.close()
