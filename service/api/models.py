"""Response models of the JSON API (what ``/docs`` shows)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from sitless.wire import Posture


class Health(BaseModel):
    """Whether the service can do its job."""

    status: str = Field(description="ok, or degraded with reasons.")
    mqtt_connected: bool
    queued: int = Field(description="Messages waiting for ingest.")
    problems: list[str] = Field(default_factory=list)


class Wearer(BaseModel):
    """A wearer the service has heard from."""

    id: str
    created: datetime
    timezone: str


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
