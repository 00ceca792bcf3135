"""``sitless scan``, ``sitless collect`` and ``sitless calibrate``: the Bluetooth sensors.

``scan`` lists the sensors in range that sitless can read; ``collect`` streams one
wearer's sensors through the classifier to the broker; ``calibrate`` guides the wearer
through a "stand still" (and optionally a walk) and stores the sensor's orientation for
``collect``. Each takes ``--emulate`` to run against emulated sensors instead of the
radio: a demo of the whole Bluetooth path on a machine without an adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import signal
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from sitless.errors import SitlessError

err = Console(stderr=True)
out = Console()

NO_ADAPTER = (
    "No Bluetooth adapter is available here ({detail}). sitless talks to sensors through"
    " the operating system's Bluetooth LE stack (BlueZ on Linux): plug in or enable an"
    " adapter, make sure the bluetooth service runs, and try again. To see how sitless"
    " works without one, add --emulate."
)
# Standing still: every axis varies less than this (g, SD) over the window.
STILL_SD_G = 0.03
STILL_ATTEMPTS = 3

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML config file (default: $SITLESS_CONFIG or built-ins)."),
]
EmulateOption = Annotated[
    bool,
    typer.Option(
        "--emulate",
        help="Use emulated sensors instead of the radio (addresses as `sitless scan"
        " --emulate` lists them).",
    ),
]


def scan(
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.5, help="Seconds to listen for sensors.")
    ] = 10.0,
    battery: Annotated[
        bool,
        typer.Option(
            "--battery/--no-battery",
            help="Connect briefly to each usable sensor to read its battery level.",
        ),
    ] = True,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also list devices no sitless driver can read.")
    ] = False,
    emulate: EmulateOption = False,
) -> None:
    """List nearby sensors sitless can use, as a live table.

    For each: name, address, signal strength (dBm), the driver that reads
    it (the KIND to pass as --sensor KIND:ADDRESS), its battery if
    readable, and whether it can show a prompt. Exits with status 2 and
    an explanation when there is no Bluetooth adapter.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _run(_scan(timeout, battery, show_all, emulate))


def collect(
    wearer: Annotated[
        str | None,
        typer.Option(help="Wearer id used in topics (default: collector.wearer in the config)."),
    ] = None,
    sensor: Annotated[
        list[str] | None,
        typer.Option(
            "--sensor",
            metavar="KIND:ADDRESS",
            help="A sensor to read, e.g. polar:A0:9E:1A:12:34:56; repeat for several (a thigh"
            " sensor plus a csc bike cadence sensor). Default: collector.sensors in the config."
            " Kinds:"
            " polar, microbit, movesense, thingy, csc, hr, battery.",
        ),
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(help="Device id in messages (default: collector.device in the config)."),
    ] = None,
    broker: Annotated[
        str | None, typer.Option(help="MQTT broker URL (default: mqtt.url in the config).")
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            min=10,
            max=200,
            help="Accelerometer rate to ask for, Hz (default: collector.sensor_rate_hz).",
        ),
    ] = None,
    for_: Annotated[
        str | None, typer.Option("--for", help="Stop after this much data (e.g. 8h, 90m).")
    ] = None,
    config: ConfigOption = None,
    emulate: EmulateOption = False,
    speed: Annotated[
        float,
        typer.Option(min=1, help="With --emulate: simulated seconds per real second."),
    ] = 1.0,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "warning",
) -> None:
    """Stream a wearer's Bluetooth sensors into the classifier and publish.

    Connects to every sensor (reconnecting with backoff when one goes
    away), sends a posture event at each change and every few seconds,
    publishes the sensor's status (battery, online/offline, data gaps) and
    shows prompts on sensors that can (micro:bit LED text, Thingy:52 LED
    and tone). Unsent events wait in the outbox. Stops on Ctrl-C or after
    --for, and prints what each sensor delivered.
    """
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from sitless.commands.demo import parse_duration

    until = parse_duration(for_) if for_ else None
    _run(_collect(wearer, sensor, device, broker, rate, until, config, emulate, speed))


