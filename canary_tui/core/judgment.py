"""Judge a canary on evidence (judgment.md): per-window counts, sequential tests canary against
stable, stage gates on confidence bounds, and one Decision with its reason and evidence.

`Evidence` accumulates; `judge(...)` decides; `EvidenceRule` plugs both into the controller's
auto-rollback (core/rules.py `Rule` protocol).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from canary_tui.core.plans import RampPlan
from canary_tui.core.rates import Rates
from canary_tui.core.samples import Heartbeat
from canary_tui.core.stats import (
    Z_95,
    Z_99,
    Debounce,
    Hysteresis,
    MixtureEValue,
    Sprt,
    rate_low_data,
    slow_count_delta,
    wilson_interval,
)
from canary_tui.core.verdicts import Decision, DecisionKind, GateResult, GateStatus

#: The seed's fixed thresholds, used as reference lines and as the fallback without per-variant data.
SEED_TRIP_ERROR_RATE = 0.05
SEED_TRIP_P95_MS = 1000.0
SEED_GATE_ERROR_RATE = 0.01
SEED_GATE_P95_MS = 500.0

if TYPE_CHECKING:
    from canary_tui.core.rules import Observation, RuleVerdict

EvidenceDict = dict[str, float | int | str | None]


@dataclass(frozen=True, slots=True)
class JudgmentConfig:
    """Knobs of the judgment; defaults follow judgment.md."""

    alpha: float = 0.01  # mixture: roll back when M >= 1/alpha
    sprt_k: float = 1.5  # SPRT: "no >= 1.5x regression" accepts
    sprt_beta: float = 0.05
    window_s: float = 60.0  # counts are judged per closed window of this length
    min_window_requests: int = 100  # canary requests for a window to count towards a Wilson trip
    trip_rate: float = 0.05  # Wilson 99% lower bound above this trips (errors, slow(1000 ms))
    clear_rate: float = 0.03  # ... and clears only below this, after clear_dwell_s
    clear_dwell_s: float = 300.0
    debounce_windows: int = 3
    min_stage_requests: int = 1000  # canary requests in the stage before promotion can be eligible
    gate_error_rate: float = SEED_GATE_ERROR_RATE
    gate_slow_ms: float = SEED_GATE_P95_MS  # P95 < 500 ms  <=>  fewer than 5% slower than 500 ms
    gate_slow_fraction: float = 0.05
    trip_slow_ms: float = SEED_TRIP_P95_MS


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
        **slow,  # type: ignore[arg-type]
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
    stage_started_s: float | None = None
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
    error_trip: Hysteresis | None = None
    slow_trip: Hysteresis | None = None
    last_error_low: float | None = None  # Wilson 99% lower bounds of the last closed window
    last_slow_low: float | None = None
    seed_error_debounce: Debounce = field(default_factory=Debounce)
    seed_p95_debounce: Debounce = field(default_factory=Debounce)

    def __post_init__(self) -> None:
        cfg = self.config
        self.error_mixture = MixtureEValue(alpha=cfg.alpha)
        self.slow_mixture = MixtureEValue(alpha=cfg.alpha)
        self.error_sprt = Sprt(k=cfg.sprt_k, alpha=cfg.alpha, beta=cfg.sprt_beta)
        self.slow_sprt = Sprt(k=cfg.sprt_k, alpha=cfg.alpha, beta=cfg.sprt_beta)
        self.error_trip, self.slow_trip = _tripper(cfg), _tripper(cfg)
        self.seed_error_debounce = Debounce(cfg.debounce_windows)
        self.seed_p95_debounce = Debounce(cfg.debounce_windows)

    # ------------------------------------------------------------ lifecycle

    def reset(self) -> None:
        """Forget everything (a new canary version, or the ramp went back to 0%)."""
        fresh = Evidence(self.config)
        for name in self.__slots__:  # type: ignore[attr-defined]
            setattr(self, name, getattr(fresh, name))

    def _new_stage(self, percent: int, now_s: float, entered_s: float) -> None:
        """A new stage: stage totals and SPRTs start over; the mixtures carry on (valid across splits).

        `entered_s` is when the percent changed (the server's updated_at), for the bake clock.
        """
        self.percent, self.stage_started_s = percent, entered_s
        self.stage, self.stage_slow_requests, self.stable_slow_requests = ZERO, 0, 0
        self.window, self.window_started_s = ZERO, now_s
        self.error_sprt.reset()
        self.slow_sprt.reset()

    # ------------------------------------------------------------ feeding

    def observe(self, current: Heartbeat, previous: Heartbeat | None, rates: Rates | None, now_s: float) -> None:
        """Take one new heartbeat (and the one before it, and the rates between them)."""
        deployment = current.deployment
        if deployment.canary_percent == 0 or (
            self.canary_version is not None and deployment.canary_version != self.canary_version
        ):
            self.reset()
        self.canary_version = deployment.canary_version
        if deployment.canary_percent != self.percent:
            updated_s = deployment.updated_at.timestamp() if deployment.updated_at is not None else now_s
            self._new_stage(deployment.canary_percent, now_s, min(updated_s, now_s))
        self.last_heartbeat, self.last_rates = current, rates
        metrics = current.metrics
        self.per_variant = metrics.canary is not None and metrics.stable is not None
        self.has_buckets = self.per_variant and all(
            v is not None and v.latency_buckets is not None for v in (metrics.canary, metrics.stable)
        )
        if rates is None or previous is None:
            return
        self._observe_seed(rates, current)
        counts = counts_between(previous, current, rates, self.config)
        if counts is not None:
            self.add_counts(counts, now_s)

    def _observe_seed(self, rates: Rates, current: Heartbeat) -> None:
        """The fallback's seed triggers on aggregate figures, debounced over observations."""
        if rates.requests > 0 and rates.error_rate is not None:
            self.seed_error_debounce.update(rates.error_rate > SEED_TRIP_ERROR_RATE)
        p95 = _canary_p95_ms(current)
        if p95 is not None:
            self.seed_p95_debounce.update(p95 > SEED_TRIP_P95_MS)

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
        assert self.error_trip is not None and self.slow_trip is not None
        self.error_trip.update(self.last_error_low, now_s)
        if w.has_slow:
            assert w.canary_slow_trip is not None and w.stable_slow_trip is not None
            assert w.canary_slow_gate is not None and w.stable_slow_gate is not None
            self.slow_mixture.update(w.canary_slow_trip, w.stable_slow_trip, w.canary_requests, w.stable_requests)
            self.slow_sprt.update(w.canary_slow_gate, w.stable_slow_gate, w.canary_requests, w.stable_requests)
            self.last_slow_low = (
                wilson_interval(w.canary_slow_trip, w.canary_requests, Z_99)[0] if enough else None
            )
            self.slow_trip.update(self.last_slow_low, now_s)

    # ------------------------------------------------------------ reading

    def rollback_reasons(self) -> list[str]:
        """Why the evidence says roll back now (empty when it does not)."""
        assert self.error_trip is not None and self.slow_trip is not None
        cfg, reasons = self.config, []
        if self.error_mixture.rejected:
            reasons.append(
                f"canary errors worse than stable: mixture e-value {_fmt_e(self.error_mixture)} ≥ {1 / cfg.alpha:g}"
            )
        if self.slow_mixture.rejected:
            reasons.append(
                f"canary slower than stable (> {cfg.trip_slow_ms:g} ms): "
                f"mixture e-value {_fmt_e(self.slow_mixture)} ≥ {1 / cfg.alpha:g}"
            )
        if self.error_trip.tripped:
            reasons.append(
                f"canary error rate 99% lower bound > {cfg.trip_rate:.0%} for {cfg.debounce_windows} windows"
            )
        if self.slow_trip.tripped:
            reasons.append(
                f"canary slow(>{cfg.trip_slow_ms:g} ms) fraction 99% lower bound > {cfg.trip_rate:.0%} "
                f"for {cfg.debounce_windows} windows"
            )
        return reasons

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
            "error_sprt_status": self.error_sprt.status,
        }
        if self.has_buckets:
            out.update(
                {
                    "slow_e_value": round(self.slow_mixture.e_value, 6),
                    "slow_sprt_llr": round(self.slow_sprt.log_lr, 6),
                    "slow_sprt_status": self.slow_sprt.status,
                    "canary_slow_gate": s.canary_slow_gate,
                    "canary_slow_trip": s.canary_slow_trip,
                }
            )
        return out


