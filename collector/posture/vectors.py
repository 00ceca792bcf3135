"""Three-vectors as plain tuples, and the few operations the per-epoch stages need.

The per-epoch stages run once a second per wearer on three numbers at a time; scalar
Python is several times cheaper than a numpy call for that, which is what lets the
classifier run thousands of times faster than real time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

Vector = tuple[float, float, float]


def dot(a: Vector, b: Vector) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def norm(a: Vector) -> float:
    return math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])


def unit(a: Iterable[float]) -> Vector:
    """``a`` scaled to length 1.

    Raises:
        ValueError: a zero, infinite or NaN vector.
    """
    x, y, z = a
    if not (type(x) is float and type(y) is float and type(z) is float):
        x, y, z = float(x), float(y), float(z)
    n = math.sqrt(x * x + y * y + z * z)
    if not n > 0 or not math.isfinite(n):
        raise ValueError(f"not a usable direction: {(x, y, z)!r}")
    return (x / n, y / n, z / n)


def scale(a: Vector, k: float) -> Vector:
    return (a[0] * k, a[1] * k, a[2] * k)


def add(a: Vector, b: Vector) -> Vector:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def blend(a: Vector, b: Vector, rate: float) -> Vector:
    """``(1 - rate) * a + rate * b``: one step of an exponential average."""
    keep = 1.0 - rate
    return (keep * a[0] + rate * b[0], keep * a[1] + rate * b[1], keep * a[2] + rate * b[2])


def blend_unit(a: Vector, b: Vector, rate: float) -> Vector:
    """``unit(blend(a, b, rate))`` in one step (the same arithmetic).

    Raises:
        ValueError: the blend is a zero, infinite or NaN vector.
    """
    keep = 1.0 - rate
    x = keep * a[0] + rate * b[0]
    y = keep * a[1] + rate * b[1]
    z = keep * a[2] + rate * b[2]
    n = math.sqrt(x * x + y * y + z * z)
    if not n > 0 or not math.isfinite(n):
        raise ValueError(f"not a usable direction: {(x, y, z)!r}")
    return (x / n, y / n, z / n)


def cross(a: Vector, b: Vector) -> Vector:
    return (
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    )


def across(a: Vector, axis: Vector) -> Vector:
    """The part of ``a`` perpendicular to the unit vector ``axis``."""
    k = dot(a, axis)
    return (a[0] - k * axis[0], a[1] - k * axis[1], a[2] - k * axis[2])


def angle_deg(a: Vector, b: Vector) -> float:
    """Angle between two unit vectors, 0-180 degrees."""
    return math.degrees(math.acos(max(-1.0, min(1.0, dot(a, b)))))


def line_angle_deg(a: Vector, b: Vector) -> float:
    """Angle between two lines through unit vectors, 0-90 degrees (sign ignored)."""
    return math.degrees(math.acos(min(1.0, abs(dot(a, b)))))


def cos_deg(degrees: float) -> float:
    """The cosine of an angle in degrees: angles are compared as cosines, no ``acos``."""
    return math.cos(math.radians(degrees))
