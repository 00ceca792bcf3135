"""A synthetic wearer: thigh accelerometer samples from a scripted posture timeline.

The signal is built from the physics of a thigh segment, in a body frame with
x along the thigh towards the hip (up when standing), y out of the front of the thigh
(up when sitting) and z lateral, then turned into the sensor's frame by a random
(seeded) mounting rotation:

- static postures read gravity only, ``(cos th, sin th cos psi, sin th sin psi)`` g for a
  thigh inclined ``th`` from vertical and rolled ``psi`` about its long axis, plus
  postural sway, the odd fidget and physiological tremor;
- walking, running and pedalling swing the thigh about the hip; a sensor ``r`` from the
  hip adds ``r * th''`` along y (tangential) and ``r * th'**2`` along x (centripetal),
  the pelvis adds its vertical bounce, and each heel strike sends an impact up the femur
  (along x); pedalling has no impacts, which is what tells it from gait;
- nonwear is the sensor resting on a desk on one of its faces: gravity and sensor
  noise, nothing else.

Segments are joined abruptly (real transitions take 1-3 s); score with a margin.
"""

from __future__ import annotations

import gzip
import io
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from collector.sources.base import Samples
from sitless.wire.posture import Posture

Array = NDArray[np.float64]

G_MS2 = 9.81
# Hip joint to a sensor strapped on the front of the mid-thigh (adult femur ~0.45 m).
THIGH_RADIUS_M = 0.25
# Consumer MEMS accelerometers (BMI160, LSM6DS3, Polar Verity) show 1-4 mg RMS at
# 25-100 Hz output rates.
SENSOR_NOISE_G = 0.003
# Breathing, pulse and muscle tone at rest (DSA sitting: 1.3-3 mg per-axis SD).
TREMOR_G = 0.0015
MIN_RATE_HZ = 10.0
MAX_RATE_HZ = 400.0


class Segment(NamedTuple):
    """One scripted stretch of a single posture."""

    posture: Posture
    duration_s: float


def office_day() -> tuple[Segment, ...]:
    """A realistic 8.5-hour office day, in order.

    Arrives walking, works in long sitting bouts (50-65 min) with short standing and
    walking breaks, walks at lunch, lies down for a quarter of an hour, rides a
    stationary bike for 25 min, hurries for the train, and leaves the sensor on the
    desk for the last 45 min.
    """
    minutes = [
        (Posture.WALKING, 9),
        (Posture.STANDING, 3),
        (Posture.SITTING, 56),
        (Posture.STANDING, 3),
        (Posture.WALKING, 2),
        (Posture.SITTING, 63),
        (Posture.WALKING, 3),
        (Posture.SITTING, 52),
        (Posture.WALKING, 14),
        (Posture.STANDING, 4),
        (Posture.SITTING, 24),
        (Posture.WALKING, 4),
        (Posture.LYING, 16),
        (Posture.WALKING, 2),
        (Posture.SITTING, 58),
        (Posture.STANDING, 5),
        (Posture.WALKING, 4),
        (Posture.CYCLING, 25),
        (Posture.WALKING, 3),
        (Posture.SITTING, 60),
        (Posture.STANDING, 4),
        (Posture.WALKING, 2),
        (Posture.SITTING, 38),
        (Posture.WALKING, 4),
        (Posture.RUNNING, 3),
        (Posture.WALKING, 3),
        (Posture.NONWEAR, 45),
    ]
    return tuple(Segment(p, m * 60.0) for p, m in minutes)