def _add_known(a: WindowCounts, b: WindowCounts) -> WindowCounts:
    """a + b, keeping a's slow counts when b has none (the slow totals count only known windows)."""
    if b.has_slow:
        if a.has_slow:
            return a + b
        return WindowCounts(
            a.canary_requests + b.canary_requests, a.canary_errors + b.canary_errors,
            a.stable_requests + b.stable_requests, a.stable_errors + b.stable_errors,
            b.canary_slow_gate, b.stable_slow_gate, b.canary_slow_trip, b.stable_slow_trip,
        )
    return WindowCounts(
        a.canary_requests + b.canary_requests, a.canary_errors + b.canary_errors,
        a.stable_requests + b.stable_requests, a.stable_errors + b.stable_errors,
        a.canary_slow_gate, a.stable_slow_gate, a.canary_slow_trip, a.stable_slow_trip,
    )


def _fmt_e(mixture: MixtureEValue) -> str:
    """An e-value for a reason string."""
    return "≥1e300" if mixture.log_e > 690 else f"{mixture.e_value:.3g}"


def _canary_p95_ms(heartbeat: Heartbeat) -> float | None:
    """The canary's P95 when the server splits it, else the whole service's."""
    metrics = heartbeat.metrics
    if metrics.canary is not None and metrics.canary.p95_ms is not None:
        return metrics.canary.p95_ms
    return metrics.p95_ms


