"""Bounded history: exact min/max per bucket (spikes survive), fixed memory, O(columns) downsampling."""

from __future__ import annotations

import math

import pytest
from core_factories import deterministic
from hypothesis import given
from hypothesis import strategies as st

from canary_tui.core.history import History

T0 = 1_795_003_200.0


def oracle(samples, resolution_s, ds):
    """Brute force per bucket over every appended sample, modelling slot clamping for late timestamps.

    A sample belongs to the bucket whose edges contain its (clamped) slot, if that slot is
    before the window's end. Returns (mins, maxes, lasts).
    """
    newest = None
    placed = []
    for t, value in samples:
        slot = math.floor(t / resolution_s)
        newest = slot if newest is None else max(newest, slot)
        placed.append((newest, value))
    end_slot = ds.end_s / resolution_s
    mins, maxes, lasts = [], [], []
    for lo_s, hi_s in zip(ds.edges_s, ds.edges_s[1:], strict=False):
        lo, hi = lo_s / resolution_s, min(hi_s / resolution_s, end_slot)
        inside = [v for slot, v in placed if lo <= slot < hi and v is not None]
        mins.append(min(inside) if inside else None)
        maxes.append(max(inside) if inside else None)
        lasts.append(inside[-1] if inside else None)
    return mins, maxes, lasts


values = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False))


@st.composite
def histories(draw):
    """(resolution_s, samples) with offsets that may repeat a slot or step back a little."""
    resolution_s = draw(st.sampled_from([1.0, 0.5, 2.0, 5.0]))
    steps = draw(st.lists(st.tuples(st.floats(-3, 400), values), min_size=0, max_size=200))
    t = T0
    samples = []
    for dt, value in steps:
        t += dt
        samples.append((t, value))
    return resolution_s, samples


@deterministic(300)
@given(histories(), st.integers(1, 120), st.data())
def test_every_bucket_is_exact_so_spikes_survive(history_case, columns, data) -> None:
    resolution_s, samples = history_case
    h = History(("v",), max_age_s=200_000.0, resolution_s=resolution_s)  # all samples stay retained
    for t, value in samples:
        h.append(t, {"v": value})
    window = data.draw(st.sampled_from(["all", "explicit"]))
    if window == "explicit" and samples:
        lo = data.draw(st.floats(T0 - 500, T0 + 50_000))
        hi = data.draw(st.floats(lo, lo + 60_000))
        ds = h.downsample("v", columns, lo, hi)
    else:
        ds = h.downsample("v", columns)
    assert len(ds.t_s) == len(ds.min) == len(ds.max) == len(ds.last) == columns
    assert len(ds.edges_s) == columns + 1 and list(ds.edges_s) == sorted(ds.edges_s)
    mins, maxes, lasts = oracle(samples, resolution_s, ds)
    assert list(ds.min) == mins
    assert list(ds.max) == maxes
    assert list(ds.last) == lasts
    if window == "all":  # the default window holds every sample
        seen = [v for v in ds.max if v is not None]
        present = [v for _, v in samples if v is not None]
        assert (max(seen) if seen else None) == (max(present) if present else None)


SPIKE_AT = 40_000
RAMP_S = 72 * 3600


@pytest.fixture(scope="module")
def ramp_72h() -> History:
    """72 h of 1 s polls at the default retention, flat at 100 ms with one 5000 ms spike."""
    h = History(("p95_ms",))
    for i in range(RAMP_S):
        h.append(T0 + i, {"p95_ms": 5000.0 if i == SPIKE_AT else 100.0 + (i % 7)})
    return h


def test_a_single_spike_in_72_hours_survives_300_columns(ramp_72h: History) -> None:
    ds = ramp_72h.downsample("p95_ms", 300)
    assert ds.max.count(5000.0) == 1
    assert min(ds.min) == 100.0
    assert all(v is not None for v in ds.max)
    assert ds.edges_s[0] <= T0 and ds.end_s >= T0 + RAMP_S - 1
    assert ramp_72h.latest("p95_ms") == 100.0 + (RAMP_S - 1) % 7


