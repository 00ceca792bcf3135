"""Schema migrations: Alembic scripts in ``migrations/`` bring any database to the models.

``SqlStore.create_all`` calls ``upgrade``: an empty database gets every table, an older one
the migrations it lacks. Several service instances may start at once on PostgreSQL: a
transaction-scoped advisory lock lets one migrate while the others wait and then find
nothing to do. A database sitless made before it had migrations (tables, no
``alembic_version``) is adopted: the tables it lacks are created, as sitless did then,
and it is marked as current.

When you change the models, write the migration that goes with them (a test fails until
you do), read it, and keep it::

    python -m service.store.migrate revision "add the foo table"
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import Connection

import service.store.access  # noqa: F401  (its tables join the metadata)
from service.store.sql import Base

MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant works; it only has to be the same for every sitless instance.
ADVISORY_LOCK_KEY = 0x5177_1E55


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None, "no migrations"
    return revision


def current(connection: Connection) -> str | None:
    """The revision the database is at (None: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the database behind ``engine`` to the newest revision."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            )
        if current(connection) is None and inspect(connection).has_table("wearers"):
            Base.metadata.create_all(connection)
            command.stamp(_config(connection), "head")
        command.upgrade(_config(connection), "head")


def differences(connection: Connection) -> list[Any]:
    """What the models have that the database does not, or the other way round."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def revision(message: str) -> None:
    """Write a new migration: the models compared with a scratch database at head."""
    with tempfile.TemporaryDirectory(prefix="sitless-migrate-") as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'head.db'}")
        upgrade(engine)
        number = len(list((MIGRATIONS / "versions").glob("*.py"))) + 1
        with engine.begin() as connection:
            command.revision(
                _config(connection), message=message, autogenerate=True, rev_id=f"{number:04d}"
            )
        engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        raise SystemExit('usage: python -m service.store.migrate revision "what changed"')
    revision(sys.argv[2])
