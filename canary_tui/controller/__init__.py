"""The shared ramp controller: state machine, actions, auto-rollback, audit log; never imports Textual.

Names are imported lazily so `canary_tui.controller.model` stays cheap to import.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "RampController": "canary_tui.controller.controller",
    "build_controller": "canary_tui.controller.factory",
    "ChartData": "canary_tui.controller.chart",
    "ChartSeries": "canary_tui.controller.chart",
    "AuditLog": "canary_tui.controller.audit",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(module), name)
