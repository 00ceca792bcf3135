"""Migrations and models agree, on SQLite and PostgreSQL; old databases are adopted.

The first test is the guard for everyone changing ``service/store/sql.py``: a table or
column added to the models without a migration fails it. Write the migration with
``python -m service.store.migrate revision "what changed"``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect

import service.store.access  # noqa: F401  (its tables join the metadata)
from service.store import migrate
from service.store.sql import Base, SqlStore


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sitless.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


def test_the_migrations_build_exactly_the_models_schema(url: str) -> None:
    store = SqlStore(url)
    store.create_all()
    store.close()
    engine = create_engine(url)
    with engine.connect() as connection:
        assert migrate.current(connection) == migrate.head()
        differences = migrate.differences(connection)
    engine.dispose()
    assert differences == [], (
        "the models and the migrations differ; write a migration with"
        f' python -m service.store.migrate revision "...": {differences}'
    )


def test_a_database_made_before_migrations_is_adopted_with_its_data(url: str) -> None:
    engine = create_engine(url)
    before = ("wearers", "bouts", "prompts", "acks", "device_status", "gaps")
    Base.metadata.create_all(engine, tables=[Base.metadata.tables[t] for t in before])
    with engine.begin() as connection:
        connection.execute(
            Base.metadata.tables["wearers"].insert(),
            {"id": "ana", "created": datetime(2026, 3, 2, tzinfo=UTC), "timezone": None},
        )
    engine.dispose()
    store = SqlStore(url)
    store.create_all()
    assert [w.id for w in store.wearers()] == ["ana"]
    store.close()
    engine = create_engine(url)
    with engine.connect() as connection:
        assert migrate.current(connection) == migrate.head()
        assert set(inspect(connection).get_table_names()) >= set(Base.metadata.tables)
        assert migrate.differences(connection) == []
    engine.dispose()


def test_the_migrations_go_down_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sitless.db'}"
    engine = create_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as connection:
        command.downgrade(migrate._config(connection), "base")
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    with engine.connect() as connection:
        assert migrate.differences(connection) == []
    engine.dispose()


@pytest.mark.integration
def test_instances_starting_together_on_postgresql_migrate_once(postgres_url: str) -> None:
    stores = [SqlStore(postgres_url) for _ in range(6)]
    start = threading.Barrier(len(stores))
    failures: list[BaseException] = []

    def run(store: SqlStore) -> None:
        start.wait()
        try:
            store.create_all()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for store in stores:
        store.close()
    assert failures == []
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        assert migrate.current(connection) == migrate.head()
    engine.dispose()
