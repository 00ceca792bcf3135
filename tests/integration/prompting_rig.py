"""Helpers for the prompting tests: the service with its app, a wearer who sits, a spy.

``service`` starts the real service (create_app + lifespan) like ``run_service`` but also
gives the FastAPI app, so a test can call the API through httpx's ASGI transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from service.app import Runtime, create_app
from service.config import ServiceSettings
from sitless.mqtt import BrokerUrl, MqttClient
from sitless.mqtt_config import MqttSettings
from sitless.wire import Bout, Kind, Posture, PostureEvent, Prompt, decode, encode, subscription
from sitless.wire import topic as topic_of


@dataclass
class Service:
    app: FastAPI
    runtime: Runtime

    def http(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url="http://sitless")


@contextlib.asynccontextmanager
async def service(port: int, db: Path, client_id: str, **overrides: Any) -> AsyncIterator[Service]:
    """The real service on the broker at ``port``, its store in the SQLite file ``db``."""
    settings = ServiceSettings(database_url=f"sqlite:///{db}", client_id=client_id, **overrides)
    app = create_app(settings, MqttSettings(url=f"mqtt://127.0.0.1:{port}"))
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        assert runtime.mqtt is not None
        await runtime.mqtt.wait_connected(10)
        yield Service(app, runtime)


@dataclass
class Wearer:
    """Publishes one wearer's posture events, a minute (60 epochs) per message."""

    client: MqttClient
    name: str = "ann"
    device: str = "thigh"
    seq: int = 0
    bout_start: datetime | None = None
    posture: Posture | None = None
    prior: Bout | None = None

    async def hold(self, posture: Posture, start: datetime, minutes: int) -> datetime:
        """Be in ``posture`` from ``start`` for ``minutes``; returns the end."""
        if posture is not self.posture:
            if self.posture is not None and self.bout_start is not None:
                self.prior = Bout(posture=self.posture, start=self.bout_start)
            self.posture, self.bout_start = posture, start
        t = start
        for _ in range(minutes):
            await self.send(t, (posture,) * 60)
            t += timedelta(minutes=1)
        return t

    async def send(self, start: datetime, postures: tuple[Posture, ...]) -> None:
        assert self.bout_start is not None
        event = PostureEvent(
            wearer=self.name,
            device=self.device,
            seq=self.seq,
            start=start,
            postures=postures,
            since=self.bout_start,
            prior=self.prior,
        )
        self.seq += 1
        await self.client.publish(topic_of(self.name, Kind.POSTURE), encode(event))


@dataclass
class PromptSpy:
    """Every prompt the broker carries, with when it arrived (monotonic seconds)."""

    port: int
    prompts: list[tuple[Prompt, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = MqttClient(BrokerUrl("127.0.0.1", self.port), on_message=self._got)
        self.client.subscribe(subscription(Kind.PROMPT))

    def _got(self, name: str, payload: bytes) -> None:
        message = decode(name, payload)
        assert isinstance(message, Prompt)
        self.prompts.append((message, time.monotonic()))

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Prompt]:
        deadline = time.monotonic() + timeout
        while len(self.prompts) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.prompts)} of {count} prompts arrived")
            await asyncio.sleep(0.01)
        return [p for p, _ in self.prompts]


async def until(condition: Any, timeout: float = 10.0, what: str = "condition") -> None:
    """Wait until ``condition()`` is true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout} s")
        await asyncio.sleep(0.01)