# ---------------------------------------------------------------- gates


def _bound_status(low: float, high: float, threshold: float) -> GateStatus:
    """PASS when the whole interval is below the threshold, FAIL when all above, else HOLD."""
    if high < threshold:
        return GateStatus.PASS
    if low > threshold:
        return GateStatus.FAIL
    return GateStatus.HOLD


def evidence_gates(ev: Evidence, *, bake_elapsed_s: float | None, bake_s: float | None) -> tuple[GateResult, ...]:
    """The stage's gates on confidence bounds, with intervals, evidence positions and low-data flags."""
    cfg, s, gates = ev.config, ev.stage, []
    if not ev.per_variant:
        gates.extend(_fallback_gates(ev))
    else:
        n, x = s.canary_requests, s.canary_errors
        low, high = wilson_interval(x, n, Z_95)
        status = _bound_status(low, high, cfg.gate_error_rate) if n else GateStatus.HOLD
        gates.append(
            GateResult(
                "canary errors", status, (100.0 * x / n) if n else None, 100.0 * cfg.gate_error_rate, "%",
                f"canary {x}/{n} errors, 95% interval {100 * low:.2f}–{100 * high:.2f}% vs {100 * cfg.gate_error_rate:g}%"
                if n else "no canary requests yet",
                interval=(100.0 * low, 100.0 * high) if n else None,
                low_data=rate_low_data(n, (low, high)),  # the SPRT's bar belongs to "errors vs stable"
            )
        )
        gates.append(_vs_stable_gate("errors vs stable", ev.error_sprt, ev.error_mixture, s.canary_errors,
                                     s.canary_requests, s.stable_errors, s.stable_requests, cfg))
        if ev.has_buckets and s.canary_slow_gate is not None and s.stable_slow_gate is not None:
            n_slow, x_slow = ev.stage_slow_requests, s.canary_slow_gate
            low, high = wilson_interval(x_slow, n_slow, Z_95)
            status = _bound_status(low, high, cfg.gate_slow_fraction) if n_slow else GateStatus.HOLD
            gates.append(
                GateResult(
                    f"slow>{cfg.gate_slow_ms:g}ms", status, (100.0 * x_slow / n_slow) if n_slow else None,
                    100.0 * cfg.gate_slow_fraction, "%",
                    f"P95 < {cfg.gate_slow_ms:g} ms ⇔ < {cfg.gate_slow_fraction:.0%} slower: "
                    f"{x_slow}/{n_slow}, 95% interval {100 * low:.2f}–{100 * high:.2f}%" if n_slow else "no canary requests yet",
                    interval=(100.0 * low, 100.0 * high) if n_slow else None,
                    low_data=rate_low_data(n_slow, (low, high)),
                )
            )
            gates.append(_vs_stable_gate("latency vs stable", ev.slow_sprt, ev.slow_mixture, x_slow, n_slow,
                                         s.stable_slow_gate, ev.stable_slow_requests, cfg))
        else:
            gates.append(_fixed_p95_gate(ev, "no latency buckets: seed threshold on P95"))
    gates.append(_bake_gate(bake_elapsed_s, bake_s))
    return tuple(gates)


