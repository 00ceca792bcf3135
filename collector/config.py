"""The ``[collector]`` section: who is wearing what, and where unsent events wait."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from sitless.wire.ids import DeviceId, WearerId


class CollectorSettings(BaseModel):
    """How the collector reads its sensor and publishes postures."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wearer: WearerId = Field("demo", description="Wearer id used in topics.")
    device: DeviceId = Field("sim-1", description="Device id; one per sensor.")
    source: Literal["simulator", "replay"] = Field(
        "simulator", description="Where samples come from (Bluetooth sensors come later)."
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
