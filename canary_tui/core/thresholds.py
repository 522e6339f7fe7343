"""The seed's threshold table: classify a metric as healthy, warning or critical, with glyph and action.

Boundaries (the seed's table; rates are FRACTIONS 0..1 in code, percent only in config):

    metric        healthy      warning (inclusive)   critical      action when critical
    p50_ms        < 50         50 .. 100             > 100         investigate
    p95_ms        < 500        500 .. 750            > 750         rollback
    p99_ms        < 1000       1000 .. 1500          > 1500        rollback
    error_rate    < 0.001      0.001 .. 0.01         > 0.01        rollback
    success_rate  > 0.999      0.99 .. 0.999         < 0.99        rollback

A value exactly on a boundary is WARNING: 50 ms and 100 ms are warning, 100.01 ms
is critical; an error rate of exactly 1% is warning. A value within a relative
1e-9 of a boundary counts as on it, so float rounding (99.9 / 100 is
0.9990000000000001) never moves a value across. None or NaN is UNKNOWN.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from canary_tui.core.seed import SEED_STAGE_ERROR_RATE, SEED_STAGE_P95_MS

_REL_TOL = 1e-9
_ABS_TOL = 1e-15


class Level(enum.StrEnum):
    """How a metric stands against its thresholds; never shown by colour alone."""

    HEALTHY = "healthy"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "unknown"

    @property
    def glyph(self) -> str:
        """One-character symbol so the level reads without colour."""
        return _GLYPHS[self.value]

    @property
    def word(self) -> str:
        """Lower-case word shown next to the glyph."""
        return self.value

    @property
    def severity(self) -> int:
        """Ordering for 'worst of': healthy 0, unknown 1, warning 2, critical 3."""
        return _SEVERITY[self.value]


_GLYPHS = {"healthy": "✔", "warning": "⚠", "critical": "✖", "unknown": "?"}
_SEVERITY = {"healthy": 0, "unknown": 1, "warning": 2, "critical": 3}


class Metric(enum.StrEnum):
    """The metrics the seed's table judges; rates are fractions 0..1."""

    P50_MS = "p50_ms"
    P95_MS = "p95_ms"
    P99_MS = "p99_ms"
    ERROR_RATE = "error_rate"
    SUCCESS_RATE = "success_rate"


class Action(enum.StrEnum):
    """Recommended action words attached to a classification."""

    NONE = "none"
    WATCH = "watch"
    INVESTIGATE = "investigate"
    ROLLBACK = "rollback"
    WAIT = "wait for data"


@dataclass(frozen=True, slots=True)
class Threshold:
    """Bounds of one metric: `warning_from` and `critical_beyond` are both warning (inclusive).

    `higher_is_better` flips the direction (success rate): healthy above
    `warning_from`, critical below `critical_beyond`.
    """

    metric: Metric
    warning_from: float
    critical_beyond: float
    action: Action
    higher_is_better: bool = False

    def level(self, value: float | None) -> Level:
        """Level of `value`; boundary values are WARNING, None/NaN UNKNOWN."""
        if value is None or math.isnan(value):
            return Level.UNKNOWN
        sign = -1.0 if self.higher_is_better else 1.0
        if _beyond(value, self.critical_beyond, sign):
            return Level.CRITICAL
        if _beyond(value, self.warning_from, sign) or _on(value, self.warning_from):
            return Level.WARNING
        return Level.HEALTHY


def _on(value: float, bound: float) -> bool:
    """True when value sits on bound up to float rounding."""
    return math.isclose(value, bound, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)


def _beyond(value: float, bound: float, sign: float) -> bool:
    """True when value is strictly past bound in the unhealthy direction (sign +1 up, -1 down)."""
    return (value - bound) * sign > 0 and not _on(value, bound)


def strictly_below(value: float, bound: float) -> bool:
    """`value < bound` with boundary tolerance: a value on the bound is not below it (gates use this)."""
    return value < bound and not _on(value, bound)


def strictly_above(value: float, bound: float) -> bool:
    """`value > bound` with boundary tolerance: a value on the bound is not above it."""
    return value > bound and not _on(value, bound)


@dataclass(frozen=True, slots=True)
class Classification:
    """One metric's value judged: its level, the level's glyph and word, and what to do."""

    metric: Metric
    value: float | None
    level: Level
    glyph: str
    word: str
    action: str


# Config keys (percent units for rates) -> (metric, scale from config units to code units).
_CONFIG = {
    "p50_ms": (Metric.P50_MS, 1.0),
    "p95_ms": (Metric.P95_MS, 1.0),
    "p99_ms": (Metric.P99_MS, 1.0),
    "error_rate_pct": (Metric.ERROR_RATE, 0.01),
    "success_rate_pct": (Metric.SUCCESS_RATE, 0.01),
}
CONFIG_KEYS: tuple[str, ...] = tuple(_CONFIG)