def _vs_stable_gate(
    name: str, sprt: Sprt, mixture: MixtureEValue, x_c: int, n_c: int, x_b: int, n_b: int, cfg: JudgmentConfig
) -> GateResult:
    """Canary against stable: PASS at the SPRT's accept boundary, FAIL when the mixture rejects."""
    if n_b == 0 or n_c == 0:
        return GateResult(name, GateStatus.HOLD, None, cfg.sprt_k, "×", "no comparison: one variant has no traffic",
                          low_data=True)
    rate_c, rate_b = x_c / n_c, x_b / n_b
    ratio = rate_c / rate_b if rate_b > 0 else (math.inf if rate_c > 0 else 1.0)
    if mixture.rejected:
        status, why = GateStatus.FAIL, f"regression: e-value {_fmt_e(mixture)} ≥ {mixture.threshold:g}"
    elif sprt.status == "accept":
        status, why = GateStatus.PASS, f"no ≥{cfg.sprt_k:g}× regression (SPRT accepted)"
    elif sprt.status == "regression":
        status, why = GateStatus.HOLD, f"SPRT leans to a ≥{cfg.sprt_k:g}× regression; mixture not yet conclusive"
    else:
        status, why = GateStatus.HOLD, "evidence still accumulating"
    return GateResult(name, status, ratio if math.isfinite(ratio) else None, cfg.sprt_k, "×",
                      f"{why}; canary {x_c}/{n_c} vs stable {x_b}/{n_b}",
                      evidence=sprt.position, low_data=(x_c + x_b) < 10)


def _fixed_p95_gate(ev: Evidence, why: str) -> GateResult:
    """The seed's P95 < 500 ms on whatever P95 the server reports."""
    p95 = _canary_p95_ms(ev.last_heartbeat) if ev.last_heartbeat is not None else None
    if p95 is None:
        return GateResult("P95", GateStatus.HOLD, None, SEED_GATE_P95_MS, "ms", f"{why}; no P95 reported")
    status = GateStatus.PASS if p95 < SEED_GATE_P95_MS else GateStatus.FAIL
    return GateResult("P95", status, p95, SEED_GATE_P95_MS, "ms", f"{why}: {p95:.0f} ms vs {SEED_GATE_P95_MS:g} ms")


def _fallback_gates(ev: Evidence) -> list[GateResult]:
    """Without per-variant metrics: the seed's fixed thresholds on the whole service's figures."""
    why = "no per-variant metrics: seed thresholds"
    rates = ev.last_rates
    if rates is None or rates.error_rate is None:
        errors = GateResult("errors", GateStatus.HOLD, None, 100 * SEED_GATE_ERROR_RATE, "%", f"{why}; no traffic")
    else:
        low, high = wilson_interval(rates.errors, rates.requests, Z_95)
        status = GateStatus.PASS if rates.error_rate < SEED_GATE_ERROR_RATE else GateStatus.FAIL
        errors = GateResult("errors", status, 100 * rates.error_rate, 100 * SEED_GATE_ERROR_RATE, "%",
                            f"{why}: {100 * rates.error_rate:.2f}% vs {100 * SEED_GATE_ERROR_RATE:g}%",
                            interval=(100 * low, 100 * high), low_data=rate_low_data(rates.requests, (low, high)))
    return [errors, _fixed_p95_gate(ev, why)]


def _bake_gate(bake_elapsed_s: float | None, bake_s: float | None) -> GateResult:
    """Bake time met or not (HOLD while baking: time is not a failure)."""
    if bake_elapsed_s is None or bake_s is None:
        return GateResult("bake", GateStatus.HOLD, None, None, "h", "no stage clock")
    status = GateStatus.PASS if bake_elapsed_s >= bake_s else GateStatus.HOLD
    return GateResult("bake", status, bake_elapsed_s / 3600.0, bake_s / 3600.0, "h",
                      f"{bake_elapsed_s / 3600:.1f} h of {bake_s / 3600:g} h")


# ---------------------------------------------------------------- the decision


def judge(
    ev: Evidence,
    *,
    signature_ok: bool | None = True,
    stale: bool = False,
    bake_elapsed_s: float | None = None,
    bake_s: float | None = None,
    pending: str | None = None,
) -> Decision:
    """PROMOTE-ELIGIBLE, HOLD, INCONCLUSIVE or ROLLBACK, with the reason and the evidence (judgment.md)."""
    cfg = ev.config
    evidence = ev.summary()
    if signature_ok is False:
        return Decision(DecisionKind.ROLLBACK, "signature check failed (confirmed by re-fetch)", evidence)
    hb = ev.last_heartbeat
    if hb is None:
        return Decision(DecisionKind.HOLD, "no data yet", evidence)
    if stale:
        return Decision(DecisionKind.HOLD, "data is stale: holding (missing data never passes nor rolls back)",
                        evidence)
    if hb.deployment.canary_percent == 0:
        return Decision(DecisionKind.INCONCLUSIVE, "no canary traffic (0%): nothing to judge", evidence)
    gates = evidence_gates(ev, bake_elapsed_s=bake_elapsed_s, bake_s=bake_s)
    if not ev.per_variant:
        return _judge_fallback(ev, gates, evidence, pending)
    reasons = ev.rollback_reasons()
    if ev.last_rates is not None and not ev.has_buckets:
        if ev.seed_p95_debounce.tripped:
            reasons.append(f"P95 > {SEED_TRIP_P95_MS:g} ms for {cfg.debounce_windows} observations (seed threshold)")
    fallback = not ev.has_buckets
    note = "; latency on the seed's fixed P95 threshold (no latency buckets)" if fallback else ""
    if reasons:
        return Decision(DecisionKind.ROLLBACK, "; ".join(reasons) + note, evidence, fallback)
    return _promote_or_wait(ev, gates, evidence, pending, fallback, note)


