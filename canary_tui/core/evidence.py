"""Evidence for one canary version (judgment.md): per-window counts, the sequential tests canary
against stable and debounced Wilson trips, accumulated poll by poll, read beside the seed's triggers.

The seed's triggers run once: when the controller's seed rule feeds them, their state is
handed in with each poll (`seed=`); only a one-shot check without that rule feeds its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from canary_tui.core.rates import Rates
from canary_tui.core.samples import Heartbeat
from canary_tui.core.seed import (
    SEED_DEBOUNCE_N,
    SEED_P95_TAIL_FRACTION,
    SEED_STAGE_ERROR_RATE,
    SEED_STAGE_P95_MS,
    SEED_TRIP_ERROR_RATE,
    SEED_TRIP_P95_MS,
)
from canary_tui.core.seed_triggers import SeedState, SeedTriggers
from canary_tui.core.stage_clock import entered_at, server_skew_s
from canary_tui.core.stats import Z_95, Z_99, Hysteresis, MixtureEValue, Sprt, slow_count_delta, wilson_interval
from canary_tui.core.thresholds import Metric, ThresholdTable
from canary_tui.core.trips import Trip, TripKind

EvidenceDict = dict[str, float | int | str | None]


@dataclass(frozen=True, slots=True)
class JudgmentConfig:
    """Knobs of the judgment; defaults follow judgment.md and the seed."""

    alpha: float = 0.01  # mixture: roll back when M >= 1/alpha
    sprt_k: float = 1.5  # SPRT: "no >= 1.5x regression" accepts
    sprt_beta: float = 0.05
    window_s: float = 60.0  # counts are judged per closed window of this length
    min_window_requests: int = 100  # canary requests for a window to count towards a Wilson trip
    trip_rate: float = SEED_TRIP_ERROR_RATE  # Wilson 99% lower bound above this trips (errors, slow(1000 ms))
    clear_rate: float = 0.03  # ... and clears only below this, after clear_dwell_s
    clear_dwell_s: float = 300.0
    debounce_windows: int = SEED_DEBOUNCE_N
    min_stage_requests: int = 1000  # canary requests in the stage before promotion can be eligible
    gate_error_rate: float = SEED_STAGE_ERROR_RATE  # the table's error-rate critical bound in force
    gate_slow_ms: float = SEED_STAGE_P95_MS  # the table's P95 healthy bound: P95 < T <=> < 5% slower than T
    gate_slow_fraction: float = SEED_P95_TAIL_FRACTION
    trip_slow_ms: float = SEED_TRIP_P95_MS

    def with_thresholds(self, table: ThresholdTable) -> JudgmentConfig:
        """The same knobs with the stage gates read from the thresholds in force."""
        return replace(
            self,
            gate_error_rate=table.threshold(Metric.ERROR_RATE).critical_beyond,
            gate_slow_ms=table.threshold(Metric.P95_MS).warning_from,
        )


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """Counts over one interval per variant; slow counts are None without latency buckets."""

    canary_requests: int = 0
    canary_errors: int = 0
    stable_requests: int = 0
    stable_errors: int = 0
    canary_slow_gate: int | None = None  # slower than gate_slow_ms (500)
    stable_slow_gate: int | None = None
    canary_slow_trip: int | None = None  # slower than trip_slow_ms (1000)
    stable_slow_trip: int | None = None

    def __add__(self, other: WindowCounts) -> WindowCounts:
        def add(a: int | None, b: int | None) -> int | None:
            return None if a is None or b is None else a + b

        return WindowCounts(
            self.canary_requests + other.canary_requests,
            self.canary_errors + other.canary_errors,
            self.stable_requests + other.stable_requests,
            self.stable_errors + other.stable_errors,
            add(self.canary_slow_gate, other.canary_slow_gate),
            add(self.stable_slow_gate, other.stable_slow_gate),
            add(self.canary_slow_trip, other.canary_slow_trip),
            add(self.stable_slow_trip, other.stable_slow_trip),
        )

    @property
    def has_slow(self) -> bool:
        """True when every slow count is known (buckets on both variants)."""
        return None not in (self.canary_slow_gate, self.stable_slow_gate, self.canary_slow_trip, self.stable_slow_trip)

    def with_slow_of(self, other: WindowCounts) -> WindowCounts:
        """These request and error counts with `other`'s slow counts."""
        return replace(self, canary_slow_gate=other.canary_slow_gate, stable_slow_gate=other.stable_slow_gate,
                       canary_slow_trip=other.canary_slow_trip, stable_slow_trip=other.stable_slow_trip)


