"""The shape of the rule files: triggers (when to prompt) and routines (what to do).

One file may hold ``triggers:``, ``routines:`` or both, each a mapping from a name to
its definition. Everything is frozen and refuses unknown fields, so a typo is an error
rather than a silently ignored setting. ``json_schema_text`` renders the JSON Schema of
a file into ``docs/rules.schema.json`` (editors use it to complete and check YAML).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from sitless.wire import Step
from sitless.wire.posture import SEDENTARY, Posture

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)

SEDENTARY_GROUP = "sedentary"
"""The one posture group a trigger may name: any of ``SEDENTARY``."""

TARGETS: Mapping[str, frozenset[Posture]] = {
    **{p.value: frozenset({p}) for p in Posture if p not in (Posture.NONWEAR, Posture.UNKNOWN)},
    SEDENTARY_GROUP: SEDENTARY,
}
"""What a trigger's ``posture`` may say, and the postures each name stands for."""

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")

Week = tuple[tuple[tuple[int, int], ...], ...]
"""Seven tuples (Monday first) of (start, end) windows in seconds after local midnight."""


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"name {value!r} is not valid: use 1-64 letters, digits, '_', '.' or '-',"
            " starting with a letter or digit"
        )
    return value


def _target(value: str) -> str:
    if value not in TARGETS:
        raise ValueError(f"posture {value!r} is not one of {', '.join(TARGETS)}")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"timezone {value!r} is not a known IANA name such as Europe/Berlin"
        ) from None
    return value


def _reps(value: Any) -> Any:
    """YAML reads ``reps: 12`` as a number; a count is fine as text too."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def parse_days(spec: str) -> frozenset[int]:
    """Weekday numbers (Monday 0) named by ``spec``.

    ``spec`` is ``daily`` or a comma list of days (``mon``..``sun``) and ranges
    (``mon-fri``; ``fri-mon`` wraps over the weekend).
    """
    text = spec.strip().lower()
    if text == "daily":
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.split(","):
        bounds = [b.strip() for b in part.split("-")]
        if len(bounds) > 2 or any(b not in DAYS for b in bounds):
            raise ValueError(
                f"days {spec!r} not understood: use 'daily', day names"
                f" ({', '.join(DAYS)}), ranges like mon-fri, or lists like sat,sun"
            )
        first, last = DAYS.index(bounds[0]), DAYS.index(bounds[-1])
        days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
    return frozenset(days)


def parse_windows(spec: str) -> tuple[tuple[int, int], ...]:
    """Time windows ``HH:MM-HH:MM[, HH:MM-HH:MM...]`` as seconds after local midnight."""
    windows = []
    for part in spec.split(","):
        match = _WINDOW.fullmatch(part.strip())
        if match is None:
            raise ValueError(
                f"time window {part.strip()!r} not understood: use HH:MM-HH:MM,"
                " e.g. 09:00-17:30 (quote it in YAML), several separated by commas"
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
            raise ValueError(f"time window {part.strip()!r} has an impossible time")
        start, end = (h1 * 60 + m1) * 60, (h2 * 60 + m2) * 60
        if end <= start:
            raise ValueError(
                f"time window {part.strip()!r} ends before it starts; split a window that"
                " crosses midnight in two (e.g. mon: 22:00-24:00 and tue: 00:00-06:00)"
            )
        windows.append((start, end))
    return tuple(windows)


def _days(value: str) -> str:
    parse_days(value)
    return value


def _windows(value: str) -> str:
    parse_windows(value)
    return value


def work_week(hours: Mapping[str, str]) -> Week:
    """Per weekday, the sorted, merged windows of a trigger's ``work_hours`` (or quiet hours)."""
    per_day: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for days, spec in hours.items():
        for day in parse_days(days):
            per_day[day].extend(parse_windows(spec))
    week = []
    for windows in per_day:
        merged: list[tuple[int, int]] = []
        for start, end in sorted(windows):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        week.append(tuple(merged))
    return tuple(week)


