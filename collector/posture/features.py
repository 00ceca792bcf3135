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

from collector.posture.epochs import (
    COUNT,
    PRESENT,
    PRODUCTS,
    STAT_COLUMNS,
    SUMS,
    EpochStore,
)
from collector.posture.vectors import Vector

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

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
    """The fixed geometry of the windows of one stream, and the buffer they are analysed in.

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
        # The bands are runs of consecutive bins: [motion, end), [hf, end), [motion, swing).
        self.motion_from = int(np.argmax(self.motion_band))
        self.hf_from = int(np.argmax(self.hf_band)) if self.hf_band.any() else freqs.size
        self.swing_to = self.motion_from + int(self.swing_band.sum())
        # The lags around the rhythm range, and per window length the unbiasing scale
        # and which lags the window is long enough for (see ``_rhythm``).
        self.lags = np.arange(self.lag_lo - 1, self.lag_hi + 2, dtype=np.float64)
        self._unbias: dict[int, tuple[Array, BoolArray, bool]] = {}
        # Windows are copied into this zero-padded buffer (windows, axes, nfft), kept
        # between batches: allocating a fresh one per batch costs more than its FFT.
        self._buffer = np.zeros((0, 3, self.nfft))

    def buffer(self, windows: int) -> Array:
        """The first ``windows`` rows of the analysis buffer; zero from ``size`` on."""
        if self._buffer.shape[0] < windows:
            self._buffer = np.zeros((max(windows, 2 * self._buffer.shape[0]), 3, self.nfft))
        return self._buffer[:windows]

    def unbias(self, length: int) -> tuple[Array, BoolArray, bool]:
        """For a window of ``length`` samples: each lag's scale, whether it is usable,
        and whether all the lags peaks are looked for at are."""
        found = self._unbias.get(length)
        if found is None:
            n = float(length)
            usable = self.lags < n - 1
            scale = np.divide(n, n - self.lags, out=np.zeros(self.lags.size), where=usable)
            found = self._unbias[length] = (scale, usable, bool(usable[2:].all()))
        return found


@dataclass(slots=True, eq=False)
class FeatureBatch:
    """The features of consecutive epochs ``first, first + 1, ...`` as columns.

    Each attribute is one ``Features`` field for every epoch of the batch (vectors as
    rows); ``own_n`` is the number of samples in each epoch itself. Epochs whose window
    holds fewer than ``MIN_SAMPLES`` samples have NaN features and every flag False, as
    ``Features`` has them.
    """

    first: int
    n: IntArray
    own_n: IntArray
    coverage: Array
    epoch_coverage: Array
    mean_g: Array
    epoch_mean_g: Array
    direction: Array
    cov_g2: Array
    intensity_g: Array
    max_sd_g: Array
    hf_share: Array
    swing_share: Array
    rhythm_hz: Array
    rhythm_strength: Array
    usable: BoolArray
    moving: BoolArray
    gait_like: BoolArray
    stepping: BoolArray
    pedalling_like: BoolArray

    def __len__(self) -> int:
        return int(self.n.shape[0])

    def row(self, i: int) -> Features:
        """Epoch ``first + i`` as a ``Features`` record."""
        x, y, z = self.mean_g[i].tolist()
        ex, ey, ez = self.epoch_mean_g[i].tolist()
        dx, dy, dz = self.direction[i].tolist()
        c0, c1, c2, c3, c4, c5 = self.cov_g2[i].tolist()
        return Features(
            int(self.n[i]),
            float(self.coverage[i]),
            float(self.epoch_coverage[i]),
            (x, y, z),
            (ex, ey, ez),
            (dx, dy, dz),
            (c0, c1, c2, c3, c4, c5),
            float(self.intensity_g[i]),
            float(self.max_sd_g[i]),
            float(self.hf_share[i]),
            float(self.swing_share[i]),
            float(self.rhythm_hz[i]),
            float(self.rhythm_strength[i]),
            bool(self.usable[i]),
            bool(self.moving[i]),
            bool(self.gait_like[i]),
            bool(self.stepping[i]),
            bool(self.pedalling_like[i]),
        )


def batch_features(
    store: EpochStore, shape: WindowShape, first: int, last: int, seg_last: int | None
) -> FeatureBatch:
    """Features of the windows of epochs ``first .. last`` (inclusive).

    Args:
        store: the closed epochs; it must hold ``first - 2 .. last + 1`` (as far as
            the segment reaches).
        shape: the window geometry for the store's analysis rate.
        first, last: the epochs to describe.
        seg_last: the segment's last epoch when it has ended (windows stop there),
            None while it goes on.
    """
    if store.first is None:
        raise ValueError("the store holds no epochs")
    m = max(last - first + 1, 0)
    base = store.base
    stop = store.end - 1 if seg_last is None else min(seg_last, store.end - 1)
    # Each window's totals are the sum of four consecutive rows of the epochs' stats,
    # with rows of zeros standing for the epochs before the segment or after its end.
    lo = first - WINDOW_BEFORE - base
    hi = last + WINDOW_AFTER + 1 - base
    have = store.stats[max(lo, 0) : min(hi, stop + 1 - base)]
    front = max(-lo, 0)
    if front or have.shape[0] != m + WINDOW_BEFORE + WINDOW_AFTER:
        rows = np.zeros((m + WINDOW_BEFORE + WINDOW_AFTER, STAT_COLUMNS))
        rows[front : front + have.shape[0]] = have
    else:
        rows = have
    totals = rows[0:m] + rows[1 : m + 1]
    for offset in range(2, WINDOW_BEFORE + WINDOW_AFTER + 1):
        totals += rows[offset : offset + m]
    n = totals[:, COUNT].astype(np.int64)
    count = np.maximum(totals[:, COUNT], 1.0)[:, None]
    mean = totals[:, SUMS] / count
    # Minus the products of the means, in PRODUCTS order (xx, yy, zz, xy, xz, yz).
    cov = totals[:, PRODUCTS] / count
    cov[:, :3] -= mean * mean
    cov[:, 3:5] -= mean[:, :1] * mean[:, 1:]
    cov[:, 5:] -= mean[:, 1:2] * mean[:, 2:]
    variances = np.maximum(cov[:, :3], 0.0)
    intensity = np.sqrt(variances.sum(axis=1))
    max_sd = np.sqrt(variances.max(axis=1))
    size = np.sqrt((mean * mean).sum(axis=1))
    if (size > 0).all():
        direction = mean / size[:, None]
    else:
        direction = mean / np.where(size > 0, size, 1.0)[:, None]
    own = store.stats[first - base : last + 1 - base]
    own_n = own[:, COUNT].astype(np.int64)
    epoch_mean = own[:, SUMS] / np.maximum(own_n, 1)[:, None]

    # Rhythm and impacts describe motion: a still window has none worth the FFT. They
    # are measured once per pair of epochs, on the window of the pair's even epoch.
    moved = intensity >= MOVING_G
    moving = moved.nonzero()[0]
    if moving.size < m:
        hf_share = np.zeros(m)
        swing_share = np.zeros(m)
        rhythm_hz = np.full(m, np.nan)
        strength = np.zeros(m)
    if moving.size:
        # The pairs with a moving epoch, and which of them each moving epoch is in.
        start = first - first % SPECTRAL_HOP
        pair = (first - start + moving) // SPECTRAL_HOP
        chosen = np.zeros(pair[-1] + 1, dtype=bool)
        chosen[pair] = True
        anchors = start + SPECTRAL_HOP * chosen.nonzero()[0]
        which = (chosen.cumsum() - 1)[pair]
        # Each window's rows, clipped to the segment's epochs.
        start_epoch = anchors - (WINDOW_BEFORE + base)
        if int(anchors[0]) - WINDOW_BEFORE < store.first:
            start_epoch = np.maximum(start_epoch, store.first - base)
        end_epoch = anchors + (WINDOW_AFTER + 1 - base)
        if int(anchors[-1]) + WINDOW_AFTER > stop:
            end_epoch = np.minimum(end_epoch, stop + 1 - base)
        r_lo = store.row_start[start_epoch]
        r_hi = store.row_start[end_epoch]
        spectral = _spectral(store.rows, shape, r_lo, r_hi)
        if moving.size == m:
            hf_share, swing_share, rhythm_hz, strength = (x[which] for x in spectral)
        else:
            hf_share[moving], swing_share[moving], rhythm_hz[moving], strength[moving] = (
                x[which] for x in spectral
            )

    rate_per_epoch = store.rate_hz * store.epoch_s
    coverage = totals[:, COUNT] / (totals[:, PRESENT] * rate_per_epoch)
    epoch_coverage = own[:, COUNT] / rate_per_epoch
    # (Comparisons with NaN are simply False.)
    usable = (epoch_coverage >= MIN_COVERAGE) & (coverage >= MIN_COVERAGE) & (n >= MIN_SAMPLES)
    gait = (intensity >= GAIT_G) & (hf_share >= GAIT_HF_SHARE) & (strength >= GAIT_RHYTHM_STRENGTH)
    stepping = (
        (intensity >= STEPPING_G)
        & (hf_share >= STEPPING_HF_SHARE)
        & (intensity * np.sqrt(np.maximum(swing_share, 0.0)) >= STEPPING_SWING_G)
    )
    pedalling = (
        moved
        & (hf_share < SMOOTH_HF_SHARE)
        & (strength >= PEDAL_RHYTHM_STRENGTH)
        & (rhythm_hz >= PEDAL_HZ[0])
        & (rhythm_hz <= PEDAL_HZ[1])
    )
    blank = n < MIN_SAMPLES
    if blank.any():
        # Too few samples to mean anything: undefined, and no flag raised.
        for values in (mean, epoch_mean, direction, cov):
            values[blank] = np.nan
        for column in (intensity, max_sd, hf_share, swing_share, rhythm_hz):
            column[blank] = np.nan
        strength[blank] = 0.0
        for flag in (moved, gait, stepping, pedalling):
            flag[blank] = False
    return FeatureBatch(
        first,
        n,
        own_n,
        coverage,
        epoch_coverage,
        mean,
        epoch_mean,
        direction,
        cov,
        intensity,
        max_sd,
        hf_share,
        swing_share,
        rhythm_hz,
        strength,
        usable,
        moved,
        gait,
        stepping,
        pedalling,
    )


def _spectral(
    rows: Array, shape: WindowShape, r_lo: IntArray, r_hi: IntArray
) -> tuple[Array, Array, Array, Array]:
    """Impact share and rhythm of each window, from its analysis-rate samples."""
    size = shape.size
    lens = np.minimum(r_hi - r_lo, size)
    count = lens.size
    # Axis-major (windows, 3, nfft), so every reduction and FFT runs along the last,
    # contiguous axis of one row: the same arithmetic whatever else is in the batch.
    # Zero-padded to the FFT length up front: numpy then transforms in place of copying.
    samples = shape.buffer(count)
    span = int(lens.max()) if count else 0
    if not span:
        samples[:, :, :size] = 0.0
        regular = False
    else:
        regular = rows.shape[0] >= span and bool((lens == span).all())
        if regular:
            # Every window is whole: one strided copy.
            source, width = rows, span
        else:
            # Windows of several lengths: copy ``size`` rows for each (the rows run on
            # into zeros), then clear what lies beyond each window's own length.
            source, width = np.concatenate([rows, np.zeros((size, 3))]), size
        if not source.flags.c_contiguous:
            source = np.ascontiguousarray(source)
        # Every window of ``width`` rows, axis-major: a strided view, nothing copied.
        step, axis = source.strides
        view = np.ndarray(
            (source.shape[0] - width + 1, 3, width), np.float64, source, 0, (step, axis, step)
        )
        samples[:, :, :width] = view[r_lo]
        if width < size:
            samples[:, :, width:size] = 0.0
        lengths = () if regular else np.unique(lens).tolist()
        for length in lengths:
            if length < size:
                samples[lens == length, :, length:size] = 0.0
    if regular:
        mean = samples.sum(axis=2) / span
    else:
        mean = samples.sum(axis=2) / np.maximum(lens, 1)[:, None]
    # Padding stays exactly +0.0 on both paths, so a window gives the same bits whichever
    # path its batch took.
    motion = samples
    if regular:
        motion[:, :, :span] -= mean[:, :, None]
    elif span:
        motion[:, :, :size] -= mean[:, :, None]
        for length in lengths:
            if length < size:
                motion[lens == length, :, length:size] = 0.0
    spectrum = np.fft.rfft(motion, axis=2)
    # |X|^2 summed over the axes, from the real and imaginary parts laid side by side.
    squares = spectrum.view(np.float64)
    squares *= squares
    summed = np.add.reduce(squares, axis=1)
    power = summed[:, 0::2] + summed[:, 1::2]
    # Band powers summed bin after bin, frequency-major.
    bins = np.ascontiguousarray(power.T)
    total = bins[shape.motion_from :].sum(axis=0)
    high = bins[shape.hf_from :].sum(axis=0)
    swing = bins[shape.motion_from : shape.swing_to].sum(axis=0)
    if (total > 0).all():
        hf_share = high / total
        swing_share = swing / total
    else:
        positive = total > 0
        hf_share = np.divide(high, total, out=np.zeros(count), where=positive)
        swing_share = np.divide(swing, total, out=np.zeros(count), where=positive)
    acov = np.fft.irfft(power, shape.nfft, axis=1)[:, : shape.lag_hi + 2]
    rhythm_hz, strength = _rhythm(acov, lens, shape, span if regular else None)
    return hf_share, swing_share, rhythm_hz, strength


def _rhythm(
    acov: Array, lens: IntArray, shape: WindowShape, length: int | None = None
) -> tuple[Array, Array]:
    """Repetition rate and strength of each row's motion, from its autocovariance.

    ``length``: the length of every window when they all have the same.
    """
    count = acov.shape[0]
    lo, hi = shape.lag_lo, shape.lag_hi
    if hi - lo < 2:
        return np.full(count, np.nan), np.zeros(count)
    # Unbiased: each lag has n - lag products, so longer lags are not penalised.
    complete = False
    if length is not None:
        scale, usable, complete = shape.unbias(length)
    else:
        lags = shape.lags
        n = lens.astype(np.float64)[:, None]
        usable = lags[None, :] < n - 1
        scale = np.divide(n, n - lags[None, :], out=np.zeros((count, lags.size)), where=usable)
    a0 = acov[:, 0]
    positive = a0 > 0
    every = bool(positive.all())
    if every:
        seg = acov[:, lo - 1 : hi + 2] / a0[:, None]
    else:
        seg = np.divide(
            acov[:, lo - 1 : hi + 2],
            a0[:, None],
            out=np.zeros((count, hi - lo + 3)),
            where=positive[:, None],
        )
    seg *= scale
    mid = seg[:, 1:-1]
    peaks = (mid > seg[:, :-2]) & (mid >= seg[:, 2:])
    if not complete:
        peaks &= usable[..., 2:]
    heights = np.where(peaks, mid, -np.inf)
    top = heights.max(axis=1)
    # With every window's lag 0 positive, heights are autocorrelations over it: finite.
    found = top > 0 if every else np.isfinite(top) & (top > 0)
    # A signal repeating every P also repeats every 2P; take the shortest period whose
    # peak is nearly as high as the highest, not a multiple of it. (Not being a peak
    # makes a lag's height minus infinity, below that of any found row.)
    best = (heights >= SUBHARMONIC_RATIO * top[:, None]).argmax(axis=1)
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
        out = batch_features(store, shape, k, k, store.end - 1).row(0)
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
