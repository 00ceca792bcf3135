"""The SQL store the operator's commands work on: the service's, from the same config."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from sitless.errors import SitlessError

if TYPE_CHECKING:
    from service.config import ServiceSettings
    from service.store.sql import SqlStore

err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(help="TOML config file (default: $SITLESS_CONFIG or built-ins)."),
]


@contextlib.contextmanager
def opened(config: Path | None) -> Iterator[tuple[ServiceSettings, SqlStore]]:
    """(service settings, SqlStore) from ``config``; errors end the command with exit 2."""
    from service.store.sql import SqlStore
    from sitless.config import load

    try:
        settings = load(config).service
        store = SqlStore(settings.database_url)
    except SitlessError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    try:
        store.create_all()
        yield settings, store
    except SitlessError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    finally:
        store.close()


def fail(message: str) -> typer.Exit:
    """Print ``message`` as an error; return the exit to raise (code 1)."""
    err.print(f"[red]error:[/] {message}")
    return typer.Exit(1)
