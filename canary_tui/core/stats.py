"""The statistics of judgment.md: Wilson intervals, order-statistic quantile intervals,
slow-request counts, the Wald SPRT and the mixture e-value (canary against stable),
debounce and hysteresis. Pure Python, no scipy or numpy at run time.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

from canary_tui.core.samples import LatencyBuckets

#: Z for the 95% interval shown on screen and the 99% one used by automatic trips.
Z_95 = 1.96
Z_99 = 2.576
#: Regression factors the mixture e-value averages over (equal weights).
MIXTURE_KS: tuple[float, ...] = (1.25, 1.5, 2.0, 3.0, 5.0, 10.0)


# ---------------------------------------------------------------- intervals


def wilson_interval(x: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for x successes in n trials; (0, 1) when n == 0."""
    if n <= 0:
        return 0.0, 1.0
    x = min(max(x, 0), n)
    z2 = z * z
    center = (x + z2 / 2.0) / (n + z2)
    half = z / (n + z2) * math.sqrt(x * (n - x) / n + z2 / 4.0)
    low = 0.0 if x == 0 else max(0.0, center - half)
    high = 1.0 if x == n else min(1.0, center + half)
    return low, high


def _log_binom_pmf(k: int, n: int, log_q: float, log_1mq: float) -> float:
    """log P(B = k) for B ~ Binomial(n, q), via lgamma."""
    return (
        math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * log_q + (n - k) * log_1mq
    )


def _logaddexp(a: float, b: float) -> float:
    """ln(e^a + e^b) without overflow or underflow."""
    if a < b:
        a, b = b, a
    return a if b == -math.inf else a + math.log1p(math.exp(b - a))


#: Above this n, terms more than 40 sd from the mean are skipped (far below any p of interest).
_FULL_SUM_MAX_N = 200_000


def binom_ppf(p: float, n: int, q: float) -> int:
    """Smallest k with P(Binomial(n, q) <= k) >= p, as scipy.stats.binom.ppf; summed in log space.

    The lower tail is summed upwards for p <= 1/2, the upper tail downwards otherwise, so both
    extremes keep full relative precision.
    """
    if n < 0 or not 0.0 <= q <= 1.0 or not 0.0 <= p <= 1.0:
        raise ValueError("need n >= 0, 0 <= q <= 1 and 0 <= p <= 1")
    if p == 0.0:
        return -1  # as scipy: ppf(0) is one below the support
    if p == 1.0:
        return n  # ... and ppf(1) its top
    if q == 0.0 or n == 0:
        return 0
    if q == 1.0:
        return n
    log_odds = math.log(q) - math.log1p(-q)
    margin = 40.0 * math.sqrt(n * q * (1.0 - q)) + 1.0
    low_k, high_k = 0, n
    if n > _FULL_SUM_MAX_N:
        low_k, high_k = max(0, int(n * q - margin)), min(n, int(n * q + margin) + 1)
    tolerance = 1e-12
    if p <= 0.5:
        target = math.log(p) - tolerance
        log_pmf = _log_binom_pmf(low_k, n, math.log(q), math.log1p(-q))
        log_cdf = -math.inf
        for k in range(low_k, high_k + 1):
            log_cdf = _logaddexp(log_cdf, log_pmf)
            if log_cdf >= target:
                return k
            log_pmf += math.log(n - k) - math.log(k + 1) + log_odds
        return high_k
    target = math.log1p(-p) + tolerance  # smallest k with P(B > k) <= 1 − p
    log_pmf = _log_binom_pmf(high_k, n, math.log(q), math.log1p(-q))
    log_sf = -math.inf  # P(B > k) for k = high_k
    for k in range(high_k, low_k, -1):
        log_sf_below = _logaddexp(log_sf, log_pmf)  # P(B > k − 1)
        if log_sf_below > target:
            return k
        log_sf = log_sf_below
        log_pmf += math.log(k) - math.log(n - k + 1) - log_odds
    return low_k


def quantile_rank_interval(n: int, q: float = 0.95, confidence: float = 0.95) -> tuple[int, int]:
    """1-based order-statistic ranks (l, u) with x_(l) <= quantile_q <= x_(u) at >= `confidence`.

    l = binom.ppf(a, n, q), u = min(n, binom.ppf(1 - a, n, q) + 1) with a = (1 - confidence)/2:
    (90, 100) for n = 100 and (936, 964) for n = 1000 at q = 0.95.
    """
    if n <= 0:
        raise ValueError("need at least one sample")
    a = (1.0 - confidence) / 2.0
    low = max(1, binom_ppf(a, n, q))
    high = min(n, binom_ppf(1.0 - a, n, q) + 1)
    return low, high