def calibrate(
    sensor: Annotated[
        str,
        typer.Option(
            "--sensor",
            metavar="KIND:ADDRESS",
            help="The thigh sensor to calibrate, as worn (polar, microbit, movesense, thingy).",
        ),
    ],
    stand_s: Annotated[
        float, typer.Option("--stand", min=2, max=60, help="Seconds to stand still.")
    ] = 5.0,
    walk_s: Annotated[
        float,
        typer.Option(
            "--walk",
            min=0,
            max=300,
            help="Then walk this many seconds to also learn which way the thigh faces"
            " (0: skip; 20-30 s is plenty).",
        ),
    ] = 0.0,
    config: ConfigOption = None,
    emulate: EmulateOption = False,
    speed: Annotated[
        float,
        typer.Option(min=1, help="With --emulate: simulated seconds per real second."),
    ] = 1.0,
) -> None:
    """Learn how the sensor sits on the thigh, for `sitless collect`.

    Strap the sensor on where it will be worn, stand up straight and still
    when asked, optionally walk a few steps: the orientation is stored per
    sensor in the calibrations file (collector.calibrations). Without it
    the classifier learns the orientation from the first minutes of walking.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _run(_calibrate(sensor, stand_s, walk_s, config, emulate, speed))


def _run(main: Coroutine[Any, Any, None]) -> None:
    """Run a command's coroutine: Ctrl-C exits 130, a sitless error (no adapter, a bad
    sensor spec or config) is printed and exits 2."""
    try:
        asyncio.run(main)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except SitlessError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None


class NoAdapter(SitlessError):
    """The machine has no usable Bluetooth adapter."""

    reason = "no_adapter"


def no_adapter(exc: BaseException) -> NoAdapter | None:
    """A ``NoAdapter`` explaining ``exc`` if it means "no Bluetooth here", else None.

    bleak raises ``BleakBluetoothNotAvailableError`` when BlueZ has no adapter (or it is
    off), and on Linux a plain ``FileNotFoundError`` when there is no system D-Bus to
    reach BlueZ at all.
    """
    from bleak.exc import BleakBluetoothNotAvailableError, BleakDBusError

    if isinstance(exc, BleakBluetoothNotAvailableError):
        return NoAdapter(NO_ADAPTER.format(detail=str(exc) or "bluetooth not available"))
    if isinstance(exc, FileNotFoundError | ConnectionRefusedError):
        return NoAdapter(NO_ADAPTER.format(detail=f"cannot reach the system D-Bus: {exc}"))
    if isinstance(exc, BleakDBusError) and "ServiceUnknown" in str(exc):
        return NoAdapter(NO_ADAPTER.format(detail="BlueZ is not running"))
    return None


@dataclass
class Radio:
    """Where bleak looks: the OS stack, or an emulated world (with its clock)."""

    scanner_backend: type[Any] | None = None
    client_backend: type[Any] | None = None
    clock: Callable[[], float] | None = None
    start: datetime | None = None
    world: Any = None

    @classmethod
    def open(cls, emulate: bool, *, speed: float = 1.0, standing_first: bool = False) -> Radio:
        if not emulate:
            return cls()
        from collector.emulator import demo_world
        from collector.sources.simulator import Segment, office_day
        from sitless.wire import Posture

        start = datetime.now(UTC).replace(microsecond=0)
        timeline = None
        if standing_first:
            timeline = (Segment(Posture.STANDING, 60.0), *office_day())
        world = demo_world(start, speed=speed, timeline=timeline)
        err.print(
            "[yellow]emulated sensors[/] (no radio): "
            + escape(", ".join(f"{d.name} {a}" for a, d in world.devices.items())),
            highlight=False,
        )
        return cls(world.scanner_backend, world.client_backend, world.clock, start, world)

    def link_options(self, reconnect_max_s: float = 60.0) -> dict[str, Any]:
        from collector.link import Backoff

        options: dict[str, Any] = {"backoff": Backoff(max_s=reconnect_max_s)}
        if self.world is not None:
            options.update(
                scanner_backend=self.scanner_backend,
                client_backend=self.client_backend,
                clock=self.clock,
                scan_timeout_s=2.0,
            )
        return options


@dataclass
class Seen:
    name: str | None
    address: str
    rssi: int
    kind: str | None
    battery: str = ""


async def _scan(timeout: float, battery: bool, show_all: bool, emulate: bool) -> None:
    from bleak import BleakScanner

    from collector.sensors import identify

    radio = Radio.open(emulate)
    seen: dict[str, Seen] = {}

    def found(device: Any, adv: Any) -> None:
        kind = identify(adv.local_name or device.name, list(adv.service_uuids))
        entry = seen.get(device.address)
        if entry is None:
            seen[device.address] = Seen(
                adv.local_name or device.name, device.address, adv.rssi, kind
            )
        else:
            entry.rssi = adv.rssi
            entry.name = adv.local_name or entry.name

    kwargs: dict[str, Any] = {}
    if radio.scanner_backend is not None:
        kwargs["backend"] = radio.scanner_backend
    scanner = BleakScanner(found, **kwargs)
    try:
        await scanner.start()
    except Exception as exc:
        problem = no_adapter(exc)
        if problem is not None:
            raise problem from exc
        raise
    with Live(_table(seen, show_all, timeout), console=out, refresh_per_second=4) as live:
        try:
            loop = asyncio.get_running_loop()
            end = loop.time() + timeout
            while (left := end - loop.time()) > 0:
                live.update(_table(seen, show_all, left))
                await asyncio.sleep(min(0.25, left))
        finally:
            await scanner.stop()
        if battery:
            for entry in sorted(seen.values(), key=lambda e: -e.rssi):
                if entry.kind is None:
                    continue
                entry.battery = "…"
                live.update(_table(seen, show_all, None))
                entry.battery = await _read_battery(entry.address, radio)
                live.update(_table(seen, show_all, None))
        live.update(_table(seen, show_all, None))
    usable = [e for e in seen.values() if e.kind]
    if not usable:
        err.print("no sensor sitless can read was found; is it awake and not connected elsewhere?")
    else:
        example = max(usable, key=lambda e: e.rssi)
        err.print(
            f"read one with: sitless collect --sensor {example.kind}:{example.address}",
            highlight=False,
        )


def _table(seen: dict[str, Seen], show_all: bool, left: float | None) -> Table:
    from collector.sensors import DRIVERS

    title = f"scanning… {left:.0f} s" if left is not None else "sensors in range"
    table = Table(title=title, title_justify="left")
    for column in ("name", "address", "dBm", "driver", "battery", "prompts"):
        table.add_column(
            column,
            justify="right" if column in ("dBm", "battery") else "left",
            no_wrap=column in ("address", "dBm", "driver", "battery"),
        )
    for entry in sorted(seen.values(), key=lambda e: -e.rssi):
        if entry.kind is None and not show_all:
            continue
        driver = DRIVERS[entry.kind] if entry.kind else None
        table.add_row(
            escape(entry.name or "?"),
            entry.address,
            str(entry.rssi),
            entry.kind or "-",
            entry.battery,
            driver.prompt_note if driver else "-",
        )
    return table


async def _read_battery(address: str, radio: Radio) -> str:
    from bleak import BleakScanner
    from bleak.exc import BleakError
    from bleak_retry_connector import BleakClientWithServiceCache, establish_connection

    from collector.sensors.battery import BATTERY_LEVEL, parse_level

    scan_kwargs: dict[str, Any] = {}
    client_kwargs: dict[str, Any] = {}
    if radio.scanner_backend is not None:
        scan_kwargs["backend"] = radio.scanner_backend
        client_kwargs["backend"] = radio.client_backend
    try:
        device = await BleakScanner.find_device_by_address(address, timeout=5.0, **scan_kwargs)
        if device is None:
            return "gone"
        client = await establish_connection(
            BleakClientWithServiceCache, device, address, max_attempts=1, **client_kwargs
        )
        try:
            if client.services.get_characteristic(BATTERY_LEVEL) is None:
                return "n/a"
            level = parse_level(bytes(await client.read_gatt_char(BATTERY_LEVEL)))
            return f"{level.pct}%"
        finally:
            await client.disconnect()
    except (BleakError, SitlessError, TimeoutError) as exc:
        logging.getLogger(__name__).info("battery of %s unreadable: %s", address, exc)
        return "?"


def load_calibrations(path: Path) -> dict[str, Any]:
    """The stored calibrations by sensor (``KIND:ADDRESS``); empty if none yet."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SitlessError(f"cannot read calibrations {path}: {exc}", reason="bad_config") from exc
    return data if isinstance(data, dict) else {}


