"""The stage's gates on evidence: confidence bounds instead of point estimates, canary against stable
on the SPRT and the mixture, and the seed's fixed thresholds where nothing better is measured.
"""

from __future__ import annotations

import math

from canary_tui.core.evidence import Evidence, JudgmentConfig, canary_p95_ms
from canary_tui.core.gates import bake_gate
from canary_tui.core.stats import Z_95, MixtureEValue, Sprt, SprtState, rate_low_data, wilson_interval
from canary_tui.core.trips import format_e_value
from canary_tui.core.verdicts import GateKind, GateResult, GateStatus, Unit


def _bound_status(low: float, high: float, threshold: float) -> GateStatus:
    """PASS when the whole interval is below the threshold, FAIL when all above, else HOLD."""
    if high < threshold:
        return GateStatus.PASS
    if low > threshold:
        return GateStatus.FAIL
    return GateStatus.HOLD


def _rate_gate(name: str, kind: GateKind, x: int, n: int, limit: float, what: str) -> GateResult:
    """A rate on its 95% Wilson interval against `limit` (fractions; shown in percent)."""
    if not n:
        return GateResult(name, GateStatus.HOLD, None, 100.0 * limit, Unit.PERCENT, "no canary requests yet",
                          low_data=True, kind=kind)
    low, high = wilson_interval(x, n, Z_95)
    return GateResult(
        name, _bound_status(low, high, limit), 100.0 * x / n, 100.0 * limit, Unit.PERCENT,
        f"{what} {x}/{n}, 95% interval {100 * low:.2f}–{100 * high:.2f}% vs {100 * limit:g}%",
        interval=(100.0 * low, 100.0 * high), low_data=rate_low_data(n, (low, high)), kind=kind,
    )


def evidence_gates(ev: Evidence, *, bake_elapsed_s: float | None, bake_s: float | None) -> tuple[GateResult, ...]:
    """The stage's gates on confidence bounds, with intervals, evidence positions and low-data flags."""
    cfg, s = ev.config, ev.stage
    if not ev.per_variant:
        gates = _fallback_gates(ev)
    else:
        gates = [
            _rate_gate("canary errors", GateKind.CANARY_ERRORS, s.canary_errors, s.canary_requests,
                       cfg.gate_error_rate, "canary errors"),
            _vs_stable_gate("errors vs stable", GateKind.ERRORS_VS_STABLE, ev.error_sprt, ev.error_mixture,
                            (s.canary_errors, s.canary_requests, s.stable_errors, s.stable_requests), cfg),
        ]
        if _has_edge(ev, cfg.gate_slow_ms) and s.canary_slow_gate is not None and s.stable_slow_gate is not None:
            gate = _rate_gate(f"slow>{cfg.gate_slow_ms:g}ms", GateKind.SLOW, s.canary_slow_gate,
                              ev.stage_slow_requests, cfg.gate_slow_fraction,
                              f"P95 < {cfg.gate_slow_ms:g} ms ⇔ < {cfg.gate_slow_fraction:.0%} slower:")
            gates += [
                gate,
                _vs_stable_gate("latency vs stable", GateKind.LATENCY_VS_STABLE, ev.slow_sprt, ev.slow_mixture,
                                (s.canary_slow_gate, ev.stage_slow_requests, s.stable_slow_gate,
                                 ev.stable_slow_requests), cfg),
            ]
        elif ev.has_buckets:
            gates.append(_fixed_p95_gate(ev, f"no bucket edge at {cfg.gate_slow_ms:g} ms: P95 threshold on the server's P95"))
        else:
            gates.append(_fixed_p95_gate(ev, "no latency buckets: P95 threshold on the server's P95"))
    gates.append(bake_gate(bake_elapsed_s, bake_s))
    return tuple(gates)


def _has_edge(ev: Evidence, threshold_ms: float) -> bool:
    """Both variants' latency buckets have an edge at threshold_ms, so slower requests can be counted."""
    hb = ev.last_heartbeat
    if not ev.has_buckets or hb is None:
        return False
    return all(v is not None and v.latency_buckets is not None and threshold_ms in v.latency_buckets.le_ms
               for v in (hb.metrics.canary, hb.metrics.stable))


def _vs_stable_gate(
    name: str, kind: GateKind, sprt: Sprt, mixture: MixtureEValue, counts: tuple[int, int, int, int],
    cfg: JudgmentConfig,
) -> GateResult:
    """Canary against stable: PASS at the SPRT's accept boundary, FAIL when the mixture rejects."""
    x_c, n_c, x_b, n_b = counts
    if n_b == 0 or n_c == 0:
        return GateResult(name, GateStatus.HOLD, None, cfg.sprt_k, Unit.RATIO,
                          "no comparison: one variant has no traffic", low_data=True, kind=kind)
    rate_c, rate_b = x_c / n_c, x_b / n_b
    ratio = rate_c / rate_b if rate_b > 0 else (math.inf if rate_c > 0 else 1.0)
    if mixture.rejected:
        status = GateStatus.FAIL
        why = f"regression: e-value {format_e_value(mixture.e_value)} ≥ {mixture.threshold:g}"
    elif sprt.status is SprtState.ACCEPT:
        status, why = GateStatus.PASS, f"no ≥{cfg.sprt_k:g}× regression (SPRT accepted)"
    elif sprt.status is SprtState.REGRESSION:
        status, why = GateStatus.HOLD, f"SPRT leans to a ≥{cfg.sprt_k:g}× regression; mixture not yet conclusive"
    else:
        status, why = GateStatus.HOLD, "evidence still accumulating"
    return GateResult(name, status, ratio if math.isfinite(ratio) else None, cfg.sprt_k, Unit.RATIO,
                      f"{why}; canary {x_c}/{n_c} vs stable {x_b}/{n_b}",
                      evidence=sprt.position, low_data=(x_c + x_b) < 10, kind=kind)


def _fixed_p95_gate(ev: Evidence, why: str) -> GateResult:
    """P95 below the table's healthy bound (seed: 500 ms) on whatever P95 the server reports."""
    limit = ev.config.gate_slow_ms
    p95 = canary_p95_ms(ev.last_heartbeat) if ev.last_heartbeat is not None else None
    if p95 is None:
        return GateResult("P95", GateStatus.HOLD, None, limit, Unit.MS, f"{why}; no P95 reported", kind=GateKind.P95)
    status = GateStatus.PASS if p95 < limit else GateStatus.FAIL
    return GateResult("P95", status, p95, limit, Unit.MS, f"{why}: {p95:.0f} ms vs {limit:g} ms", kind=GateKind.P95)


def _fallback_gates(ev: Evidence) -> list[GateResult]:
    """Without per-variant metrics: the thresholds in force on the whole service's figures."""
    why, limit = "no per-variant metrics: seed thresholds", ev.config.gate_error_rate
    rates = ev.last_rates
    if rates is None or rates.error_rate is None:
        errors = GateResult("errors", GateStatus.HOLD, None, 100 * limit, Unit.PERCENT, f"{why}; no traffic",
                            kind=GateKind.ERRORS)
    else:
        low, high = wilson_interval(rates.errors, rates.requests, Z_95)
        status = GateStatus.PASS if rates.error_rate < limit else GateStatus.FAIL
        errors = GateResult("errors", status, 100 * rates.error_rate, 100 * limit, Unit.PERCENT,
                            f"{why}: {100 * rates.error_rate:.2f}% vs {100 * limit:g}%",
                            interval=(100 * low, 100 * high), low_data=rate_low_data(rates.requests, (low, high)),
                            kind=GateKind.ERRORS)
    return [errors, _fixed_p95_gate(ev, why)]
