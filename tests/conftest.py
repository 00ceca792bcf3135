"""Shared fixtures: real servers started by the test run itself.

- ``mosquitto`` / ``victoria``: one broker and one VictoriaMetrics for the whole session
  (``.host``, ``.port``; ``victoria.url`` and ``victoria.force_flush()``). Do not stop
  these: other tests share them.
- ``own_mosquitto`` / ``own_victoria``: a fresh server for one test, which may
  ``stop()`` and ``start()`` it; it comes back on the same port (VictoriaMetrics with
  its data).
- ``postgres_url``: a throw-away database on the machine's PostgreSQL
  (``SITLESS_TEST_POSTGRES`` overrides the admin URL), dropped after the test.

A missing server fails the test with a message that says how to get it; nothing skips.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any, TypeVar

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.servers import Mosquitto, ServerMissing, VictoriaMetrics

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

S = TypeVar("S", Mosquitto, VictoriaMetrics)


def _started(kind: type[S]) -> Iterator[S]:
    try:
        server = kind()
    except ServerMissing as exc:
        problem = str(exc)
    else:
        with server:
            yield server
        return
    pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def mosquitto() -> Iterator[Mosquitto]:
    """A Mosquitto broker shared by the session; never stop it in a test."""
    yield from _started(Mosquitto)


@pytest.fixture(scope="session")
def victoria() -> Iterator[VictoriaMetrics]:
    """A VictoriaMetrics shared by the session; never stop it in a test."""
    yield from _started(VictoriaMetrics)


@pytest.fixture
def own_mosquitto() -> Iterator[Mosquitto]:
    """A Mosquitto broker of this test's own, free to stop and restart."""
    yield from _started(Mosquitto)


@pytest.fixture
def own_victoria() -> Iterator[VictoriaMetrics]:
    """A VictoriaMetrics of this test's own, free to stop and restart."""
    yield from _started(VictoriaMetrics)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL (``postgresql+psycopg://``) of a fresh database, dropped afterwards."""
    admin_url = os.environ.get("SITLESS_TEST_POSTGRES", POSTGRES_ADMIN_URL)
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        problem = f"PostgreSQL is not reachable at {admin_url} ({exc})"
    else:
        with admin:
            yield from _throwaway_database(admin, admin_url)
        return
    pytest.fail(
        f"{problem}: start it as the README's test command expects, or set"
        " SITLESS_TEST_POSTGRES to an admin URL",
        pytrace=False,
    )


def _throwaway_database(admin: psycopg.Connection[Any], admin_url: str) -> Iterator[str]:
    name = f"sitless_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
