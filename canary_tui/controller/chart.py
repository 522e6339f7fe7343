"""Chart data for the dashboard: history downsampled to the chart's width, as plain tuples."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from canary_tui.core.history import History

#: series the controller records per heartbeat (latencies in ms, error rates as fractions 0..1)
LATENCY_FIELDS: tuple[str, ...] = (
    "p50_ms", "p95_ms", "p99_ms",
    "canary_p50_ms", "canary_p95_ms", "canary_p99_ms",
    "stable_p50_ms", "stable_p95_ms", "stable_p99_ms",
)
RATE_FIELDS: tuple[str, ...] = ("error_rate", "canary_error_rate", "stable_error_rate")
#: optional extra series a caller may add through history_fields
EXTRA_FIELDS: tuple[str, ...] = ("requests_per_s", "canary_percent")
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


def chart_steps(history: History, names: Sequence[str], columns: int) -> Iterator[ChartData | None]:
    """The chart of `names` from `history` a series at a time: None after each series, then the ChartData.

    Begun again if the history's newest sample moved between two series, so that every series has the same buckets.
    """
    while True:
        newest_s = history.newest_s
        series: list[ChartSeries] = []
        start_s: float | None = None
        end_s: float | None = None
        for name in names:
            down = history.downsample(name, columns)
            if start_s is None and down.edges_s:
                start_s, end_s = float(down.edges_s[0]), float(down.end_s)
            series.append(ChartSeries(name, tuple(down.t_s), tuple(down.min), tuple(down.max), tuple(down.last)))
            yield None
            if history.newest_s != newest_s:
                break
        else:
            marks = tuple((float(t), str(label)) for t, label in history.marks(start_s, None))
            yield ChartData(columns, start_s, end_s, tuple(series), marks)
            return
