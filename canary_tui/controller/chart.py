"""Chart data for the dashboard: history downsampled to the chart's width, as plain tuples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: series the controller records per heartbeat (latencies in ms, error rates as fractions 0..1)
LATENCY_FIELDS: tuple[str, ...] = (
    "p50_ms", "p95_ms", "p99_ms",
    "canary_p50_ms", "canary_p95_ms", "canary_p99_ms",
    "stable_p50_ms", "stable_p95_ms", "stable_p99_ms",
)
RATE_FIELDS: tuple[str, ...] = ("error_rate", "canary_error_rate", "stable_error_rate", "requests_per_s", "canary_percent")
HISTORY_FIELDS: tuple[str, ...] = LATENCY_FIELDS + RATE_FIELDS


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """One downsampled series: per column its time, min, max and last value (None where no data)."""

    name: str
    t_s: tuple[float, ...]
    low: tuple[float | None, ...]
    high: tuple[float | None, ...]
    last: tuple[float | None, ...]

    @property
    def empty(self) -> bool:
        """True when no column holds a value."""
        return all(v is None for v in self.last)


@dataclass(frozen=True, slots=True)
class ChartData:
    """Everything the chart pane plots: series by name and stage-change marks (epoch s, label)."""

    columns: int
    start_s: float | None
    end_s: float | None
    series: tuple[ChartSeries, ...]
    marks: tuple[tuple[float, str], ...]

    def get(self, name: str) -> ChartSeries | None:
        """The series called `name` (e.g. 'canary_p95_ms'), or None."""
        for series in self.series:
            if series.name == name:
                return series
        return None


EMPTY_CHART = ChartData(columns=0, start_s=None, end_s=None, series=(), marks=())


class FallbackHistory:
    """Used only until core.history lands: the same API over a bounded deque (no real downsampling cost bound)."""

    def __init__(self, fields: tuple[str, ...], max_age_s: float, resolution_s: float) -> None:
        from collections import deque

        self.fields = tuple(fields)
        self.max_age_s = max_age_s
        self._rows: deque[tuple[float, dict[str, float | None]]] = deque(maxlen=max(1, int(max_age_s / max(resolution_s, 1e-9))))
        self._marks: deque[tuple[float, str]] = deque(maxlen=1000)

    def append(self, t_s: float, values: dict[str, float | None]) -> None:
        self._rows.append((t_s, dict(values)))

    def add_mark(self, t_s: float, label: str) -> None:
        self._marks.append((t_s, label))

    def marks(self, start_s: float | None = None, end_s: float | None = None) -> tuple[tuple[float, str], ...]:
        return tuple((t, l) for t, l in self._marks if (start_s is None or t >= start_s) and (end_s is None or t <= end_s))

    def downsample(self, field: str, columns: int, start_s: float | None = None, end_s: float | None = None) -> Any:
        from types import SimpleNamespace

        rows = [(t, v.get(field)) for t, v in self._rows if (start_s is None or t >= start_s) and (end_s is None or t <= end_s)]
        if not rows:
            return SimpleNamespace(t_s=(), min=(), max=(), last=())
        per = max(1, -(-len(rows) // columns))
        t_s, lo, hi, last = [], [], [], []
        for i in range(0, len(rows), per):
            chunk = rows[i : i + per]
            vals = [v for _, v in chunk if v is not None]
            t_s.append(chunk[-1][0])
            lo.append(min(vals) if vals else None)
            hi.append(max(vals) if vals else None)
            last.append(vals[-1] if vals else None)
        return SimpleNamespace(t_s=tuple(t_s), min=tuple(lo), max=tuple(hi), last=tuple(last))
