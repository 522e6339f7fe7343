"""Bounded history of polled values, downsampled for charts in time proportional to the chart width.

Time is cut into slots of `resolution_s`; slot s covers [s·res, (s+1)·res).
Samples that share a slot are merged (min, max and last kept), so nothing is
lost, only quantised in time. A time earlier than the newest sample is
recorded in the newest slot: a clock that steps back never rewrites the past.

Storage is a pyramid of ring buffers (array('d')): level k keeps min, max
and last per block of 8**k slots, aligned on multiples of 8**k. An empty block
holds min = +inf, max = −inf, last = NaN, so builtin min/max read a run of
blocks at C speed; non-finite inputs are therefore treated as missing. Level 0
holds `max_age_s` of slots; coarser levels hold the same time span plus two
blocks, so memory is fixed at construction (3 × 8 bytes × 8/7 + 1 byte per
slot per field: ~7.5 MB per field for the default 73 h at 1 s).

`downsample` picks the coarsest level whose block is no wider than a bucket,
snaps bucket edges to that level's blocks, and reads at most ~8 blocks per
bucket: min and max of each bucket are exact over the samples whose slots lie
inside its edges, so a one-sample spike always survives.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

_FANOUT_SHIFT = 3  # each level aggregates 2**3 = 8 blocks of the level below
_NAN = math.nan
_INF = math.inf


@dataclass(frozen=True, slots=True)
class Downsampled:
    """One field cut into `columns` buckets, ready to plot; None marks an empty bucket.

    Bucket i covers [edges_s[i], edges_s[i+1]) and `t_s[i]` is its start. Data at
    or after `end_s` (the window's end, snapped up to the level's block) is left
    out, so trailing buckets past it are empty. `level` is the pyramid level read.
    """

    t_s: tuple[float, ...]
    min: tuple[float | None, ...]
    max: tuple[float | None, ...]
    last: tuple[float | None, ...]
    edges_s: tuple[float, ...]
    end_s: float
    level: int


class _Level:
    """One pyramid level: per field, ring buffers of min, max and last for blocks of 2**shift slots."""

    __slots__ = ("shift", "capacity", "min", "max", "last")

    def __init__(self, shift: int, capacity: int, field_count: int) -> None:
        self.shift = shift
        self.capacity = capacity
        self.min = [array("d", [_INF]) * capacity for _ in range(field_count)]
        self.max = [array("d", [-_INF]) * capacity for _ in range(field_count)]
        self.last = [array("d", [_NAN]) * capacity for _ in range(field_count)]

    def clear(self, first_block: int, last_block: int) -> None:
        """Empty the ring positions of blocks first_block..last_block (inclusive) before reuse."""
        first_block = max(first_block, last_block - self.capacity + 1)
        for start, stop in _ring_ranges(first_block, last_block, self.capacity):
            count = stop - start
            for arrays, empty in ((self.min, _INF), (self.max, -_INF), (self.last, _NAN)):
                blank = array("d", [empty]) * count
                for values in arrays:
                    values[start:stop] = blank


def _ring_ranges(first: int, last: int, capacity: int) -> tuple[tuple[int, int], ...]:
    """Ring index ranges [start, stop) covering positions of first..last (at most `capacity` of them)."""
    count = last - first + 1
    if count <= 0:
        return ()
    start = first % capacity
    if start + count <= capacity:
        return ((start, start + count),)
    return ((start, capacity), (0, start + count - capacity))


@dataclass(frozen=True, slots=True)
class _BucketPlan:
    """Where the buckets of one downsample lie in a level's rings (the same for every field of that level)."""

    key: tuple[int, int, int, int | None]  # columns, first and end slot, newest slot
    level: int
    edges_s: tuple[float, ...]
    ranges: tuple[tuple[int, int], ...]  # each bucket's ring positions [a, b); (0, 0) when it has none; a wrapped one stops at the ring's end
    wrapped: tuple[tuple[int, int], ...]  # (bucket, b): the rest of a bucket across the ring's end, positions [0, b)
    reads: int  # blocks read per field
    end_s: float


def _last_value(values: array[float], start: int, stop: int, before: float = _NAN) -> float:
    """The newest non-missing value among values[start:stop], else `before`."""
    for position in range(stop - 1, start - 1, -1):
        value = values[position]
        if value == value:
            return value
    return before


