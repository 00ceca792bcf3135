"""Tiny synthetic thigh signals, in the body frame, for physical-invariant tests.

Body frame: x along the thigh towards the hip (up when standing), y out of the front of
the thigh (up when sitting), z lateral. Specific force in g: +1 g on the axis that
points up at rest.
"""

from __future__ import annotations

import numpy as np

from collector.posture.features import Features, window_features

RATE = 50.0


def thigh(inclination_deg: float, roll_deg: float = 0.0) -> np.ndarray:
    """Gravity in the body frame for a thigh inclined from vertical and rolled about x."""
    th, ps = np.radians(inclination_deg), np.radians(roll_deg)
    return np.array([np.cos(th), np.sin(th) * np.cos(ps), np.sin(th) * np.sin(ps)])


def still(direction: np.ndarray, seconds: float = 4.0, noise_g: float = 0.002) -> np.ndarray:
    """A motionless sensor: gravity plus a little sensor noise."""
    rng = np.random.default_rng(0)
    n = round(seconds * RATE)
    return np.tile(direction, (n, 1)) + rng.normal(0, noise_g, (n, 3))


def rocking(
    mean_deg: float, amp_deg: float, hz: float, seconds: float = 4.0, impacts_g: float = 0.0
) -> np.ndarray:
    """The thigh swinging about the hip in the sagittal plane, with optional heel strikes.

    Gravity only (no rotational terms): enough for a rhythm, an intensity and, with
    impacts, broadband power along the long axis once per cycle.
    """
    t = np.arange(round(seconds * RATE)) / RATE
    theta = np.radians(mean_deg + amp_deg * np.sin(2 * np.pi * hz * t))
    out = np.column_stack([np.cos(theta), np.sin(theta), np.zeros_like(t)])
    if impacts_g:
        phase = (t * hz) % 1.0
        out[:, 0] += impacts_g * np.exp(-0.5 * (np.minimum(phase, 1 - phase) / hz / 0.015) ** 2)
    return out + np.random.default_rng(1).normal(0, 0.003, out.shape)


def features_of(accel: np.ndarray) -> Features:
    """Features of a whole synthetic window whose middle epoch is fully covered."""
    return window_features(
        accel, RATE, expected_n=accel.shape[0], epoch_n=round(RATE), epoch_expected_n=RATE
    )


def swaying(
    direction: np.ndarray, seconds: float, sway_deg: float, rate: float = RATE, seed: int = 0
) -> np.ndarray:
    """A still posture whose gravity direction wanders by ``sway_deg`` RMS at 0.2-0.6 Hz.

    A standing body balances, so the thigh's angle wanders a few tenths of a degree; a
    supported seated or lying thigh barely moves. Sensor noise of 2 mg on top.
    """
    rng = np.random.default_rng(seed)
    n = round(seconds * rate)
    t = np.arange(n) / rate
    d = direction / np.linalg.norm(direction)
    a = np.cross(d, [1.0, 0.0, 0.0] if abs(d[0]) < 0.9 else [0.0, 1.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(d, a)
    wobble = np.zeros((n, 2))
    for f in (0.2, 0.35, 0.6):
        wobble += np.column_stack(
            [np.sin(2 * np.pi * f * t + rng.uniform(0, 6.3)) for _ in range(2)]
        )
    wobble *= np.radians(sway_deg) / wobble.std()
    out = d + wobble[:, :1] * a + wobble[:, 1:] * b
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    noisy: np.ndarray = out + rng.normal(0, 0.002, out.shape)
    return noisy


def stream(*parts: np.ndarray, rate: float = RATE) -> tuple[np.ndarray, np.ndarray]:
    """Samples joined end to end, with times at ``rate`` from 0."""
    accel = np.concatenate(parts)
    return np.arange(accel.shape[0]) / rate, accel
