"""The ``[service]`` section: storage, rules, time series, notifications, web."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator


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


class NotifySettings(BaseModel):
    """Where prompts go besides the MQTT prompt topic."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    console: bool = Field(True, description="Print prompts on the service's console.")
    apprise_urls: list[str] = Field(
        default_factory=list, description="Apprise URLs (ntfy://, pover://, mailto://, ...)."
    )
    timeout_s: Annotated[float, Field(gt=0)] = Field(10.0, description="Per-channel timeout, s.")


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
    influx: InfluxSettings = InfluxSettings()
    notify: NotifySettings = NotifySettings()

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
