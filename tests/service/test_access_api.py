"""Each user sees only their own wearers (and those shared with them), through every route.

The route tests walk the app's own OpenAPI schema rather than a hand-made list, so a route
added later without an ownership check fails here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.app import create_app
from service.config import AuthMode, ServiceSettings
from service.store.access import AccessStore
from sitless.mqtt_config import MqttSettings
from tests.people import ANN, BOB, People, seed
from tests.servers import Mosquitto

# Routes anyone may call without a token, and why.
PUBLIC = {
    ("GET", "/healthz"),  # container health checks
    ("GET", "/metrics"),  # counters per rule and reason, nothing per wearer
    ("POST", "/api/v1/session"),  # signing in is how one gets the cookie
    ("DELETE", "/api/v1/session"),  # signing out needs no proof
    ("GET", "/api/v1/webpush/key"),  # the server's public VAPID key
}
VALUES = {"day": "2026-03-02", "user": "ann", "token_id": "0123abcd", "what": "bouts"}


def _routes(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path template, operation) of every route in the app's OpenAPI schema."""
    return sorted(
        (method.upper(), path, operation)
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    )


def _url(path: str, wearer: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return wearer if name == "wearer" else VALUES.get(name, "x")

    return re.sub(r"\{([^}]+)\}", fill, path)


class Service:
    def __init__(self, app: FastAPI, http: httpx.AsyncClient, people: People) -> None:
        self.app, self.http, self.people = app, http, people

    async def call(self, method: str, url: str, user: str | None) -> httpx.Response:
        headers = self.people.auth(user) if user else {}
        body: Any = {} if method in ("POST", "PUT", "PATCH") else None
        return await self.http.request(method, url, headers=headers, json=body)


@pytest.fixture
async def service(own_mosquitto: Mosquitto, tmp_path: Path) -> AsyncIterator[Service]:
    mosquitto = own_mosquitto  # no retained status from other tests' wearers
    settings = ServiceSettings(
        database_url=f"sqlite:///{tmp_path / 'access.db'}", client_id=f"access-{tmp_path.name}"
    )
    app = create_app(settings, MqttSettings(url=f"mqtt://127.0.0.1:{mosquitto.port}"))
    async with app.router.lifespan_context(app):
        people = seed(app.state.runtime.store)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sitless") as http:
            yield Service(app, http, people)


async def test_a_stranger_cannot_read_or_change_another_users_wearer_through_any_route(
    service: Service,
) -> None:
    checked = []
    for method, path, _ in _routes(service.app):
        if "{wearer}" not in path:
            continue
        response = await service.call(method, _url(path, BOB), "ann")
        assert response.status_code == 404, (method, path, response.status_code, response.text)
        assert "long-sitting" not in response.text and "sitting_min" not in response.text
        checked.append((method, path))
    # The walk reached the data, export, live and sharing routes, reading and writing.
    assert {m for m, _ in checked} >= {"GET", "PUT", "DELETE"}
    for needle in ("/days/{day}", "/export/{what}", "/live", "/trend", "/reports/week", "/shares"):
        assert any(needle in p for _, p in checked), needle


async def test_a_read_only_share_can_read_but_change_nothing(service: Service) -> None:
    for method, path, _ in _routes(service.app):
        if "{wearer}" not in path:
            continue
        if method == "GET" and not path.endswith(("/live", "/shares")):
            if "webpush" in path:
                continue
            response = await service.call(method, _url(path, BOB), "coach")
            assert response.status_code == 200, (method, path, response.text)
        elif method != "GET":
            response = await service.call(method, _url(path, BOB), "coach")
            assert response.status_code == 403, (method, path, response.status_code)
            assert "read-only" in response.json()["detail"]


async def test_the_owner_and_an_admin_read_every_day_route(service: Service) -> None:
    for user in ("bob", "root"):
        for method, path, _ in _routes(service.app):
            if method != "GET" or "{wearer}" not in path or path.endswith("/live"):
                continue
            if "webpush" in path:
                continue
            response = await service.call(method, _url(path, BOB), user)
            assert response.status_code == 200, (user, path, response.text)


async def test_without_a_token_every_route_but_the_public_ones_asks_to_sign_in(
    service: Service,
) -> None:
    for method, path, _ in _routes(service.app):
        if (method, path) in PUBLIC:
            continue
        response = await service.call(method, _url(path, BOB), None)
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.headers["www-authenticate"] == "Bearer"
    bad = await service.http.get("/api/v1/wearers", headers={"Authorization": "Bearer sl_nope"})
    assert bad.status_code == 401 and "unknown" in bad.json()["detail"]
    basic = await service.http.get("/api/v1/wearers", headers={"Authorization": "Basic eA=="})
    assert basic.status_code == 401


async def test_each_user_lists_only_the_wearers_they_may_see(service: Service) -> None:
    async def listed(user: str) -> list[tuple[str, str]]:
        response = await service.http.get("/api/v1/wearers", headers=service.people.auth(user))
        return [(w["id"], w["access"]) for w in response.json()]

    assert await listed("ann") == [(ANN, "owner")]
    assert await listed("bob") == [(BOB, "owner")]
    assert await listed("coach") == [(BOB, "shared")]
    assert await listed("root") == [(ANN, "admin"), (BOB, "admin")]


async def test_tokens_are_stored_hashed_and_a_user_manages_only_their_own(
    service: Service, tmp_path: Path
) -> None:
    http, people = service.http, service.people
    raw = (tmp_path / "access.db").read_bytes()
    assert all(token.encode() not in raw for token in people.tokens.values())
    made = await http.post("/api/v1/me/tokens", json={"label": "phone"}, headers=people.auth("ann"))
    assert made.status_code == 201
    fresh = made.json()["token"]
    me = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"})
    assert me.json() == {"user": "ann", "admin": False, "auth": True}
    listed = await http.get("/api/v1/me/tokens", headers=people.auth("ann"))
    assert "token" not in listed.json()[0] and {t["label"] for t in listed.json()} == {
        "test",
        "phone",
    }
    stolen = await http.delete(
        f"/api/v1/me/tokens/{people.token_ids['bob']}", headers=people.auth("ann")
    )
    assert stolen.status_code == 404
    still = await http.get("/api/v1/me", headers=people.auth("bob"))
    assert still.json()["user"] == "bob"
    gone = await http.delete(f"/api/v1/me/tokens/{made.json()['id']}", headers=people.auth("ann"))
    assert gone.status_code == 204
    revoked = await http.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"})
    assert revoked.status_code == 401


async def test_the_owner_shares_and_unshares_and_the_sharee_sees_it_come_and_go(
    service: Service,
) -> None:
    http, people = service.http, service.people
    before = await http.get(f"/api/v1/wearers/{ANN}/days/2026-03-02", headers=people.auth("bob"))
    assert before.status_code == 404
    shared = await http.put(f"/api/v1/wearers/{ANN}/shares/bob", headers=people.auth("ann"))
    assert shared.json() == {"wearer": ANN, "owner": "ann", "users": ["bob"]}
    now = await http.get(f"/api/v1/wearers/{ANN}/days/2026-03-02", headers=people.auth("bob"))
    assert now.status_code == 200 and now.json()["sitting_min"] > 0
    nobody = await http.put(f"/api/v1/wearers/{ANN}/shares/nobody", headers=people.auth("ann"))
    assert nobody.status_code == 404
    itself = await http.put(f"/api/v1/wearers/{ANN}/shares/ann", headers=people.auth("ann"))
    assert itself.status_code == 409
    undone = await http.delete(f"/api/v1/wearers/{ANN}/shares/bob", headers=people.auth("ann"))
    assert undone.json()["users"] == []
    after = await http.get(f"/api/v1/wearers/{ANN}/days/2026-03-02", headers=people.auth("bob"))
    assert after.status_code == 404


async def test_the_dashboard_signs_in_with_a_same_site_http_only_cookie(
    service: Service,
) -> None:
    http, people = service.http, service.people
    refused = await http.post("/api/v1/session", json={"token": "sl_wrong"})
    assert refused.status_code == 401 and "set-cookie" not in refused.headers
    signed = await http.post("/api/v1/session", json={"token": people.tokens["coach"]})
    assert signed.status_code == 204
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    listed = await http.get("/api/v1/wearers")  # the client keeps the cookie
    assert [w["id"] for w in listed.json()] == [BOB]
    await http.delete("/api/v1/session")
    http.cookies.clear()
    assert (await http.get("/api/v1/wearers")).status_code == 401


async def test_without_users_everything_is_open_as_in_the_demo_until_auth_is_on(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    for mode, expected in ((AuthMode.AUTO, 200), (AuthMode.ON, 401)):
        settings = ServiceSettings(
            database_url=f"sqlite:///{tmp_path / f'{mode}.db'}",
            client_id=f"open-{mode}-{tmp_path.name}",
            auth=mode,
        )
        app = create_app(settings, MqttSettings(url=f"mqtt://127.0.0.1:{mosquitto.port}"))
        async with app.router.lifespan_context(app):
            store = app.state.runtime.store
            store.ensure_wearer("demo")
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://s") as http:
                listed = await http.get("/api/v1/wearers")
                assert listed.status_code == expected
                if expected == 200:
                    assert listed.json()[0]["access"] == "open"
                    me = (await http.get("/api/v1/me")).json()
                    assert me == {"user": None, "admin": False, "auth": False}
                    # The first user switches access control on, with no restart.
                    AccessStore(store).add_user("first")
                    assert (await http.get("/api/v1/wearers")).status_code == 401
