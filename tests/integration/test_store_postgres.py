"""What only a real PostgreSQL shows: racing instances, session time zones, a dead server.

The store's everyday behaviours run on PostgreSQL too: ``tests/service/test_store_sql.py``
is parametrized over SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from service.store.sql import BoutUpdate, SqlStore
from sitless.errors import StoreUnavailable
from sitless.wire.messages import Ack, Prompt, prompt_id
from sitless.wire.posture import Posture

pytestmark = pytest.mark.integration

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
INSTANCES = 8
T = TypeVar("T")


@pytest.fixture
def stores(postgres_url: str) -> Iterator[list[SqlStore]]:
    """Several stores on one database, as parallel service instances would have."""
    stores = [SqlStore(postgres_url) for _ in range(INSTANCES)]
    stores[0].create_all()
    yield stores
    for store in stores:
        store.close()


def race(stores: list[SqlStore], action: Callable[[SqlStore], T]) -> list[T]:
    """Run ``action`` on every store at the same moment, one thread each."""
    start = threading.Barrier(len(stores))
    results: list[T] = []
    lock = threading.Lock()

    def run(store: SqlStore) -> None:
        start.wait()
        result = action(store)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == len(stores)
    return results


def make_prompt() -> Prompt:
    return Prompt(
        wearer="ana",
        device="thigh-1",
        id=prompt_id("ana", "sitting-45", T0, 0),
        rule="sitting-45",
        routine="hip-flexor-reset",
        title="Time to stand",
        message="Stand up and stretch your hip flexors.",
        posture=Posture.SITTING,
        bout_start=T0,
        at=T0 + timedelta(minutes=45),
    )


def test_racing_instances_store_one_prompt_and_only_one_of_them_sends_it(
    stores: list[SqlStore],
) -> None:
    prompt = make_prompt()
    assert sorted(race(stores, lambda store: store.record_prompt(prompt))) == [False] * (
        INSTANCES - 1
    ) + [True]
    assert len(stores[0].prompts_between("ana", T0, T0 + timedelta(hours=1))) == 1


def test_racing_acks_answer_the_prompt_once(stores: list[SqlStore]) -> None:
    prompt = make_prompt()
    stores[0].record_prompt(prompt)
    ack = Ack(
        wearer="ana",
        device="phone",
        seq=3,
        prompt_id=prompt.id,
        action="done",
        at=prompt.at + timedelta(minutes=1),
    )
    assert sorted(race(stores, lambda store: store.record_ack(ack))).count(True) == 1


def test_times_are_utc_whatever_the_session_time_zone(postgres_url: str) -> None:
    tokyo = SqlStore(f"{postgres_url}?options=-c%20timezone%3DAsia/Tokyo")
    try:
        tokyo.create_all()
        tokyo.upsert_bouts(
            [BoutUpdate("ana", "thigh-1", Posture.SITTING, T0, T0 + timedelta(hours=1))]
        )
        ((_, start, end),) = tokyo.bouts_between("ana", T0, T0 + timedelta(hours=2))
    finally:
        tokyo.close()
    assert (start, end) == (T0, T0 + timedelta(hours=1))
    assert start.tzinfo is UTC and end.tzinfo is UTC


def test_an_unreachable_server_raises_store_unavailable() -> None:
    store = SqlStore("postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=2")
    try:
        with pytest.raises(StoreUnavailable) as caught:
            store.record_prompt(make_prompt())
    finally:
        store.close()
    assert caught.value.reason == "store_unavailable"
    assert "127.0.0.1:1" in str(caught.value.value)
    assert caught.value.__cause__ is not None