@pytest.mark.parametrize("columns", [1, 80, 300, 1000])
def test_the_spike_survives_any_width_and_any_window_containing_it(ramp_72h: History, columns: int) -> None:
    for start, end in [(None, None), (T0 + SPIKE_AT - 3600, T0 + SPIKE_AT + 10), (T0 + SPIKE_AT, T0 + SPIKE_AT)]:
        assert 5000.0 in ramp_72h.downsample("p95_ms", columns, start, end).max


def test_downsample_work_does_not_grow_with_history_length(ramp_72h: History) -> None:
    columns = 300
    work = {}
    for n, h in ((300, _history_of(300)), (3_000, _history_of(3_000)), (RAMP_S, ramp_72h)):
        before = h.blocks_read
        ds = h.downsample("p95_ms", columns)
        work[n] = h.blocks_read - before
        assert all(v is not None for v in ds.max[: min(n, columns)])
    assert all(w <= 8 * columns + 2 for w in work.values()), work
    assert work[RAMP_S] <= 2 * work[300], work


def _history_of(n_samples: int) -> History:
    h = History(("p95_ms",))
    for i in range(n_samples):
        h.append(T0 + i, {"p95_ms": float(i % 97)})
    return h


def test_downsample_work_is_bounded_for_any_window() -> None:
    h = _history_of(10_000)
    for start, end in [(T0 - 10**9, T0 + 10**9), (T0 + 5_000, T0 + 5_010), (T0 - 100, T0 + 50)]:
        before = h.blocks_read
        h.downsample("p95_ms", 100, start, end)
        assert h.blocks_read - before <= 8 * 100 + 2


def test_memory_is_fixed_and_old_samples_drop_out() -> None:
    h = History(("a", "b"), max_age_s=3600.0)
    sizes = h.buffer_lengths()
    for i in range(300_000):
        h.append(T0 + i, {"a": float(i), "b": None if i % 2 else 1.0})
    assert h.buffer_lengths() == sizes
    assert len(h) == h.capacity_slots == 3600
    assert h.span_s == pytest.approx(3599.0)
    ds = h.downsample("a", 3600)
    kept = [v for v in ds.last if v is not None]
    assert kept == [float(i) for i in range(300_000 - 3600, 300_000)]
    assert h.latest("a") == 299_999.0 and h.latest("b") == 1.0


def test_default_72h_history_holds_the_whole_ramp_in_fixed_buffers() -> None:
    h = History(("v",))
    sizes = h.buffer_lengths()
    assert h.capacity_slots == 73 * 3600
    # 3 doubles per slot at level 0, 1/7 more for the pyramid, one occupancy byte: < 29 bytes a slot.
    assert h.memory_bytes() < 29 * h.capacity_slots
    h.append(T0, {"v": 1.0})
    h.append(T0 + 80 * 3600, {"v": 2.0})  # a jump past the retention empties everything older
    assert h.buffer_lengths() == sizes
    assert h.memory_bytes() < 29 * h.capacity_slots
    assert len(h) == 1
    ds = h.downsample("v", 10)
    assert [v for v in ds.max if v is not None] == [2.0]


def test_fewer_slots_than_columns_are_left_aligned_one_slot_each() -> None:
    h = History(("v",), max_age_s=3600)
    for i in range(5):
        h.append(T0 + i, {"v": float(i)})
    ds = h.downsample("v", 10)
    assert ds.last == (0.0, 1.0, 2.0, 3.0, 4.0, None, None, None, None, None)
    assert ds.t_s[:3] == (T0, T0 + 1, T0 + 2)
    assert ds.level == 0


def test_same_slot_samples_keep_min_max_and_last() -> None:
    h = History(("v",), max_age_s=60)
    h.append(T0 + 0.1, {"v": 5.0})
    h.append(T0 + 0.5, {"v": 9.0})
    h.append(T0 + 0.9, {"v": 7.0})
    h.append(T0 - 30, {"v": 1.0})  # clock stepped back: recorded in the newest slot
    ds = h.downsample("v", 1)
    assert (ds.min, ds.max, ds.last) == ((1.0,), (9.0,), (1.0,))
    assert len(h) == 1