def random_rotation(rng: np.random.Generator) -> Array:
    """A uniformly random proper rotation matrix (QR of a Gaussian matrix)."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return np.asarray(q, dtype=np.float64)


class Simulator:
    """A ``Source`` that plays a scripted posture timeline as thigh accelerometer data.

    Args:
        timeline: ``(posture, duration_s)`` segments, in order.
        rate_hz: sample rate; 25-100 Hz is what thigh sensors use.
        seed: makes the signal and the mounting orientation reproducible.
        orientation: sensor-to-body rotation (3x3); a random one from ``seed`` if None.
            Columns are the sensor's axes in the body frame, so a sample reads
            ``body @ orientation``. Pass ``np.eye(3)`` to get body-frame data.
        start_t: time of the first sample, seconds.

    The same seed gives the same samples whatever ``chunk_s`` is used to read them.
    """

    def __init__(
        self,
        timeline: Sequence[Segment | tuple[Posture, float]],
        rate_hz: float = 50.0,
        seed: int = 0,
        *,
        orientation: ArrayLike | None = None,
        start_t: float = 0.0,
    ) -> None:
        if not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
            raise ValueError(f"rate_hz must be {MIN_RATE_HZ:g}-{MAX_RATE_HZ:g}, got {rate_hz}")
        segments = tuple(Segment(Posture(p), float(d)) for p, d in timeline)
        if not segments:
            raise ValueError("timeline is empty")
        for seg in segments:
            if not seg.duration_s > 0:
                raise ValueError(f"segment {seg} must last more than 0 s")
            if seg.posture is Posture.UNKNOWN:
                raise ValueError("the simulator cannot play 'unknown': script a real posture")
        self.timeline = segments
        self._rate = float(rate_hz)
        self._seed = int(seed)
        self.start_t = float(start_t)
        if orientation is None:
            rot = random_rotation(np.random.default_rng([self._seed, 0]))
        else:
            rot = np.array(orientation, dtype=np.float64)
            if rot.shape != (3, 3) or not np.allclose(rot.T @ rot, np.eye(3), atol=1e-6):
                raise ValueError("orientation must be a 3x3 rotation matrix")
        rot.flags.writeable = False
        self.orientation: Array = rot
        counts = [max(1, round(seg.duration_s * self._rate)) for seg in segments]
        self._starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    @property
    def name(self) -> str:
        return "simulator"

    @property
    def rate_hz(self) -> float:
        return self._rate

    @property
    def n_samples(self) -> int:
        """Number of samples in the whole timeline."""
        return int(self._starts[-1])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self._rate

    def segment_bounds(self) -> list[tuple[float, float, Posture]]:
        """Each segment's ``(t_start, t_end, posture)`` on the samples' time scale."""
        times = self.start_t + self._starts / self._rate
        return [
            (float(times[i]), float(times[i + 1]), seg.posture)
            for i, seg in enumerate(self.timeline)
        ]

    def segment_index(self, t: ArrayLike) -> NDArray[np.int64]:
        """Index of the scripted segment each time falls in (clipped to the timeline)."""
        times = self.start_t + self._starts[1:-1] / self._rate
        idx = np.searchsorted(times, np.asarray(t, dtype=np.float64), side="right")
        return idx.astype(np.int64)

    def posture_at(self, t: ArrayLike) -> list[Posture]:
        """The scripted posture at each time."""
        return [self.timeline[i].posture for i in self.segment_index(t).reshape(-1)]

    def chunks(self, chunk_s: float = 1.0) -> Iterator[Samples]:
        """Yield the timeline's samples in chunks of ``chunk_s`` seconds."""
        if not chunk_s > 0:
            raise ValueError(f"chunk_s must be positive, got {chunk_s}")
        step = max(1, round(chunk_s * self._rate))
        seg_i, seg_data = -1, np.empty((0, 3))
        pos, total = 0, self.n_samples
        while pos < total:
            stop = min(pos + step, total)
            parts = []
            at = pos
            while at < stop:
                i = int(np.searchsorted(self._starts, at, side="right") - 1)
                if i != seg_i:
                    seg_i, seg_data = i, self._segment(i)
                end = min(stop, int(self._starts[i + 1]))
                parts.append(seg_data[at - self._starts[i] : end - self._starts[i]])
                at = end
            t = self.start_t + np.arange(pos, stop, dtype=np.float64) / self._rate
            yield Samples(t, np.concatenate(parts))
            pos = stop

    def samples(self) -> Samples:
        """The whole timeline as one chunk (convenient for short timelines)."""
        return Samples(
            self.start_t + np.arange(self.n_samples) / self._rate,
            np.concatenate([self._segment(i) for i in range(len(self.timeline))]),
        )

    def _segment(self, i: int) -> Array:
        seg = self.timeline[i]
        n = int(self._starts[i + 1] - self._starts[i])
        rng = np.random.default_rng([self._seed, 1, i])
        t = np.arange(n) / self._rate
        if seg.posture is Posture.NONWEAR:
            accel = _desk(rng, n)
        else:
            body = _BODY[seg.posture](rng, t, self._rate)
            accel = body @ self.orientation
        return accel + rng.normal(0.0, SENSOR_NOISE_G, size=(n, 3))