class History:
    """Polled values of a fixed set of fields over the last `max_age_s`, in fixed memory."""

    def __init__(
        self,
        fields: tuple[str, ...],
        max_age_s: float = 72 * 3600 + 3600,
        resolution_s: float = 1.0,
        max_marks: int = 1000,
    ) -> None:
        if not fields or len(set(fields)) != len(fields):
            raise ValueError("history needs distinct field names")
        if not (max_age_s > 0 and resolution_s > 0 and math.isfinite(max_age_s / resolution_s)):
            raise ValueError("max_age_s and resolution_s must be positive")
        self.fields = tuple(fields)
        self.resolution_s = float(resolution_s)
        self.max_age_s = float(max_age_s)
        self._index = {name: i for i, name in enumerate(self.fields)}
        self._slots = max(1, math.ceil(max_age_s / resolution_s))
        self._levels: list[_Level] = [_Level(0, self._slots, len(fields))]
        shift = _FANOUT_SHIFT
        while (1 << shift) <= self._slots:
            self._levels.append(_Level(shift, (self._slots >> shift) + 2, len(fields)))
            shift += _FANOUT_SHIFT
        self._occupied = bytearray(self._slots)
        self._count = 0
        self._newest_slot: int | None = None
        self._first_slot = 0  # the first sample's slot: ring positions past it are still empty on the first lap
        self._first_s: float | None = None
        self._newest_s: float | None = None
        self._latest: list[float | None] = [None] * len(fields)
        self._marks: deque[tuple[float, str]] = deque(maxlen=max_marks)
        self.blocks_read = 0  # cumulative blocks read by downsample: a deterministic cost counter
        self._plan: _BucketPlan | None = None

    # -- writing -------------------------------------------------------------

    def append(self, t_s: float, values: Mapping[str, float | None]) -> None:
        """Record one poll at `t_s`; None, NaN or ±inf means "no value" for that field. O(levels) per field."""
        self.append_summary(t_s, values, values, values)

    def append_summary(self, t_s: float, low: Mapping[str, float | None], high: Mapping[str, float | None],
                       last: Mapping[str, float | None]) -> None:
        """Record at `t_s` samples already summarised per field as (min, max, last), in one pass: how a stored past loads.

        The same as appending `low`, `high` and `last` in turn at `t_s`, in a third of the time.
        """
        unknown = [name for name in last if name not in self._index]
        if unknown:
            raise KeyError(f"unknown history field(s): {', '.join(unknown)}")
        slot = math.floor(t_s / self.resolution_s)
        if self._newest_slot is None:
            self._newest_slot = self._first_slot = slot
            self._first_s = self._newest_s = t_s
        elif slot > self._newest_slot:
            self._advance(slot)
            self._newest_s = t_s
        else:
            slot = self._newest_slot
        position = slot % self._slots
        if not self._occupied[position]:
            self._occupied[position] = 1
            self._count += 1
        positions = [((slot >> level.shift) % level.capacity, level) for level in self._levels]
        finite = math.isfinite
        for name, value in last.items():
            lo, hi = low.get(name), high.get(name)
            lo = lo if lo is not None and finite(lo) else None
            hi = hi if hi is not None and finite(hi) else None
            value = value if value is not None and finite(value) else None
            i = self._index[name]
            for p, level in positions:
                mins, maxes = level.min[i], level.max[i]
                if lo is not None and lo < mins[p]:
                    mins[p] = lo
                if hi is not None and hi > maxes[p]:
                    maxes[p] = hi
                if value is not None:
                    level.last[i][p] = value
            if value is not None:
                self._latest[i] = value

    def _advance(self, slot: int) -> None:
        """Move the newest slot forward, emptying every ring position that now belongs to a new block."""
        previous = self._newest_slot
        assert previous is not None
        first = max(previous + 1, slot - self._slots + 1)
        if slot >= self._first_slot + self._slots:  # on the first lap the positions ahead were never written
            for start, stop in _ring_ranges(first, slot, self._slots):
                self._count -= self._occupied[start:stop].count(1)
                self._occupied[start:stop] = bytes(stop - start)
        for level in self._levels:
            old_block, new_block = previous >> level.shift, slot >> level.shift
            if new_block > old_block and new_block >= (self._first_slot >> level.shift) + level.capacity:
                level.clear(old_block + 1, new_block)
        self._newest_slot = slot

    def add_mark(self, t_s: float, label: str) -> None:
        """Remember an event (stage change, checkpoint) to draw on the chart; the oldest drop out."""
        self._marks.append((t_s, label))

    # -- reading -------------------------------------------------------------

    def marks(self, start_s: float | None = None, end_s: float | None = None) -> tuple[tuple[float, str], ...]:
        """Marks with start_s <= t <= end_s (open ends when None), oldest first."""
        return tuple(
            (t, label)
            for t, label in sorted(self._marks, key=lambda mark: mark[0])
            if (start_s is None or t >= start_s) and (end_s is None or t <= end_s)
        )

    def latest(self, field: str) -> float | None:
        """The newest non-missing value of `field`, None if it never had one."""
        return self._latest[self._index[field]]

    def __len__(self) -> int:
        """Occupied slots still retained (one per poll when polling no faster than resolution_s)."""
        return self._count

    @property
    def newest_s(self) -> float | None:
        """Time of the newest sample, None when empty."""
        return self._newest_s

    @property
    def oldest_s(self) -> float | None:
        """Start of the retained time range (the first sample, or the retention edge), None when empty."""
        if self._newest_slot is None or self._first_s is None:
            return None
        return max(self._first_s, (self._newest_slot - self._slots + 1) * self.resolution_s)

    @property
    def span_s(self) -> float:
        """Seconds from the oldest retained sample to the newest (0.0 when empty)."""
        if self._newest_s is None or self.oldest_s is None:
            return 0.0
        return max(0.0, self._newest_s - self.oldest_s)

    @property
    def capacity_slots(self) -> int:
        """Slots level 0 retains: ceil(max_age_s / resolution_s)."""
        return self._slots

    def buffer_lengths(self) -> tuple[int, ...]:
        """Length of every internal buffer (fixed at construction: memory does not grow)."""
        lengths = [len(self._occupied), self._marks.maxlen or 0]
        for level in self._levels:
            for arrays in (level.min, level.max, level.last):
                lengths.extend(len(values) for values in arrays)
        return tuple(lengths)

    def memory_bytes(self) -> int:
        """Bytes held by the value buffers (excluding marks): fixed at construction."""
        total = len(self._occupied)
        for level in self._levels:
            for arrays in (level.min, level.max, level.last):
                total += sum(values.itemsize * len(values) for values in arrays)
        return total

    def downsample(
        self,
        field: str,
        columns: int,
        start_s: float | None = None,
        end_s: float | None = None,
    ) -> Downsampled:
        """`field` over [start_s, end_s] (default: all retained) in `columns` buckets of min, max and last.

        Costs O(columns): at most about 8 blocks are read per bucket, whatever
        the history's length. When the window holds fewer slots than columns,
        each bucket is one slot, left-aligned, and the rest are empty. The buckets'
        bounds are worked out once for every field a chart reads in one redraw.
        """
        if columns < 1:
            raise ValueError("columns must be at least 1")
        i = self._index[field]
        plan = self._bucket_plan(columns, start_s, end_s)
        level = self._levels[plan.level]
        low_arr, high_arr, last_arr = level.min[i], level.max[i], level.last[i]
        lows = [min(low_arr[a:b]) if b else _INF for a, b in plan.ranges]
        highs = [max(high_arr[a:b]) if b else -_INF for a, b in plan.ranges]
        lasts = [last_arr[b - 1] if b else _NAN for a, b in plan.ranges]
        for column, b in plan.wrapped:  # a bucket across the ring's end: its blocks from the start of the ring too
            lows[column] = min(lows[column], min(low_arr[:b]))
            highs[column] = max(highs[column], max(high_arr[:b]))
            lasts[column] = _last_value(last_arr, 0, b, before=_last_value(last_arr, plan.ranges[column][0], level.capacity))
        for column, value in enumerate(lasts):
            if value != value:  # the bucket's last block has no value: the newest before it
                a, b = plan.ranges[column]
                lasts[column] = _last_value(last_arr, a, b) if b else value
        self.blocks_read += plan.reads
        return Downsampled(
            plan.edges_s[:-1],
            tuple(None if value == _INF else value for value in lows),
            tuple(None if value == -_INF else value for value in highs),
            tuple(None if value != value else value for value in lasts),
            plan.edges_s,
            plan.end_s,
            plan.level,
        )

    def _bucket_plan(self, columns: int, start_s: float | None, end_s: float | None) -> _BucketPlan:
        """Where each bucket's blocks lie in the rings of the level read: the same for every field, so kept for the next."""
        res = self.resolution_s
        newest = self._newest_slot
        if newest is None:
            s0 = math.floor(start_s / res) if start_s is not None else 0
            s1 = math.floor(end_s / res) + 1 if end_s is not None else s0
        else:
            oldest = math.floor((self.oldest_s or 0.0) / res)
            s0 = math.floor(start_s / res) if start_s is not None else oldest
            s1 = math.floor(end_s / res) + 1 if end_s is not None else newest + 1
        s1 = max(s1, s0)
        key = (columns, s0, s1, newest)
        if self._plan is not None and self._plan.key == key:
            return self._plan
        width_slots = (s1 - s0) / columns
        index = 0
        while index + 1 < len(self._levels) and (1 << self._levels[index + 1].shift) <= width_slots:
            index += 1
        level = self._levels[index]
        shift = level.shift
        b0 = s0 >> shift
        b1 = -((-s1) >> shift)
        n_blocks = b1 - b0
        if newest is None:
            valid_lo, valid_hi = 0, -1
        else:
            valid_hi = newest >> shift
            valid_lo = valid_hi - level.capacity + 1
        cap = level.capacity
        block_s = (1 << shift) * res
        edges: list[float] = []
        ranges: list[tuple[int, int]] = []
        wrapped: list[tuple[int, int]] = []
        reads = 0
        for column in range(columns + 1):
            c0 = b0 + (column * n_blocks // columns if n_blocks >= columns else column)
            edges.append(c0 * block_s)
            if column == columns:
                break
            c1 = b0 + ((column + 1) * n_blocks // columns if n_blocks >= columns else column + 1)
            first, stop = max(c0, valid_lo), min(c1, b1, valid_hi + 1)
            if first >= stop:
                ranges.append((0, 0))
                continue
            reads += stop - first
            start = first % cap
            end = start + stop - first
            if end <= cap:
                ranges.append((start, end))
            else:
                ranges.append((start, cap))
                wrapped.append((column, end - cap))
        self._plan = _BucketPlan(key, index, tuple(edges), tuple(ranges), tuple(wrapped), reads, b1 * block_s)
        return self._plan