def test_missing_values_leave_gaps_not_zeros() -> None:
    h = History(("a", "b"), max_age_s=60)
    h.append(T0, {"a": 1.0, "b": None})
    h.append(T0 + 1, {"a": math.nan, "b": math.inf})
    h.append(T0 + 2, {"b": 3.0})
    assert h.downsample("a", 3).max == (1.0, None, None)
    assert h.downsample("b", 3).max == (None, None, 3.0)
    assert h.latest("a") == 1.0 and h.latest("b") == 3.0


def test_empty_history() -> None:
    h = History(("v",), max_age_s=60)
    ds = h.downsample("v", 4)
    assert ds.max == (None,) * 4 and len(h) == 0 and h.span_s == 0.0
    assert h.latest("v") is None and h.newest_s is None and h.oldest_s is None


def test_marks_are_bounded_and_filtered_by_time() -> None:
    h = History(("v",), max_age_s=60, max_marks=3)
    for i in range(5):
        h.add_mark(T0 + i, f"m{i}")
    assert h.marks() == ((T0 + 2, "m2"), (T0 + 3, "m3"), (T0 + 4, "m4"))
    assert h.marks(T0 + 3, T0 + 3) == ((T0 + 3, "m3"),)
    assert h.marks(end_s=T0 + 2.5) == ((T0 + 2, "m2"),)


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        History(())
    with pytest.raises(ValueError):
        History(("a", "a"))
    with pytest.raises(ValueError):
        History(("a",), max_age_s=0)
    h = History(("a",), max_age_s=60)
    with pytest.raises(KeyError):
        h.append(T0, {"nope": 1.0})
    with pytest.raises(KeyError):
        h.downsample("nope", 3)
    with pytest.raises(ValueError):
        h.downsample("a", 0)


@deterministic(200)
@given(
    st.integers(8, 200),
    st.lists(st.tuples(st.floats(0, 40), values), min_size=1, max_size=300),
    st.integers(1, 300),
)
def test_ring_wraparound_keeps_buckets_exact_inside_the_retention(capacity_s, steps, columns) -> None:
    """Across wrap-around and gaps, buckets wholly inside the retained range stay exact."""
    h = History(("v",), max_age_s=float(capacity_s))
    samples, t = [], T0
    for dt, value in steps:
        t += dt
        samples.append((t, value))
        h.append(t, {"v": value})
    newest_slot = math.floor(t)
    oldest_slot = newest_slot - capacity_s + 1
    assert h.oldest_s >= oldest_slot and len(h) <= capacity_s
    ds = h.downsample("v", columns)
    mins, maxes, lasts = oracle(samples, 1.0, ds)
    for i, (lo, hi) in enumerate(zip(ds.edges_s, ds.edges_s[1:], strict=False)):
        if lo >= oldest_slot:
            assert (ds.min[i], ds.max[i], ds.last[i]) == (mins[i], maxes[i], lasts[i])
        elif hi > oldest_slot:  # straddles the edge: never invents a value beyond what was appended
            if ds.max[i] is not None:
                assert maxes[i] is not None and ds.max[i] <= maxes[i] and ds.min[i] >= mins[i]
        else:
            assert ds.max[i] is None
    assert h.buffer_lengths() == History(("v",), max_age_s=float(capacity_s)).buffer_lengths()


@deterministic(150)
@given(
    st.integers(8, 120),
    st.lists(st.tuples(st.floats(0, 30), values, values), min_size=1, max_size=120),
    st.integers(1, 60),
)
def test_the_bucket_plan_kept_between_fields_follows_every_append(capacity_s, steps, columns) -> None:
    """Downsampling reuses one field's bucket bounds for the next: after any append, the answer is a fresh history's."""
    kept = History(("a", "b"), max_age_s=float(capacity_s))
    t = T0
    appended = []
    for dt, a, b in steps:
        t += dt
        appended.append((t, {"a": a, "b": b}))
        kept.append(t, {"a": a, "b": b})
        fresh = History(("a", "b"), max_age_s=float(capacity_s))
        for when, row in appended:
            fresh.append(when, row)
        for name in ("a", "b"):
            assert kept.downsample(name, columns) == fresh.downsample(name, columns)
        window = (t - capacity_s / 2, t)
        assert kept.downsample("b", columns, *window) == fresh.downsample("b", columns, *window)
