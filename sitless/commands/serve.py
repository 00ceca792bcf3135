"""``sitless serve``: run the service (API, dashboard, ingest) against a real broker."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sitless.errors import SitlessError

err = Console(stderr=True)


def serve(
    config: Annotated[
        Path | None, typer.Option(help="TOML config file (default: $SITLESS_CONFIG or built-ins).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the service: subscribe to postures, prompt, store, serve the dashboard."""
    import uvicorn

    from service.app import create_app, tune_gc
    from sitless.config import load

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load(config)
        app = create_app(settings.service, settings.mqtt, console=None)
    except SitlessError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    tune_gc()
    uvicorn.run(
        app,
        host=settings.service.host,
        port=settings.service.port,
        log_level=log_level,
        ssl_certfile=settings.service.tls_certfile,
        ssl_keyfile=settings.service.tls_keyfile,
    )
