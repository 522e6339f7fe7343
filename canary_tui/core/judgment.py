"""Judge a canary on evidence (judgment.md): one import point for the pieces, each in its own module.

core/evidence.py accumulates counts and tests; core/evidence_gates.py turns them into gates on
confidence bounds; core/decide.py makes the Decision; core/evidence_rule.py plugs it into the
controller's auto-rollback and serves one-shot checks; core/seed_triggers.py fires the seed's
fixed triggers on evidence.
"""

from __future__ import annotations

from canary_tui.core.decide import judge
from canary_tui.core.evidence import ZERO, Evidence, EvidenceDict, JudgmentConfig, WindowCounts, counts_between
from canary_tui.core.evidence_gates import evidence_gates
from canary_tui.core.evidence_rule import EvidenceRule, decision_between, decision_to_json, plan_bake

__all__ = [
    "ZERO",
    "Evidence",
    "EvidenceDict",
    "EvidenceRule",
    "JudgmentConfig",
    "WindowCounts",
    "counts_between",
    "decision_between",
    "decision_to_json",
    "evidence_gates",
    "judge",
    "plan_bake",
]