def write_recording(sim: Simulator, path: Path | str, *, chunk_s: float = 60.0) -> Path:
    """Write ``sim`` in the shared recording format ``t,ax,ay,az,label,source_label``.

    The file is gzip-compressed when ``path`` ends in ``.gz``. ``label`` is the scripted
    posture and ``source_label`` names the scripted segment (``s003:sitting``), so
    scoring can skip the seconds around each scripted change.
    """
    target = Path(path)
    with (
        gzip.open(target, "wb") if target.suffix == ".gz" else target.open("wb") as raw,
        io.TextIOWrapper(raw, encoding="ascii", newline="\n") as out,
    ):
        out.write("t,ax,ay,az,label,source_label\n")
        for chunk in sim.chunks(chunk_s):
            idx = sim.segment_index(chunk.t)
            names = [f"{sim.timeline[i].posture},s{i:03d}:{sim.timeline[i].posture}" for i in idx]
            out.writelines(
                f"{t:.6f},{x:.5f},{y:.5f},{z:.5f},{name}\n"
                for t, (x, y, z), name in zip(
                    chunk.t.tolist(), chunk.accel_g.tolist(), names, strict=True
                )
            )
    return target


# --- body-frame signal generators -------------------------------------------------


def _lowpass_noise(rng: np.random.Generator, n: int, rate: float, lo: float, hi: float) -> Array:
    """Unit-SD Gaussian noise band-limited to ``lo``-``hi`` Hz (FFT shaping)."""
    if n < 4:
        return np.zeros(n)
    spec = np.fft.rfft(rng.normal(size=n))
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    spec[(freqs < lo) | (freqs > hi)] = 0.0
    out = np.fft.irfft(spec, n)
    sd = out.std()
    return out / sd if sd > 0 else out


def _event_times(rng: np.random.Generator, duration: float, lo: float, hi: float) -> Array:
    """Event times spaced ``lo``-``hi`` s apart (never a quiet stretch longer than ``hi``)."""
    times, at = [], float(rng.uniform(0.0, hi))
    while at < duration:
        times.append(at)
        at += float(rng.uniform(lo, hi))
    return np.array(times)


def _shifts(t: Array, events: Array, jumps: Array, durations: Array) -> tuple[Array, Array]:
    """Smooth steps of size ``jumps`` at ``events``, and a movement envelope for each."""
    offset = np.zeros((t.size, jumps.shape[1]))
    envelope = np.zeros(t.size)
    for at, jump, dur in zip(events, jumps, durations, strict=True):
        x = np.clip((t - at) / dur, 0.0, 1.0)
        offset += np.outer(x * x * (3 - 2 * x), jump)
        inside = (x > 0) & (x < 1)
        envelope[inside] += np.sin(np.pi * x[inside]) ** 2
    return offset, envelope


def _static_body(theta: Array, psi: Array) -> Array:
    """Gravity in the body frame for a thigh inclined ``theta`` and rolled ``psi`` (rad)."""
    s = np.sin(theta)
    return np.column_stack([np.cos(theta), s * np.cos(psi), s * np.sin(psi)])


