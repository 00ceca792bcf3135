"""The ``[service]`` section: storage, rules, time series, notifications, web."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class InfluxSettings(BaseModel):
    """InfluxDB 2.x (or any server taking its v2 write API); off when ``url`` is empty."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field("", description="e.g. http://127.0.0.1:8086; empty = no time series.")
    token: str = Field("", description="API token with write access to the bucket.")
    org: str = Field("sitless", description="Organisation.")
    bucket: str = Field("sitless", description="Bucket.")
    batch_size: Annotated[int, Field(ge=1)] = Field(5000, description="Points per write.")
    flush_interval_s: Annotated[float, Field(gt=0)] = Field(1.0, description="Max wait, s.")
    max_buffer: Annotated[int, Field(ge=1000)] = Field(
        1_000_000, description="Points kept while the server is away; beyond, counted drops."
    )


class WebPushSettings(BaseModel):
    """Web push to the dashboard's browsers (VAPID); off unless enabled."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(False, description="Send prompts to subscribed browsers.")
    vapid_key_file: Path = Field(
        Path("var/vapid.pem"),
        description="The service's VAPID private key (PEM); created on first start if missing.",
    )
    subject: str = Field(
        "mailto:sitless@localhost",
        description="VAPID contact: a mailto: or https: URL the push service may use.",
    )
    ttl_s: Annotated[int, Field(ge=0, le=28 * 24 * 3600)] = Field(
        600, description="How long a push service keeps an undelivered prompt, s."
    )


class NotifySettings(BaseModel):
    """Where prompts go besides the MQTT prompt topic."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    console: bool = Field(True, description="Print prompts on the service's console.")
    apprise_urls: list[str] = Field(
        default_factory=list, description="Apprise URLs (ntfy://, pover://, mailto://, ...)."
    )
    timeout_s: Annotated[float, Field(gt=0)] = Field(10.0, description="Per-channel timeout, s.")
    retries: Annotated[int, Field(ge=0, le=20)] = Field(
        3, description="Tries after the first when a channel fails."
    )
    backoff_s: Annotated[float, Field(ge=0)] = Field(
        1.0, description="Wait before the first retry, s; doubles each retry."
    )
    max_backoff_s: Annotated[float, Field(ge=0)] = Field(
        60.0, description="Longest wait between retries, s."
    )
    webpush: WebPushSettings = WebPushSettings()


class CalendarSettings(BaseModel):
    """Meetings from each wearer's calendar: a prompt due in a meeting waits for its end."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sources: dict[str, str] = Field(
        default_factory=dict,
        description="Wearer id -> ICS file path or http(s) URL (e.g. a calendar's secret"
        " iCal address).",
    )
    poll_s: Annotated[float, Field(ge=10)] = Field(
        300.0, description="Seconds between reads of each calendar."
    )


class HomeAssistantSettings(BaseModel):
    """Home Assistant MQTT discovery: each wearer as a device with sensors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = Field(False, description="Publish discovery configs and wearer states.")
    discovery_prefix: str = Field("homeassistant", description="Home Assistant's discovery prefix.")
    interval_s: Annotated[float, Field(gt=0)] = Field(
        60.0, description="Publish a wearer's state at least this often (data time), s."
    )


class ProgramSettings(BaseModel):
    """The routine program of the seed articles: a few times a day for 2-3 months."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sessions_per_day: Annotated[int, Field(ge=1, le=20)] = Field(
        3, description="Sessions a day that meet the daily target."
    )
    weeks: Annotated[int, Field(ge=1, le=52)] = Field(10, description="Program length, weeks.")
    days_per_week: Annotated[int, Field(ge=1, le=7)] = Field(
        5, description="Days a week meeting the target for the week to count as done."
    )


class AuthMode(StrEnum):
    """When API requests must carry a user's token."""

    AUTO = "auto"
    """As soon as one user exists; before that (the demo, a fresh install) all is open."""
    ON = "on"
    """Always: with no user yet, every data route answers 401."""


class ServiceSettings(BaseModel):
    """How the service stores, decides and shows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str = Field(
        "sqlite:///var/sitless.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db.",
    )
    rules: Path | None = Field(None, description="Rule folder or file; empty = bundled rules.")
    timezone: str = Field(
        "UTC", description="IANA zone for work hours and days when a rule names none."
    )
    client_id: str = Field(
        "sitless-service",
        description="MQTT client id; the broker keeps this session's messages while the "
        "service restarts. Give each instance its own.",
    )
    host: str = Field("127.0.0.1", description="Where the API and dashboard listen.")
    port: Annotated[int, Field(ge=0, le=65535)] = Field(8000, description="HTTP port.")
    queue_size: Annotated[int, Field(ge=100)] = Field(
        100_000, description="Messages buffered between MQTT and ingest."
    )
    auth: AuthMode = Field(
        AuthMode.AUTO,
        description="auto: API tokens are required once a user exists; on: always.",
    )
    tls_certfile: Path | None = Field(
        None, description="PEM certificate (chain) to serve the API and dashboard over HTTPS."
    )
    tls_keyfile: Path | None = Field(None, description="PEM private key of tls_certfile.")
    influx: InfluxSettings = InfluxSettings()
    notify: NotifySettings = NotifySettings()
    calendar: CalendarSettings = CalendarSettings()
    homeassistant: HomeAssistantSettings = HomeAssistantSettings()
    program: ProgramSettings = ProgramSettings()

    @model_validator(mode="after")
    def _tls_pair(self) -> ServiceSettings:
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise ValueError("set both tls_certfile and tls_keyfile, or neither")
        return self

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name like Europe/Oslo)"
            ) from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The default time zone."""
        return ZoneInfo(self.timezone)

    @property
    def uvicorn_tls(self) -> dict[str, str]:
        """uvicorn's ``ssl_certfile`` and ``ssl_keyfile``; empty for plain HTTP."""
        if self.tls_certfile is None or self.tls_keyfile is None:
            return {}
        return {"ssl_certfile": str(self.tls_certfile), "ssl_keyfile": str(self.tls_keyfile)}
