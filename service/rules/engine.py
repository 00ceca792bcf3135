"""Which prompts are due, decided from one posture event and the wearer's context.

"Now" is the end of the event's last epoch (data time, so a replay or a sped-up demo
behaves like the real thing). The engine keeps no state of its own: what it needs to
know beyond the event (prompts sent, snoozes, focus, meetings, today's totals) comes in
as a ``Context`` (``service.rules.context``) that the caller keeps. It answers the same
``Due`` for as long as the condition holds, and the caller deduplicates by
``prompt_id`` (the store enforces it), which is what makes restarts and parallel
instances safe.

Never prompted: while the current posture is ``cycling`` (mid-ride), ``nonwear`` (the
sensor is off the body) or ``unknown`` (the classifier is unsure), and during a
``transport`` focus. A due prompt is *held* (given later, if it still applies) while its
rule is snoozed, during lunch, during a meeting and during a deferring focus; it is
*suppressed* (its bout never prompts again) during a suppressing focus.

Triggers are compiled once: posture → the triggers that watch it, durations in
seconds, work and quiet hours as per-weekday windows, wording per repeat, routine steps
expanded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from service.rules.context import Context, FocusMode, local_midnight
from service.rules.schema import (
    Routine,
    RuleSet,
    Trigger,
    TriggerKind,
    Week,
    parse_windows,
    work_week,
)
from sitless.errors import ConfigError
from sitless.wire import PostureEvent, Prompt, Step, prompt_id
from sitless.wire.posture import Posture

NEVER_PROMPT = frozenset({Posture.CYCLING, Posture.NONWEAR, Posture.UNKNOWN})
"""Current postures in which no prompt is given: mid-ride, sensor off, classifier unsure."""

SEATED_SUFFIX = ".seated"
"""Added to a rule's name for the seated alternative it sends on ``cant_stand``."""


@dataclass(frozen=True, slots=True)
class RoutineText:
    """What the wearer reads about a routine besides its steps."""

    why: str | None = None
    dose: str | None = None
    cues: tuple[str, ...] = ()
    easier: str | None = None
    harder: str | None = None

    @classmethod
    def of(cls, name: str, routines: Mapping[str, Routine]) -> RoutineText:
        """The text of routine ``name``; cues include those of the routines it includes."""
        routine = routines.get(name)
        if routine is None:
            return cls()
        cues = tuple(dict.fromkeys(_cues(name, routines, ())))
        return cls(routine.why, routine.dose, cues, routine.easier, routine.harder)


def _cues(name: str, routines: Mapping[str, Routine], chain: tuple[str, ...]) -> list[str]:
    routine = routines.get(name)
    if routine is None or name in chain:
        return []
    out = list(routine.cues)
    for step in routine.steps:
        if step.routine is not None:
            out += _cues(step.routine, routines, (*chain, name))
    return out


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
    text: RoutineText = RoutineText()

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
            why=self.text.why,
            dose=self.text.dose,
            cues=self.text.cues or None,
            easier=self.text.easier,
            harder=self.text.harder,
            alternative=self.alternative,
        )


@dataclass(frozen=True, slots=True)
class Held:
    """A due prompt that waits: ``reason`` is snooze, lunch, meeting or focus."""

    due: Due
    reason: str
    until: datetime


@dataclass(frozen=True, slots=True)
class Decision:
    """What one event means for prompts: give, hold, or drop for good."""

    send: tuple[Due, ...] = ()
    held: tuple[Held, ...] = ()
    suppressed: tuple[Due, ...] = ()
    """Dropped by a suppressing focus: the caller closes their bouts in the context."""


_NOTHING = Decision()


