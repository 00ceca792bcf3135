"""TLS as docs/tls.md sets it up, with a self-signed CA: MQTT to Mosquitto, and the API.

Clients trust the CA through ``SSL_CERT_FILE`` (OpenSSL's standard variable, read by the
default context paho builds for ``mqtts://``); a client that trusts another CA is refused.
"""

from __future__ import annotations

import ssl
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from service.app import create_app
from service.auth.mosquitto import hash_password, render_acl, render_conf, render_passwd
from service.auth.tokens import new_token
from service.config import ServiceSettings
from service.store.access import AccessStore, MqttAccount
from service.store.sql import SqlStore
from sitless.mqtt import BrokerUrl, MqttClient
from sitless.mqtt_config import MqttSettings
from sitless.wire import Kind, PostureEvent, encode, topic
from tests import days
from tests.certs import make_certs
from tests.servers import Mosquitto
from tests.webserver import serving

pytestmark = pytest.mark.integration


class TlsMosquitto(Mosquitto):
    """Mosquitto serving MQTT over TLS only, with logins and the ACL sitless renders."""

    def __init__(self, accounts: list[MqttAccount]) -> None:
        super().__init__()
        conf = self.dir / "conf"
        self.certs = make_certs(conf)  # ca.crt, server.crt, server.key where the conf says
        (conf / "passwd").write_text(render_passwd(accounts))
        (conf / "acl").write_text(render_acl(accounts))
        listener = f"{self.port} {self.host}"
        self.config_path.write_text(render_conf(str(conf), listener=listener, tls=True))


async def test_the_service_and_a_collector_talk_mqtt_over_tls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    passwords = {"svc": "service-secret", "ann-1": "ann-secret"}
    accounts = [
        MqttAccount("svc", None, hash_password(passwords["svc"])),
        MqttAccount("ann-1", "ann-1", hash_password(passwords["ann-1"])),
    ]
    with TlsMosquitto(accounts) as broker:
        monkeypatch.setenv("SSL_CERT_FILE", str(broker.certs.ca))
        url = f"mqtts://svc:{passwords['svc']}@127.0.0.1:{broker.port}"
        settings = ServiceSettings(
            database_url=f"sqlite:///{tmp_path / 's.db'}", client_id=f"tls-{tmp_path.name}"
        )
        app = create_app(settings, MqttSettings(url=url))
        async with app.router.lifespan_context(app):
            runtime = app.state.runtime
            await runtime.mqtt.wait_connected(10)
            collector = MqttClient(
                BrokerUrl(
                    "127.0.0.1",
                    broker.port,
                    tls=True,
                    username="ann-1",
                    password=passwords["ann-1"],
                )
            )
            async with collector:
                await collector.wait_connected(10)
                event = PostureEvent(
                    wearer="ann-1",
                    device="thigh",
                    seq=0,
                    start=days.start_of(),
                    postures=("sitting",) * 60,
                    since=days.start_of(),
                )
                await collector.publish(topic("ann-1", Kind.POSTURE), encode(event))
                await runtime.ingest.caught_up("ann-1", "thigh", 0)
                await runtime.ingest.flush()
            stored = runtime.store.bouts_between(
                "ann-1", days.start_of(), days.start_of() + timedelta(hours=1)
            )
            assert [(b.posture, b.end - b.start) for b in stored] == [
                ("sitting", timedelta(minutes=1))
            ]


# paho leaves the socket of a failed TLS handshake to the garbage collector (it reconnects
# without closing it), which Python reports as an unraisable ResourceWarning.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_a_client_that_trusts_another_ca_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = [MqttAccount("ann-1", "ann-1", hash_password("ann-secret"))]
    with TlsMosquitto(accounts) as broker:
        other = make_certs(tmp_path / "other")
        monkeypatch.setenv("SSL_CERT_FILE", str(other.ca))
        stranger = MqttClient(
            BrokerUrl("127.0.0.1", broker.port, tls=True, username="ann-1", password="ann-secret")
        )
        await stranger.start()
        try:
            with pytest.raises(TimeoutError):
                await stranger.wait_connected(3)
        finally:
            await stranger.stop()
        log = broker.log_tail(50).lower()
    assert "ssl" in log or "certificate" in log or "tls" in log, log


async def test_the_api_serves_https_with_the_configured_certificate_and_secure_cookies(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    certs = make_certs(tmp_path / "tls")
    settings = ServiceSettings(
        database_url=f"sqlite:///{tmp_path / 's.db'}",
        client_id=f"https-{tmp_path.name}",
        tls_certfile=certs.cert,
        tls_keyfile=certs.key,
    )
    store = SqlStore(settings.database_url)
    store.create_all()
    access = AccessStore(store)
    access.add_user("ann")
    made = new_token()
    access.add_token("ann", made.id, made.digest, "")
    store.close()
    app = create_app(settings, MqttSettings(url=f"mqtt://127.0.0.1:{mosquitto.port}"))
    async with app.router.lifespan_context(app), serving(app, **settings.uvicorn_tls) as base:
        assert base.startswith("https://")
        trusted = ssl.create_default_context(cafile=str(certs.ca))
        async with httpx.AsyncClient(base_url=base, verify=trusted) as http:
            health = await http.get("/healthz")
            signed = await http.post("/api/v1/session", json={"token": made.token})
            me = await http.get("/api/v1/me")
        async with httpx.AsyncClient(base_url=base) as untrusting:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await untrusting.get("/healthz")
    assert health.status_code == 200
    assert "secure" in signed.headers["set-cookie"].lower()
    assert me.json()["user"] == "ann"
