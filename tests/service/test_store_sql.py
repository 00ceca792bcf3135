"""The SQL store's promises, on SQLite and on PostgreSQL (the same tests, both backends)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from service.store.sql import BoutUpdate, Outcome, SqlStore, StoredBout
from sitless.errors import StoreUnavailable
from sitless.wire.messages import Ack, Prompt, Status, prompt_id
from sitless.wire.posture import Posture

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def make_prompt(
    wearer: str = "ana",
    *,
    rule: str = "sitting-45",
    bout_start: datetime = T0,
    repeat: int = 0,
    at: datetime = T0 + 45 * MIN,
    answer_within_s: float = 600.0,
) -> Prompt:
    return Prompt(
        wearer=wearer,
        device="thigh-1",
        id=prompt_id(wearer, rule, bout_start, repeat),
        rule=rule,
        routine="hip-flexor-reset",
        title="Time to stand",
        message="Stand up and stretch your hip flexors.",
        repeat=repeat,
        posture=Posture.SITTING,
        bout_start=bout_start,
        at=at,
        answer_within_s=answer_within_s,
    )


def make_ack(prompt: Prompt, seq: int, action: str = "done", at: datetime | None = None) -> Ack:
    return Ack.model_validate(
        {
            "wearer": prompt.wearer,
            "device": "phone",
            "seq": seq,
            "prompt_id": prompt.id,
            "action": action,
            "at": at or prompt.at + MIN,
        }
    )


def test_the_same_prompt_twice_is_stored_once(store: SqlStore) -> None:
    prompt = make_prompt()
    assert store.record_prompt(prompt) is True
    assert store.record_prompt(prompt) is False
    stored = store.prompts_between("ana", T0, T0 + 24 * 60 * MIN)
    assert [p.id for p in stored] == [prompt.id]


def test_another_repeat_of_the_same_bout_is_a_new_prompt(store: SqlStore) -> None:
    assert store.record_prompt(make_prompt(repeat=0))
    assert store.record_prompt(make_prompt(repeat=1, at=T0 + 60 * MIN))
    assert len(store.prompts_between("ana", T0, T0 + 120 * MIN)) == 2


def test_a_prompt_with_another_id_for_the_same_bout_and_repeat_is_refused(
    store: SqlStore,
) -> None:
    first = make_prompt()
    assert store.record_prompt(first)
    assert not store.record_prompt(first.model_copy(update={"id": "ana/other-spelling/0"}))


def test_prompts_come_back_with_aware_utc_times(store: SqlStore) -> None:
    oslo = timezone(timedelta(hours=1))
    store.record_prompt(
        make_prompt(bout_start=T0.astimezone(oslo), at=(T0 + 45 * MIN).astimezone(oslo))
    )
    (stored,) = store.prompts_between("ana", T0, T0 + 60 * MIN)
    assert stored.bout_start == T0 and stored.bout_start.tzinfo is UTC
    assert stored.at == T0 + 45 * MIN and stored.at.tzinfo is UTC
    assert stored.deadline == T0 + 55 * MIN and stored.deadline.tzinfo is UTC
    assert stored.posture is Posture.SITTING
    assert stored.outcome is None and stored.answered_at is None


def test_naive_times_are_refused(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.bouts_between("ana", datetime(2024, 3, 4), datetime(2024, 3, 5))


def test_a_bout_upsert_extends_the_end_and_never_shrinks_it(store: SqlStore) -> None:
    store.upsert_bouts([BoutUpdate("ana", "thigh-1", Posture.SITTING, T0, T0 + 5 * MIN)])
    store.upsert_bouts([BoutUpdate("ana", "thigh-1", Posture.SITTING, T0, T0 + 20 * MIN)])
    store.upsert_bouts([BoutUpdate("ana", "thigh-1", Posture.SITTING, T0, T0 + 10 * MIN)])
    assert store.bouts_between("ana", T0, T0 + 60 * MIN) == [
        StoredBout(Posture.SITTING, T0, T0 + 20 * MIN)
    ]


def test_a_bout_upsert_updates_posture_and_device(store: SqlStore) -> None:
    store.upsert_bouts([BoutUpdate("ana", "thigh-1", Posture.SITTING, T0, T0 + 5 * MIN)])
    store.upsert_bouts([BoutUpdate("ana", "thigh-2", Posture.CYCLING, T0, T0 + 6 * MIN)])
    ((posture, start, end),) = store.bouts_between("ana", T0, T0 + 60 * MIN)
    assert (posture, start, end) == (Posture.CYCLING, T0, T0 + 6 * MIN)
    assert start.tzinfo is UTC and end.tzinfo is UTC


def test_bouts_between_returns_the_overlapping_bouts_in_order(store: SqlStore) -> None:
    bouts = [
        BoutUpdate("ana", "thigh-1", Posture.STANDING, T0 + 30 * MIN, T0 + 40 * MIN),
        BoutUpdate("ana", "thigh-1", Posture.SITTING, T0, T0 + 30 * MIN),
        BoutUpdate("ana", "thigh-1", Posture.WALKING, T0 + 40 * MIN, T0 + 50 * MIN),
        BoutUpdate("bo", "thigh-9", Posture.SITTING, T0, T0 + 50 * MIN),
    ]
    assert store.upsert_bouts(bouts) == 4
    got = store.bouts_between("ana", T0 + 29 * MIN, T0 + 40 * MIN)
    assert [b.posture for b in got] == [Posture.SITTING, Posture.STANDING]
    assert store.bouts_between("ana", T0 + 50 * MIN, T0 + 60 * MIN) == []


def test_writes_add_unknown_wearers(store: SqlStore) -> None:
    store.upsert_bouts([BoutUpdate("bo", "thigh-9", Posture.SITTING, T0, T0 + MIN)])
    store.record_prompt(make_prompt("cy"))
    assert store.ensure_wearer("ana") is True
    assert store.ensure_wearer("ana", timezone="Europe/Oslo") is False
    wearers = store.wearers()
    assert [w.id for w in wearers] == ["ana", "bo", "cy"]
    assert wearers[0].timezone == "Europe/Oslo"
    assert all(w.created.tzinfo is UTC for w in wearers)


def test_open_prompts_are_unanswered_and_within_their_window(store: SqlStore) -> None:
    early = make_prompt(at=T0 + 45 * MIN, answer_within_s=600)
    later = make_prompt(repeat=1, at=T0 + 50 * MIN, answer_within_s=600)
    answered = make_prompt(rule="other", at=T0 + 46 * MIN)
    for prompt in (early, later, answered):
        store.record_prompt(prompt)
    store.answer_prompt(answered.id, "movement", T0 + 47 * MIN)
    assert [p.id for p in store.open_prompts("ana", T0 + 52 * MIN)] == [early.id, later.id]
    assert [p.id for p in store.open_prompts("ana", T0 + 57 * MIN)] == [later.id]
    assert store.open_prompts("bo", T0 + 52 * MIN) == []


def test_only_the_first_answer_counts(store: SqlStore) -> None:
    prompt = make_prompt()
    store.record_prompt(prompt)
    assert store.answer_prompt(prompt.id, Outcome.MOVEMENT, T0 + 47 * MIN) is True
    assert store.answer_prompt(prompt.id, "dismiss", T0 + 48 * MIN) is False
    (stored,) = store.prompts_between("ana", T0, T0 + 60 * MIN)
    assert stored.outcome is Outcome.MOVEMENT
    assert stored.answered_at == T0 + 47 * MIN


def test_an_unknown_outcome_is_refused(store: SqlStore) -> None:
    prompt = make_prompt()
    store.record_prompt(prompt)
    with pytest.raises(ValueError, match="maybe"):
        store.answer_prompt(prompt.id, "maybe", T0 + 47 * MIN)


def test_expire_marks_only_prompts_whose_window_passed_as_ignored(store: SqlStore) -> None:
    old = make_prompt(at=T0 + 45 * MIN, answer_within_s=600)
    fresh = make_prompt(repeat=1, at=T0 + 60 * MIN, answer_within_s=600)
    done = make_prompt(rule="other", at=T0 + 40 * MIN, answer_within_s=60)
    for prompt in (old, fresh, done):
        store.record_prompt(prompt)
    store.answer_prompt(done.id, "done", T0 + 40.5 * MIN)
    assert store.expire_prompts(T0 + 56 * MIN) == 1
    assert store.expire_prompts(T0 + 56 * MIN) == 0
    outcomes = {p.id: p.outcome for p in store.prompts_between("ana", T0, T0 + 90 * MIN)}
    assert outcomes == {old.id: Outcome.IGNORED, fresh.id: None, done.id: Outcome.DONE}
    assert [p.id for p in store.open_prompts("ana", T0 + 61 * MIN)] == [fresh.id]


def test_an_ack_is_stored_once_and_answers_its_prompt(store: SqlStore) -> None:
    prompt = make_prompt()
    store.record_prompt(prompt)
    ack = make_ack(prompt, seq=7, action="snooze", at=T0 + 46 * MIN)
    assert store.record_ack(ack) is True
    assert store.record_ack(ack) is False
    assert store.record_ack(make_ack(prompt, seq=8, action="done")) is True
    (stored,) = store.prompts_between("ana", T0, T0 + 60 * MIN)
    assert stored.outcome is Outcome.SNOOZE
    assert stored.answered_at == T0 + 46 * MIN


def test_an_ack_cannot_answer_another_wearers_prompt(store: SqlStore) -> None:
    prompt = make_prompt("ana")
    store.record_prompt(prompt)
    forged = make_ack(prompt, seq=1).model_copy(update={"wearer": "bo"})
    assert store.record_ack(forged) is True
    (stored,) = store.prompts_between("ana", T0, T0 + 60 * MIN)
    assert stored.outcome is None


def test_an_ack_for_an_unknown_prompt_is_kept(store: SqlStore) -> None:
    ack = make_ack(make_prompt(), seq=1, action="cant_stand")
    assert store.record_ack(ack) is True
    assert store.prompts_between("ana", T0, T0 + 60 * MIN) == []


def test_device_status_keeps_the_latest_and_records_the_gap(store: SqlStore) -> None:
    def status(seq: int, at: datetime, **extra: object) -> Status:
        return Status.model_validate(
            {"wearer": "ana", "device": "thigh-1", "seq": seq, "state": "online", "at": at} | extra
        )

    assert store.record_status(status(2, T0 + 10 * MIN, battery_pct=80))
    assert not store.record_status(status(1, T0 + 5 * MIN, battery_pct=90))
    assert store.record_status(
        status(3, T0 + 20 * MIN, battery_pct=79, gap_start=T0 + 12 * MIN, gap_end=T0 + 15 * MIN)
    )
    (latest,) = store.statuses("ana")
    assert (latest.battery_pct, latest.at) == (79, T0 + 20 * MIN)
    assert latest.gap_start == T0 + 12 * MIN and latest.gap_start.tzinfo is UTC
    (gap,) = store.gaps_between("ana", T0, T0 + 60 * MIN)
    assert gap == ("thigh-1", T0 + 12 * MIN, T0 + 15 * MIN)


def test_a_longer_report_of_the_same_gap_extends_it(store: SqlStore) -> None:
    store.record_gap("ana", "thigh-1", T0, T0 + 2 * MIN)
    store.record_gap("ana", "thigh-1", T0, T0 + 5 * MIN)
    store.record_gap("ana", "thigh-1", T0, T0 + 3 * MIN)
    assert store.gaps_between("ana", T0, T0 + 60 * MIN) == [("thigh-1", T0, T0 + 5 * MIN)]


def test_the_sqlite_file_is_in_wal_mode(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'wal.db'}")
    store.create_all()
    store.ensure_wearer("ana")
    store.close()
    with sqlite3.connect(tmp_path / "wal.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_database_that_cannot_be_opened_raises_store_unavailable(tmp_path: Path) -> None:
    (tmp_path / "sitless.db").mkdir()  # a folder where the database file should be
    store = SqlStore(f"sqlite:///{tmp_path / 'sitless.db'}")
    try:
        with pytest.raises(StoreUnavailable, match="cannot create tables") as caught:
            store.create_all()
    finally:
        store.close()
    assert caught.value.reason == "store_unavailable"
    assert caught.value.__cause__ is not None