@dataclass(frozen=True, slots=True)
class _Compiled:
    name: str
    kind: TriggerKind
    routine: str
    alternative: str | None
    postures: frozenset[Posture]
    min_s: float
    every_s: float
    max_repeat: int
    wording: tuple[tuple[str, str], ...]
    tz: ZoneInfo | None
    """The rule's own zone; None: the wearer's, else the service default."""
    week: Week | None
    quiet: Week | None
    lunch: tuple[tuple[int, int], ...]
    answer_s: float
    stale_s: float
    cooldown_s: float
    max_per_day: int | None
    steps: tuple[Step, ...]
    text: RoutineText

    def window_start(self, local: datetime) -> datetime | None:
        """Start (UTC) of the work-hours window holding ``local``; None if outside them.

        Without work hours the window is always open and starts at the epoch of time.
        """
        if self.week is None:
            return _ALWAYS
        found = _window(self.week[local.weekday()], local)
        if found is None:
            return None
        return _at(local, found[0])

    def quiet_until(self, local: datetime) -> datetime | None:
        """End (UTC) of the quiet-hours window holding ``local``, if in one."""
        if self.quiet is None:
            return None
        found = _window(self.quiet[local.weekday()], local)
        return None if found is None else _at(local, found[1])

    def lunch_until(self, local: datetime) -> datetime | None:
        """End (UTC) of the lunch window holding ``local``, if in one."""
        found = _window(self.lunch, local)
        return None if found is None else _at(local, found[1])

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
            text=self.text,
        )


def _window(windows: tuple[tuple[int, int], ...], local: datetime) -> tuple[int, int] | None:
    second = local.hour * 3600 + local.minute * 60 + local.second
    for start, end in windows:
        if start <= second < end:
            return start, end
    return None


def _at(local: datetime, second: int) -> datetime:
    """The UTC time of ``second`` after local midnight on ``local``'s day (DST-aware)."""
    tz = local.tzinfo
    assert isinstance(tz, ZoneInfo)
    midnight = datetime(local.year, local.month, local.day, tzinfo=tz)
    wall = midnight + timedelta(seconds=second)
    # Wall-clock arithmetic: 09:00 is 09:00 local even on a 23- or 25-hour day.
    return wall.astimezone(UTC)


_ALWAYS = datetime.min.replace(tzinfo=UTC)


