"""``sitless demo``: the whole loop on one machine, on embedded defaults."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel

from sitless.errors import SitlessError

err = Console(stderr=True)
out = Console()

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta:
    """``90m``, ``1h30m``, ``2h``, ``45s`` or plain seconds → timedelta."""
    text = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return timedelta(seconds=float(text))
    parts = re.findall(r"(\d+(?:\.\d+)?)([dhms])", text)
    if not parts or "".join(n + u for n, u in parts) != text.replace(" ", ""):
        raise typer.BadParameter(f"{text!r} is not a duration like 90m, 1h30m or 45s")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


def demo(
    broker: Annotated[
        str | None,
        typer.Option(help="Use this broker (mqtt://host:port) instead of the in-process one."),
    ] = None,
    speed: Annotated[
        float, typer.Option(min=1, help="Simulated seconds per real second (120: 45 min in 22 s).")
    ] = 120.0,
    for_: Annotated[
        str | None,
        typer.Option("--for", help="Stop after this much simulated time (e.g. 2h, 90m)."),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print a JSON summary at exit (and less chatter).")
    ] = False,
    web: Annotated[bool, typer.Option(help="Serve the dashboard while the demo runs.")] = True,
    port: Annotated[int, typer.Option(help="Dashboard port.")] = 8000,
    wearer: Annotated[str, typer.Option(help="Wearer id of the simulated wearer.")] = "demo",
    seed: Annotated[int, typer.Option(help="Seed of the simulated day.")] = 0,
    keep: Annotated[
        bool, typer.Option(help="Keep the dashboard up after the day ends, until Ctrl-C.")
    ] = False,
) -> None:
    """Run a simulated office day through collector, MQTT, service and dashboard.

    Prints each posture change and each prompt (with its routine) as it happens, and
    stops at the end of the day, after --for, or on Ctrl-C.
    """
    until = parse_duration(for_) if for_ else None
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        summary = asyncio.run(_demo(broker, speed, until, json_out, web, port, wearer, seed, keep))
    except KeyboardInterrupt:
        err.print("[yellow]stopped[/]")
        raise typer.Exit(130) from None
    except SitlessError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    if json_out:
        print(json.dumps(summary, indent=2))


async def _demo(
    broker_url: str | None,
    speed: float,
    until: timedelta | None,
    quiet: bool,
    web: bool,
    port: int,
    wearer: str,
    seed: int,
    keep: bool,
) -> dict[str, Any]:
    from collector.app import Collector
    from collector.publish.outbox import Outbox
    from collector.sources.simulator import Simulator, office_day
    from service.app import create_app
    from service.config import ServiceSettings
    from sitless.broker import EmbeddedBroker
    from sitless.mqtt_config import MqttSettings
    from sitless.wire import check_id

    check_id(wearer, "wearer")
    workdir = Path(tempfile.mkdtemp(prefix="sitless-demo-"))
    settings = ServiceSettings(
        database_url=f"sqlite:///{workdir / 'sitless.db'}", port=port, client_id=workdir.name
    )
    tz = settings.tz
    day = _last_workday(datetime.now(tz).date())
    t0 = datetime.combine(day, time(8, 30), tz).astimezone(UTC)

    async with contextlib.AsyncExitStack() as stack:
        if broker_url is None:
            broker = await stack.enter_async_context(EmbeddedBroker())
            broker_url = str(broker.url)
        mqtt = MqttSettings(url=broker_url)
        app = create_app(settings, mqtt, console=None if quiet else _print_prompt)
        await stack.enter_async_context(app.router.lifespan_context(app))
        runtime = app.state.runtime
        if not quiet:
            stack.enter_context(_posture_printer(runtime.live, tz))
        if web:
            await stack.enter_async_context(_web(app, settings.host, port))
            err.print(
                f"dashboard: [bold]http://{settings.host}:{port}/?wearer={wearer}&day={day}[/]"
            )
        err.print(f"simulated office day {day:%A %Y-%m-%d} from 08:30 ({tz}), {speed:g}x speed")
        err.print(f"broker {broker_url}, data in {workdir}", highlight=False)
        outbox = Outbox(workdir / "outbox.db")
        stack.callback(outbox.close)
        collector = Collector(
            Simulator(office_day(), rate_hz=50, seed=seed),
            mqtt.broker,
            wearer=wearer,
            device="sim-1",
            outbox=outbox,
            t0=t0,
            speed=speed,
            on_prompt=None if quiet else _buzz,
        )
        progress = await collector.run(until=until)
        if progress.last_seq is not None:
            await runtime.ingest.caught_up(wearer, "sim-1", progress.last_seq)
        summary = _summary(runtime.store, wearer, day, tz)
        if keep and web:
            err.print("day done; dashboard stays up until Ctrl-C")
            await asyncio.Event().wait()
        return summary


def _last_workday(today: date) -> date:
    """Today, or the Friday before on a weekend: the default rules prompt on workdays."""
    return today - timedelta(days=max(0, today.weekday() - 4))


def _summary(store: Any, wearer: str, day: Any, tz: Any) -> dict[str, Any]:
    from service.bouts import summarize_day

    start = datetime.combine(day, time(0), tz)
    end = start + timedelta(days=1)
    summary = summarize_day(store.bouts_between(wearer, start, end), day, tz)
    prompts = store.prompts_between(wearer, start, end)
    return {
        "wearer": wearer,
        "day": day.isoformat(),
        "sitting_min": round(summary.sitting_min, 1),
        "longest_bout_min": round(summary.longest_sitting_min, 1),
        "breaks": summary.breaks,
        "prompts": [
            {
                "wearer": p.wearer,
                "rule": p.rule,
                "routine": p.routine,
                "at": p.at.astimezone(tz).isoformat(),
                "answered": p.outcome not in (None, "ignored"),
                "outcome": p.outcome,
            }
            for p in prompts
        ],
    }


@contextlib.contextmanager
def _posture_printer(live: Any, tz: Any) -> Any:
    async def follow() -> None:
        last: str | None = None
        async with live.subscribe() as queue:
            while True:
                update = await queue.get()
                if update["type"] == "posture" and update["posture"] != last:
                    at = datetime.fromisoformat(update["since"]).astimezone(tz)
                    err.print(f"{at:%H:%M:%S}  {last or '—'} → [bold]{update['posture']}[/]")
                    last = update["posture"]
                elif update["type"] == "answer":
                    at = datetime.fromisoformat(update["at"]).astimezone(tz)
                    err.print(f"{at:%H:%M:%S}  prompt answered: {update['outcome']}")

    task = asyncio.ensure_future(follow())
    try:
        yield
    finally:
        task.cancel()


@contextlib.asynccontextmanager
async def _web(app: Any, host: str, port: int) -> Any:
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                raise SitlessError(
                    f"cannot serve the dashboard on {host}:{port} (port in use? try --port)"
                )
            await asyncio.sleep(0.05)
        yield
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, SystemExit):
            await task


def _print_prompt(prompt: Any) -> None:
    from service.notify.fanout import render_text

    at = prompt.at.strftime("%H:%M")
    err.print(Panel(render_text(prompt), title=f"{at}  {prompt.title}", subtitle=prompt.rule))


def _buzz(prompt: Any) -> None:
    err.print("  [dim]↳ delivered to the wearer's collector[/]")
