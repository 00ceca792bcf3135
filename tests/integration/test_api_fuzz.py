"""Schemathesis against `sitless serve`'s own OpenAPI schema: no request gets a 5xx.

The service runs as an operator runs it (a real process on a real broker) with users and a
scripted day in its store. Every generated request is sent as the owner of a wearer and
again with the wearer path parameter set to that wearer, so the fuzzing reaches the code
behind the access checks, not only their 404s; and once more without a token.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from service.store.sql import SqlStore
from tests.people import BOB, People, seed
from tests.servers import Mosquitto, free_port

pytestmark = pytest.mark.integration
EXAMPLES = 25


@pytest.fixture(scope="module")
def served(
    mosquitto: Mosquitto, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, People]]:
    """``sitless serve`` on a free port, its store seeded; (base URL, the people)."""
    folder = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{folder / 'sitless.db'}"
    store = SqlStore(url)
    store.create_all()
    people = seed(store)
    store.close()
    port = free_port()
    env = {
        **os.environ,
        "SITLESS_SERVICE__DATABASE_URL": url,
        "SITLESS_SERVICE__PORT": str(port),
        "SITLESS_SERVICE__CLIENT_ID": f"fuzz-{folder.name}",
        "SITLESS_SERVICE__TIMEZONE": "Europe/Oslo",
        "SITLESS_MQTT__URL": f"mqtt://127.0.0.1:{mosquitto.port}",
    }
    log = (folder / "serve.log").open("w")
    command = [sys.executable, "-m", "sitless.cli", "serve", "--log-level", "warning"]
    proc = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/healthz") as response:
                    if json.load(response)["mqtt_connected"]:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"sitless serve did not come up:\n{(folder / 'serve.log').read_text()}")
        yield base, people
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    text = (folder / "serve.log").read_text()
    assert "Traceback" not in text, text


@pytest.fixture(scope="module")
def api_schema(served: tuple[str, People]) -> schemathesis.BaseSchema:
    base, _ = served
    return schemathesis.openapi.from_url(f"{base}/openapi.json")


# The live stream never ends by design (the browser tests follow it).
schema = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex=r".*/live$")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_no_request_gets_a_server_error(
    case: schemathesis.Case, served: tuple[str, People]
) -> None:
    base, people = served
    auth = people.auth("bob")
    case.validate_response(case.call(base_url=base, headers=auth), checks=[not_a_server_error])
    if "wearer" in (case.path_parameters or {}):
        case.path_parameters = {**case.path_parameters, "wearer": BOB}
        response = case.call(base_url=base, headers=auth)
        case.validate_response(response, checks=[not_a_server_error])
        shared = case.call(base_url=base, headers=people.auth("coach"))
        case.validate_response(shared, checks=[not_a_server_error])
    anonymous = case.call(base_url=base)
    case.validate_response(anonymous, checks=[not_a_server_error])