Name = Annotated[
    str,
    AfterValidator(_name),
    WithJsonSchema({"type": "string", "pattern": NAME_PATTERN}),
]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Short = Annotated[str, Field(min_length=1, max_length=120)]
Target = Annotated[
    str,
    AfterValidator(_target),
    WithJsonSchema({"type": "string", "enum": list(TARGETS)}),
]
Timezone = Annotated[str, AfterValidator(_timezone)]
DaySpec = Annotated[
    str,
    AfterValidator(_days),
    WithJsonSchema({"type": "string", "description": "daily, mon, mon-fri, sat,sun, ..."}),
]
WindowSpec = Annotated[
    str,
    AfterValidator(_windows),
    WithJsonSchema({"type": "string", "description": "HH:MM-HH:MM[, HH:MM-HH:MM...]"}),
]
Reps = Annotated[
    str,
    BeforeValidator(_reps),
    Field(min_length=1, max_length=40),
    WithJsonSchema({"type": ["string", "integer"], "description": "e.g. 10-12"}),
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TriggerKind(StrEnum):
    """When a trigger looks at a bout."""

    ONGOING = "ongoing"
    """While the bout goes on: it has lasted at least ``min_minutes``."""
    ENDED = "ended"
    """Just after it ended: it had lasted at least ``min_minutes``."""
    DAILY_TOTAL = "daily_total"
    """The posture's minutes in the wearer's local day reached ``min_minutes``."""


class Wording(_Model):
    """Title and message of one repeat; a missing one falls back to the trigger's."""

    title: Short | None = None
    message: Text | None = None


class Repeat(_Model):
    """Prompt again while the bout goes on."""

    every_minutes: float = Field(gt=0, le=24 * 60, description="Minutes between repeats.")
    max: int = Field(ge=1, le=100, description="How many repeats after the first prompt.")
    wording: tuple[Wording, ...] = Field(
        (),
        description="Wording of repeat 1, 2, ...; repeats past the list reuse its last entry.",
    )

    @model_validator(mode="after")
    def _wording_fits(self) -> Repeat:
        if len(self.wording) > self.max:
            raise ValueError(
                f"wording has {len(self.wording)} entries but max allows {self.max} repeats"
            )
        return self


class Trigger(_Model):
    """When to prompt, with which routine and words."""

    title: Short = Field(description="Prompt title, e.g. 'Time to stand up'.")
    message: Text = Field(description="Prompt text for the first prompt.")
    posture: Target = Field(description="The posture (or 'sedentary') whose bout is watched.")
    kind: TriggerKind = Field(
        description="ongoing: the bout has lasted min_minutes; ended: such a bout just ended;"
        " daily_total: the posture's minutes today reached min_minutes."
    )
    min_minutes: float = Field(
        gt=0, le=24 * 60, description="Bout length (or, daily_total, minutes today) that triggers."
    )
    routine: Name = Field(description="Name of the routine to prompt.")
    alternative: Name | None = Field(
        None, description="Routine to offer when the wearer cannot stand up now."
    )
    repeat: Repeat | None = Field(None, description="Repeats while the bout goes on.")
    work_hours: dict[DaySpec, WindowSpec] | None = Field(
        None,
        description="Local windows per day in which to prompt, e.g. {mon-fri: 09:00-17:30};"
        " absent means any time.",
    )
    timezone: Timezone | None = Field(
        None,
        description="IANA timezone of work_hours, quiet_hours and lunch; absent means the"
        " wearer's own zone, else the service default.",
    )
    answer_within_minutes: float = Field(
        10,
        ge=0,
        le=24 * 60,
        description="Standing or moving within this many minutes answers the prompt.",
    )
    stale_after_minutes: float = Field(
        30,
        gt=0,
        le=24 * 60,
        description="ended triggers only: drop a prompt not given this soon after the bout"
        " ended (say, the service was down).",
    )
    quiet_hours: dict[DaySpec, WindowSpec] | None = Field(
        None,
        description="Local windows per day in which never to prompt, even inside work hours,"
        " e.g. {daily: '22:00-24:00, 00:00-07:00'}.",
    )
    lunch: WindowSpec | None = Field(
        None,
        description="Local lunch window(s), every day, e.g. '12:00-13:00': a prompt due then"
        " waits until the window ends.",
    )
    cooldown_minutes: float = Field(
        0,
        ge=0,
        le=24 * 60,
        description="After a prompt of this trigger, no new (first) prompt of it for this"
        " many minutes; repeats keep their own rhythm.",
    )
    max_per_day: int | None = Field(
        None, ge=1, le=100, description="At most this many prompts (repeats included) a day."
    )
    enabled: bool = Field(True, description="false keeps the trigger but never prompts.")

    @model_validator(mode="after")
    def _fits_kind(self) -> Trigger:
        if self.kind is TriggerKind.ONGOING and Posture.CYCLING in self.postures:
            raise ValueError(
                "posture cycling with kind ongoing would prompt during a ride, which sitless"
                " never does: use kind ended (a ride of at least min_minutes just ended)"
            )
        if self.kind is TriggerKind.DAILY_TOTAL and self.repeat is not None:
            raise ValueError("repeat does not apply to kind daily_total (it fires once a day)")
        return self

    @field_validator("repeat")
    @classmethod
    def _repeat_only_ongoing(cls, value: Repeat | None, info: ValidationInfo) -> Repeat | None:
        if value is not None and info.data.get("kind") is TriggerKind.ENDED:
            raise ValueError("repeat only applies to kind: ongoing")
        return value

    @property
    def postures(self) -> frozenset[Posture]:
        """The postures whose bouts this trigger watches."""
        return TARGETS[self.posture]


class StepSpec(_Model):
    """One step of a routine, or (with ``routine``) all steps of another routine."""

    text: Text | None = Field(None, description="What to do.")
    hold_s: float | None = Field(None, gt=0, le=600, description="Hold for this long, s.")
    reps: Reps | None = Field(None, description="Repetitions, e.g. 10-12.")
    routine: Name | None = Field(None, description="Include this routine's steps here.")

    @model_validator(mode="after")
    def _text_or_routine(self) -> StepSpec:
        if (self.text is None) == (self.routine is None):
            raise ValueError("a step has either text (and optional hold_s, reps) or routine")
        if self.routine is not None and (self.hold_s is not None or self.reps is not None):
            raise ValueError("a step that includes a routine takes no hold_s or reps")
        return self


class Routine(_Model):
    """A short exercise sequence, with why and how much."""

    title: Short = Field(description="Shown to the wearer.")
    why: Text = Field(description="One or two sentences: what it does and why now.")
    steps: tuple[StepSpec, ...] = Field(
        description="In order; a step may include another routine.",
        json_schema_extra={"minItems": 1},
    )
    dose: Text = Field(description="How long and how often, e.g. '15 s each side'.")
    cues: tuple[Short, ...] = Field(
        (), description="Short form cues to keep in mind, e.g. 'core engaged'."
    )
    easier: Text | None = Field(None, description="How to make it easier.")
    harder: Text | None = Field(None, description="How to make it harder.")
    seated: bool = Field(False, description="Can be done sitting (a 'can't stand now' option).")

    @field_validator("steps")
    @classmethod
    def _has_steps(cls, value: tuple[StepSpec, ...]) -> tuple[StepSpec, ...]:
        # Checked here rather than with min_length, which would also complain about the
        # items that failed validation and were dropped.
        if not value:
            raise ValueError("a routine needs at least one step")
        return value


class RuleFile(_Model):
    """One rule file: triggers and/or routines, each keyed by a unique name."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        title="sitless rule file",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    triggers: dict[Name, Trigger] = Field(default_factory=dict)
    routines: dict[Name, Routine] = Field(default_factory=dict)


@dataclass(frozen=True)
class RuleSet:
    """All triggers and routines of a rules directory, checked against each other."""

    triggers: Mapping[str, Trigger]
    routines: Mapping[str, Routine]
    steps: Mapping[str, tuple[Step, ...]]
    """Each routine's steps as shown to the wearer, included routines expanded."""


def json_schema_text() -> str:
    """The JSON Schema of a rule file, as written to ``docs/rules.schema.json``."""
    return json.dumps(RuleFile.model_json_schema(), indent=2, ensure_ascii=False) + "\n"
