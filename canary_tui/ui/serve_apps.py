"""The dashboard and the fleet overview as `canary-tui serve` publishes them: no key or palette entry that changes a deployment."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import BindingType

from canary_tui.core.actions import FLEET_MUTATING_ACTIONS
from canary_tui.ui.actions import without_mutating
from canary_tui.ui.app import CanaryApp
from canary_tui.ui.fleet_app import FleetApp


class ServedDashboard(CanaryApp, inherit_bindings=False):
    """The single dashboard with the mutating bindings removed, not dimmed: whatever a browser sends, none can run."""

    BINDINGS: ClassVar[list[BindingType]] = [*App.BINDINGS, *without_mutating(CanaryApp.BINDINGS)]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hidden (False) for every action that changes a deployment: no binding, no palette entry, run_action refuses."""
        if action in FLEET_MUTATING_ACTIONS:
            return False
        return super().check_action(action, parameters)


class ServedFleet(FleetApp, inherit_bindings=False):
    """The fleet overview with the mutating bindings removed (rollback-all included)."""

    BINDINGS: ClassVar[list[BindingType]] = [*App.BINDINGS, *without_mutating(FleetApp.BINDINGS)]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hidden (False) for every action that changes a deployment."""
        if action in FLEET_MUTATING_ACTIONS:
            return False
        return super().check_action(action, parameters)
