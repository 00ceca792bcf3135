"""The ``[mqtt]`` section, shared by collector and service."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sitless.errors import ConfigError
from sitless.mqtt import BrokerUrl


class MqttSettings(BaseModel):
    """Where the broker is and how to subscribe."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(
        "mqtt://127.0.0.1:1883",
        description="Broker URL, mqtt://[user:password@]host:port (mqtts:// for TLS).",
    )
    v5: bool = Field(False, description="Speak MQTT 5 (needed for shared subscriptions).")
    share_group: str | None = Field(
        None,
        description="Service only: subscribe as $share/<group>/... so several service "
        "instances split the wearers. Needs v5 = true.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        try:
            BrokerUrl.parse(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

    @property
    def broker(self) -> BrokerUrl:
        """The parsed broker URL."""
        return BrokerUrl.parse(self.url)
