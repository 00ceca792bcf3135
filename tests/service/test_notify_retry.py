"""Delivery retries: backoff, give-up, timeouts and counters, with scripted channels."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from service.metrics import Metrics
from service.notify import DeliveryError, Notifier
from service.notify.text import render_text
from sitless.wire import Posture, Prompt, Step

PROMPT = Prompt(
    wearer="ann",
    device="thigh",
    id="ann/t/20260302T090000Z/0",
    rule="t",
    routine="r",
    title="Time to stand up",
    message="Stand up.",
    steps=(Step(text="Kneel", hold_s=15), Step(text="Lift", reps="10-12")),
    posture=Posture.SITTING,
    bout_start=datetime(2026, 3, 2, 9, tzinfo=UTC),
    at=datetime(2026, 3, 2, 9, 45, tzinfo=UTC),
    dose="15 s each side",
    cues=("Core engaged",),
    easier="Both feet down",
    alternative="glute-squeeze-release",
    why="Sitting shortens the hip flexors.",
)


class Scripted:
    """Fails the first ``failures`` tries (or hangs), then delivers."""

    name = "scripted"

    def __init__(self, failures: int, *, retry: bool = True, hang: bool = False) -> None:
        self.failures = failures
        self.retry = retry
        self.hang = hang
        self.tries: list[float] = []

    async def deliver(self, prompt: Prompt) -> None:
        self.tries.append(time.monotonic())
        if len(self.tries) <= self.failures:
            if self.hang:
                await asyncio.sleep(3600)
            raise DeliveryError("scripted failure", retry=self.retry)


def notifier(metrics: Metrics, **kw: float) -> Notifier:
    return Notifier(None, metrics, **kw)  # type: ignore[arg-type]


async def test_a_failing_channel_is_retried_with_doubling_backoff_then_delivers() -> None:
    metrics = Metrics()
    channel = Scripted(failures=2)
    await notifier(metrics, retries=3, backoff_s=0.05).deliver(channel, PROMPT)
    gaps = [b - a for a, b in zip(channel.tries, channel.tries[1:], strict=False)]
    assert len(channel.tries) == 3
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1
    assert metrics.get("notify_sent", "scripted") == 1
    assert metrics.get("notify_retries", "scripted") == 2
    assert metrics.get("notify_failed", "scripted") == 0


async def test_it_gives_up_after_its_retries_and_counts_one_failure() -> None:
    metrics = Metrics()
    channel = Scripted(failures=10)
    await notifier(metrics, retries=2, backoff_s=0.01, max_backoff_s=0.02).deliver(channel, PROMPT)
    assert len(channel.tries) == 3
    assert metrics.get("notify_failed", "scripted") == 1
    assert metrics.get("notify_sent", "scripted") == 0


async def test_a_failure_that_says_retrying_is_useless_is_not_retried() -> None:
    metrics = Metrics()
    channel = Scripted(failures=1, retry=False)
    await notifier(metrics, retries=5, backoff_s=0.01).deliver(channel, PROMPT)
    assert len(channel.tries) == 1 and metrics.get("notify_failed", "scripted") == 1


async def test_a_channel_that_hangs_times_out_and_is_retried() -> None:
    metrics = Metrics()
    channel = Scripted(failures=1, hang=True)
    await notifier(metrics, timeout_s=0.05, retries=1, backoff_s=0.0).deliver(channel, PROMPT)
    assert len(channel.tries) == 2 and metrics.get("notify_sent", "scripted") == 1


def test_the_text_carries_steps_dose_cues_variants_the_seated_option_and_why() -> None:
    text = render_text(PROMPT)
    assert text.splitlines()[:4] == ["Stand up.", "", "1. Kneel (hold 15 s)", "2. Lift (10-12)"]
    for part in (
        "How much: 15 s each side",
        "Keep in mind: Core engaged.",
        "Easier: Both feet down",
        "can't stand",
        "Why: Sitting shortens the hip flexors.",
    ):
        assert part in text
