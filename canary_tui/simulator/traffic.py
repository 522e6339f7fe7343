"""Per-variant traffic: seeded per-second request samples, bulk tallies, order-statistic percentiles."""

from __future__ import annotations

import bisect
import functools
import math
import random
from dataclasses import dataclass, field

from canary_tui.simulator.options import LATENCY_LE_MS

VARIANTS: tuple[str, str] = ("stable", "canary")


@dataclass(frozen=True, slots=True)
class VariantProfile:
    """One variant's behaviour: error probability and a log-normal latency (median_ms, sigma)."""

    error_rate: float
    median_ms: float
    sigma: float = 0.5

    @property
    def mu(self) -> float:
        """Log-space mean of the latency distribution."""
        return math.log(self.median_ms)

    def cdf(self, ms: float) -> float:
        """P(latency <= ms)."""
        return 0.5 * (1.0 + math.erf((math.log(ms) - self.mu) / (self.sigma * math.sqrt(2.0))))

    def draw_latency_ms(self, rng: random.Random) -> float:
        """One latency sample rounded to 0.1 ms (so percentiles are exact sample values)."""
        return round(math.exp(rng.gauss(self.mu, self.sigma)), 1)


@dataclass(slots=True)
class Tally:
    """Cumulative counters of one variant: requests, errors and the le-bucket counts."""

    requests: int = 0
    errors: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * len(LATENCY_LE_MS))

    def add(self, other: Tally) -> None:
        """Add another tally into this one."""
        self.requests += other.requests
        self.errors += other.errors
        for i, count in enumerate(other.buckets):
            self.buckets[i] += count

    def minus(self, other: Tally) -> Tally:
        """This tally with `other` (an earlier snapshot) subtracted."""
        return Tally(self.requests - other.requests, self.errors - other.errors,
                     [a - b for a, b in zip(self.buckets, other.buckets, strict=True)])

    def copy(self) -> Tally:
        """An independent copy."""
        return Tally(self.requests, self.errors, list(self.buckets))

    def count(self, latency_ms: float, error: bool) -> None:
        """Count one request."""
        self.requests += 1
        self.errors += int(error)
        for i in range(bisect.bisect_left(LATENCY_LE_MS, latency_ms), len(LATENCY_LE_MS)):
            self.buckets[i] += 1


@dataclass(frozen=True, slots=True)
class SecondTraffic:
    """Every simulated request of one simulated second, sorted by arrival offset in [0, 1)."""

    index: int
    arrivals: tuple[float, ...]
    latencies_ms: tuple[float, ...]
    errors: tuple[bool, ...]
    canary: tuple[bool, ...]

    def tallies(self, upto: float = 1.0) -> dict[str, Tally]:
        """Per-variant tallies of the requests that arrived before offset `upto`."""
        out = {name: Tally() for name in VARIANTS}
        end = bisect.bisect_left(self.arrivals, upto) if upto < 1.0 else len(self.arrivals)
        for i in range(end):
            out["canary" if self.canary[i] else "stable"].count(self.latencies_ms[i], self.errors[i])
        return out

    def latencies_by_variant(self, lo: float = 0.0, hi: float = 1.0) -> tuple[list[float], list[float]]:
        """(stable, canary) latencies of the requests with lo <= arrival < hi."""
        stable: list[float] = []
        canary: list[float] = []
        for i in self.requests_between(lo, hi):
            (canary if self.canary[i] else stable).append(self.latencies_ms[i])
        return stable, canary

    def requests_between(self, lo: float, hi: float) -> range:
        """Indexes of the requests with lo <= arrival < hi."""
        return range(bisect.bisect_left(self.arrivals, lo), bisect.bisect_left(self.arrivals, hi))


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw: exact inversion for small means, a rounded normal for large ones."""
    if lam <= 0:
        return 0
    if lam > 60:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, product = math.exp(-lam), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A binomial draw: exact for small n, Poisson or normal approximations otherwise."""
    if n <= 0 or p <= 0:
        return 0
    if p >= 1:
        return n
    if n <= 40:
        return sum(rng.random() < p for _ in range(n))
    mean = n * p
    if mean < 10:
        return min(n, poisson(rng, mean))
    if n - mean < 10:
        return n - min(n, poisson(rng, n - mean))
    return min(n, max(0, round(rng.gauss(mean, math.sqrt(mean * (1 - p))))))


def generate_second(seed: int, index: int, rate_per_s: float, canary_share: float,
                    stable: VariantProfile, canary: VariantProfile) -> SecondTraffic:
    """The requests of simulated second `index`, a pure function of its arguments."""
    rng = random.Random(f"canary-sim/{seed}/{index}")
    n = poisson(rng, rate_per_s)
    uniform, gauss, exp = rng.random, rng.gauss, math.exp
    arrivals = sorted(uniform() for _ in range(n))
    params = {False: (stable.mu, stable.sigma, stable.error_rate), True: (canary.mu, canary.sigma, canary.error_rate)}
    latencies, errors, is_canary = [], [], []
    for _ in range(n):
        on_canary = uniform() < canary_share
        mu, sigma, error_rate = params[on_canary]
        latencies.append(round(exp(gauss(mu, sigma)), 1))
        errors.append(uniform() < error_rate)
        is_canary.append(on_canary)
    return SecondTraffic(index, tuple(arrivals), tuple(latencies), tuple(errors), tuple(is_canary))


def bulk_tallies(seed: int, start: int, stop: int, rate_per_s: float, canary_share: float,
                 stable: VariantProfile, canary: VariantProfile) -> dict[str, Tally]:
    """Counters for seconds [start, stop) long past the window, drawn in one block (cheap jumps)."""
    rng = random.Random(f"canary-sim/{seed}/bulk/{start}/{stop}")
    total = poisson(rng, rate_per_s * (stop - start))
    n_canary = binomial(rng, total, canary_share)
    out: dict[str, Tally] = {}
    for name, n, profile in (("stable", total - n_canary, stable), ("canary", n_canary, canary)):
        tally = Tally(requests=n, errors=binomial(rng, n, profile.error_rate))
        remaining, below = n, 0
        for i, share in enumerate(_conditional_bucket_shares(profile.median_ms, profile.sigma)):
            in_bucket = binomial(rng, remaining, share)
            remaining -= in_bucket
            below += in_bucket
            tally.buckets[i] = below
        out[name] = tally
    return out


@functools.lru_cache(maxsize=4096)
def _conditional_bucket_shares(median_ms: float, sigma: float) -> tuple[float, ...]:
    """P(latency in bucket i | latency above bucket i−1's edge), for sequential binomial draws."""
    profile = VariantProfile(0.0, median_ms, sigma)
    shares, previous_cdf = [], 0.0
    for edge_ms in LATENCY_LE_MS:
        cdf = profile.cdf(edge_ms)
        share = (cdf - previous_cdf) / (1.0 - previous_cdf) if previous_cdf < 1.0 else 0.0
        shares.append(min(1.0, max(0.0, share)))
        previous_cdf = cdf
    return tuple(shares)


def nearest_rank(sorted_values: list[float], q: float) -> float | None:
    """The q-quantile as an order statistic (nearest rank: the ceil(q·n)-th smallest), None if empty."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]