def _rest(
    rng: np.random.Generator,
    t: Array,
    rate: float,
    *,
    theta0: float,
    psi0: float,
    sway_deg: float,
    every_s: tuple[float, float],
    jump_deg: tuple[float, float],
    burst_g: tuple[float, float],
    theta_range: tuple[float, float],
) -> Array:
    """A still posture with slow sway, tremor and occasional shifts (fidgets)."""
    n = t.size
    duration = t[-1] + 1.0 / rate if n else 0.0
    events = _event_times(rng, duration, *every_s)
    k = events.size
    jumps = np.column_stack([rng.normal(0.0, jump_deg[0], k), rng.normal(0.0, jump_deg[1], k)])
    # Keep the shifted inclination inside the posture's physical range.
    theta_path = theta0 + np.cumsum(jumps[:, 0]) if k else np.array([])
    lo, hi = theta_range
    clipped = np.clip(theta_path, lo, hi)
    if k:
        jumps[:, 0] = np.diff(np.concatenate([[theta0], clipped]))
    offset, envelope = _shifts(t, events, np.radians(jumps), rng.uniform(0.5, 2.5, k))
    theta = math.radians(theta0) + offset[:, 0]
    psi = math.radians(psi0) + offset[:, 1]
    theta = theta + np.radians(sway_deg) * _lowpass_noise(rng, n, rate, 0.05, 0.5)
    psi = psi + np.radians(sway_deg / 2) * _lowpass_noise(rng, n, rate, 0.05, 0.5)
    body = _static_body(theta, psi)
    burst_amp = rng.uniform(*burst_g)
    for axis in range(3):
        body[:, axis] += burst_amp * envelope * _lowpass_noise(rng, n, rate, 1.0, 6.0)
        body[:, axis] += TREMOR_G * _lowpass_noise(rng, n, rate, 0.5, rate / 2)
    return body


def _standing(rng: np.random.Generator, t: Array, rate: float) -> Array:
    # Quiet standing sways ~0.5-1 deg at 0.1-0.5 Hz; weight shifts every 15-90 s.
    return _rest(
        rng,
        t,
        rate,
        theta0=float(rng.uniform(-4, 4)),
        psi0=float(rng.uniform(-5, 5)),
        sway_deg=0.8,
        every_s=(15, 90),
        jump_deg=(2.0, 2.0),
        burst_g=(0.02, 0.06),
        theta_range=(-8, 10),
    )


def _sitting(rng: np.random.Generator, t: Array, rate: float) -> Array:
    # Thigh within ~15 deg of horizontal, slightly rolled; fidgets every 0.5-5 min.
    return _rest(
        rng,
        t,
        rate,
        theta0=float(rng.uniform(75, 95)),
        psi0=float(rng.uniform(-15, 15)),
        sway_deg=0.15,
        every_s=(30, 300),
        jump_deg=(3.0, 4.0),
        burst_g=(0.03, 0.12),
        theta_range=(65, 105),
    )


def _lying(rng: np.random.Generator, t: Array, rate: float) -> Array:
    # On one side: thigh horizontal and rolled ~90 deg about its long axis.
    side = 1.0 if rng.random() < 0.5 else -1.0
    return _rest(
        rng,
        t,
        rate,
        theta0=float(rng.uniform(82, 98)),
        psi0=side * float(rng.uniform(80, 100)),
        sway_deg=0.15,
        every_s=(60, 300),
        jump_deg=(3.0, 3.0),
        burst_g=(0.03, 0.1),
        theta_range=(75, 105),
    )


def _swing(
    rng: np.random.Generator,
    t: Array,
    rate: float,
    *,
    freq_hz: float,
    mean_deg: float,
    amp_deg: float,
    bounce_g: float,
    impact_g: float,
) -> Array:
    """A thigh swinging about the hip: gait (with impacts) or pedalling (without)."""
    n = t.size
    freq = freq_hz * (1.0 + 0.03 * _lowpass_noise(rng, n, rate, 0.0, 0.05))
    phase = 2 * np.pi * np.cumsum(freq) / rate + rng.uniform(0, 2 * np.pi)
    harmonic = 0.15 * amp_deg * np.sin(2 * phase + rng.uniform(0, 2 * np.pi))
    theta = np.radians(mean_deg + amp_deg * np.sin(phase) + harmonic)
    dtheta = np.gradient(theta, 1.0 / rate)
    ddtheta = np.gradient(dtheta, 1.0 / rate)
    # Pelvis bounce (vertical) and surge (forward) at step frequency, world frame, in g.
    bounce = bounce_g * np.cos(2 * phase)
    surge = 0.3 * bounce_g * np.sin(2 * phase)
    cos_t, sin_t = np.cos(theta), np.sin(theta)
    along = cos_t + bounce * cos_t - surge * sin_t + THIGH_RADIUS_M * dtheta**2 / G_MS2
    front = sin_t + bounce * sin_t + surge * cos_t + THIGH_RADIUS_M * ddtheta / G_MS2
    side = 0.02 * _lowpass_noise(rng, n, rate, 0.5, 3.0)
    if impact_g > 0:
        along += _impacts(rng, t, phase, impact_g)
    psi = math.radians(rng.uniform(-6, 6))
    return np.column_stack(
        [
            along,
            front * math.cos(psi) - side * math.sin(psi),
            front * math.sin(psi) + side * math.cos(psi),
        ]
    )


