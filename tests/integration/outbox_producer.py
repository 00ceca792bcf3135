"""A collector-side producer run as its own process, so a test can kill -9 it.

Queues ``--count`` one-epoch sitting events into the outbox (continuing the device's
seq) and sends them; the event with seq k covers second k after T0, so the consumer
can check order from the seq alone.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta

from collector.publish.outbox import Outbox
from collector.publish.sender import Sender
from sitless.mqtt import BrokerUrl, MqttClient
from sitless.wire import Kind, PostureEvent, encode, topic

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEARER, DEVICE = "ann", "thigh-1"


def event(seq: int) -> tuple[str, bytes]:
    """The message with this seq."""
    message = PostureEvent(
        wearer=WEARER,
        device=DEVICE,
        seq=seq,
        start=T0 + timedelta(seconds=seq),
        postures=("sitting",),
        since=T0,
    )
    return topic(WEARER, Kind.POSTURE), encode(message)


async def produce(outbox: Outbox, sender: Sender, count: int, pause_s: float) -> None:
    """Queue ``count`` events, ``pause_s`` apart."""
    for _ in range(count):
        outbox.append(DEVICE, event)
        sender.notify()
        await asyncio.sleep(pause_s)


async def main(args: argparse.Namespace) -> None:
    outbox = Outbox(args.outbox)
    client = MqttClient(BrokerUrl("127.0.0.1", args.port), client_id="producer")
    sender = Sender(outbox, client, window=args.window)
    await client.start()
    task = asyncio.create_task(sender.run())
    await produce(outbox, sender, args.count, args.pause)
    print("produced", flush=True)
    await sender.flush(60)
    print("flushed", flush=True)
    task.cancel()
    await client.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--outbox", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--pause", type=float, default=0.005)
    parser.add_argument("--window", type=int, default=8)
    asyncio.run(main(parser.parse_args()))
