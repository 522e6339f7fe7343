"""The promotion pipeline rule (core/pipeline.py): upstream completion and waves, with the reason in words."""

from __future__ import annotations

from datetime import UTC, datetime

from canary_tui.core.pipeline import TargetState, baked_stage, completed, promotion_refusal, state_of
from canary_tui.core.plans import RampPlan, Stage

PLAN = RampPlan("quick", (Stage(10, 60.0), Stage(50, 60.0), Stage(100, 120.0)))
NOW_S = 1_795_003_200.0


def at(target: str, percent: int, remaining_s: float | None = 0.0, version: str = "v0.5.0") -> TargetState:
    return TargetState(target, version, percent, remaining_s)


def test_state_of_measures_the_bake_from_the_servers_updated_at() -> None:
    updated = datetime.fromtimestamp(NOW_S - 100, UTC)
    assert state_of("staging", PLAN, "v0.5.0", 100, updated, NOW_S).bake_remaining_s == 20.0
    assert completed(state_of("staging", PLAN, "v0.5.0", 100, updated, NOW_S + 20), "v0.5.0")
    # a server clock 30 s behind ours: its updated_at is 30 s later on our clock
    assert state_of("staging", PLAN, "v0.5.0", 100, updated, NOW_S + 20, skew_s=-30.0).bake_remaining_s == 30.0


def test_raising_is_refused_until_every_upstream_target_completed_the_same_version() -> None:
    def refusal(*upstream: TargetState) -> str | None:
        return promotion_refusal(version="v0.5.0", from_percent=0, to_percent=10, after="staging", upstream=upstream)

    assert refusal(at("staging", 50)) == "staging has not completed v0.5.0: staging at 50%"
    assert refusal(at("staging", 100, 90.0)) == "staging has not completed v0.5.0: staging at 100%, bake 1m30s to go"
    assert refusal(at("staging", 100, version="v0.4.0")) == "staging has not completed v0.5.0: staging runs v0.4.0"
    assert refusal(TargetState("staging", problem="unreachable: refused")) == "staging has not completed v0.5.0: staging unknown (unreachable: refused)"
    assert refusal(at("staging", 100)) is None
    two = refusal(at("staging/a", 100), at("staging/b", 0))
    assert two == "staging has not completed v0.5.0: staging/b at 0%"


def test_lowering_or_keeping_the_canary_is_never_refused_and_an_unknown_version_is() -> None:
    behind = [at("staging", 10)]
    assert promotion_refusal(version="v0.5.0", from_percent=50, to_percent=10, after="staging", upstream=behind) is None
    assert promotion_refusal(version="v0.5.0", from_percent=50, to_percent=50, after="staging", upstream=behind) is None
    why = promotion_refusal(version=None, from_percent=0, to_percent=10, after="staging", upstream=[at("staging", 100)])
    assert why is not None and "canary version is unknown" in why


def test_waves_need_the_previous_region_to_have_baked_the_stage() -> None:
    def wave(previous: TargetState, to_percent: int) -> str | None:
        return promotion_refusal(version="v0.5.0", from_percent=10, to_percent=to_percent, previous_region=previous)

    assert wave(at("p/use1", 50, 0.0), 50) is None
    assert wave(at("p/use1", 100, 120.0), 50) is None  # past the stage: baked
    assert wave(at("p/use1", 50, 30.0), 50) == "waves: p/use1 has not baked 50% of v0.5.0: p/use1 at 50%, bake 30s to go"
    assert wave(at("p/use1", 10, 0.0), 50) == "waves: p/use1 has not baked 50% of v0.5.0: p/use1 at 10%"
    assert not baked_stage(at("p/use1", 50, None), "v0.5.0", 50)
    both = promotion_refusal(version="v0.5.0", from_percent=0, to_percent=10, after="staging",
                             upstream=[at("staging", 50)], previous_region=at("p/use1", 0))
    assert both is not None and both.startswith("staging has not completed") and "; waves: p/use1" in both
