"""Which prompts are due, decided from one posture event.

"Now" is the end of the event's last epoch (data time, so a replay or a sped-up demo
behaves like the real thing). The engine keeps no state: it answers the same ``Due``
for as long as the condition holds, and the caller deduplicates by ``prompt_id`` (the
store enforces it), which is what makes restarts and parallel instances safe.

Triggers are compiled once: posture → the triggers that watch it, durations in
seconds, work hours as per-weekday windows, wording per repeat, routine steps expanded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from service.rules.schema import RuleSet, Trigger, TriggerKind, Week, work_week
from sitless.errors import ConfigError
from sitless.wire import PostureEvent, Prompt, Step, prompt_id
from sitless.wire.posture import Posture


@dataclass(frozen=True, slots=True)
class Due:
    """A prompt a trigger asks for now; the same bout and repeat give the same ``Due``."""

    rule: str
    routine: str
    alternative: str | None
    """Routine to offer when the wearer cannot stand up now."""
    repeat: int
    bout_start: datetime
    posture: Posture
    """Posture of the bout that triggered (for ``ended`` triggers, the bout that ended)."""
    title: str
    message: str
    answer_within_s: float
    steps: tuple[Step, ...]

    def prompt_id(self, wearer: str) -> str:
        """The idempotency key of this prompt for ``wearer``."""
        return prompt_id(wearer, self.rule, self.bout_start, self.repeat)

    def prompt(self, wearer: str, device: str, at: datetime) -> Prompt:
        """The wire ``Prompt`` for ``wearer`` (raises pydantic's error on a bad id)."""
        return Prompt(
            wearer=wearer,
            device=device,
            id=self.prompt_id(wearer),
            rule=self.rule,
            routine=self.routine,
            title=self.title,
            message=self.message,
            steps=self.steps,
            repeat=self.repeat,
            posture=self.posture,
            bout_start=self.bout_start,
            at=at,
            answer_within_s=self.answer_within_s,
        )


@dataclass(frozen=True, slots=True)
class _Compiled:
    name: str
    routine: str
    alternative: str | None
    postures: frozenset[Posture]
    min_s: float
    every_s: float
    max_repeat: int
    wording: tuple[tuple[str, str], ...]
    tz: ZoneInfo
    week: Week | None
    answer_s: float
    stale_s: float
    steps: tuple[Step, ...]

    def window_start(self, now: datetime) -> datetime | None:
        """Start (UTC) of the work-hours window holding ``now``; None if outside them.

        Without work hours the window is always open and starts at the epoch of time.
        """
        if self.week is None:
            return _ALWAYS
        local = now.astimezone(self.tz)
        second = local.hour * 3600 + local.minute * 60 + local.second
        for start, end in self.week[local.weekday()]:
            if start <= second < end:
                midnight = datetime(local.year, local.month, local.day, tzinfo=self.tz)
                return (midnight + timedelta(seconds=start)).astimezone(UTC)
        return None

    def due(self, repeat: int, bout_start: datetime, posture: Posture) -> Due:
        title, message = self.wording[min(repeat, len(self.wording) - 1)]
        return Due(
            rule=self.name,
            routine=self.routine,
            alternative=self.alternative,
            repeat=repeat,
            bout_start=bout_start,
            posture=posture,
            title=title,
            message=message,
            answer_within_s=self.answer_s,
            steps=self.steps,
        )


_ALWAYS = datetime.min.replace(tzinfo=UTC)


class Engine:
    """Evaluates a ``RuleSet`` against posture events.

    Args:
        ruleset: loaded and checked rules.
        default_tz: timezone for triggers that name none (a settings value).

    Raises:
        ConfigError: if ``default_tz`` is not a known IANA timezone.
    """

    def __init__(self, ruleset: RuleSet, default_tz: ZoneInfo | str) -> None:
        self.ruleset = ruleset
        self.default_tz = _zone(default_tz)
        self._ongoing: dict[Posture, list[_Compiled]] = {}
        self._ended: dict[Posture, list[_Compiled]] = {}
        for name, trigger in ruleset.triggers.items():
            if not trigger.enabled:
                continue
            compiled = self._compile(name, trigger)
            table = self._ongoing if trigger.kind is TriggerKind.ONGOING else self._ended
            for posture in trigger.postures:
                table.setdefault(posture, []).append(compiled)

    def _compile(self, name: str, trigger: Trigger) -> _Compiled:
        wording = [(trigger.title, trigger.message)]
        if trigger.repeat is not None:
            for words in trigger.repeat.wording:
                wording.append((words.title or trigger.title, words.message or trigger.message))
        return _Compiled(
            name=name,
            routine=trigger.routine,
            alternative=trigger.alternative,
            postures=trigger.postures,
            min_s=trigger.min_minutes * 60,
            every_s=trigger.repeat.every_minutes * 60 if trigger.repeat else 0.0,
            max_repeat=trigger.repeat.max if trigger.repeat else 0,
            wording=tuple(wording),
            tz=ZoneInfo(trigger.timezone) if trigger.timezone else self.default_tz,
            week=work_week(trigger.work_hours) if trigger.work_hours is not None else None,
            answer_s=trigger.answer_within_minutes * 60,
            stale_s=trigger.stale_after_minutes * 60,
            steps=self.ruleset.steps.get(trigger.routine, ()),
        )

    def due(self, event: PostureEvent) -> list[Due]:
        """Prompts due at the end of ``event``; empty for almost every event.

        ``ongoing``: the current bout of a watched posture has lasted ``min_minutes``
        and now is within work hours. For a group (``sedentary``) the bout runs on
        through the prior bout when that was in the group too (sitting, then lying).
        Only the latest repeat is returned; repeats count from when the prompt first
        became possible in the current work-hours window, so someone who sat down
        before work starts gets the first wording at the start of work, not a
        "still sitting" one.

        ``ended``: the prior bout was of a watched posture, lasted ``min_minutes``, the
        current posture is not watched, now is within work hours (if any), and the bout
        ended no longer than ``stale_after_minutes`` ago.
        """
        now = event.end
        out: list[Due] = []
        posture = event.posture
        for rule in self._ongoing.get(posture, ()):
            start = event.since
            prior = event.prior
            if prior is not None and len(rule.postures) > 1 and prior.posture in rule.postures:
                start = prior.start
            lasted = (now - start).total_seconds()
            if lasted < rule.min_s:
                continue
            opened = rule.window_start(now)
            if opened is None:
                continue
            repeat = 0
            if rule.max_repeat:
                first = max(start + timedelta(seconds=rule.min_s), opened)
                elapsed = (now - first).total_seconds()
                repeat = min(rule.max_repeat, int(elapsed // rule.every_s))
            out.append(rule.due(repeat, start, posture))
        prior = event.prior
        if prior is None:
            return out
        for rule in self._ended.get(prior.posture, ()):
            if posture in rule.postures:
                continue
            if (event.since - prior.start).total_seconds() < rule.min_s:
                continue
            if (now - event.since).total_seconds() > rule.stale_s:
                continue
            if rule.window_start(now) is None:
                continue
            out.append(rule.due(0, prior.start, prior.posture))
        return out


def _zone(value: ZoneInfo | str) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"default timezone {value!r} is not a known IANA name such as Europe/Berlin",
            value=value,
        ) from None