def calibration_for(path: Path, sensor: str) -> Any:
    """The stored ``Calibration`` of ``sensor``, or None."""
    from collector.posture import Calibration

    entry = load_calibrations(path).get(sensor)
    if not entry:
        return None
    forward = entry.get("forward")
    return Calibration(
        up=tuple(entry["up"]),
        forward=tuple(forward) if forward else None,
        forward_signed=bool(entry.get("forward_signed", True)),
    )


def save_calibration(path: Path, sensor: str, calibration: Any) -> None:
    """Store ``calibration`` for ``sensor``, keeping the other sensors' entries."""
    data = load_calibrations(path)
    data[sensor] = {
        "up": list(calibration.up),
        "forward": list(calibration.forward) if calibration.forward else None,
        "forward_signed": calibration.forward_signed,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


@contextlib.asynccontextmanager
async def _sensors(
    specs: list[Any], t0: datetime, rate: float, radio: Radio, reconnect_max_s: float
) -> AsyncIterator[Any]:
    from collector.link import SensorSet

    sensors = SensorSet(specs, t0=t0, rate_hz=rate, **radio.link_options(reconnect_max_s))
    async with sensors:
        err.print("connecting to " + ", ".join(str(s) for s in specs) + " …", highlight=False)
        ready = asyncio.ensure_future(sensors.ready())
        while not ready.done():
            await asyncio.wait({ready}, timeout=15)
            if not ready.done():
                link = sensors.links[sensors.primary]
                err.print(
                    f"still looking for {sensors.primary} ({link.stats.failed_connects} tries);"
                    " is it awake, in range and not connected to a phone?",
                    highlight=False,
                )
        await ready
        err.print(f"{sensors.primary} streams at {sensors.rate_hz:g} Hz", highlight=False)
        yield sensors


async def _collect(
    wearer: str | None,
    sensor: list[str] | None,
    device: str | None,
    broker: str | None,
    rate: float | None,
    until: timedelta | None,
    config: Path | None,
    emulate: bool,
    speed: float,
) -> None:
    from collector.app import Collector
    from collector.publish.outbox import Outbox
    from collector.sensors import SensorSpec
    from sitless.config import load
    from sitless.mqtt import BrokerUrl
    from sitless.wire import check_id

    settings = load(config)
    cfg = settings.collector
    wearer = check_id(wearer or cfg.wearer, "wearer")
    device = check_id(device or cfg.device, "device")
    texts = sensor or cfg.sensors
    if not texts:
        raise SitlessError(
            "no sensor given: pass --sensor KIND:ADDRESS (see `sitless scan`) or set"
            " collector.sensors in the config",
            reason="bad_config",
        )
    specs = [SensorSpec.parse(t) for t in texts]
    url = BrokerUrl.parse(broker) if broker else settings.mqtt.broker
    radio = Radio.open(emulate, speed=speed)
    t0 = radio.start or datetime.now(UTC).replace(microsecond=0)
    try:
        async with _sensors(
            specs, t0, rate or cfg.sensor_rate_hz, radio, cfg.reconnect_max_s
        ) as sensors:
            calibration = calibration_for(cfg.calibrations, str(sensors.primary))
            if calibration is not None:
                err.print(f"using the stored calibration of {sensors.primary}", highlight=False)
            outbox = Outbox(cfg.outbox)
            try:
                collector = Collector(
                    sensors,
                    url,
                    wearer=wearer,
                    device=device,
                    outbox=outbox,
                    t0=t0,
                    batch_s=cfg.batch_s,
                    on_prompt=partial(_prompted, sensors),
                    calibration=calibration,
                )
                stop = _on_signals(sensors.close)
                stopper = asyncio.ensure_future(_stop_after(sensors, until, radio))
                err.print(f"collecting for {wearer} → {url}; Ctrl-C stops", highlight=False)
                try:
                    progress = await collector.run()
                finally:
                    stopper.cancel()
                    stop()
            finally:
                outbox.close()
            _report(sensors, progress)
    except Exception as exc:
        problem = no_adapter(exc)
        if problem is not None:
            raise problem from exc
        raise


def _prompted(sensors: Any, prompt: Any) -> None:
    err.print(f"[bold magenta]prompt:[/] {prompt.title} — {prompt.message}", highlight=False)
    sensors.signal(prompt)


def _on_signals(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` on SIGINT/SIGTERM (a graceful stop); returns the undo."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, callback)
            installed.append(sig)

    def undo() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)

    return undo


async def _stop_after(sensors: Any, until: timedelta | None, radio: Radio) -> None:
    if until is None:
        return
    seconds = until.total_seconds()
    if radio.world is not None:
        await radio.world.clock.sleep(seconds)
    else:
        await asyncio.sleep(seconds)
    sensors.close()


def _report(sensors: Any, progress: Any) -> None:
    table = Table(title="what each sensor delivered", title_justify="left")
    for column in ("sensor", "connects", "samples", "dropped", "bad frames", "overflow"):
        table.add_column(column, justify="left" if column == "sensor" else "right")
    for name, stats in sensors.stats().items():
        bad = ", ".join(f"{r} {n}" for r, n in sorted(stats.frame_errors.items())) or "0"
        table.add_row(
            name,
            str(stats.connects),
            str(stats.samples),
            str(stats.dropped_samples),
            bad,
            str(stats.overflow),
        )
    err.print(table)
    err.print(f"{progress.epochs} epochs in {progress.events} posture events", highlight=False)


async def _calibrate(
    sensor: str, stand_s: float, walk_s: float, config: Path | None, emulate: bool, speed: float
) -> None:
    from collector.posture import Calibration, PostureClassifier
    from collector.sensors import SensorSpec
    from collector.sources.base import Samples
    from sitless.config import load

    settings = load(config)
    spec = SensorSpec.parse(sensor)
    if not spec.streams_accel:
        raise SitlessError(f"{spec} has no accelerometer to calibrate", reason="bad_sensor")
    radio = Radio.open(emulate, speed=speed, standing_first=True)
    t0 = radio.start or datetime.now(UTC).replace(microsecond=0)

    async def record(sensors: Any, seconds: float, settle_s: float = 3.0) -> np.ndarray:
        """Samples over ``seconds``, after ``settle_s`` for the wearer to get into place."""
        parts: list[np.ndarray] = []
        start_t: float | None = None
        async for item in sensors.stream():
            if not isinstance(item, Samples):
                continue
            start_t = float(item.t[0]) + settle_s if start_t is None else start_t
            keep = item.t >= start_t
            parts.append(item.accel_g[keep])
            if float(item.t[-1]) - start_t >= seconds:
                break
        return np.concatenate(parts) if parts else np.empty((0, 3))

    try:
        async with _sensors([spec], t0, settings.collector.sensor_rate_hz, radio, 10.0) as sensors:
            calibration = None
            for attempt in range(1, STILL_ATTEMPTS + 1):
                out.print(f"[bold]Stand up straight and keep still[/] for {stand_s:g} s …")
                accel = await record(sensors, stand_s)
                sd = accel.std(axis=0) if len(accel) else np.full(3, math.inf)
                if len(accel) and float(sd.max()) < STILL_SD_G:
                    calibration = Calibration.from_standing(accel)
                    break
                out.print(
                    f"that was not still (moved {float(sd.max()):.2f} g); again"
                    f" ({attempt}/{STILL_ATTEMPTS})"
                )
            if calibration is None:
                raise SitlessError("could not get a still standing spell", reason="not_still")
            if walk_s > 0:
                out.print(f"[bold]Now walk normally[/] for {walk_s:g} s …")
                walk = await record(sensors, walk_s)
                classifier = PostureClassifier(sensors.rate_hz, calibration)
                t = np.arange(len(walk)) / sensors.rate_hz
                classifier.feed(t, walk)
                classifier.flush()
                learned = classifier.calibration
                if learned is not None and learned.forward is not None:
                    calibration = learned
                else:
                    out.print("no clear gait in that walk; keeping the standing calibration")
    except Exception as exc:
        problem = no_adapter(exc)
        if problem is not None:
            raise problem from exc
        raise
    path = settings.collector.calibrations
    save_calibration(path, str(spec), calibration)
    up = ", ".join(f"{v:+.2f}" for v in calibration.up)
    facing = "and which way it faces" if calibration.forward else "(facing learned while walking)"
    out.print(f"stored {spec}: thigh axis ({up}) {facing} in {path}", highlight=False)
