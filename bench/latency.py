"""Prompt latency: from publishing the event that crosses a threshold to the prompt.

Runs ``sitless serve`` as its own process against a real Mosquitto. A probe (plain
paho) publishes, for one wearer at a time, a posture event whose sitting bout has just
reached 45 minutes in work hours, and times the prompt's arrival on
``sitless/v1/<wearer>/prompt``. Measured idle and again under a background load of
other wearers' events. Baseline: the broker's own round trip for the same probe (publish
to a topic the probe itself subscribes to), measured in the same run.

    python -m bench.latency [--prompts 300] [--load 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from sitless.broker import free_port
from sitless.mqtt import no_delay
from sitless.wire import Kind, PostureEvent, encode, topic
from tests.servers import Mosquitto

MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def crossing(wearer: str, seq: int, minutes: float = 45) -> bytes:
    """An event ending ``minutes`` into a sitting bout (45: exactly at the threshold)."""
    end = MONDAY_10 - timedelta(minutes=45 - minutes)
    return encode(
        PostureEvent(
            wearer=wearer,
            device="thigh",
            seq=seq,
            start=end - timedelta(seconds=5),
            postures=("sitting",) * 5,
            since=MONDAY_10 - timedelta(minutes=45),
        )
    )


class Probe:
    """Publishes and times arrivals on one paho connection."""

    def __init__(self, port: int, subscribe: str) -> None:
        self.sent: dict[str, float] = {}
        self.latency: list[float] = []
        self.lock = threading.Lock()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"probe-{subscribe}")
        self.client.on_message = self._arrived
        self.client.on_socket_open = no_delay  # as our own clients do
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(subscribe, qos=1)
        self.client.loop_start()
        time.sleep(0.3)

    def _arrived(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        now = time.perf_counter()
        key = msg.topic.split("/")[2]
        with self.lock:
            if key in self.sent:
                self.latency.append(now - self.sent.pop(key))

    def send(self, key: str, name: str, payload: bytes) -> None:
        with self.lock:
            self.sent[key] = time.perf_counter()
        self.client.publish(name, payload, qos=1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def background(port: int, rate: float, stop: threading.Event) -> None:
    """Other wearers' ordinary events at ``rate`` per second (5-minute sits)."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="load")
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    seq, t = 0, time.perf_counter()
    while not stop.is_set():
        wearer = f"load{seq % 5000}"
        event = PostureEvent(
            wearer=wearer,
            device="thigh",
            seq=seq,
            start=MONDAY_10,
            postures=("sitting",) * 5,
            since=MONDAY_10 - timedelta(minutes=5),
        )
        client.publish(topic(wearer, Kind.POSTURE), encode(event), qos=1)
        seq += 1
        t += 1 / rate
        time.sleep(max(0.0, t - time.perf_counter()))
    client.disconnect()
    client.loop_stop()


def measure(
    port: int, n: int, round_name: str, serve: bool = True, known: bool = True
) -> list[float]:
    """Latencies of ``n`` prompts (or broker echoes when ``serve`` is False).

    With ``known``, each wearer first sends an ordinary event a minute before the
    threshold, so the service already tracks them (the everyday case); without, the
    crossing event is the wearer's first and waits for their context to load.
    """
    probe = Probe(port, "sitless/v1/+/prompt" if serve else "bench/echo/+/x")
    if serve and known:
        for i in range(n):
            wearer = f"{round_name}{i}"
            probe.client.publish(topic(wearer, Kind.POSTURE), crossing(wearer, 0, 44), qos=1)
        time.sleep(2)
    for i in range(n):
        wearer = f"{round_name}{i}"
        if serve:
            probe.send(wearer, topic(wearer, Kind.POSTURE), crossing(wearer, 1))
        else:
            probe.send(wearer, f"bench/echo/{wearer}/x", crossing(wearer, 0))
        time.sleep(0.02)
    deadline = time.monotonic() + 10
    while len(probe.latency) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    probe.close()
    if len(probe.latency) < n:
        raise RuntimeError(f"{round_name}: only {len(probe.latency)} of {n} arrived")
    return probe.latency


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=300)
    parser.add_argument("--load", type=float, default=3000, help="background events/s")
    args = parser.parse_args()
    with Mosquitto() as broker, tempfile.TemporaryDirectory() as tmp:
        http = free_port()
        env = {
            **os.environ,
            "SITLESS_MQTT__URL": f"mqtt://127.0.0.1:{broker.port}",
            "SITLESS_SERVICE__DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.db'}",
            "SITLESS_SERVICE__PORT": str(http),
            "SITLESS_SERVICE__NOTIFY__CONSOLE": "false",
        }
        service = subprocess.Popen(
            [sys.executable, "-m", "sitless.cli", "serve", "--log-level", "warning"], env=env
        )
        try:
            for _ in range(100):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{http}/healthz") as r:
                        if json.load(r)["mqtt_connected"]:
                            break
                except OSError:
                    pass
                time.sleep(0.1)
            rows = [
                ("broker echo (baseline)", measure(broker.port, args.prompts, "e", serve=False)),
                ("prompt, idle", measure(broker.port, args.prompts, "idle")),
                (
                    "prompt, idle, wearer's first event",
                    measure(broker.port, args.prompts, "cold", known=False),
                ),
            ]
            stop = threading.Event()
            loader = threading.Thread(target=background, args=(broker.port, args.load, stop))
            loader.start()
            time.sleep(4)  # every load wearer seen once: the service's steady state
            try:
                rows.append(
                    (
                        f"prompt, {args.load:g} events/s load",
                        measure(broker.port, args.prompts, "busy"),
                    )
                )
                rows.append(
                    (
                        f"prompt, {args.load:g} events/s, wearer's first event",
                        measure(broker.port, args.prompts, "busycold", known=False),
                    )
                )
            finally:
                stop.set()
                loader.join()
        finally:
            service.terminate()
            service.wait(10)
    print(f"{'':46s} {'p50 ms':>8s} {'p99 ms':>8s}")
    for name, values in rows:
        print(f"{name:46s} {pct(values, 50):8.1f} {pct(values, 99):8.1f}")
    print("target: prompt p99 <= 250 ms on loopback")


if __name__ == "__main__":
    main()
