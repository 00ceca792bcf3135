"""Send one prompt to every configured channel; a failing channel never holds up another.

The MQTT prompt topic is published first and at once (the wearer's collector may buzz).
Every other channel (console aside, which prints synchronously) gets its own task per
prompt: a try with a timeout, then retries with doubling backoff up to a cap. Each
failure is logged; each retry and each final failure is counted per channel
(``notify_retries``, ``notify_failed``), each delivery too (``notify_sent``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from service.metrics import Metrics
from service.notify.apprise_urls import AppriseChannel
from service.notify.channel import Channel, DeliveryError
from service.notify.text import render_text
from sitless.mqtt import MqttClient
from sitless.wire import Kind, Prompt, encode, topic

log = logging.getLogger(__name__)

Printer = Callable[[Prompt], None]

__all__ = ["Channel", "DeliveryError", "Notifier", "Printer", "render_text"]


class Notifier:
    """Fans a prompt out to MQTT, the console and the other channels.

    Args:
        mqtt: the service's MQTT client (prompt topic).
        metrics: counters.
        channels: the other channels (Apprise, web push, ...).
        apprise_urls: shorthand for an Apprise channel with these URLs.
        console: how to print a prompt (None: not at all).
        timeout_s: each try of a channel gives up after this long.
        retries: tries after the first one.
        backoff_s: wait before the first retry; doubles each time up to ``max_backoff_s``.
    """

    def __init__(
        self,
        mqtt: MqttClient,
        metrics: Metrics,
        *,
        channels: Sequence[Channel] = (),
        apprise_urls: list[str] | tuple[str, ...] = (),
        console: Printer | None = None,
        timeout_s: float = 10.0,
        retries: int = 3,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
    ) -> None:
        self.mqtt = mqtt
        self.metrics = metrics
        self.console = console
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        metrics.describe("notify_sent", "prompts delivered, per channel", "channel")
        metrics.describe("notify_failed", "prompt deliveries that failed, per channel", "channel")
        metrics.describe("notify_retries", "delivery retries, per channel", "channel")
        self.channels: list[Channel] = list(channels)
        if apprise_urls:
            self.channels.append(AppriseChannel(apprise_urls, metrics))
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, prompt: Prompt) -> asyncio.Future[None]:
        """Publish on MQTT now and start the other channels; returns the MQTT ack future."""
        future = self.mqtt.publish(topic(prompt.wearer, Kind.PROMPT), encode(prompt), qos=1)
        future.add_done_callback(lambda f: self._count("mqtt", f))
        if self.console is not None:
            self.console(prompt)
            self.metrics.inc("notify_sent", "console")
        for channel in self.channels:
            self._spawn(self.deliver(channel, prompt))
        return future

    async def close(self) -> None:
        """Wait briefly for channels still sending, then give up on them."""
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=self.timeout_s)
            for task in pending:
                task.cancel()

    async def idle(self) -> None:
        """Wait until every channel task started so far has finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def _count(self, channel: str, future: asyncio.Future[None]) -> None:
        if future.cancelled() or future.exception() is not None:
            self.metrics.inc("notify_failed", channel)
        else:
            self.metrics.inc("notify_sent", channel)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(self, channel: Channel, prompt: Prompt) -> None:
        """Deliver through one channel: tries with a timeout, retries with backoff, counts."""
        delay = self.backoff_s
        for attempt in range(self.retries + 1):
            try:
                await asyncio.wait_for(channel.deliver(prompt), self.timeout_s)
            except TimeoutError:
                problem, retry = f"no answer within {self.timeout_s:g} s", True
            except DeliveryError as exc:
                problem, retry = str(exc), exc.retry
            else:
                self.metrics.inc("notify_sent", channel.name)
                return
            log.warning(
                "%s could not deliver prompt %s (try %d of %d): %s",
                channel.name,
                prompt.id,
                attempt + 1,
                self.retries + 1,
                problem,
            )
            if not retry or attempt == self.retries:
                break
            self.metrics.inc("notify_retries", channel.name)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_backoff_s)
        self.metrics.inc("notify_failed", channel.name)
        log.error("%s gave up on prompt %s", channel.name, prompt.id)
