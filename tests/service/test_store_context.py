"""The store's part in prompting: rule states, focus, sessions, push subscriptions and the
snapshots that rebuild a wearer's context after a restart (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from service.context.cache import Contexts, snapshot_since
from service.store.sql import BoutUpdate, SqlStore
from sitless.wire import PostureEvent
from sitless.wire.messages import Prompt, prompt_id
from sitless.wire.posture import Posture

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def prompt(wearer: str, rule: str, bout_start: datetime, repeat: int, at: datetime) -> Prompt:
    return Prompt(
        wearer=wearer,
        device="thigh",
        id=prompt_id(wearer, rule, bout_start, repeat),
        rule=rule,
        routine="r",
        title="T",
        message="M",
        repeat=repeat,
        posture=Posture.SITTING,
        bout_start=bout_start,
        at=at,
    )


def test_rule_states_focus_and_prompts_come_back_in_one_snapshot(store: SqlStore) -> None:
    store.ensure_wearer("ann", timezone="Europe/Oslo")
    store.record_prompt(prompt("ann", "sit", T0, 0, T0 + 45 * MIN))
    store.record_prompt(prompt("ann", "sit", T0, 1, T0 + 60 * MIN))
    store.record_prompt(prompt("ann", "sit", T0 - timedelta(days=5), 0, T0 - timedelta(days=5)))
    store.snooze_rule("ann", "sit", T0 + 70 * MIN, T0)
    store.close_bout("ann", "ride", T0 - 3 * 60 * MIN)
    store.snooze_rule("ann", "sit", T0 + 80 * MIN, T0)  # a later snooze replaces it
    assert store.set_focus("ann", mode="defer", until=T0 + 2 * 60 * MIN, reason="focus", at=T0)
    assert not store.set_focus("ann", mode="off", until=None, reason="focus", at=T0 - MIN)
    store.upsert_bouts([BoutUpdate("ann", "thigh", Posture.SITTING, T0, T0 + 60 * MIN)])

    snaps = store.snapshots(["ann", "nobody"], since=T0 - timedelta(days=2))
    ann = snaps["ann"]
    assert ann.timezone == "Europe/Oslo"
    assert [(p.rule, p.repeat) for p in ann.prompts] == [("sit", 0), ("sit", 1)]
    states = {s.rule: s for s in ann.rule_states}
    assert states["sit"].snoozed_until == T0 + 80 * MIN and states["sit"].snooze_bout == T0
    assert states["ride"].closed_bout == T0 - 3 * 60 * MIN
    assert ann.focus is not None and ann.focus.mode == "defer"
    assert [(b.start, b.end) for b in ann.bouts] == [(T0, T0 + 60 * MIN)]
    assert snaps["nobody"].prompts == [] and snaps["nobody"].timezone is None


def test_a_restarted_context_knows_what_the_store_knows(store: SqlStore) -> None:
    store.ensure_wearer("ann", timezone="Europe/Oslo")
    store.record_prompt(prompt("ann", "sit", T0, 0, T0 + 45 * MIN))
    store.close_bout("ann", "sit", T0)
    store.upsert_bouts([BoutUpdate("ann", "thigh", Posture.SITTING, T0, T0 + 60 * MIN)])
    contexts = Contexts(ZoneInfo("UTC"), keep_totals=True)
    event = PostureEvent(
        wearer="ann",
        device="thigh",
        seq=9,
        start=T0 + 60 * MIN,
        postures=(Posture.SITTING,) * 30,
        since=T0,
    )
    state = contexts.seen(event, event.end)
    assert not state.loaded and contexts.take_pending() == {"ann"}
    contexts.load(store.snapshots(["ann"], snapshot_since(event.start)))
    ctx = state.context
    assert state.loaded and ctx.tz == ZoneInfo("Europe/Oslo")
    assert ctx.closed == {"sit": T0}
    assert [(s.rule, s.repeat) for s in ctx.sent] == [("sit", 0)]
    assert ctx.totals is not None and ctx.totals.seconds[Posture.SITTING] == 60 * 60 + 30
    assert state.last_outcome == "open"


def test_sessions_are_counted_once_per_key(store: SqlStore) -> None:
    assert store.record_session("ann", key="p1", at=T0, routine="r", source="prompt")
    assert not store.record_session("ann", key="p1", at=T0, routine="r", source="prompt")
    assert store.record_session("ann", key="self/1", at=T0 + MIN, routine="r", source="self")
    got = store.sessions_between("ann", T0, T0 + 60 * MIN)
    assert [(s.key, s.source) for s in got] == [("p1", "prompt"), ("self/1", "self")]
    assert store.first_session("ann") == T0 and store.first_session("bob") is None


def test_push_subscriptions_move_between_wearers_and_can_be_removed(store: SqlStore) -> None:
    store.add_push_subscription("ann", "https://push.example/1", "key", "auth")
    store.add_push_subscription("bob", "https://push.example/1", "key2", "auth2")
    assert store.push_subscriptions("ann") == []
    (sub,) = store.push_subscriptions("bob")
    assert (sub.p256dh, sub.auth) == ("key2", "auth2")
    assert store.remove_push_subscription("https://push.example/1")
    assert not store.remove_push_subscription("https://push.example/1")
