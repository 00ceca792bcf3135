"""The one interface every sensor source implements."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True, slots=True, eq=False)
class Samples:
    """A chunk of consecutive samples from one source.

    Attributes:
        t: sample times in seconds on the source's own time scale, float64, shape (n,),
            strictly increasing.
        accel_g: specific force in g, shape (n, 3): a sensor at rest reads about +1 g on
            the axis that points up.

    Both arrays are read-only, so a chunk can be handed to several consumers.
    """

    t: NDArray[np.float64]
    accel_g: NDArray[np.float64]

    def __init__(self, t: ArrayLike, accel_g: ArrayLike) -> None:
        times = np.array(t, dtype=np.float64).reshape(-1)
        accel = np.array(accel_g, dtype=np.float64)
        if accel.ndim != 2 or accel.shape[1] != 3 or accel.shape[0] != times.shape[0]:
            raise ValueError(
                f"accel_g must have shape ({times.shape[0]}, 3) to match t, got {accel.shape}"
            )
        times.flags.writeable = False
        accel.flags.writeable = False
        object.__setattr__(self, "t", times)
        object.__setattr__(self, "accel_g", accel)

    def __len__(self) -> int:
        return int(self.t.shape[0])


@runtime_checkable
class Source(Protocol):
    """Anything that produces accelerometer samples: simulator, replay, BLE driver."""

    @property
    def name(self) -> str:
        """A short human-readable name (shown in status messages and logs)."""
        ...

    @property
    def rate_hz(self) -> float:
        """The nominal sample rate in Hz."""
        ...

    def chunks(self, chunk_s: float = 1.0) -> Iterator[Samples]:
        """Yield the samples in order, in chunks of about ``chunk_s`` seconds."""
        ...
