"""Chart redraw cost with 5 min vs 72 h of 1 s history (run: .venv/bin/python tests/ui/bench_ui_chart.py).

Not collected by pytest (no test_ prefix): timings are reported, never asserted.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from canary_tui.config import Config, EnvironmentConfig  # noqa: E402
from canary_tui.controller.factory import build_controller  # noqa: E402
from canary_tui.core.clock import ManualClock  # noqa: E402
from canary_tui.ui import presenter  # noqa: E402
from canary_tui.ui.app import CanaryApp  # noqa: E402
from canary_tui.ui.widgets.latency_chart import LatencyChart  # noqa: E402
from ui_builders import heartbeat  # noqa: E402

BUNDLED = Path(__file__).resolve().parents[2] / "themes"


def controller_with_history(seconds: int) -> object:
    """A controller (no network) whose history holds `seconds` of 1 s samples."""
    env = EnvironmentConfig(name="bench", url="http://127.0.0.1:9")
    controller = build_controller(env, Config(), clock=ManualClock(), client=object(), audit=False, read_only=True)
    controller._last = heartbeat()  # chart() needs one observed heartbeat
    end_s = 1_795_003_200.0
    start_s = end_s - seconds
    for i in range(seconds):
        t = start_s + i
        wave = 40 * math.sin(i / 300)
        row = {name: None for name in controller.history_fields}
        for variant, base in (("canary", 290.0), ("stable", 270.0)):
            row[f"{variant}_p50_ms"] = base * 0.4 + wave / 4
            row[f"{variant}_p95_ms"] = base + wave
            row[f"{variant}_p99_ms"] = base * 1.4 + wave
        controller.history.append(t, {k: v for k, v in row.items() if v is not None})
    return controller


async def measure(seconds: int, repeats: int = 30) -> tuple[float, float, float]:
    """Median ms of controller.chart(columns), and of the widget's plot build, at 160×48."""
    controller = controller_with_history(seconds)
    app = CanaryApp(controller, poll=False, theme_dirs=[BUNDLED], read_only=True)
    data_ms, build_ms = [], []
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        chart = app.query_one("#chart", LatencyChart)
        for version in range(repeats):
            t0 = time.process_time()
            data = controller.chart(chart.columns)
            view = presenter.chart_view(data, 10_000 + version)
            t1 = time.process_time()
            chart.show(view)
            chart.plot_strips()  # new version: rebuilds the plotext figure
            t2 = time.process_time()
            data_ms.append((t1 - t0) * 1000)
            build_ms.append((t2 - t1) * 1000)
        points = sum(v is not None for name in presenter.VARIANT_SERIES for v in data.get(name).high)
    return statistics.median(data_ms), statistics.median(build_ms), points


async def main() -> None:
    """Three alternating rounds per case (shared, noisy cores): CPU time, best median of each."""
    cases = (("5 min", 300), ("30 min", 1800), ("72 h", 72 * 3600))
    best: dict[str, tuple[float, float, int]] = {}
    for _ in range(3):
        for label, seconds in cases:
            data_ms, build_ms, points = await measure(seconds)
            if label not in best or data_ms + build_ms < sum(best[label][:2]):
                best[label] = (data_ms, build_ms, points)
    for label, seconds in cases:
        data_ms, build_ms, points = best[label]
        print(f"{label:>6}: {seconds:>6} samples -> {points} points plotted (6 series); chart() {data_ms:.2f} ms, plot build {build_ms:.2f} ms, total {data_ms + build_ms:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