def quantile_low_data(n: int, interval: tuple[float, float], value: float) -> bool:
    """judgment.md's 'low data': n < 59 or the interval's half-width above 10% of the value."""
    if n < 59 or value <= 0:
        return True
    return (interval[1] - interval[0]) / 2.0 > 0.10 * value


def rate_low_data(n: int, interval: tuple[float, float]) -> bool:
    """'Low data' for a rate: n < 59 or the interval's half-width above 10 percentage points."""
    return n < 59 or (interval[1] - interval[0]) / 2.0 > 0.10


# ---------------------------------------------------------------- slow counts


def slow_counts(
    buckets: LatencyBuckets | None, total_requests: int, thresholds_ms: tuple[float, ...] = (500.0, 1000.0)
) -> dict[float, int | None]:
    """Requests slower than each threshold from cumulative buckets; None where no edge fits."""
    if buckets is None:
        return dict.fromkeys(thresholds_ms)
    return {t: buckets.slower_than(t, total_requests) for t in thresholds_ms}


def slow_count_delta(
    previous: LatencyBuckets | None,
    previous_requests: int,
    current: LatencyBuckets | None,
    current_requests: int,
    threshold_ms: float,
) -> int | None:
    """Requests slower than threshold_ms between two polls of cumulative counters (reset-aware)."""
    if current is None:
        return None
    now = current.slower_than(threshold_ms, current_requests)
    if now is None:
        return None
    if previous is None:
        return None  # no baseline: the interval's slow count is unknown
    if current_requests < previous_requests:
        return now  # a restart: the counters start over
    before = previous.slower_than(threshold_ms, previous_requests)
    if before is None:
        return None
    return now - before if now >= before else now  # a decrease is a restart


# ---------------------------------------------------------------- sequential tests


def _log_ratio_terms(k: float, w: float) -> tuple[float, float]:
    """(ln(ρ/w), ln((1−ρ)/(1−w))) for ρ = k·w / (k·w + 1 − w)."""
    denominator = k * w + 1.0 - w
    return math.log(k / denominator), math.log(1.0 / denominator)


def log_likelihood_ratio(x_canary: int, x_stable: int, canary_share: float, k: float) -> float:
    """One window's log LR of 'canary k× worse' against 'same rate' (judgment.md)."""
    if x_canary + x_stable == 0 or not 0.0 < canary_share < 1.0:
        return 0.0
    a, b = _log_ratio_terms(k, canary_share)
    return x_canary * a + x_stable * b


def canary_share(canary_requests: int, stable_requests: int) -> float | None:
    """w = n_C / (n_C + n_B), None without traffic."""
    total = canary_requests + stable_requests
    return canary_requests / total if total > 0 else None


class SprtState(enum.StrEnum):
    """Where a Wald SPRT stands: at its regression boundary, its accept boundary, or between."""

    REGRESSION = "regression"
    ACCEPT = "accept"
    CONTINUE = "continue"


@dataclass(slots=True)
class Sprt:
    """Wald SPRT of 'canary k× worse' on counts, canary against stable; valid at any look."""

    k: float = 1.5
    alpha: float = 0.01
    beta: float = 0.05
    log_lr: float = 0.0
    windows: int = 0

    @property
    def upper(self) -> float:
        """ln((1−β)/α): at or above it, a ≥ k× regression."""
        return math.log((1.0 - self.beta) / self.alpha)

    @property
    def lower(self) -> float:
        """ln(β/(1−α)): at or below it, no ≥ k× regression."""
        return math.log(self.beta / (1.0 - self.alpha))

    def update(self, x_canary: int, x_stable: int, n_canary: int, n_stable: int) -> None:
        """Add one window of counts (errors or slow requests) and request counts."""
        w = canary_share(n_canary, n_stable)
        if w is None:
            return
        self.log_lr += log_likelihood_ratio(x_canary, x_stable, w, self.k)
        self.windows += 1

    @property
    def status(self) -> SprtState:
        """REGRESSION, ACCEPT (no ≥ k× regression) or CONTINUE."""
        if self.log_lr >= self.upper:
            return SprtState.REGRESSION
        if self.log_lr <= self.lower:
            return SprtState.ACCEPT
        return SprtState.CONTINUE

    @property
    def position(self) -> float:
        """Where Λ sits between the accept (0) and regression (1) boundaries, clipped."""
        return min(1.0, max(0.0, (self.log_lr - self.lower) / (self.upper - self.lower)))

    def reset(self) -> None:
        """Start over (a new stage)."""
        self.log_lr, self.windows = 0.0, 0


