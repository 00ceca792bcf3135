"""Per-epoch features of thigh motion, computed on a short window around the epoch.

All of them are orientation-free: they are computed in the sensor's own axes, and the
calibrated thigh axes are applied later (``classify``) to the mean and covariance.

- ``mean_g``: the mean specific force, i.e. gravity's direction in the sensor frame
  while the thigh is not accelerating on average.
- ``cov_g2``: covariance of the samples about that mean (the thigh's motion); its trace
  is the movement intensity, its projection on an axis the motion along that axis.
- ``hf_share``: the share of motion power above 4 Hz. Heel strikes are sharp impacts,
  broadband (0.17-0.6 of the power in gait on the DSA and MotionSense recordings, 10th
  percentile to median); pedalling rocks the thigh smoothly, its second harmonic stays
  under 4 Hz up to 120 rpm (0.01-0.04), so this separates the two.
- ``rhythm_hz`` / ``rhythm_strength``: the repetition rate of the motion (the highest
  peak of its autocorrelation at periods of 0.25-1.7 s) and that peak's height, 0-1:
  near 1 for pedalling, 0.3-0.9 for gait, low for fidgeting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

# Periods looked for in the motion: 0.25-1.7 s, i.e. 0.6-4 Hz (steps, strides, pedal turns).
RHYTHM_LAG_S = (0.25, 1.7)
# Prefer the fundamental period over its multiples (see ``_rhythm``).
SUBHARMONIC_RATIO = 0.9
# Above twice the fastest pedalling rhythm (2 x 2 Hz), only impacts put power here.
HF_EDGE_HZ = 4.0
# Pelvic sway and slow posture drift live below 0.3 Hz; they are not motion power.
MOTION_FLOOR_HZ = 0.3

# Acti4 (Skotte et al. 2014) separates standing from walking at 0.1 g of thigh motion SD.
MOVING_G = 0.1
# Gait as seen without knowing the orientation: clearly moving, with impacts (hf_share:
# level walking 0.25-0.6 on DSA/MotionSense, pedalling <= 0.06) and a periodic step
# pattern (rhythm_strength: walking 0.3-0.9, stairs 0.2-0.7, rowing and fidgeting mostly
# below 0.3; calibration also asks for unbroken runs of it).
GAIT_G = 0.2
GAIT_HF_SHARE = 0.2
GAIT_RHYTHM_STRENGTH = 0.3
# Pedalling: smooth (hf_share < 0.12) and very regular (rhythm_strength 0.83-0.99 on the
# DSA exercise bikes) at 36-132 rpm.
SMOOTH_HF_SHARE = 0.12
PEDAL_RHYTHM_STRENGTH = 0.7
PEDAL_HZ = (0.6, 2.2)


@dataclass(frozen=True, slots=True, eq=False)
class Features:
    """What the classifier knows about one epoch (see the module docstring)."""

    n: int
    coverage: float
    epoch_coverage: float
    mean_g: Array
    cov_g2: Array
    intensity_g: float
    max_sd_g: float
    hf_share: float
    rhythm_hz: float
    rhythm_strength: float

    @property
    def direction(self) -> Array:
        """Unit vector of the mean specific force (points up, in sensor axes)."""
        norm = float(np.linalg.norm(self.mean_g))
        return self.mean_g / norm if norm > 0 else self.mean_g

    @property
    def moving(self) -> bool:
        """The thigh is moving more than posture sway (Acti4's 0.1 g)."""
        return self.intensity_g >= MOVING_G

    @property
    def gait_like(self) -> bool:
        """Walking, running or stairs, told without knowing the sensor's orientation."""
        return (
            self.intensity_g >= GAIT_G
            and self.hf_share >= GAIT_HF_SHARE
            and self.rhythm_strength >= GAIT_RHYTHM_STRENGTH
        )

    @property
    def pedalling_like(self) -> bool:
        """Smooth rhythmic thigh rocking with no impacts: the signature of pedalling."""
        return (
            self.intensity_g >= MOVING_G
            and self.hf_share < SMOOTH_HF_SHARE
            and self.rhythm_strength >= PEDAL_RHYTHM_STRENGTH
            and PEDAL_HZ[0] <= self.rhythm_hz <= PEDAL_HZ[1]
        )

    def sd_along(self, axis: Array) -> float:
        """Standard deviation of the motion along a unit ``axis``, in g."""
        return math.sqrt(max(float(axis @ self.cov_g2 @ axis), 0.0))


def window_features(
    accel_g: Array, rate_hz: float, *, expected_n: float, epoch_n: int, epoch_expected_n: float
) -> Features:
    """Features of one window of samples.

    Args:
        accel_g: the window's samples, shape (n, 3), in g.
        rate_hz: nominal sample rate (sets the frequency axis).
        expected_n: samples the window should hold at the nominal rate.
        epoch_n: samples in the epoch the window is centred on.
        epoch_expected_n: samples that epoch should hold.
    """
    n = int(accel_g.shape[0])
    coverage = n / expected_n if expected_n > 0 else 0.0
    epoch_coverage = epoch_n / epoch_expected_n if epoch_expected_n > 0 else 0.0
    if n < 4:
        nan = float("nan")
        blank = np.full(3, nan)
        return Features(n, coverage, epoch_coverage, blank, np.full((3, 3), nan), *[nan] * 5)
    mean = accel_g.mean(axis=0)
    motion = accel_g - mean
    cov = motion.T @ motion / n
    variances = np.diag(cov)
    intensity = math.sqrt(max(float(variances.sum()), 0.0))
    max_sd = math.sqrt(max(float(variances.max()), 0.0))
    # Zero-padded to twice the length, so the inverse FFT of the power is the linear
    # (not circular) autocorrelation.
    nfft = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(motion, nfft, axis=0)
    power = (spectrum.real**2 + spectrum.imag**2).sum(axis=1)
    freqs = np.fft.rfftfreq(nfft, 1.0 / rate_hz)
    total = float(power[freqs >= MOTION_FLOOR_HZ].sum())
    hf_share = float(power[freqs > HF_EDGE_HZ].sum()) / total if total > 0 else 0.0
    rhythm_hz, strength = _rhythm(np.fft.irfft(power, nfft)[:n], rate_hz)
    return Features(
        n, coverage, epoch_coverage, mean, cov, intensity, max_sd, hf_share, rhythm_hz, strength
    )


def _rhythm(acov: Array, rate_hz: float) -> tuple[float, float]:
    """Repetition rate and strength from the autocovariance summed over the axes."""
    n = acov.size
    if not acov[0] > 0:
        return float("nan"), 0.0
    # Unbiased: each lag has n - lag products, so longer lags are not penalised.
    acf = acov / acov[0] * n / (n - np.arange(n))
    lo = max(1, round(RHYTHM_LAG_S[0] * rate_hz))
    hi = min(round(RHYTHM_LAG_S[1] * rate_hz), n - 2)
    if hi - lo < 2:
        return float("nan"), 0.0
    seg = acf[lo - 1 : hi + 2]
    peaks = np.flatnonzero((seg[1:-1] > seg[:-2]) & (seg[1:-1] >= seg[2:]))
    if peaks.size == 0:
        return float("nan"), 0.0
    heights = seg[1:-1][peaks]
    if not heights.max() > 0:
        return float("nan"), 0.0
    # A signal repeating every P also repeats every 2P; take the shortest period whose
    # peak is nearly as high as the highest, not a multiple of it.
    best = int(peaks[np.flatnonzero(heights >= SUBHARMONIC_RATIO * heights.max())[0]])
    return rate_hz / (lo + best), float(seg[1 + best])