ZERO = WindowCounts(0, 0, 0, 0, 0, 0, 0, 0)


def counts_between(previous: Heartbeat, current: Heartbeat, rates: Rates, config: JudgmentConfig) -> WindowCounts | None:
    """Per-variant counts between two heartbeats, None without per-variant metrics."""
    if None in (rates.canary_requests, rates.canary_errors, rates.stable_requests, rates.stable_errors):
        return None
    slow: dict[str, int | None] = {}
    for name in ("canary", "stable"):
        prev_v, cur_v = getattr(previous.metrics, name), getattr(current.metrics, name)
        for key, threshold in (("gate", config.gate_slow_ms), ("trip", config.trip_slow_ms)):
            value = None
            if prev_v is not None and cur_v is not None:
                value = slow_count_delta(
                    prev_v.latency_buckets, prev_v.requests, cur_v.latency_buckets, cur_v.requests, threshold
                )
                if rates.reset and cur_v.latency_buckets is not None:
                    value = cur_v.latency_buckets.slower_than(threshold, cur_v.requests)
            slow[f"{name}_slow_{key}"] = value
    return WindowCounts(
        int(rates.canary_requests or 0),
        int(rates.canary_errors or 0),
        int(rates.stable_requests or 0),
        int(rates.stable_errors or 0),
        **slow,
    )


def _tripper(config: JudgmentConfig) -> Hysteresis:
    """Wilson-bound trip: debounced over windows, cleared with hysteresis and a dwell."""
    return Hysteresis(config.trip_rate, config.clear_rate, config.clear_dwell_s, config.debounce_windows)


