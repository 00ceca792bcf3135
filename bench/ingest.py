"""Ingest throughput: the service vs a no-op paho subscriber, same broker, same run.

N posture events (5 one-second epochs each, spread over many wearers) are queued in a
real Mosquitto for an offline persistent session; then the consumer connects and we
time how long it takes to drain them. The baseline is a plain paho subscriber whose
callback only counts; ours is the whole service (our paho bridge, decode, dedup, bouts,
rules, SQLite). Both read the same kind of backlog from the same broker, in one process
set up as ``sitless serve`` sets up its own (``tune_gc``).

    python -m bench.ingest [--events 50000] [--wearers 5000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from service.app import create_app, tune_gc
from service.config import ServiceSettings
from sitless.mqtt_config import MqttSettings
from sitless.wire import Kind, PostureEvent, encode, subscription, topic
from tests.servers import Mosquitto

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PRELOAD_CHUNK = 20_000


def payloads(events: int, wearers: int) -> list[tuple[str, bytes]]:
    """Realistic posture events: each wearer sitting, 5 epochs per message.

    Every bout began 15 minutes before the first message, as in a service that has been
    running: a new bout (which settles prompts in the store) happens a few times an hour
    per wearer, not on every wearer's first message.
    """
    out = []
    for i in range(events):
        w, k = i % wearers, i // wearers
        start = T0 + timedelta(seconds=5 * k)
        event = PostureEvent(
            wearer=f"w{w}",
            device="thigh",
            seq=k,
            start=start,
            postures=("sitting",) * 5,
            since=T0 - timedelta(minutes=15),
        )
        out.append((topic(event.wearer, Kind.POSTURE), encode(event)))
    return out


def preload(port: int, messages: list[tuple[str, bytes]]) -> None:
    """Publish the backlog with QoS 1 and wait for every PUBACK."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-publisher")
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    # In chunks: paho's message ids are 16-bit, so no more than 65,535 may be unacknowledged.
    for lo in range(0, len(messages), PRELOAD_CHUNK):
        infos = [client.publish(t, p, qos=1) for t, p in messages[lo : lo + PRELOAD_CHUNK]]
        for info in infos:
            info.wait_for_publish(60)
    client.disconnect()
    client.loop_stop()


def register(port: int, client_id: str) -> None:
    """Create the persistent session (subscription) the backlog is queued for."""
    _visit(port, client_id, keep=True)


def forget(port: int, client_id: str) -> None:
    """Drop the session, so the next backlog is queued for the next consumer alone."""
    _visit(port, client_id, keep=False)


def _visit(port: int, client_id: str, *, keep: bool) -> None:
    """Connect as ``client_id``: keeping a subscribed session, or clearing it."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=not keep)
    client.connect("127.0.0.1", port)
    client.loop_start()
    if keep:
        client.subscribe(subscription(Kind.POSTURE), qos=1)
    time.sleep(0.3)
    client.disconnect()
    client.loop_stop()


def baseline(port: int, n: int) -> float:
    """Seconds for a plain paho subscriber that only counts to drain ``n`` queued messages."""
    count = 0
    done = threading.Event()

    def on_message(_c: paho.Client, _u: object, _m: paho.MQTTMessage) -> None:
        nonlocal count
        count += 1
        if count >= n:
            done.set()

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-noop", clean_session=False)
    client.on_message = on_message
    client.max_inflight_messages_set(100)
    t = time.perf_counter()
    client.connect("127.0.0.1", port)
    client.loop_start()
    if not done.wait(300):
        raise TimeoutError(f"no-op subscriber got {count} of {n}")
    elapsed = time.perf_counter() - t
    client.disconnect()
    client.loop_stop()
    return elapsed


async def ours(port: int, n: int, workdir: Path) -> float:
    """Seconds for the service to receive and handle ``n`` queued messages."""
    settings = ServiceSettings(
        database_url=f"sqlite:///{workdir / 'bench.db'}", client_id="bench-service"
    )
    app = create_app(settings, MqttSettings(url=f"mqtt://127.0.0.1:{port}"))
    t = time.perf_counter()
    async with app.router.lifespan_context(app):
        rt = app.state.runtime
        while rt.metrics.get("received", "posture") + rt.metrics.total("rejected") < n:
            await asyncio.sleep(0.01)
        await rt.ingest.drain()
        elapsed = time.perf_counter() - t
        assert rt.metrics.total("rejected") == 0, rt.metrics.as_dict()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--wearers", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    messages = payloads(args.events, args.wearers)
    tune_gc()  # as ``sitless serve`` sets up its process; the same for both consumers
    with Mosquitto() as broker, tempfile.TemporaryDirectory() as tmp:
        broker.stop()
        with broker.config_path.open("a") as conf:
            conf.write("max_inflight_messages 1000\nmax_queued_messages 1000000\n")
        broker.start()
        results: dict[str, list[float]] = {"noop": [], "service": []}
        for r in range(args.rounds):
            for name in ("noop", "service"):
                register(broker.port, f"bench-{name}")
                preload(broker.port, messages)
                if name == "noop":
                    elapsed = baseline(broker.port, args.events)
                else:
                    workdir = Path(tmp) / str(r)
                    workdir.mkdir()
                    elapsed = asyncio.run(ours(broker.port, args.events, workdir))
                forget(broker.port, f"bench-{name}")
                results[name].append(args.events / elapsed)
                print(f"round {r + 1} {name:8s} {args.events / elapsed:9.0f} events/s")
    noop, service = max(results["noop"]), max(results["service"])
    paired = statistics.median(
        [s / n for s, n in zip(results["service"], results["noop"], strict=True)]
    )
    print(f"\nno-op paho subscriber : {noop:9.0f} events/s (best of {args.rounds})")
    print(f"sitless service ingest: {service:9.0f} events/s (best of {args.rounds})")
    print(f"ratio service/no-op   : {service / noop:9.2f}   (target >= 0.5 and >= 5000 events/s)")
    print(f"median round's ratio  : {paired:9.2f}   (each round's two runs back to back)")


if __name__ == "__main__":
    main()