def _impacts(rng: np.random.Generator, t: Array, phase: Array, impact_g: float) -> Array:
    """Heel strikes: this leg's at peak flexion, the other leg's (weaker) half a stride on.

    Each is a 10-30 ms transient followed by the thigh's soft tissue ringing at 10-18 Hz
    for a few tens of milliseconds; together they put 0.2-0.6 of gait's motion power
    above 4 Hz, as in the DSA and MotionSense recordings.
    """
    out = np.zeros(t.size)
    width = 0.02
    for offset, scale in ((np.pi / 2, 1.0), (3 * np.pi / 2, 0.5)):
        cycles = np.floor((phase - offset) / (2 * np.pi))
        strikes = np.flatnonzero(np.diff(cycles) > 0) + 1
        for i in strikes:
            lo, hi = np.searchsorted(t, [t[i] - 0.06, t[i] + 0.2])
            dt = t[lo:hi] - t[i]
            amp = impact_g * scale * rng.uniform(0.8, 1.2)
            ring = rng.uniform(10.0, 18.0)
            after = np.clip(dt, 0.0, None)
            out[lo:hi] += amp * (
                np.exp(-0.5 * (dt / width) ** 2)
                + 0.8 * (dt > 0) * np.exp(-after / 0.05) * np.sin(2 * np.pi * ring * after)
            )
    return out


def _walking(rng: np.random.Generator, t: Array, rate: float) -> Array:
    # Stride 0.9-1.1 Hz, thigh swinging +-20-30 deg about a slightly flexed mean.
    return _swing(
        rng,
        t,
        rate,
        freq_hz=float(rng.uniform(0.9, 1.1)),
        mean_deg=float(rng.uniform(3, 10)),
        amp_deg=float(rng.uniform(20, 30)),
        bounce_g=float(rng.uniform(0.15, 0.3)),
        impact_g=float(rng.uniform(1.2, 2.2)),
    )


def _running(rng: np.random.Generator, t: Array, rate: float) -> Array:
    # Stride 1.3-1.5 Hz (160-180 steps/min), bigger swing; the pelvis rises and falls
    # 1-1.3 g and heel strikes reach 4-5 g (DSA/MotionSense running: |a| 99th pct 3.9-5.3 g).
    return _swing(
        rng,
        t,
        rate,
        freq_hz=float(rng.uniform(1.3, 1.5)),
        mean_deg=float(rng.uniform(10, 20)),
        amp_deg=float(rng.uniform(35, 45)),
        bounce_g=float(rng.uniform(0.9, 1.3)),
        impact_g=float(rng.uniform(3.5, 5.0)),
    )


def _cycling(rng: np.random.Generator, t: Array, rate: float) -> Array:
    # Seated pedalling at 60-100 rpm: the thigh rocks +-12-20 deg about a sitting-like
    # angle; the saddle carries the pelvis, so no bounce and no impacts.
    return _swing(
        rng,
        t,
        rate,
        freq_hz=float(rng.uniform(1.0, 1.6)),
        mean_deg=float(rng.uniform(55, 75)),
        amp_deg=float(rng.uniform(12, 20)),
        bounce_g=0.0,
        impact_g=0.0,
    )


def _desk(rng: np.random.Generator, n: int) -> Array:
    """A sensor resting on one of its faces on a desk tilted by at most 2 degrees."""
    face = np.zeros(3)
    face[rng.integers(3)] = 1.0 if rng.random() < 0.5 else -1.0
    tilt = rng.normal(size=3)
    tilt -= face * (tilt @ face)
    tilt *= math.radians(rng.uniform(0, 2)) / max(float(np.linalg.norm(tilt)), 1e-12)
    g = face + tilt
    return np.tile(g / np.linalg.norm(g), (n, 1))


_BODY = {
    Posture.STANDING: _standing,
    Posture.SITTING: _sitting,
    Posture.LYING: _lying,
    Posture.WALKING: _walking,
    Posture.RUNNING: _running,
    Posture.CYCLING: _cycling,
}
