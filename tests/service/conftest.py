"""Fixtures for the service's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.store.sql import SqlStore


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """A fresh SQL store, once on SQLite and once on the machine's PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'sitless.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    store = SqlStore(url)
    store.create_all()
    yield store
    store.close()
