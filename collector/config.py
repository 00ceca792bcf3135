"""The ``[collector]`` section: who is wearing what, and where unsent events wait."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sitless.wire.ids import DeviceId, WearerId


class CollectorSettings(BaseModel):
    """How the collector reads its sensor and publishes postures."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wearer: WearerId = Field("demo", description="Wearer id used in topics.")
    device: DeviceId = Field("sim-1", description="Device id; one per sensor.")
    source: Literal["simulator", "replay"] = Field(
        "simulator",
        description="Where the demo collector reads samples; Bluetooth sensors are `sensors`.",
    )
    recording: Path | None = Field(None, description="CSV(.gz) to replay when source=replay.")
    rate_hz: Annotated[float, Field(ge=10, le=200)] = Field(
        50.0, description="Simulator sample rate, Hz."
    )
    seed: int = Field(0, description="Simulator seed (sensor orientation, noise).")
    speed: Annotated[float, Field(gt=0, le=10000)] = Field(
        1.0, description="Replay speed: 1 = real time, 60 = an hour a minute."
    )
    batch_s: Annotated[float, Field(ge=1, le=60)] = Field(
        5.0, description="Longest time, s, the collector holds epochs before sending."
    )
    outbox: Path = Field(
        Path("var/outbox.db"), description="SQLite file keeping events until the broker has them."
    )
    sensors: list[str] = Field(
        default_factory=list,
        description="Bluetooth sensors for `sitless collect`, as KIND:ADDRESS (kinds: polar,"
        " microbit, movesense, thingy, csc, hr, battery); the first accelerometer feeds the"
        " classifier, a csc sensor confirms cycling.",
    )
    sensor_rate_hz: Annotated[float, Field(ge=10, le=200)] = Field(
        50.0,
        description="Accelerometer rate to ask Bluetooth sensors for, Hz (each picks the"
        " closest rate it supports).",
    )
    calibrations: Path = Field(
        Path("var/calibrations.json"),
        description="JSON file where `sitless calibrate` keeps each sensor's orientation.",
    )
    reconnect_max_s: Annotated[float, Field(ge=1, le=3600)] = Field(
        60.0, description="Longest wait, s, between attempts to reach a sensor that went away."
    )

    @field_validator("sensors")
    @classmethod
    def _sensors(cls, value: list[str]) -> list[str]:
        from collector.sensors import SensorSpec
        from sitless.errors import SitlessError

        problems = []
        for text in value:
            try:
                SensorSpec.parse(text)
            except SitlessError as exc:
                problems.append(str(exc))
        if problems:
            raise ValueError("; ".join(problems))
        return value
