"""One fleet target's dashboard over the overview: the single dashboard's own screen on that target's feed; Escape goes back."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from canary_tui.ui.dashboard_feed import DashboardFeed
from canary_tui.ui.screens.dashboard_screen import DashboardScreen
from canary_tui.ui.widgets.chart_builds import ChartBuilds
from canary_tui.ui.widgets.fit_footer import DRILL_DOWN_SHED, FitFooter, shed_at

#: the target's latest events shown when its dashboard opens
EVENTS_ON_OPEN = 200


class TargetScreen(DashboardScreen):
    """DashboardScreen for one fleet target: the fleet app keeps its feed and events coming; R, A, P, c act on it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Overview")]

    def __init__(self, target: str, feed: DashboardFeed, *, chart_builds: ChartBuilds | None = None) -> None:
        super().__init__(feed, events_title=f"Events · {target}", chart_builds=chart_builds)
        self.target = target
        for event in list(getattr(feed.controller, "events", ()) or ())[-EVENTS_ON_OPEN:]:
            self.add_event(event)  # held until the panes exist

    def fit_footer(self, footer: FitFooter, width: int) -> None:
        """As the overview's footer: compact under 120 columns, the palette hint from 120, keys left out where narrow (X first)."""
        footer.fit(compact=width < 120, palette=width >= 120, shed=shed_at(width, DRILL_DOWN_SHED))
