"""Storing bouts: in chunks that let other slow-lane work through, keeping what fails."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.ingest import BOUT_CHUNK, Ingest
from service.store.sql import BoutLike, SqlStore
from sitless.errors import StoreUnavailable
from sitless.mqtt import BrokerUrl, MqttClient
from sitless.wire import Kind, PostureEvent, encode, topic
from tests.service.ingests import new_ingest

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEARERS = 3 * BOUT_CHUNK + 7


class WatchedStore(SqlStore):
    """A real SQLite store that logs its bout writes and can be made to go away."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.writes: list[str] = []
        self.away_after: int | None = None  # bout writes that succeed before it goes away
        self.write_s = 0.0  # how long each bout write takes

    def upsert_bouts(self, bouts: Iterable[BoutLike]) -> int:
        bouts = list(bouts)
        if self.away_after is not None and self.writes.count("bouts") >= self.away_after:
            raise StoreUnavailable("database is locked")
        self.writes.append("bouts")
        time.sleep(self.write_s)
        return super().upsert_bouts(bouts)


def make_ingest(tmp_path: Path, flush_interval_s: float) -> Ingest:
    store = WatchedStore(f"sqlite:///{tmp_path / 'flush.db'}")
    store.create_all()
    client = MqttClient(BrokerUrl("127.0.0.1", 1))  # never started: nothing here publishes
    return new_ingest(store, client, flush_interval_s=flush_interval_s)


@pytest.fixture
async def ingest(tmp_path: Path) -> AsyncIterator[Ingest]:
    ingest = make_ingest(tmp_path, flush_interval_s=3600)  # flushes only when a test asks
    store = ingest.store
    task = asyncio.create_task(ingest.run())
    yield ingest
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    store.close()


def sit(ingest: Ingest, wearers: int, seq: int = 0) -> None:
    """One sitting event from each of ``wearers`` wearers: one open bout each."""
    for w in range(wearers):
        event = PostureEvent(
            wearer=f"w{w}",
            device="thigh",
            seq=seq,
            start=T0 + timedelta(seconds=5 * seq),
            postures=("sitting",) * 5,
            since=T0,
        )
        ingest.on_message(topic(event.wearer, Kind.POSTURE), encode(event))


def stored_ends(store: SqlStore, wearers: int) -> set[datetime]:
    day = (T0 - timedelta(hours=9), T0 + timedelta(hours=15))
    return {b.end for w in range(wearers) for b in store.bouts_between(f"w{w}", *day)}


async def test_work_queued_during_a_flush_runs_between_its_chunks(ingest: Ingest) -> None:
    store = ingest.store
    assert isinstance(store, WatchedStore)
    sit(ingest, WEARERS)
    await ingest.lane.join()
    store.writes.clear()

    async def other_job() -> None:
        store.writes.append("other")

    async def queue_other_after_the_first_chunk() -> None:
        while "bouts" not in store.writes:
            await asyncio.sleep(0.001)
        ingest.lane.put_nowait(other_job)

    await asyncio.gather(ingest.flush(in_lane=True), queue_other_after_the_first_chunk())
    await ingest.lane.join()
    chunks = -(-WEARERS // BOUT_CHUNK)
    assert store.writes.count("bouts") == chunks
    assert 0 < store.writes.index("other") < len(store.writes) - 1
    assert stored_ends(store, WEARERS) == {T0 + timedelta(seconds=5)}


async def test_bouts_the_store_could_not_take_are_written_by_the_next_flush(
    ingest: Ingest,
) -> None:
    store = ingest.store
    assert isinstance(store, WatchedStore)
    sit(ingest, WEARERS)
    await ingest.lane.join()
    store.writes.clear()
    store.away_after = 1  # the first chunk is stored, then the store goes away
    await ingest.flush(in_lane=True)
    assert store.writes == ["bouts"]
    assert ingest.metrics.get("store_errors", "bouts") == 1
    sit(ingest, 5, seq=1)  # newer updates of five bouts arrive while the store is away
    store.away_after = None
    await ingest.flush(in_lane=True)
    ends = [
        b.end
        for w in range(WEARERS)
        for b in store.bouts_between(f"w{w}", T0, T0 + timedelta(hours=1))
    ]
    assert len(ends) == WEARERS  # every wearer's bout is stored, none twice
    assert sorted(ends)[-5:] == [T0 + timedelta(seconds=10)] * 5  # the newer ends won
    assert ends.count(T0 + timedelta(seconds=5)) == WEARERS - 5


async def test_stopping_during_a_periodic_flush_stores_every_bout(tmp_path: Path) -> None:
    ingest = make_ingest(tmp_path, flush_interval_s=0.05)
    store = ingest.store
    assert isinstance(store, WatchedStore)
    store.write_s = 0.1
    task = asyncio.create_task(ingest.run())
    sit(ingest, WEARERS)
    while not store.writes:  # the periodic flush has begun
        await asyncio.sleep(0.005)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert len(stored_ends(store, WEARERS)) == 1
    day = (T0, T0 + timedelta(hours=1))
    assert all(store.bouts_between(f"w{w}", *day) for w in range(WEARERS))
    store.close()
