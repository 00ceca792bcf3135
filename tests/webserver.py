"""Serve an app over real HTTP(S) with uvicorn inside the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from tests.servers import HOST, free_port


@contextlib.asynccontextmanager
async def serving(app: Any, **options: Any) -> AsyncIterator[str]:
    """Serve ``app`` (its lifespan run by the caller) on a free port; yield its base URL.

    ``options`` go to ``uvicorn.Config`` (``ssl_certfile`` and ``ssl_keyfile`` for HTTPS).
    """
    port = free_port()
    config = uvicorn.Config(
        app, host=HOST, port=port, log_level="warning", lifespan="off", **options
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError(f"uvicorn did not start on {HOST}:{port}")
            await asyncio.sleep(0.02)
        scheme = "https" if options.get("ssl_certfile") else "http"
        yield f"{scheme}://{HOST}:{port}"
    finally:
        server.should_exit = True
        await task