@dataclass(frozen=True, slots=True)
class ThresholdTable:
    """All thresholds in force: the seed's table, possibly with config overrides applied."""

    thresholds: tuple[Threshold, ...]

    @classmethod
    def seed(cls) -> ThresholdTable:
        """The seed's table exactly (see the module docstring)."""
        return cls(
            (
                Threshold(Metric.P50_MS, 50.0, 100.0, Action.INVESTIGATE),
                Threshold(Metric.P95_MS, SEED_STAGE_P95_MS, 750.0, Action.ROLLBACK),
                Threshold(Metric.P99_MS, 1000.0, 1500.0, Action.ROLLBACK),
                Threshold(Metric.ERROR_RATE, 0.001, SEED_STAGE_ERROR_RATE, Action.ROLLBACK),
                Threshold(Metric.SUCCESS_RATE, 0.999, 1.0 - SEED_STAGE_ERROR_RATE, Action.ROLLBACK, higher_is_better=True),
            )
        )

    def threshold(self, metric: Metric | str) -> Threshold:
        """The bounds of one metric (KeyError for an unknown metric)."""
        wanted = Metric(metric)
        for threshold in self.thresholds:
            if threshold.metric is wanted:
                return threshold
        raise KeyError(str(metric))

    def classify(self, metric: Metric | str, value: float | None) -> Classification:
        """Judge one value: level, glyph, word and recommended action."""
        threshold = self.threshold(metric)
        level = threshold.level(value)
        action = {
            Level.HEALTHY: Action.NONE,
            Level.WARNING: Action.WATCH,
            Level.CRITICAL: threshold.action,
            Level.UNKNOWN: Action.WAIT,
        }[level]
        return Classification(threshold.metric, value, level, level.glyph, level.word, str(action))

    def classify_all(self, values: Mapping[Metric | str, float | None]) -> tuple[Classification, ...]:
        """Judge every metric of the table, in table order; absent metrics are UNKNOWN."""
        by_metric = {Metric(key): value for key, value in values.items()}
        return tuple(self.classify(t.metric, by_metric.get(t.metric)) for t in self.thresholds)

    def with_overrides(self, overrides: Mapping[str, object]) -> ThresholdTable:
        """A copy with config overrides applied; ValueError naming the key on bad input.

        Keys are CONFIG_KEYS; each value is (warning_from, critical_beyond), a
        2-item list, or a mapping {"warning": w, "critical": c}. Rates are in
        percent here (error_rate_pct = (0.1, 1.0), success_rate_pct = (99.9, 99.0)).
        Warning must be on the healthy side of critical (equal means no warning band).
        """
        updated = {t.metric: t for t in self.thresholds}
        for key, raw in overrides.items():
            if key not in _CONFIG:
                raise ValueError(f"thresholds.{key}: unknown key; expected one of {', '.join(CONFIG_KEYS)}")
            metric, scale = _CONFIG[key]
            warning, critical = _pair(key, raw)
            if scale != 1.0 and not (0.0 <= warning <= 100.0 and 0.0 <= critical <= 100.0):
                raise ValueError(f"thresholds.{key}: percentages must lie within 0..100")
            current = updated[metric]
            if current.higher_is_better and warning < critical:
                raise ValueError(f"thresholds.{key}: warning {warning:g} must be at or above critical {critical:g}")
            if not current.higher_is_better and warning > critical:
                raise ValueError(f"thresholds.{key}: warning {warning:g} must be at or below critical {critical:g}")
            updated[metric] = replace(current, warning_from=warning * scale, critical_beyond=critical * scale)
        return ThresholdTable(tuple(updated[t.metric] for t in self.thresholds))


def _pair(key: str, raw: object) -> tuple[float, float]:
    """Parse one override value into (warning, critical), finite and non-negative."""
    if isinstance(raw, Mapping):
        if set(raw) != {"warning", "critical"}:
            raise ValueError(f"thresholds.{key}: expected keys 'warning' and 'critical'")
        items: Iterable[object] = (raw["warning"], raw["critical"])
    elif isinstance(raw, (list, tuple)) and len(raw) == 2:
        items = raw
    else:
        raise ValueError(f"thresholds.{key}: expected [warning, critical], got {raw!r}")
    numbers: list[float] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise ValueError(f"thresholds.{key}: expected numbers, got {item!r}")
        if not math.isfinite(item) or item < 0:
            raise ValueError(f"thresholds.{key}: expected finite non-negative numbers, got {item!r}")
        numbers.append(float(item))
    return numbers[0], numbers[1]


def worst(classifications: Iterable[Classification]) -> Level:
    """The most severe level among classifications (HEALTHY when there are none)."""
    return max((c.level for c in classifications), key=lambda level: level.severity, default=Level.HEALTHY)
