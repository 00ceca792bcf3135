"""The wire contract: round trips, typed errors, golden payloads, fresh schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitless.errors import WireError
from sitless.wire import (
    Ack,
    Bout,
    Kind,
    Posture,
    PostureEvent,
    Prompt,
    Status,
    decode,
    encode,
    parse,
    prompt_id,
    subscription,
    topic,
)
from sitless.wire.schema import DOCS, schemas

GOLDEN = Path(__file__).parent.parent / "golden"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,20}", fullmatch=True)


@st.composite
def posture_events(draw: st.DrawFn) -> PostureEvent:
    n = draw(st.integers(1, 30))
    start = T0 + timedelta(seconds=draw(st.integers(0, 10**6)))
    back = draw(st.integers(0, 5000))
    since = start - timedelta(seconds=back)
    prior = draw(
        st.none()
        | st.builds(
            Bout, posture=st.sampled_from(Posture), start=st.just(since - timedelta(minutes=3))
        )
    )
    return PostureEvent(
        wearer=draw(ids),
        device=draw(ids),
        seq=draw(st.integers(0, 2**40)),
        start=start,
        postures=tuple(draw(st.lists(st.sampled_from(Posture), min_size=n, max_size=n))),
        since=since,
        prior=prior,
    )


@given(posture_events())
def test_posture_event_round_trips_through_the_codec(event: PostureEvent) -> None:
    assert decode(topic(event.wearer, Kind.POSTURE), encode(event)) == event


def test_event_end_and_epochs_follow_from_start_and_epoch_length() -> None:
    event = PostureEvent(
        wearer="ann", device="d", seq=1, start=T0, postures=("sitting", "standing"), since=T0
    )
    assert event.end == T0 + timedelta(seconds=2)
    assert event.posture is Posture.STANDING
    assert event.epochs()[1] == (T0 + timedelta(seconds=1), Posture.STANDING)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "not_json"),
        (b"[1, 2]", "invalid"),
        (b'{"v": 2, "wearer": "ann"}', "bad_version"),
        (b'{"v": 1, "wearer": "ann"}', "invalid"),
        (b"x" * (300 * 1024), "too_large"),
    ],
)
def test_bad_payloads_raise_wire_error_with_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(WireError) as caught:
        decode("sitless/v1/ann/posture", payload)
    assert caught.value.reason == reason


def test_payload_for_another_wearer_than_its_topic_is_refused() -> None:
    event = PostureEvent(wearer="bob", device="d", seq=0, start=T0, postures=("sitting",), since=T0)
    with pytest.raises(WireError) as caught:
        decode("sitless/v1/ann/posture", encode(event))
    assert caught.value.reason == "wrong_wearer"


def test_since_after_the_last_epoch_is_invalid() -> None:
    raw = {
        "v": 1,
        "wearer": "ann",
        "device": "d",
        "seq": 0,
        "start": "2026-03-02T09:00:00Z",
        "postures": ["sitting"],
        "since": "2026-03-02T09:00:05Z",
    }
    with pytest.raises(WireError, match="since"):
        decode("sitless/v1/ann/posture", json.dumps(raw).encode())


def test_unknown_fields_and_naive_times_are_refused() -> None:
    base = {
        "v": 1,
        "wearer": "ann",
        "device": "d",
        "seq": 0,
        "start": "2026-03-02T09:00:00Z",
        "postures": ["sitting"],
        "since": "2026-03-02T09:00:00Z",
    }
    for bad in ({**base, "extra": 1}, {**base, "start": "2026-03-02T09:00:00"}):
        with pytest.raises(WireError):
            decode("sitless/v1/ann/posture", json.dumps(bad).encode())


def test_times_in_any_offset_arrive_as_the_same_instants_in_utc() -> None:
    raw = {
        "v": 1,
        "wearer": "ann",
        "device": "d",
        "seq": 0,
        "start": "2026-03-02T11:00:00+02:00",
        "postures": ["sitting", "sitting"],
        "since": "2026-03-02T08:30:00.250-00:30",
        "prior": {"posture": "walking", "start": "2026-03-02T08:50:00Z"},
    }
    event = decode("sitless/v1/ann/posture", json.dumps(raw).encode())
    assert isinstance(event, PostureEvent)
    assert event.start == T0 and event.since == T0 + timedelta(milliseconds=250)
    assert event.prior is not None and event.prior.start == T0 - timedelta(minutes=10)
    assert all(t.tzinfo is UTC for t in (event.start, event.since, event.prior.start, event.end))


def test_epochs_that_would_end_after_the_year_9999_are_refused() -> None:
    raw = {
        "v": 1,
        "wearer": "ann",
        "device": "d",
        "seq": 0,
        "start": "9999-12-31T23:59:59Z",
        "postures": ["sitting"],
        "since": "9999-12-31T23:59:59Z",
    }
    with pytest.raises(WireError, match="year 9999") as caught:
        decode("sitless/v1/ann/posture", json.dumps(raw).encode())
    assert caught.value.reason == "invalid"


@pytest.mark.parametrize("bad", ["", "a/b", "+", "#", "a b", "x" * 65])
def test_ids_that_would_break_the_topic_tree_are_refused(bad: str) -> None:
    with pytest.raises(WireError):
        topic(bad, Kind.POSTURE)


def test_topics_parse_back_and_shared_subscriptions_are_prefixed() -> None:
    assert parse(topic("ann", Kind.ACK)) == ("ann", Kind.ACK)
    assert subscription(Kind.POSTURE, share_group="svc") == "$share/svc/sitless/v1/+/posture"
    for bad in ("sitless/v1/ann", "sitless/v2/ann/posture", "sitless/v1/ann/nope"):
        with pytest.raises(WireError):
            parse(bad)


def test_prompt_id_is_the_same_for_the_same_bout_and_repeat() -> None:
    a = prompt_id("ann", "sit-45", T0, 0)
    assert a == prompt_id("ann", "sit-45", T0.astimezone(), 0)
    assert a != prompt_id("ann", "sit-45", T0, 1)


@pytest.mark.parametrize("name", ["posture", "status", "prompt", "ack"])
def test_golden_payloads_still_decode(name: str) -> None:
    payload = (GOLDEN / f"{name}.json").read_bytes()
    message = decode(f"sitless/v1/ann/{name}", payload)
    assert (
        type(message)
        is {"posture": PostureEvent, "status": Status, "prompt": Prompt, "ack": Ack}[name]
    )
    assert json.loads(encode(message)) == json.loads(payload)


def test_generated_json_schemas_in_docs_are_fresh() -> None:
    for name, text in schemas().items():
        path = DOCS / name
        assert path.exists(), f"missing {path}: run python -m sitless.wire.schema"
        assert path.read_text() == text, f"{path} is stale: run python -m sitless.wire.schema"
