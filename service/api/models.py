"""Response models of the JSON API (what ``/docs`` shows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from sitless.wire import Posture


class Health(BaseModel):
    """Whether the service can do its job."""

    status: str = Field(description="ok, or degraded with reasons.")
    mqtt_connected: bool
    queued: int = Field(description="Messages waiting for ingest.")
    problems: list[str] = Field(default_factory=list)


class Wearer(BaseModel):
    """A wearer you may see."""

    id: str
    created: datetime
    timezone: str
    access: Literal["owner", "shared", "admin", "open"] = Field(
        description="owner: yours; shared: shared with you, read-only; admin: you are an"
        " admin; open: access control is off (no users yet)."
    )
    owner: str | None = Field(description="The user who owns the wearer, if any.")


class PromptOut(BaseModel):
    """A prompt and what became of it."""

    id: str
    rule: str
    routine: str
    repeat: int
    at: datetime
    answered: bool = Field(description="Moved or acknowledged within the rule's window.")
    outcome: str | None = Field(
        description="movement, done, snooze, dismiss, cant_stand, ignored; null while open."
    )
    answered_at: datetime | None
    response_s: float | None = Field(description="Seconds from prompt to answer.")


class BoutOut(BaseModel):
    """One run of a posture."""

    posture: Posture
    start: datetime
    end: datetime
    minutes: float


class Day(BaseModel):
    """One local day of one wearer."""

    wearer: str
    day: date
    timezone: str
    covered_min: float = Field(description="Minutes with posture data.")
    sitting_min: float
    sedentary_min: float = Field(description="Sitting plus lying.")
    minutes: dict[Posture, float] = Field(description="Minutes per posture.")
    longest_sitting_min: float
    longest_sitting_start: datetime | None
    breaks: int = Field(description="Transitions from sitting or lying to standing or moving.")
    sitting_by_hour: list[float] = Field(description="Sitting minutes per local hour (24).")
    prompts: list[PromptOut]
    prompts_answered: int


class Timeline(BaseModel):
    """The dominant posture of each local minute of the day (null: no data)."""

    wearer: str
    day: date
    timezone: str
    minutes: list[Posture | None]


class TrendDay(BaseModel):
    """Totals of one local day, for week and month trends."""

    day: date
    covered_min: float = Field(description="Minutes with posture data.")
    sitting_min: float
    longest_sitting_min: float
    long_sits: int = Field(description="Sitting bouts of 30 minutes or more that began this day.")
    breaks: int
    prompts: int
    prompts_answered: int = Field(description="Moved or acknowledged within the window.")
    routines_done: int = Field(description="Prompts acknowledged as done.")
    adherence: float | None = Field(description="prompts_answered / prompts; null: no prompts.")


class Trend(BaseModel):
    """Day-by-day totals over a span ending on ``end`` (inclusive)."""

    wearer: str
    timezone: str
    start: date
    end: date
    days: list[TrendDay]
    sitting_min_per_day: float = Field(description="Mean over days with data.")
    adherence: float | None = Field(description="All answered prompts / all prompts.")


class Me(BaseModel):
    """Who the API takes you for."""

    user: str | None = Field(description="Your user name; null when access control is off.")
    admin: bool
    auth: bool = Field(description="Whether requests need a token.")


class TokenOut(BaseModel):
    """An API token's public part."""

    id: str
    label: str
    created: datetime


class NewTokenOut(TokenOut):
    """A new token: ``token`` is shown this once and never again."""

    token: str


class TokenIn(BaseModel):
    """What to call a new token."""

    label: str = Field("", max_length=128, description="e.g. 'phone' or 'coach laptop'.")


class SignIn(BaseModel):
    """Sign the dashboard in with an API token."""

    token: str = Field(max_length=200)


class Shares(BaseModel):
    """Who may read a wearer besides its owner."""

    wearer: str
    owner: str | None
    users: list[str]
