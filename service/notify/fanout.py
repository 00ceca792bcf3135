"""Send one prompt to every configured channel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import apprise

from service.metrics import Metrics
from sitless.mqtt import MqttClient
from sitless.wire import Kind, Prompt, encode, topic

log = logging.getLogger(__name__)

Printer = Callable[[Prompt], None]


def render_text(prompt: Prompt) -> str:
    """The prompt as plain text: message, then numbered steps."""
    lines = [prompt.message, ""]
    for i, step in enumerate(prompt.steps, 1):
        dose = " ".join(
            x for x in (step.reps, f"hold {step.hold_s:g} s" if step.hold_s else None) if x
        )
        lines.append(f"{i}. {step.text}" + (f" ({dose})" if dose else ""))
    return "\n".join(lines).strip()


class Notifier:
    """Fans a prompt out to MQTT, the console and Apprise URLs."""

    def __init__(
        self,
        mqtt: MqttClient,
        metrics: Metrics,
        *,
        apprise_urls: list[str] | tuple[str, ...] = (),
        console: Printer | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.mqtt = mqtt
        self.metrics = metrics
        self.console = console
        self.timeout_s = timeout_s
        self._apprise: apprise.Apprise | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        if apprise_urls:
            self._apprise = apprise.Apprise()
            for url in apprise_urls:
                if not self._apprise.add(url):
                    log.error("Apprise does not understand the URL %r; it is skipped", url)
                    metrics.inc("notify_failed", "bad_apprise_url")
        metrics.describe("notify_sent", "prompts delivered, per channel", "channel")
        metrics.describe("notify_failed", "prompt deliveries that failed, per channel", "channel")

    def send(self, prompt: Prompt) -> asyncio.Future[None]:
        """Publish on MQTT now and start the other channels; returns the MQTT ack future."""
        future = self.mqtt.publish(topic(prompt.wearer, Kind.PROMPT), encode(prompt), qos=1)
        future.add_done_callback(lambda f: self._count("mqtt", f))
        if self.console is not None:
            self.console(prompt)
            self.metrics.inc("notify_sent", "console")
        if self._apprise is not None:
            self._spawn(self._apprise_send(prompt))
        return future

    async def close(self) -> None:
        """Wait briefly for channels still sending."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.timeout_s)

    def _count(self, channel: str, future: asyncio.Future[None]) -> None:
        if future.cancelled() or future.exception() is not None:
            self.metrics.inc("notify_failed", channel)
        else:
            self.metrics.inc("notify_sent", channel)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _apprise_send(self, prompt: Prompt) -> None:
        assert self._apprise is not None
        body = render_text(prompt)
        delay = 1.0
        for attempt in range(3):
            try:
                ok = bool(
                    await asyncio.wait_for(
                        asyncio.to_thread(self._apprise.notify, body=body, title=prompt.title),
                        self.timeout_s,
                    )
                )
            except TimeoutError:
                ok = False
            if ok:
                self.metrics.inc("notify_sent", "apprise")
                return
            log.warning("Apprise delivery of %s failed (attempt %d)", prompt.id, attempt + 1)
            await asyncio.sleep(delay)
            delay *= 4
        self.metrics.inc("notify_failed", "apprise")
