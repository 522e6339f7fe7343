"""The seed's CUSUM runs once: the seed rule feeds it, the evidence rule's decision reads its state.

Behind the controller's Judge the evidence rule keeps no copy of the seed triggers; alone
(one-shot checks, tests) it feeds its own, and says the same.
"""

from __future__ import annotations

from dataclasses import replace

from rule_set_model import START_S, _heartbeat

from canary_tui.controller.judging import Judge
from canary_tui.core.evidence_rule import EvidenceRule
from canary_tui.core.plans import STANDARD
from canary_tui.core.rates import compute_rates
from canary_tui.core.rules import Observation, SeedRollbackRule
from canary_tui.core.thresholds import ThresholdTable
from canary_tui.core.trips import TripKind
from canary_tui.core.verdicts import DecisionKind


def _polls(errors_per_poll: int, polls: int, start: int = 0, version: str = "v2") -> list[Observation]:
    """Observations of a canary with `errors_per_poll` of 20 requests failing (stable healthy), 1 s apart."""
    out, c, b = [], [0, 0], [0, 0]
    prev = _heartbeat(START_S + start, (0, 0), (0, 0))
    prev = replace(prev, deployment=replace(prev.deployment, canary_version=version))
    out.append(Observation(prev, None, False, prev.fetched_at_s, 10, stage_entered_s=START_S))
    for t in range(polls):
        c, b = [c[0] + 20, c[1] + errors_per_poll], [b[0] + 180, b[1]]
        cur = _heartbeat(START_S + start + t + 1, (c[0], c[1]), (b[0], b[1]))
        cur = replace(cur, deployment=replace(cur.deployment, canary_version=version))
        out.append(Observation(cur, compute_rates(prev, cur), False, cur.fetched_at_s, 10, previous=prev, stage_entered_s=START_S))
        prev = cur
    return out


def test_behind_the_judge_the_evidence_rule_reads_the_seed_rules_cusum_and_keeps_no_copy() -> None:
    seed, evidence = SeedRollbackRule(), EvidenceRule(plan=STANDARD)
    judge = Judge((seed, evidence), ThresholdTable.seed())
    tripped_at = None
    for i, obs in enumerate(_polls(errors_per_poll=10, polls=30)):
        intent = judge.observe(obs)
        decision = evidence.decision
        assert decision is not None
        assert decision.evidence["seed_error_cusum"] == round(seed.triggers.errors.statistic, 6)
        seed_verdict, evidence_verdict = judge.verdicts
        assert seed_verdict.trip == (decision.kind is DecisionKind.ROLLBACK)  # the same trigger, the same poll
        if intent is not None and tripped_at is None:
            tripped_at = i
            assert TripKind.SEED_ERRORS in {t.kind for t in evidence_verdict.trips}
            assert intent.reason.count(seed_verdict.reason) == 1, intent.reason  # the same trigger is said once
    assert tripped_at is not None and tripped_at <= 10
    assert evidence.evidence.own_seed is None  # one state: nothing fed inside the evidence


def test_alone_the_evidence_rule_feeds_its_own_seed_triggers_and_trips_the_same() -> None:
    seed, evidence = SeedRollbackRule(), EvidenceRule(plan=STANDARD)
    trips = []
    for obs in _polls(errors_per_poll=10, polls=30):
        trips.append((seed.observe(obs).trip, evidence.observe(obs).trip))
    assert all(a == b for a, b in trips) and any(a for a, _ in trips)
    assert evidence.evidence.own_seed is not None


def test_a_new_canary_version_starts_the_seed_triggers_over() -> None:
    seed = SeedRollbackRule()
    for obs in _polls(errors_per_poll=4, polls=5, version="v2"):
        seed.observe(obs)
    assert seed.triggers.errors.statistic > 0
    first_of_v3 = _polls(errors_per_poll=0, polls=1, start=10, version="v3")[1]
    seed.observe(first_of_v3)
    assert seed.triggers.errors.statistic == 0.0