def _logsumexp(values: list[float]) -> float:
    """ln Σ exp(v), stable for large v."""
    top = max(values)
    if top == -math.inf:
        return top
    return top + math.log(sum(math.exp(v - top) for v in values))


@dataclass(slots=True)
class MixtureEValue:
    """Mixture e-value M over k ∈ MIXTURE_KS, equal weights, kept in log space.

    M is a test martingale under 'same rate' whatever the split w_i of each window,
    so it may be looked at after every window and stays valid while the split moves.
    """

    alpha: float = 0.01
    ks: tuple[float, ...] = MIXTURE_KS
    log_products: list[float] = field(default_factory=list)
    windows: int = 0

    def __post_init__(self) -> None:
        if not self.log_products:
            self.log_products = [0.0] * len(self.ks)

    def update(self, x_canary: int, x_stable: int, n_canary: int, n_stable: int) -> None:
        """Multiply in one window: canary and stable event counts and request counts."""
        w = canary_share(n_canary, n_stable)
        if w is None:
            return
        for j, k in enumerate(self.ks):
            self.log_products[j] += log_likelihood_ratio(x_canary, x_stable, w, k)
        self.windows += 1

    @property
    def log_e(self) -> float:
        """ln M."""
        return _logsumexp(self.log_products) - math.log(len(self.ks))

    @property
    def e_value(self) -> float:
        """M itself (inf when it overflows a float)."""
        return math.exp(self.log_e) if self.log_e < 700 else math.inf

    @property
    def threshold(self) -> float:
        """1/α."""
        return 1.0 / self.alpha

    @property
    def rejected(self) -> bool:
        """M ≥ 1/α: a regression, with type-I error at most α over all looks."""
        return self.log_e >= -math.log(self.alpha)

    @property
    def position(self) -> float:
        """ln M on [0, ln(1/α)] as a fraction in [0, 1]."""
        return min(1.0, max(0.0, self.log_e / -math.log(self.alpha)))

    def reset(self) -> None:
        """Start over (a new canary version)."""
        self.log_products = [0.0] * len(self.ks)
        self.windows = 0


# ---------------------------------------------------------------- debounce / hysteresis


@dataclass(slots=True)
class Debounce:
    """Trips after `needed` consecutive breaches; a clean window resets; None (no data) changes nothing."""

    needed: int = 3
    count: int = 0

    def update(self, breach: bool | None) -> bool:
        """Record one window; True when tripped (count reached `needed`)."""
        if breach is None:
            return self.tripped
        self.count = self.count + 1 if breach else 0
        return self.tripped

    @property
    def tripped(self) -> bool:
        return self.count >= self.needed

    def reset(self) -> None:
        self.count = 0


@dataclass(slots=True)
class Hysteresis:
    """Trip when value > trip_above for `needed` consecutive looks; clear only after the value
    has stayed below clear_below (< trip_above) for dwell_s. None (no data) changes nothing."""

    trip_above: float
    clear_below: float
    dwell_s: float
    needed: int = 3
    tripped: bool = False
    _debounce: Debounce = field(default_factory=Debounce)
    _below_since_s: float | None = None

    def __post_init__(self) -> None:
        if self.clear_below > self.trip_above:
            raise ValueError("clear_below must not exceed trip_above")
        self._debounce.needed = self.needed

    @property
    def count(self) -> int:
        """Consecutive breaches counted towards a trip."""
        return self._debounce.count

    def update(self, value: float | None, now_s: float) -> bool:
        """Record one look at time now_s; returns whether the state is tripped."""
        if value is None:
            return self.tripped
        if not self.tripped:
            if self._debounce.update(value > self.trip_above):
                self.tripped, self._below_since_s = True, None
            return self.tripped
        if value < self.clear_below:
            if self._below_since_s is None:
                self._below_since_s = now_s
            if now_s - self._below_since_s >= self.dwell_s:
                self.tripped, self._below_since_s = False, None
                self._debounce.reset()
        else:
            self._below_since_s = None
        return self.tripped
