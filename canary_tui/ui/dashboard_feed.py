"""What one target's dashboard draws from: its controller, what its keys may do, the latest snapshot, the error history.

The single-target app keeps one feed; the fleet keeps one per target, fed while its row is on show, so a
drill-down opens with the same history the single view would have.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from canary_tui.controller.model import Snapshot
from canary_tui.ui import presenter
from canary_tui.ui.widgets.view_models import HeaderView

#: error-rate points kept for the errors pane's sparkline (one per new rates)
ERROR_HISTORY_POINTS = 600


def blocked_reason(controller: Any, read_only: bool) -> str | None:
    """Why this dashboard cannot change the deployment (no token, read-only), or None when it can."""
    reason = getattr(controller, "blocked_reason", None)
    if isinstance(reason, str) and reason:
        return reason
    return "read-only mode" if read_only else None


@dataclass(eq=False)
class DashboardFeed:
    """One target as its dashboard sees it; `in_flight` is the app's own set of actions under way on it."""

    controller: Any
    label: str | None = None  # the environment the command chose, shown when the server does not name one
    target: str | None = None  # a fleet target's name, always shown: it says which region
    read_only: bool = False
    in_flight: set[str] = field(default_factory=set)
    snapshot: Snapshot | None = None
    error_history: deque[float] = field(default_factory=lambda: deque(maxlen=ERROR_HISTORY_POINTS))
    _last_rates: object = None

    def take(self, snapshot: Snapshot) -> bool:
        """Keep a new snapshot and, once per new rates, its error rate; False when it is the one already kept."""
        if snapshot is self.snapshot:
            return False
        self.snapshot = snapshot
        if snapshot.rates is not None and snapshot.rates is not self._last_rates:
            self._last_rates = snapshot.rates
            if snapshot.rates.error_rate is not None:
                self.error_history.append(snapshot.rates.error_rate)
        return True

    def blocked_reason(self) -> str | None:
        """Why the deployment cannot be changed from here, or None."""
        return blocked_reason(self.controller, self.read_only)

    def labelled(self, snapshot: Snapshot) -> Snapshot:
        """The snapshot under the label the command chose, if any."""
        if self.label and snapshot.environment != self.label:
            return replace(snapshot, environment=self.label)
        return snapshot

    def header_view(self, snapshot: Snapshot, *, frozen: bool) -> HeaderView:
        """The header as the operator must read it: labelled, with read-only, why blocked and what is in flight."""
        view = presenter.header_view(self.labelled(snapshot), frozen=frozen)
        if self.target:
            view = replace(view, environment=self.target)
        if self.read_only and not view.read_only:
            view = replace(view, read_only=True)
        blocked = self.blocked_reason()
        if blocked and not view.blocked_reason:
            view = replace(view, blocked_reason=blocked)
        if self.in_flight and not view.action_in_flight:
            view = replace(view, action_in_flight=", ".join(sorted(self.in_flight)))
        return view
