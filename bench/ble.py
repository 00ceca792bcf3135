"""Bluetooth collector cost: CPU per hour of 50 Hz data, the full path against parsing alone.

One hour of a simulated office wearer is framed as a Polar H10 streams it (36-sample raw
ACC notifications, device-clock timestamps, arrival jitter). In the same run:

- baseline, **parse**: the PMD driver turns every notification into samples in g;
- **link**: what the link's consumer does per notification -- parse, clock mapping,
  drop check, chunking;
- **full**: the link feeding the real collector -- classifier, batcher, durable outbox
  (SQLite) and the sender publishing to a real Mosquitto, acknowledged (QoS 1).

Reported as CPU seconds (this process, all threads) per hour of data, and as a share
of one core; the target for the full path is 1 % (36 s per hour).

    python -m bench.ble [--hours 1] [--seed 0]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from collector.app import Collector
from collector.emulator.polar import raw_frame
from collector.link import Chunk, Event, Gap, Link, SensorState
from collector.posture import Epoch
from collector.publish.outbox import Outbox
from collector.sensors import SensorSpec
from collector.sensors.polar_pmd import PMD_DATA, UNSET_CLOCK_NS, AccSettings, PolarPmd
from collector.sources import Samples, Simulator, office_day
from sitless.mqtt import BrokerUrl
from tests.servers import Mosquitto

RATE_HZ = 50.0
PER_FRAME = 36
T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
SPEC = SensorSpec("polar", "A0:9E:1A:00:00:10")


def frames(hours: float, seed: int) -> tuple[list[bytes], list[float]]:
    """H10 notifications for ``hours`` of an office day, and their host arrival times."""
    sim = Simulator(office_day(), rate_hz=RATE_HZ, seed=seed)
    rng = np.random.default_rng(seed)
    n_frames = int(hours * 3600 * RATE_HZ) // PER_FRAME
    out, arrivals = [], []
    chunks = sim.chunks(PER_FRAME / RATE_HZ)
    for _ in range(n_frames):
        chunk = next(chunks)
        last_s = float(chunk.t[-1])
        out.append(raw_frame(UNSET_CLOCK_NS + round(last_s * 1e9 * (1 + 20e-6)), chunk.accel_g))
        arrivals.append(T0.timestamp() + last_s + float(rng.uniform(0.01, 0.06)))
    return out, arrivals


def started_driver() -> PolarPmd:
    driver = PolarPmd(RATE_HZ)
    driver.settings = AccSettings(rate_hz=RATE_HZ, range_g=8.0)
    return driver


def cpu(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def parse_only(notifications: list[bytes], arrivals: list[float]) -> int:
    driver = started_driver()
    n = 0
    for data, host in zip(notifications, arrivals, strict=True):
        for reading in driver.parse(PMD_DATA, data, host):
            n += len(reading)  # type: ignore[arg-type]
    return n


def new_link(emit: Callable[[Event], None]) -> Link:
    link = Link(SPEC, started_driver(), t0_s=T0.timestamp(), emit=emit)
    link.rate_hz = RATE_HZ
    return link


def link_only(notifications: list[bytes], arrivals: list[float]) -> int:
    count = 0

    def emit(event: Event) -> None:
        nonlocal count
        if isinstance(event, Chunk):
            count += len(event.samples)

    link = new_link(emit)
    for data, host in zip(notifications, arrivals, strict=True):
        link.feed(PMD_DATA, data, host)
    return count


class Replayed:
    """The link fed notification by notification, as the collector's live source."""

    name = "polar"
    rate_hz = RATE_HZ

    def __init__(self, notifications: list[bytes], arrivals: list[float]) -> None:
        self.notifications = notifications
        self.arrivals = arrivals
        self._out: deque[Event] = deque()
        self.link = new_link(self._out.append)

    async def stream(self) -> AsyncIterator[Samples | Gap | SensorState]:
        yield SensorState(SPEC, True, None, RATE_HZ, 80)
        for i, (data, host) in enumerate(zip(self.notifications, self.arrivals, strict=True)):
            self.link.feed(PMD_DATA, data, host)
            while self._out:
                event = self._out.popleft()
                if isinstance(event, Chunk):
                    yield event.samples
            if i % 64 == 0:
                await asyncio.sleep(0)  # let the sender publish, as the live loop would

    def refine(self, epochs: list[Epoch]) -> list[Epoch]:
        return epochs


async def full_path(
    notifications: list[bytes], arrivals: list[float], port: int, workdir: Path
) -> tuple[float, int, int]:
    outbox = Outbox(workdir / "outbox.db")
    source = Replayed(notifications, arrivals)
    collector = Collector(
        source,
        BrokerUrl("127.0.0.1", port),
        wearer="bench",
        device="thigh",
        outbox=outbox,
        t0=T0,
    )
    start = time.process_time()
    progress = await collector.run(flush_timeout=120)
    spent = time.process_time() - start
    left = len(outbox)
    outbox.close()
    return spent, progress.events, left


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1.0, help="hours of data")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    notifications, arrivals = frames(args.hours, args.seed)
    hours = len(notifications) * PER_FRAME / RATE_HZ / 3600
    print(f"{len(notifications)} H10 notifications = {hours:.2f} h of 50 Hz data")

    parse_s = cpu(lambda: parse_only(notifications, arrivals))
    link_s = cpu(lambda: link_only(notifications, arrivals))
    with tempfile.TemporaryDirectory(prefix="sitless-bench-") as tmp, Mosquitto() as broker:
        full_s, events, left = asyncio.run(
            full_path(notifications, arrivals, broker.port, Path(tmp))
        )
    assert left == 0, f"{left} events still in the outbox"

    print(f"{'path':<52} {'CPU s / h':>10} {'% core':>8} {'x parse':>8}")
    rows = [
        ("parse (PMD frames → samples in g): baseline", parse_s),
        ("link (parse + clock map + drop check + chunks)", link_s),
        (f"full (link → classify → outbox → MQTT, {events} events)", full_s),
    ]
    for label, seconds in rows:
        per_hour = seconds / hours
        print(f"{label:<52} {per_hour:>10.2f} {per_hour / 36:>7.2f}% {seconds / parse_s:>8.1f}")
    verdict = "meets" if full_s / hours <= 36 else "misses"
    print(f"target: full path <= 1 % of one core (36 CPU s per hour): {verdict}")


if __name__ == "__main__":
    main()
