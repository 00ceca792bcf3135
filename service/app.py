"""The service: ``create_app(settings)`` builds the FastAPI app; its lifespan runs ingest.

Start-up opens, in order, the SQL store, the rules (an invalid file stops start-up), the
time-series writer (when configured), the MQTT connection, the delivery channels (web push
with its VAPID key, Apprise), the wearers' calendars (read once before ingest starts,
then polled) and the ingest task; shutdown stops them, flushes and closes them in
reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from service.api import router as api_router
from service.api.access import router as access_router
from service.api.exports import router as exports_router
from service.api.prompting import router as prompting_router
from service.config import ServiceSettings
from service.context import CalendarPoller, Contexts
from service.homeassistant import HomeAssistant
from service.ingest import Ingest, wanted_kinds
from service.live import Live
from service.metrics import Metrics
from service.notify import Notifier
from service.notify.channel import Channel
from service.notify.fanout import Printer
from service.notify.webpush import VapidKeys, WebPushChannel
from service.rules import Engine, RuleSet, default_rules_path, load_rules
from service.store.sql import SqlStore
from service.store.timeseries import TimeSeriesWriter
from service.web import router as web_router
from sitless.mqtt import MqttClient
from sitless.mqtt_config import MqttSettings
from sitless.wire import subscription

log = logging.getLogger(__name__)

# The ingest path allocates a few container objects per message. At Python's default
# (a young-generation collection every 700 allocations) the cycle collector took a
# seventh of the ingest benchmark's time; every 10,000, with what start-up loaded moved
# out of its sight, a third of that.
GC_YOUNG_EVERY = 10_000


def tune_gc() -> None:
    """Collect cycles less often: called once by the process that runs the service."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_EVERY, middle, old)


@dataclass
class Runtime:
    """What the running service holds; routes reach it through ``app.state.runtime``."""

    settings: ServiceSettings
    store: SqlStore
    rules: RuleSet
    metrics: Metrics = field(default_factory=Metrics)
    live: Live = field(default_factory=Live)
    mqtt: MqttClient | None = None
    ingest: Ingest | None = None
    timeseries: TimeSeriesWriter | None = None
    engine: Engine | None = None
    notifier: Notifier | None = None
    calendar: CalendarPoller | None = None
    vapid: VapidKeys | None = None


def create_app(
    settings: ServiceSettings,
    mqtt: MqttSettings,
    *,
    console: Printer | None = None,
) -> FastAPI:
    """Build the service.

    Args:
        settings: the ``[service]`` section.
        mqtt: the ``[mqtt]`` section.
        console: how to print a prompt on the console (None: not at all).
    """

    rules = load_rules(
        settings.rules or default_rules_path()
    )  # an invalid rule file stops start-up here

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            store = SqlStore(settings.database_url)
            stack.callback(store.close)
            await asyncio.to_thread(store.create_all)
            runtime = Runtime(settings=settings, store=store, rules=rules)
            app.state.runtime = runtime
            if settings.influx.url:
                runtime.timeseries = TimeSeriesWriter(
                    url=settings.influx.url,
                    token=settings.influx.token,
                    org=settings.influx.org,
                    bucket=settings.influx.bucket,
                    batch_size=settings.influx.batch_size,
                    flush_interval_s=settings.influx.flush_interval_s,
                    max_buffer=settings.influx.max_buffer,
                )
                stack.callback(runtime.timeseries.close)
            client = MqttClient(
                mqtt.broker, client_id=settings.client_id, v5=mqtt.v5, persistent=True
            )
            runtime.mqtt = client
            channels: list[Channel] = []
            push = settings.notify.webpush
            if push.enabled:
                runtime.vapid = await asyncio.to_thread(
                    VapidKeys.load_or_create, push.vapid_key_file
                )
                channels.append(
                    WebPushChannel(
                        store,
                        runtime.vapid,
                        subject=push.subject,
                        ttl_s=push.ttl_s,
                        timeout_s=settings.notify.timeout_s,
                    )
                )
            notifier = Notifier(
                client,
                runtime.metrics,
                channels=channels,
                apprise_urls=settings.notify.apprise_urls,
                console=console if settings.notify.console else None,
                timeout_s=settings.notify.timeout_s,
                retries=settings.notify.retries,
                backoff_s=settings.notify.backoff_s,
                max_backoff_s=settings.notify.max_backoff_s,
            )
            runtime.notifier = notifier
            engine = runtime.engine = Engine(rules, settings.tz)
            ha = settings.homeassistant
            homeassistant = (
                HomeAssistant(
                    client, runtime.metrics, prefix=ha.discovery_prefix, interval_s=ha.interval_s
                )
                if ha.enabled
                else None
            )
            contexts = Contexts(
                settings.tz, keep_totals=engine.needs_totals or homeassistant is not None
            )
            ingest = Ingest(
                mqtt=client,
                store=store,
                engine=engine,
                notifier=notifier,
                metrics=runtime.metrics,
                live=runtime.live,
                timeseries=runtime.timeseries,
                queue_size=settings.queue_size,
                contexts=contexts,
                homeassistant=homeassistant,
            )
            runtime.ingest = ingest
            if settings.calendar.sources:
                runtime.calendar = CalendarPoller(
                    settings.calendar.sources,
                    contexts,
                    runtime.metrics,
                    zone_of=lambda w: _zone_of(contexts, w, engine),
                    interval_s=settings.calendar.poll_s,
                )
                await runtime.calendar.poll_once()  # meetings known before the first event
                poller = asyncio.create_task(runtime.calendar.run(), name="calendar")
                stack.push_async_callback(_cancel, poller)
            client.on_message = ingest.on_message
            for kind in wanted_kinds():
                client.subscribe(subscription(kind, share_group=mqtt.share_group), qos=1)
            await client.start()
            stack.push_async_callback(client.stop)
            stack.push_async_callback(notifier.close)
            task = asyncio.create_task(ingest.run(), name="ingest")
            stack.push_async_callback(_cancel, task)
            log.info(
                "service up: broker %s, store %s", mqtt.broker, _safe_url(settings.database_url)
            )
            yield

    app = FastAPI(
        title="sitless",
        summary="Posture, sitting time and move prompts for people who sit all day.",
        version="1",
        lifespan=lifespan,
    )
    app.include_router(api_router)
    app.include_router(access_router)
    app.include_router(exports_router)
    app.include_router(prompting_router)
    app.include_router(web_router)
    return app


def _zone_of(contexts: Contexts, wearer: str, engine: Engine) -> ZoneInfo:
    state = contexts.get(wearer)
    if state is not None and state.context.tz is not None:
        return state.context.tz
    return engine.default_tz


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _safe_url(url: str) -> str:
    head, sep, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://***@{tail}" if sep else url
