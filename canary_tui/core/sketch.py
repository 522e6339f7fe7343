"""A mergeable latency sketch (DDSketch, 1% relative accuracy): merge windows, never average percentiles."""

from __future__ import annotations

from collections.abc import Iterable

from ddsketch import DDSketch

RELATIVE_ACCURACY = 0.01


class LatencySketch:
    """Latencies in ms with quantiles within 1% relative error; mergeable across windows."""

    __slots__ = ("_sketch",)

    def __init__(self) -> None:
        self._sketch = DDSketch(RELATIVE_ACCURACY)

    def add(self, latency_ms: float, weight: float = 1.0) -> None:
        """Record one latency (or `weight` of them)."""
        self._sketch.add(max(float(latency_ms), 0.0), weight)

    def add_many(self, latencies_ms: Iterable[float]) -> None:
        """Record many latencies (a tight loop; still ~1 µs each)."""
        add = self._sketch.add
        for value in latencies_ms:
            add(value if value > 0.0 else 0.0)

    def merge(self, other: LatencySketch) -> None:
        """Fold another sketch in: afterwards this one describes both sets of samples."""
        self._sketch.merge(other._sketch)

    @classmethod
    def merged(cls, sketches: Iterable[LatencySketch]) -> LatencySketch:
        """One sketch over all the given ones."""
        out = cls()
        for sketch in sketches:
            out.merge(sketch)
        return out

    @property
    def count(self) -> int:
        """Number of latencies recorded."""
        return int(self._sketch.count)

    def quantile_ms(self, q: float) -> float | None:
        """The q-quantile (0..1), None when empty."""
        if self.count == 0:
            return None
        value = self._sketch.get_quantile_value(q)
        return None if value is None else float(value)

    def value_at_rank_ms(self, rank: int) -> float | None:
        """The 1-based order statistic x_(rank), within 1%; None when empty."""
        n = self.count
        if n == 0:
            return None
        if n == 1:
            return self.quantile_ms(0.0)
        rank = min(max(rank, 1), n)
        # ddsketch reads rank q·(n−1) (0-based); nudge inside the bucket to avoid float edges.
        return self.quantile_ms(min(1.0, (rank - 1 + 1e-9) / (n - 1)))

    @property
    def max_ms(self) -> float | None:
        """The largest latency recorded (exact), None when empty."""
        return None if self.count == 0 else float(self._sketch._max)