def _promote_or_wait(
    ev: Evidence, gates: tuple[GateResult, ...], evidence: EvidenceDict, pending: str | None, fallback: bool, note: str
) -> Decision:
    """Everything short of a rollback: HOLD on known blockers, INCONCLUSIVE on thin evidence, else eligible."""
    cfg = ev.config
    if pending:
        return Decision(DecisionKind.HOLD, f"action pending: {pending}{note}", evidence, fallback)
    failing = [g for g in gates if g.status is GateStatus.FAIL]
    if failing:
        return Decision(DecisionKind.HOLD, "gate failing: " + "; ".join(f"{g.name} ({g.reason})" for g in failing)
                        + note, evidence, fallback)
    n = ev.stage.canary_requests
    if n < cfg.min_stage_requests:
        return Decision(DecisionKind.INCONCLUSIVE, f"not enough canary requests yet ({n}/{cfg.min_stage_requests})"
                        + note, evidence, fallback)
    comparable = ev.percent is not None and ev.percent < 100
    if comparable and ev.error_sprt.status != "accept":
        return Decision(DecisionKind.INCONCLUSIVE, f"canary vs stable not yet shown within {cfg.sprt_k:g}× "
                        f"(SPRT {ev.error_sprt.log_lr:.2f}, accept at ≤ {ev.error_sprt.lower:.2f})" + note,
                        evidence, fallback)
    holding = [g for g in gates if g.status is GateStatus.HOLD and g.name != "bake"
               and (comparable or not g.name.endswith("vs stable"))]  # at 100% there is no stable to compare
    if holding:
        return Decision(DecisionKind.INCONCLUSIVE, "gates not yet green on their bounds: "
                        + ", ".join(g.name for g in holding) + note, evidence, fallback)
    bake = next(g for g in gates if g.name == "bake")
    if bake.status is not GateStatus.PASS:
        return Decision(DecisionKind.HOLD, f"baking: {bake.reason}{note}", evidence, fallback)
    return Decision(DecisionKind.PROMOTE_ELIGIBLE, "bake met, enough samples, no regression, gates green on bounds"
                    + note, evidence, fallback)


def _judge_fallback(ev: Evidence, gates: tuple[GateResult, ...], evidence: EvidenceDict, pending: str | None) -> Decision:
    """No per-variant metrics: the seed's fixed thresholds on what there is, said so."""
    note = "no per-variant metrics: decided on the seed's fixed thresholds"
    reasons = []
    if ev.seed_error_debounce.tripped:
        reasons.append(f"error rate > {SEED_TRIP_ERROR_RATE:.0%} for {ev.config.debounce_windows} observations")
    if ev.seed_p95_debounce.tripped:
        reasons.append(f"P95 > {SEED_TRIP_P95_MS:g} ms for {ev.config.debounce_windows} observations")
    if reasons:
        return Decision(DecisionKind.ROLLBACK, f"{'; '.join(reasons)} ({note})", evidence, True)
    if pending:
        return Decision(DecisionKind.HOLD, f"action pending: {pending} ({note})", evidence, True)
    failing = [g.name for g in gates if g.status is GateStatus.FAIL]
    if failing:
        return Decision(DecisionKind.HOLD, f"gate failing: {', '.join(failing)} ({note})", evidence, True)
    holding = [g.name for g in gates if g.status is GateStatus.HOLD and g.name != "bake"]
    if holding:
        return Decision(DecisionKind.INCONCLUSIVE, f"no data for: {', '.join(holding)} ({note})", evidence, True)
    bake = next(g for g in gates if g.name == "bake")
    if bake.status is not GateStatus.PASS:
        return Decision(DecisionKind.HOLD, f"baking: {bake.reason} ({note})", evidence, True)
    return Decision(DecisionKind.PROMOTE_ELIGIBLE, f"bake met, gates green ({note})", evidence, True)


