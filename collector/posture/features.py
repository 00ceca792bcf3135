"""Per-epoch features of thigh motion, computed on a short window around each epoch.

All of them are orientation-free: they are computed in the sensor's own axes, and the
thigh's axes (``calibrate``) are applied later to the mean and covariance.

- ``mean_g``: the window's mean specific force, i.e. gravity's direction in the sensor
  frame while the thigh is not accelerating on average; ``epoch_mean_g`` the same over
  the epoch's own second (the sway of still postures is measured on it).
- ``cov_g2``: covariance of the samples about the mean (the thigh's motion); the square
  root of its trace is the movement intensity, its projection on an axis the motion
  along that axis.
- ``hf_share``: the share of motion power above 4 Hz. Heel strikes are sharp impacts,
  broadband (0.25-0.46 of the power in walking and running on the DSA and MotionSense
  recordings, 10th percentile to median); pedalling rocks the thigh smoothly, its
  second harmonic stays under 4 Hz up to 120 rpm (0.02-0.06, 10th-90th percentile), so
  this separates the two.
- ``swing_share``: the share of motion power at 0.3-3 Hz, where the thigh's swing in
  steps, strides and pedal turns lies.
- ``rhythm_hz`` / ``rhythm_strength``: the repetition rate of the motion (the highest
  peak of its autocorrelation at periods of 0.25-1.7 s) and that peak's height, 0-1:
  near 1 for pedalling, 0.3-0.9 for gait, low for fidgeting.

Windows are built from the epochs' summaries (``epochs.EpochStore``): the mean and
covariance from the four epochs' sums, the spectral features from their samples at the
analysis rate (25-49 Hz), only for windows that move, and once per two epochs. Every
epoch a chunk of samples completes is described by one set of array operations, row by
row, so an epoch's features depend only on its own window's samples, never on the
chunking.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from collector.posture.epochs import EpochStore
from collector.posture.vectors import Vector

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Periods looked for in the motion: 0.25-1.7 s, i.e. 0.6-4 Hz (steps, strides, pedal turns).
RHYTHM_LAG_S = (0.25, 1.7)
# Prefer the fundamental period over its multiples (see ``_rhythm``).
SUBHARMONIC_RATIO = 0.9
# Above twice the fastest pedalling rhythm (2 x 2 Hz), only impacts put power here.
HF_EDGE_HZ = 4.0
# Thigh swing in steps, strides and pedal turns lies below 3 Hz (stride and cadence rates
# up to 1.7 Hz, and their second harmonic).
SWING_EDGE_HZ = 3.0
# Pelvic sway and slow posture drift live below 0.3 Hz; they are not motion power.
MOTION_FLOOR_HZ = 0.3
# The window: the two epochs before, the epoch, the one after.
WINDOW_BEFORE = 2
WINDOW_AFTER = 1
# Rhythm and impacts change over seconds, not from one second to the next: they are
# measured every SPECTRAL_HOP epochs (4-s windows, 50 % overlap, as is usual in activity
# recognition), on the window of the even epoch, which also serves the odd one after it
# -- whose own window would reach one second further, so causality is unchanged.
SPECTRAL_HOP = 2
# Epochs before the next one to decide that the windows still need.
KEEP_BEFORE = WINDOW_BEFORE + SPECTRAL_HOP - 1
# Room for timestamp jitter: a window may hold up to this share more samples than the
# nominal rate gives; anything beyond is left out (it would be a clock fault).
JITTER_ROOM = 1.25

# Acti4 (Skotte et al. 2014) separates standing from walking at 0.1 g of thigh motion SD.
MOVING_G = 0.1
# Gait as seen without knowing the orientation: clearly moving, with impacts (hf_share:
# level walking 0.25-0.6 on DSA/MotionSense, pedalling <= 0.06) and a periodic step
# pattern (rhythm_strength: walking 0.3-0.9, stairs 0.2-0.7, rowing and fidgeting mostly
# below 0.3; calibration also asks for unbroken runs of it).
GAIT_G = 0.2
GAIT_HF_SHARE = 0.2
GAIT_RHYTHM_STRENGTH = 0.3
# On the feet and stepping, told without the orientation or a clean rhythm (stairs, turns,
# uneven ground): clearly moving, with impacts, and swinging the thigh (>= 0.15 g below
# 3 Hz; a seated leg bouncing at 4-6 Hz has impacts but little swing). On DSA and
# MotionSense this holds for 98-99 % of walking and stairs epochs and all running, for
# none of sitting, lying or standing and for 0.6 % of cycling (its motion is smooth).
STEPPING_G = 0.25
STEPPING_HF_SHARE = 0.15
STEPPING_SWING_G = 0.15
# Pedalling: smooth (hf_share < 0.12) and very regular (rhythm_strength 0.83-0.99 on the
# DSA exercise bikes) at 36-132 rpm.
SMOOTH_HF_SHARE = 0.12
PEDAL_RHYTHM_STRENGTH = 0.7
PEDAL_HZ = (0.6, 2.2)
# Less than half an epoch (or window) of samples is a gap, not a posture.
MIN_COVERAGE = 0.5
MIN_SAMPLES = 4


def _flags(
    n: IntArray,
    coverage: Array,
    epoch_coverage: Array,
    intensity: Array,
    hf: Array,
    swing: Array,
    rhythm_hz: Array,
    strength: Array,
) -> list[list[bool]]:
    """The ``Features`` flags of many epochs at once, as lists."""
    with np.errstate(invalid="ignore"):
        usable = (epoch_coverage >= MIN_COVERAGE) & (coverage >= MIN_COVERAGE) & (n >= MIN_SAMPLES)
        moving = intensity >= MOVING_G
        gait = (intensity >= GAIT_G) & (hf >= GAIT_HF_SHARE) & (strength >= GAIT_RHYTHM_STRENGTH)
        stepping = (
            (intensity >= STEPPING_G)
            & (hf >= STEPPING_HF_SHARE)
            & (intensity * np.sqrt(np.maximum(swing, 0.0)) >= STEPPING_SWING_G)
        )
        pedalling = (
            moving
            & (hf < SMOOTH_HF_SHARE)
            & (strength >= PEDAL_RHYTHM_STRENGTH)
            & (rhythm_hz >= PEDAL_HZ[0])
            & (rhythm_hz <= PEDAL_HZ[1])
        )
    return [x.tolist() for x in (usable, moving, gait, stepping, pedalling)]


@dataclass(slots=True, eq=False)
class Features:
    """What the classifier knows about one epoch (see the module docstring).

    Vectors are plain tuples: the per-epoch stages do scalar arithmetic on them, which
    is far cheaper in Python than numpy calls on three numbers. ``direction`` is the
    unit vector of ``mean_g`` (gravity's "up" in sensor axes). The flags are decided
    for a whole batch at once (``_flags``):

    - ``usable``: enough samples in the epoch and the window (half the nominal count);
    - ``moving``: the thigh moves more than posture sway (Acti4's 0.1 g);
    - ``gait_like``: walking, running or stairs with a clear step rhythm, told without
      knowing the sensor's orientation (what calibration learns from);
    - ``stepping``: moving with impacts and swing -- on the feet, with or without a
      clean rhythm;
    - ``pedalling_like``: smooth rhythmic thigh rocking with no impacts.
    """

    n: int
    coverage: float
    epoch_coverage: float
    mean_g: Vector
    epoch_mean_g: Vector
    direction: Vector
    cov_g2: tuple[float, float, float, float, float, float]
    intensity_g: float
    max_sd_g: float
    hf_share: float
    swing_share: float
    rhythm_hz: float
    rhythm_strength: float
    usable: bool = False
    moving: bool = False
    gait_like: bool = False
    stepping: bool = False
    pedalling_like: bool = False

    def cov_matrix(self) -> Array:
        """The covariance as a 3x3 array."""
        xx, yy, zz, xy, xz, yz = self.cov_g2
        return np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])

    def sd_along(self, axis: tuple[float, float, float] | Array) -> float:
        """Standard deviation of the motion along a unit ``axis``, in g."""
        a, b, c = (float(v) for v in axis)
        xx, yy, zz, xy, xz, yz = self.cov_g2
        var = a * a * xx + b * b * yy + c * c * zz + 2 * (a * b * xy + a * c * xz + b * c * yz)
        return math.sqrt(max(var, 0.0))


class WindowShape:
    """The fixed geometry of the windows of one stream.

    ``size`` rows of analysis-rate samples per window (the nominal 4 s plus jitter
    room) and an FFT length that makes the autocorrelation linear over the lags looked
    at, both fixed by the rate alone.
    """

    def __init__(self, analysis_hz: float, epoch_s: float = 1.0) -> None:
        self.analysis_hz = float(analysis_hz)
        self.epoch_s = float(epoch_s)
        nominal = analysis_hz * epoch_s * (WINDOW_BEFORE + 1 + WINDOW_AFTER)
        self.size = max(8, math.ceil(nominal * JITTER_ROOM))
        self.lag_lo = max(1, round(RHYTHM_LAG_S[0] * self.analysis_hz))
        self.lag_hi = min(round(RHYTHM_LAG_S[1] * self.analysis_hz), self.size - 2)
        self.nfft = 1 << (self.size + self.lag_hi + 1).bit_length()
        freqs = np.fft.rfftfreq(self.nfft, 1.0 / self.analysis_hz)
        self.motion_band = freqs >= MOTION_FLOOR_HZ
        self.hf_band = freqs > HF_EDGE_HZ
        self.swing_band = self.motion_band & (freqs <= SWING_EDGE_HZ)


def batch_features(
    store: EpochStore, shape: WindowShape, first: int, last: int, seg_last: int | None
) -> list[Features]:
    """Features of the windows of epochs ``first .. last`` (inclusive).

    Args:
        store: the closed epochs; it must hold ``first - 2 .. last + 1`` (as far as
            the segment reaches).
        shape: the window geometry for the store's analysis rate.
        first, last: the epochs to describe.
        seg_last: the segment's last epoch when it has ended (windows stop there),
            None while it goes on.
    """
    if last < first or store.first is None:
        return []
    ks = np.arange(first, last + 1)
    base = store.base
    stop = np.iinfo(np.int64).max if seg_last is None else seg_last
    n = np.zeros(ks.size, dtype=np.int64)
    total = np.zeros((ks.size, 3))
    products = np.zeros((ks.size, 6))
    span = np.zeros(ks.size, dtype=np.int64)
    # The four epochs of each window, always added in the same order.
    for offset in range(-WINDOW_BEFORE, WINDOW_AFTER + 1):
        j = ks + offset
        inside = (j >= store.first) & (j <= stop)
        i = np.where(inside, j - base, 0)
        n += np.where(inside, store.counts[i], 0)
        total += np.where(inside[:, None], store.sums[i], 0.0)
        products += np.where(inside[:, None], store.products[i], 0.0)
        span += inside
    count = np.maximum(n, 1).astype(np.float64)
    mean = total / count[:, None]
    mx, my, mz = mean[:, 0], mean[:, 1], mean[:, 2]
    cov = products / count[:, None] - np.stack(
        [mx * mx, my * my, mz * mz, mx * my, mx * mz, my * mz], axis=1
    )
    variances = np.maximum(cov[:, :3], 0.0)
    intensity = np.sqrt(variances.sum(axis=1))
    max_sd = np.sqrt(variances.max(axis=1))
    size = np.sqrt(mx * mx + my * my + mz * mz)
    direction = mean / np.where(size > 0, size, 1.0)[:, None]
    own = ks - base
    own_n = store.counts[own]
    epoch_mean = store.sums[own] / np.maximum(own_n, 1)[:, None]

    # Rhythm and impacts describe motion: a still window has none worth the FFT. They
    # are measured once per pair of epochs, on the window of the pair's even epoch.
    hf_share = np.zeros(ks.size)
    swing_share = np.zeros(ks.size)
    rhythm_hz = np.full(ks.size, np.nan)
    strength = np.zeros(ks.size)
    moving = np.flatnonzero(intensity >= MOVING_G)
    if moving.size:
        anchors, which = np.unique(ks[moving] - ks[moving] % SPECTRAL_HOP, return_inverse=True)
        lo_epoch = np.maximum(anchors - WINDOW_BEFORE, store.first) - base
        hi_epoch = np.minimum(anchors + WINDOW_AFTER, stop) - base
        r_lo = store.row_start[lo_epoch]
        r_hi = store.row_start[hi_epoch + 1]
        spectral = _spectral(store.rows, shape, r_lo, r_hi)
        hf_share[moving], swing_share[moving], rhythm_hz[moving], strength[moving] = (
            x[which] for x in spectral
        )

    rate_per_epoch = store.rate_hz * store.epoch_s
    coverage = n / (span * rate_per_epoch)
    epoch_coverage = own_n / rate_per_epoch
    flags = _flags(
        n, coverage, epoch_coverage, intensity, hf_share, swing_share, rhythm_hz, strength
    )
    nan = math.nan
    blank = (nan, nan, nan)
    out = []
    rows = zip(
        n.tolist(),
        coverage.tolist(),
        epoch_coverage.tolist(),
        mean.tolist(),
        epoch_mean.tolist(),
        direction.tolist(),
        cov.tolist(),
        intensity.tolist(),
        max_sd.tolist(),
        hf_share.tolist(),
        swing_share.tolist(),
        rhythm_hz.tolist(),
        strength.tolist(),
        *flags,
        strict=True,
    )
    for n_i, cv, ecv, m, em, d, c, it, ms, hf, sw, rh, st, ok, mv, ga, sp, pe in rows:
        if n_i < MIN_SAMPLES:
            out.append(
                Features(
                    n_i, cv, ecv, blank, blank, blank, (nan,) * 6, nan, nan, nan, nan, nan, 0.0
                )
            )
        else:
            out.append(
                Features(
                    n_i,
                    cv,
                    ecv,
                    tuple(m),
                    tuple(em),
                    tuple(d),
                    tuple(c),
                    it,
                    ms,
                    hf,
                    sw,
                    rh,
                    st,
                    ok,
                    mv,
                    ga,
                    sp,
                    pe,
                )
            )
    return out


def _spectral(
    rows: Array, shape: WindowShape, r_lo: IntArray, r_hi: IntArray
) -> tuple[Array, Array, Array, Array]:
    """Impact share and rhythm of each window, from its analysis-rate samples."""
    size = shape.size
    lens = np.minimum(r_hi - r_lo, size)
    count = lens.size
    # Axis-major (windows, 3, size), so every reduction and FFT runs along the last,
    # contiguous axis of one row: the same arithmetic whatever else is in the batch.
    # Zero-padded to the FFT length up front: numpy then transforms in place of copying.
    samples = np.zeros((count, 3, shape.nfft))
    span = int(lens.max()) if count else 0
    regular = span > 0 and rows.shape[0] >= span and bool((lens == span).all())
    if not rows.shape[0]:
        valid = np.zeros((count, size), dtype=bool)
    elif regular:
        # Every window is whole: one strided copy, no index arithmetic.
        view = np.lib.stride_tricks.sliding_window_view(rows, span, axis=0)
        samples[:, :, :span] = view[r_lo]
    else:
        cols = np.arange(size)
        valid = cols[None, :] < lens[:, None]
        idx = np.where(valid, r_lo[:, None] + cols[None, :], 0)
        samples[:, :, :size] = np.where(valid[:, None, :], np.transpose(rows[idx], (0, 2, 1)), 0.0)
    mean = samples.sum(axis=2) / np.maximum(lens, 1)[:, None]
    # Padding stays exactly +0.0 on both paths, so a window gives the same bits whichever
    # path its batch took.
    motion = samples
    if regular:
        motion[:, :, :span] -= mean[:, :, None]
    else:
        motion[:, :, :size] = np.where(
            valid[:, None, :], motion[:, :, :size] - mean[:, :, None], 0.0
        )
    spectrum = np.fft.rfft(motion, axis=2)
    # |X|^2 summed over the axes, from the real and imaginary parts laid side by side.
    squares = spectrum.view(np.float64)
    squares *= squares
    summed = squares[:, 0] + squares[:, 1] + squares[:, 2]
    power = summed[:, 0::2] + summed[:, 1::2]
    total = power[:, shape.motion_band].sum(axis=1)
    high = power[:, shape.hf_band].sum(axis=1)
    hf_share = np.divide(high, total, out=np.zeros_like(high), where=total > 0)
    swing = power[:, shape.swing_band].sum(axis=1)
    swing_share = np.divide(swing, total, out=np.zeros_like(swing), where=total > 0)
    acov = np.fft.irfft(power, shape.nfft, axis=1)[:, : shape.lag_hi + 2]
    rhythm_hz, strength = _rhythm(acov, lens, shape)
    return hf_share, swing_share, rhythm_hz, strength


def _rhythm(acov: Array, lens: IntArray, shape: WindowShape) -> tuple[Array, Array]:
    """Repetition rate and strength of each row's motion, from its autocovariance."""
    count = acov.shape[0]
    nan_hz = np.full(count, np.nan)
    zero = np.zeros(count)
    lo, hi = shape.lag_lo, shape.lag_hi
    if hi - lo < 2:
        return nan_hz, zero
    lags = np.arange(lo - 1, hi + 2, dtype=np.float64)
    n = lens.astype(np.float64)[:, None]
    usable = lags[None, :] < n - 1
    # Unbiased: each lag has n - lag products, so longer lags are not penalised.
    scale = np.divide(n, n - lags[None, :], out=np.zeros((count, lags.size)), where=usable)
    a0 = acov[:, :1]
    seg = np.divide(acov[:, lo - 1 : hi + 2], a0, out=np.zeros((count, lags.size)), where=a0 > 0)
    seg *= scale
    mid = seg[:, 1:-1]
    peaks = (mid > seg[:, :-2]) & (mid >= seg[:, 2:]) & usable[:, 2:]
    heights = np.where(peaks, mid, -np.inf)
    top = heights.max(axis=1)
    found = np.isfinite(top) & (top > 0)
    # A signal repeating every P also repeats every 2P; take the shortest period whose
    # peak is nearly as high as the highest, not a multiple of it.
    near = peaks & (heights >= SUBHARMONIC_RATIO * top[:, None])
    best = np.argmax(near, axis=1)
    rate = shape.analysis_hz / (lo + best)
    height = mid[np.arange(count), best]
    return np.where(found, rate, np.nan), np.where(found, height, 0.0)


def window_features(
    accel_g: Array, rate_hz: float, *, expected_n: float, epoch_n: int, epoch_expected_n: float
) -> Features:
    """Features of one stand-alone window of samples whose epoch is its third second.

    The samples are taken as evenly spaced at ``rate_hz``, starting two epochs before
    the epoch; coverage figures are as given (for tests of the rules).

    Args:
        accel_g: the window's samples, shape (n, 3), in g.
        rate_hz: nominal sample rate.
        expected_n: samples the window should hold at the nominal rate.
        epoch_n: samples in the epoch the window is centred on.
        epoch_expected_n: samples that epoch should hold.
    """
    samples = np.asarray(accel_g, dtype=np.float64).reshape(-1, 3)
    epoch_s = epoch_expected_n / rate_hz
    store = EpochStore(rate_hz, epoch_s)
    t = np.asarray((np.arange(samples.shape[0]) + 0.5) / rate_hz, dtype=np.float64)
    store.push(t, samples)
    store.close()
    shape = WindowShape(store.analysis_hz, epoch_s)
    k = WINDOW_BEFORE
    if store.end > k:
        out = batch_features(store, shape, k, k, store.end - 1)[0]
    else:
        nan = math.nan
        blank = (nan, nan, nan)
        out = Features(
            samples.shape[0], 0, 0, blank, blank, blank, (nan,) * 6, nan, nan, nan, nan, nan, 0
        )
    out.coverage = samples.shape[0] / expected_n if expected_n > 0 else 0.0
    out.epoch_coverage = epoch_n / epoch_expected_n if epoch_expected_n > 0 else 0.0
    out.usable = (
        out.coverage >= MIN_COVERAGE and out.epoch_coverage >= MIN_COVERAGE and out.n >= MIN_SAMPLES
    )
    return out
