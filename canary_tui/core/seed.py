"""The seed's numbers, once: stage gates, automatic rollback triggers, stages and bakes.

Every other module imports these; none repeats them. Rates are fractions (0..1).
"""

from __future__ import annotations

HOUR_S = 3600.0

#: Stage validation (stages below 100%): "P95 < 500 ms" and "errors < 1%".
SEED_STAGE_P95_MS = 500.0
SEED_STAGE_ERROR_RATE = 0.01

#: Automatic rollback triggers: "error rate > 5%" and "P95 > 1000 ms" (judged on evidence, see core/seed_triggers.py).
SEED_TRIP_ERROR_RATE = 0.05
SEED_TRIP_P95_MS = 1000.0
#: "P95 > T" is the same statement as "more than 5% of requests slower than T".
SEED_P95_TAIL_FRACTION = 0.05

#: The ramp's stages and bake times: 10% → 50% → 100%, 24 h each (fast track: 1 h each).
SEED_STAGE_PERCENTS: tuple[int, ...] = (10, 50, 100)
SEED_BAKE_S = 24 * HOUR_S
SEED_FAST_TRACK_BAKE_S = 1 * HOUR_S

#: Consecutive windows a debounced trip needs.
SEED_DEBOUNCE_N = 3