# ---------------------------------------------------------------- the controller's rule


class EvidenceRule:
    """Auto-rollback on evidence (core/rules.py `Rule`): trips when `judge` says ROLLBACK.

    Tracks its own stage clock (time since the percent last changed) against `plan`'s bake
    times, so its verdict carries the full Decision for the controller's snapshot.
    """

    name = "evidence"

    def __init__(self, plan: RampPlan | None = None, config: JudgmentConfig | None = None) -> None:
        self.plan = plan
        self.evidence = Evidence(config or JudgmentConfig())
        self.decision: Decision | None = None
        self.gates: tuple[GateResult, ...] = ()  # evidence-only gates for the gate pane (none in fallback)

    def _bake(self, now_s: float) -> tuple[float | None, float | None]:
        """(elapsed, required) bake seconds of the current stage, from the plan."""
        ev = self.evidence
        if self.plan is None or ev.percent is None or ev.stage_started_s is None:
            return None, None
        index = self.plan.index_of(ev.percent)
        if index is None:
            return None, None
        return now_s - ev.stage_started_s, self.plan.stages[index].bake_s

    def observe(self, obs: Observation) -> RuleVerdict:
        """Feed one observation; trip on ROLLBACK, HOLD on missing or stale data."""
        from canary_tui.core.rules import RuleVerdict  # at call time: rules.py is the controller's module

        needed = self.evidence.config.debounce_windows
        fresh = obs.heartbeat is not None and not obs.stale
        if fresh:
            assert obs.heartbeat is not None
            self.evidence.observe(obs.heartbeat, obs.previous, obs.rates, obs.now_s)
        elapsed, bake = self._bake(obs.now_s)
        decision = judge(
            self.evidence,
            signature_ok=False if obs.signature_confirmed_bad else True,
            stale=not fresh,
            bake_elapsed_s=elapsed,
            bake_s=bake,
        )
        self.decision = decision
        self.gates = ()
        if self.evidence.per_variant and fresh:
            all_gates = evidence_gates(self.evidence, bake_elapsed_s=elapsed, bake_s=bake)
            self.gates = tuple(g for g in all_gates if g.name not in ("bake", "P95"))  # the seed's gates show those
        trip = decision.kind is DecisionKind.ROLLBACK
        ev = self.evidence
        assert ev.error_trip is not None and ev.slow_trip is not None
        count = needed if trip else max(ev.error_trip.count, ev.slow_trip.count)
        hold = not fresh and not obs.signature_confirmed_bad
        reason = decision.reason if (trip or hold) else ""
        if hold and not reason.startswith("hold"):
            reason = f"hold: {decision.reason}"
        return RuleVerdict(self.name, trip, reason, min(count, needed), needed, hold=hold, decision=decision,
                           evidence=dict(decision.evidence))

    def reset(self) -> None:
        """Forget all evidence (the ramp starts over)."""
        self.evidence.reset()
        self.decision = None
        self.gates = ()


# ---------------------------------------------------------------- one-shot use (status --json)


def decision_between(first: Heartbeat, second: Heartbeat, plan: RampPlan | None = None) -> Decision:
    """The judgment on the interval between two heartbeats (one window), for one-shot checks."""
    from canary_tui.core.rates import compute_rates

    evidence = Evidence(JudgmentConfig(window_s=0.0))
    evidence.observe(first, None, None, first.fetched_at_s)
    evidence.observe(second, first, compute_rates(first, second), second.fetched_at_s)
    elapsed_s = bake_s = None
    percent = second.deployment.canary_percent
    index = plan.index_of(percent) if plan is not None else None
    if plan is not None and index is not None and evidence.stage_started_s is not None:
        elapsed_s, bake_s = second.fetched_at_s - evidence.stage_started_s, plan.stages[index].bake_s
    return judge(evidence, signature_ok=first.signature_ok and second.signature_ok,
                 bake_elapsed_s=elapsed_s, bake_s=bake_s)


def decision_to_json(decision: Decision | None) -> dict[str, object] | None:
    """The `decision` object of --json output: kind, reason, fallback and the evidence numbers."""
    if decision is None:
        return None
    return {
        "kind": decision.kind.value,
        "reason": decision.reason,
        "fallback": decision.fallback,
        "evidence": {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in decision.evidence.items()},
    }
