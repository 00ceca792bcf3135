"""Fixtures for tests that run the service and collector against real servers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from service.app import Runtime, create_app
from service.config import ServiceSettings
from sitless.mqtt_config import MqttSettings

RunService = Callable[..., contextlib.AbstractAsyncContextManager[Runtime]]


@pytest.fixture
def run_service(tmp_path: Path) -> RunService:
    """Start the real service (create_app + lifespan) on a broker; yields its Runtime.

    Each call in one test shares the same SQLite file and MQTT client id, so a second
    call is the same service restarted.
    """

    @contextlib.asynccontextmanager
    async def run(port: int, **overrides: Any) -> AsyncIterator[Runtime]:
        settings = ServiceSettings(
            database_url=f"sqlite:///{tmp_path / 'service.db'}",
            client_id=f"service-{tmp_path.name}",
            **overrides,
        )
        app = create_app(settings, MqttSettings(url=f"mqtt://127.0.0.1:{port}"))
        async with app.router.lifespan_context(app):
            runtime: Runtime = app.state.runtime
            assert runtime.mqtt is not None
            await runtime.mqtt.wait_connected(10)
            yield runtime

    return run