@dataclass(slots=True)
class Evidence:
    """Accumulated evidence for one canary version: ramp-wide mixtures, per-stage SPRTs and totals."""

    config: JudgmentConfig = field(default_factory=JudgmentConfig)
    canary_version: str | None = None
    percent: int | None = None
    stage_started_s: float | None = None  # on our clock (the controller's stage clock when it hands one in)
    per_variant: bool = False  # the latest heartbeat carried per-variant counts
    has_buckets: bool = False  # ... and latency buckets on both variants
    last_heartbeat: Heartbeat | None = None
    last_rates: Rates | None = None
    error_mixture: MixtureEValue = field(default_factory=MixtureEValue)
    slow_mixture: MixtureEValue = field(default_factory=MixtureEValue)
    error_sprt: Sprt = field(default_factory=Sprt)
    slow_sprt: Sprt = field(default_factory=Sprt)
    stage: WindowCounts = ZERO
    stage_slow_requests: int = 0  # canary requests whose slow counts are known
    stable_slow_requests: int = 0
    window: WindowCounts = ZERO
    window_started_s: float | None = None
    windows_closed: int = 0
    error_trip: Hysteresis = field(default_factory=lambda: _tripper(JudgmentConfig()))
    slow_trip: Hysteresis = field(default_factory=lambda: _tripper(JudgmentConfig()))
    last_error_low: float | None = None  # Wilson 99% lower bounds of the last closed window
    last_slow_low: float | None = None
    seed_state: SeedState = field(default_factory=SeedState)  # the seed triggers as of the last poll
    own_seed: SeedTriggers | None = None  # fed here only when no seed state is handed in (one-shot checks)

    def __post_init__(self) -> None:
        cfg = self.config
        self.error_mixture = MixtureEValue(alpha=cfg.alpha)
        self.slow_mixture = MixtureEValue(alpha=cfg.alpha)
        self.error_sprt = Sprt(k=cfg.sprt_k, alpha=cfg.alpha, beta=cfg.sprt_beta)
        self.slow_sprt = Sprt(k=cfg.sprt_k, alpha=cfg.alpha, beta=cfg.sprt_beta)
        self.error_trip, self.slow_trip = _tripper(cfg), _tripper(cfg)

    # ------------------------------------------------------------ lifecycle

    def reset(self) -> None:
        """Forget everything (a new canary version, or the ramp went back to 0%)."""
        fresh = Evidence(self.config)
        for name in self.__slots__:
            setattr(self, name, getattr(fresh, name))

    def _new_stage(self, percent: int, now_s: float, entered_s: float) -> None:
        """A new stage: stage totals and SPRTs start over; the mixtures carry on (valid across splits)."""
        self.percent, self.stage_started_s = percent, entered_s
        self.stage, self.stage_slow_requests, self.stable_slow_requests = ZERO, 0, 0
        self.window, self.window_started_s = ZERO, now_s
        self.error_sprt.reset()
        self.slow_sprt.reset()

    # ------------------------------------------------------------ feeding

    def observe(
        self,
        current: Heartbeat,
        previous: Heartbeat | None,
        rates: Rates | None,
        now_s: float,
        stage_entered_s: float | None = None,
        seed: SeedState | None = None,
    ) -> None:
        """Take one new heartbeat (and the one before it, and the rates between them).

        `stage_entered_s` is the controller's stage clock (skew-corrected); without it the stage
        starts at the server's updated_at corrected by this heartbeat's skew. `seed` is the seed
        triggers' state after this poll, from the rule that feeds them; without it they are fed here.
        """
        deployment = current.deployment
        if deployment.canary_percent == 0 or (
            self.canary_version is not None and deployment.canary_version != self.canary_version
        ):
            self.reset()
        self.canary_version = deployment.canary_version
        if deployment.canary_percent != self.percent:
            entered = stage_entered_s
            if entered is None:
                entered = entered_at(deployment.updated_at, now_s, server_skew_s(current))
            self._new_stage(deployment.canary_percent, now_s, entered)
        elif stage_entered_s is not None:
            self.stage_started_s = stage_entered_s  # one stage clock: the controller's
        self.last_heartbeat, self.last_rates = current, rates
        metrics = current.metrics
        self.per_variant = metrics.canary is not None and metrics.stable is not None
        self.has_buckets = self.per_variant and all(
            v is not None and v.latency_buckets is not None for v in (metrics.canary, metrics.stable)
        )
        if seed is not None:
            self.seed_state = seed
        if rates is None or previous is None:
            return
        if seed is None:
            if self.own_seed is None:
                self.own_seed = SeedTriggers(self.config.debounce_windows)
            self.own_seed.observe(current, previous, rates)
            self.seed_state = self.own_seed.state()
        counts = counts_between(previous, current, rates, self.config)
        if counts is not None:
            self.add_counts(counts, now_s)

    def add_counts(self, counts: WindowCounts, now_s: float) -> None:
        """Add one interval's counts; closes the window (and updates the tests) once window_s has passed."""
        if self.window_started_s is None:
            self.window_started_s = now_s
        self.stage = _add_known(self.stage, counts)
        if counts.has_slow:
            self.stage_slow_requests += counts.canary_requests
            self.stable_slow_requests += counts.stable_requests
        self.window = self.window + counts  # slow counts of a window are known only if every interval's are
        if now_s - self.window_started_s >= self.config.window_s:
            self.close_window(self.window, now_s)
            self.window, self.window_started_s = ZERO, now_s

    def close_window(self, w: WindowCounts, now_s: float) -> None:
        """Judge one closed window: sequential tests and debounced Wilson trips."""
        cfg = self.config
        self.windows_closed += 1
        self.error_mixture.update(w.canary_errors, w.stable_errors, w.canary_requests, w.stable_requests)
        self.error_sprt.update(w.canary_errors, w.stable_errors, w.canary_requests, w.stable_requests)
        enough = w.canary_requests >= cfg.min_window_requests
        self.last_error_low = wilson_interval(w.canary_errors, w.canary_requests, Z_99)[0] if enough else None
        self.error_trip.update(self.last_error_low, now_s)
        if w.canary_slow_trip is not None and w.stable_slow_trip is not None:  # slower than 1000 ms: rollback tests
            self.slow_mixture.update(w.canary_slow_trip, w.stable_slow_trip, w.canary_requests, w.stable_requests)
            self.last_slow_low = (
                wilson_interval(w.canary_slow_trip, w.canary_requests, Z_99)[0] if enough else None
            )
            self.slow_trip.update(self.last_slow_low, now_s)
        if w.canary_slow_gate is not None and w.stable_slow_gate is not None:  # slower than the P95 bound: promotion
            self.slow_sprt.update(w.canary_slow_gate, w.stable_slow_gate, w.canary_requests, w.stable_requests)

    # ------------------------------------------------------------ reading

    def rollback_trips(self) -> list[Trip]:
        """The conditions that say roll back now (empty when none holds), seed triggers first."""
        cfg, trips = self.config, list(self.seed_state.trips)
        limit = 1.0 / cfg.alpha
        if self.error_mixture.rejected:
            trips.append(Trip(TripKind.ERRORS_VS_STABLE, self.error_mixture.e_value, limit))
        if self.slow_mixture.rejected:
            trips.append(Trip(TripKind.SLOW_VS_STABLE, self.slow_mixture.e_value, limit, cfg.trip_slow_ms))
        if self.error_trip.tripped:
            trips.append(Trip(TripKind.ERROR_BOUND, self.last_error_low, cfg.trip_rate, windows=cfg.debounce_windows))
        if self.slow_trip.tripped:
            trips.append(Trip(TripKind.SLOW_BOUND, self.last_slow_low, cfg.trip_rate, cfg.trip_slow_ms,
                              windows=cfg.debounce_windows))
        return trips

    def summary(self) -> EvidenceDict:
        """Numbers behind the decision, for the screen and --json."""
        s = self.stage
        low, high = wilson_interval(s.canary_errors, s.canary_requests, Z_95)
        out: EvidenceDict = {
            "percent": self.percent,
            "windows": self.windows_closed,
            "canary_requests": s.canary_requests,
            "canary_errors": s.canary_errors,
            "stable_requests": s.stable_requests,
            "stable_errors": s.stable_errors,
            "canary_error_rate": (s.canary_errors / s.canary_requests) if s.canary_requests else None,
            "canary_error_rate_ci95_low": low if s.canary_requests else None,
            "canary_error_rate_ci95_high": high if s.canary_requests else None,
            "error_e_value": round(self.error_mixture.e_value, 6),
            "error_e_threshold": 1.0 / self.config.alpha,
            "error_sprt_llr": round(self.error_sprt.log_lr, 6),
            "error_sprt_lower": round(self.error_sprt.lower, 6),
            "error_sprt_upper": round(self.error_sprt.upper, 6),
            "error_sprt_status": self.error_sprt.status.value,
            "seed_error_cusum": round(self.seed_state.error_statistic, 6),
            "seed_cusum_h": self.seed_state.h,
            "stage_started_s": self.stage_started_s,
        }
        if self.has_buckets:
            out.update(
                {
                    "slow_e_value": round(self.slow_mixture.e_value, 6),
                    "slow_sprt_llr": round(self.slow_sprt.log_lr, 6),
                    "slow_sprt_status": self.slow_sprt.status.value,
                    "canary_slow_gate": s.canary_slow_gate,
                    "canary_slow_trip": s.canary_slow_trip,
                    "seed_slow_cusum": round(self.seed_state.slow_statistic, 6),
                }
            )
        return out


def _add_known(a: WindowCounts, b: WindowCounts) -> WindowCounts:
    """a + b, keeping a's slow counts when b has none (the slow totals count only known windows)."""
    if b.has_slow:
        return a + b if a.has_slow else (a + b.with_slow_of(ZERO)).with_slow_of(b)
    return (a.with_slow_of(ZERO) + b.with_slow_of(ZERO)).with_slow_of(a)


def canary_p95_ms(heartbeat: Heartbeat) -> float | None:
    """The canary's P95 when the server splits it, else the whole service's."""
    metrics = heartbeat.metrics
    if metrics.canary is not None and metrics.canary.p95_ms is not None:
        return metrics.canary.p95_ms
    return metrics.p95_ms
