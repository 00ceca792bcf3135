"""The posture taxonomy: the one place a posture name is spelled."""

from __future__ import annotations

from enum import StrEnum


class Posture(StrEnum):
    """What the wearer's body is doing during one epoch."""

    LYING = "lying"
    SITTING = "sitting"
    STANDING = "standing"
    WALKING = "walking"
    RUNNING = "running"
    CYCLING = "cycling"
    NONWEAR = "nonwear"
    UNKNOWN = "unknown"

    @property
    def sedentary(self) -> bool:
        """Sitting or lying: the postures that count as sedentary time."""
        return self in SEDENTARY

    @property
    def upright(self) -> bool:
        """Standing or moving on the feet: what answers a prompt to get up."""
        return self in UPRIGHT


SEDENTARY = frozenset({Posture.SITTING, Posture.LYING})
UPRIGHT = frozenset({Posture.STANDING, Posture.WALKING, Posture.RUNNING})
