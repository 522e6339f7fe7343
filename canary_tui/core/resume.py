"""Resuming the judgment from stored counts: a restart continues the stage's evidence instead of starting from zero.

The store (read by controller/recording.py) hands in the current stage's counts per closed window;
here they are fed through the same accumulators a live poll feeds (stage totals, SPRTs, mixtures,
Wilson trips, the seed's CUSUMs), one window at a time. Pure: counts in, state out.
"""

from __future__ import annotations

from dataclasses import dataclass

from canary_tui.core.evidence import Evidence, WindowCounts
from canary_tui.core.seed_triggers import SeedTriggers

#: how far the stored stage's first sample may precede the live stage clock and still be the same stage
#: (the stage clock is the server's updated_at corrected for skew; the first stored sample comes a poll after it)
SAME_STAGE_SLACK_S = 5.0


@dataclass(frozen=True, slots=True)
class StoredStage:
    """The stored counts of one stage of one canary version: per window, (end time on our clock, counts in it)."""

    canary_version: str
    percent: int
    first_s: float  # when the stage's first stored sample was observed
    windows: tuple[tuple[float, WindowCounts], ...]

    @property
    def totals(self) -> WindowCounts:
        """Every window's counts added up (request and error counts; slow counts where every window has them)."""
        total = WindowCounts()
        for _, counts in self.windows:
            total = total + counts
        return total

    def continues(self, canary_version: str, percent: int, stage_entered_s: float | None) -> bool:
        """Whether the live stage (version, percent, stage clock) is this stored one going on."""
        if canary_version != self.canary_version or percent != self.percent or percent == 0:
            return False
        return stage_entered_s is None or self.first_s >= stage_entered_s - SAME_STAGE_SLACK_S


def resume_evidence(evidence: Evidence, stage: StoredStage, stage_entered_s: float | None) -> None:
    """Start `evidence` over as the stored stage: its version, percent and stage clock, then every stored window."""
    evidence.reset()
    evidence.canary_version = stage.canary_version
    evidence.percent = stage.percent
    evidence.stage_started_s = stage_entered_s if stage_entered_s is not None else stage.first_s
    evidence.window_started_s = stage.first_s
    for end_s, counts in stage.windows:
        evidence.add_counts(counts, end_s)


def resume_seed(triggers: SeedTriggers, stage: StoredStage) -> None:
    """Feed the seed's CUSUMs the stored windows' canary counts (per window where live feeds per poll)."""
    triggers.reset()
    for _, counts in stage.windows:
        triggers.errors.update(counts.canary_errors, counts.canary_requests)
        if counts.canary_slow_trip is not None:
            triggers.slow.update(counts.canary_slow_trip, counts.canary_requests)