class Engine:
    """Evaluates a ``RuleSet`` against posture events.

    Args:
        ruleset: loaded and checked rules.
        default_tz: timezone for wearers and triggers that name none (a settings value).

    Raises:
        ConfigError: if ``default_tz`` is not a known IANA timezone.
    """

    def __init__(self, ruleset: RuleSet, default_tz: ZoneInfo | str) -> None:
        self.ruleset = ruleset
        self.default_tz = _zone(default_tz)
        self._ongoing: dict[Posture, list[_Compiled]] = {}
        self._ended: dict[Posture, list[_Compiled]] = {}
        self._daily: list[_Compiled] = []
        self._rules: dict[str, _Compiled] = {}
        for name, trigger in ruleset.triggers.items():
            if not trigger.enabled:
                continue
            compiled = self._compile(name, trigger)
            self._rules[name] = compiled
            if trigger.kind is TriggerKind.DAILY_TOTAL:
                self._daily.append(compiled)
                continue
            table = self._ongoing if trigger.kind is TriggerKind.ONGOING else self._ended
            for posture in trigger.postures:
                table.setdefault(posture, []).append(compiled)

    @property
    def needs_totals(self) -> bool:
        """Whether any trigger looks at daily totals (so the caller must keep them)."""
        return bool(self._daily)

    def _compile(self, name: str, trigger: Trigger) -> _Compiled:
        wording = [(trigger.title, trigger.message)]
        if trigger.repeat is not None:
            for words in trigger.repeat.wording:
                wording.append((words.title or trigger.title, words.message or trigger.message))
        return _Compiled(
            name=name,
            kind=trigger.kind,
            routine=trigger.routine,
            alternative=trigger.alternative,
            postures=trigger.postures,
            min_s=trigger.min_minutes * 60,
            every_s=trigger.repeat.every_minutes * 60 if trigger.repeat else 0.0,
            max_repeat=trigger.repeat.max if trigger.repeat else 0,
            wording=tuple(wording),
            tz=ZoneInfo(trigger.timezone) if trigger.timezone else None,
            week=work_week(trigger.work_hours) if trigger.work_hours is not None else None,
            quiet=work_week(trigger.quiet_hours) if trigger.quiet_hours is not None else None,
            lunch=tuple(sorted(parse_windows(trigger.lunch))) if trigger.lunch else (),
            answer_s=trigger.answer_within_minutes * 60,
            stale_s=trigger.stale_after_minutes * 60,
            cooldown_s=trigger.cooldown_minutes * 60,
            max_per_day=trigger.max_per_day,
            steps=self.ruleset.steps.get(trigger.routine, ()),
            text=RoutineText.of(trigger.routine, self.ruleset.routines),
        )

    def due(self, event: PostureEvent, context: Context | None = None) -> list[Due]:
        """Prompts to give at the end of ``event``; empty for almost every event.

        See ``decide``; this is its ``send`` part.
        """
        return list(self.decide(event, context).send)

    def decide(
        self, event: PostureEvent, context: Context | None = None, end: datetime | None = None
    ) -> Decision:
        """What ``event`` means for prompts, given what ``context`` knows.

        ``ongoing``: the current bout of a watched posture has lasted ``min_minutes``.
        For a group (``sedentary``) the bout runs on through the prior bout when that
        was in the group too (sitting, then lying).

        ``ended``: the prior bout was of a watched posture, lasted ``min_minutes``, the
        current posture is not watched, and the bout ended no longer than
        ``stale_after_minutes`` ago.

        ``daily_total``: today's minutes in the watched postures (``context.totals``)
        reached ``min_minutes``; once a day.

        Then, for each: now must be inside work hours (if any) and outside quiet hours.
        With a context, repeat 0 goes out once per bout (not within ``cooldown_minutes``
        of the rule's last prompt), repeat n+1 ``every_minutes`` after repeat n, up to
        ``max`` (and once more when a snooze of that bout ends), at most
        ``max_per_day`` a local day, never for a bout that was done, dismissed or
        suppressed. Without a context (tools, replays of a single event) repeats are
        counted from when the prompt first became possible in the current work-hours
        window, as if every earlier one had been given.
        """
        posture = event.posture
        if posture in NEVER_PROMPT:
            return _NOTHING
        now = end if end is not None else event.end  # ``end``: the caller's copy of it
        candidates: list[tuple[_Compiled, datetime, Posture]] = []
        for rule in self._ongoing.get(posture, ()):
            start = event.since
            prior = event.prior
            if prior is not None and len(rule.postures) > 1 and prior.posture in rule.postures:
                start = prior.start
            if (now - start).total_seconds() >= rule.min_s:
                candidates.append((rule, start, posture))
        prior = event.prior
        if prior is not None:
            for rule in self._ended.get(prior.posture, ()):
                if posture in rule.postures:
                    continue
                if (event.since - prior.start).total_seconds() < rule.min_s:
                    continue
                if (now - event.since).total_seconds() > rule.stale_s:
                    continue
                candidates.append((rule, prior.start, prior.posture))
        totals = context.totals if context is not None else None
        if totals is not None and self._daily and totals.start <= now <= totals.end:
            seconds = totals.seconds
            for rule in self._daily:
                if sum(seconds.get(p, 0.0) for p in rule.postures) >= rule.min_s:
                    shown = posture if posture in rule.postures else _shown(rule.postures)
                    candidates.append((rule, totals.start, shown))
        if not candidates:
            return _NOTHING
        send: list[Due] = []
        held: list[Held] = []
        suppressed: list[Due] = []
        for rule, start, bout_posture in candidates:
            self._judge(rule, start, bout_posture, now, context, send, held, suppressed)
        return Decision(tuple(send), tuple(held), tuple(suppressed))

    def _judge(
        self,
        rule: _Compiled,
        start: datetime,
        posture: Posture,
        now: datetime,
        context: Context | None,
        send: list[Due],
        held: list[Held],
        suppressed: list[Due],
    ) -> None:
        tz = rule.tz or (context.tz if context is not None and context.tz else self.default_tz)
        local = now.astimezone(tz)
        opened = rule.window_start(local)
        if opened is None or rule.quiet_until(local) is not None:
            return
        if context is None:
            repeat = 0
            if rule.max_repeat:
                first = max(start + timedelta(seconds=rule.min_s), opened)
                elapsed = (now - first).total_seconds()
                repeat = min(rule.max_repeat, int(elapsed // rule.every_s))
            send.append(rule.due(repeat, start, posture))
            return
        if context.closed.get(rule.name) == start:
            return
        snooze = context.snoozes.get(rule.name)
        snoozed = snooze is not None and now < snooze.until
        last = context.of_bout(rule.name, start)
        if last is None:
            repeat = 0
            previous = context.last_of(rule.name) if rule.cooldown_s else None
            if previous is not None and (now - previous.at).total_seconds() < rule.cooldown_s:
                return
        else:
            # A snooze of this bout's prompt earns one more prompt when it ends, even past
            # the rule's repeats: the wearer asked to be reminded.
            after_snooze = (
                snooze is not None and snooze.bout_start == start and last.at < snooze.until
            )
            if not after_snooze and (
                last.repeat >= rule.max_repeat or (now - last.at).total_seconds() < rule.every_s
            ):
                return
            repeat = last.repeat + 1
        if rule.max_per_day is not None:
            day = local.date()
            if (
                context.count_between(
                    rule.name, local_midnight(day, tz), local_midnight(day, tz, 1)
                )
                >= rule.max_per_day
            ):
                return
        due = rule.due(repeat, start, posture)
        focus = context.focus if context.focus is not None and now < context.focus.until else None
        if snooze is not None and snoozed:
            held.append(Held(due, "snooze", snooze.until))
        elif focus is not None and (
            focus.mode is FocusMode.SUPPRESS or focus.reason == "transport"
        ):
            suppressed.append(due)
        elif (lunch_end := rule.lunch_until(local)) is not None:
            held.append(Held(due, "lunch", lunch_end))
        elif (meeting := context.meeting_at(now)) is not None:
            held.append(Held(due, "meeting", meeting.end))
        elif focus is not None:
            held.append(Held(due, "focus", focus.until))
        else:
            send.append(due)

    def alternative(self, prompt: Prompt, at: datetime) -> Prompt | None:
        """The seated alternative to ``prompt``, for a wearer who answered ``cant_stand``.

        None when the prompt's rule names no alternative (or is gone). Its rule is the
        original's plus ``.seated``, so it is a prompt of its own, sent once.
        """
        rule = self._rules.get(prompt.rule)
        if rule is None or rule.alternative is None:
            return None
        routine = self.ruleset.routines.get(rule.alternative)
        if routine is None:
            return None
        name = prompt.rule + SEATED_SUFFIX
        text = RoutineText.of(rule.alternative, self.ruleset.routines)
        return Prompt(
            wearer=prompt.wearer,
            device=prompt.device,
            id=prompt_id(prompt.wearer, name, prompt.bout_start, prompt.repeat),
            rule=name,
            routine=rule.alternative,
            title=routine.title,
            message=f"Can't get up right now? {routine.why}",
            steps=self.ruleset.steps.get(rule.alternative, ()),
            repeat=prompt.repeat,
            posture=prompt.posture,
            bout_start=prompt.bout_start,
            at=at,
            answer_within_s=prompt.answer_within_s,
            why=text.why,
            dose=text.dose,
            cues=text.cues or None,
            easier=text.easier,
            harder=text.harder,
        )

    def zone_of(self, rule: str, context: Context | None) -> ZoneInfo:
        """The zone whose local day counts for ``rule`` and this wearer."""
        compiled = self._rules.get(rule)
        if compiled is not None and compiled.tz is not None:
            return compiled.tz
        return context.tz if context is not None and context.tz else self.default_tz


def _shown(postures: frozenset[Posture]) -> Posture:
    """The posture a daily-total prompt names when the wearer is not in one right now."""
    return Posture.SITTING if Posture.SITTING in postures else min(postures)


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
