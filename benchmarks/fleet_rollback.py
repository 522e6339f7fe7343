"""Fleet rollbacks under Textual's Pilot: `R` on one target among 12 (one hung) and rollback-all, against one target.

Twelve simulators run in one other process (benchmarks._simulator_process, count=12), each
timestamping its rollback POST on arrival (time.perf_counter, CLOCK_MONOTONIC: shared
with this process). Real controllers (audit on, 1 Hz polling, auto-rollback off) poll
them over loopback HTTP. Apps, one after the other, in rounds (the order of the apps
is the same in every round):

- the single-target dashboard (CanaryApp, what `watch A` opens) on target 0: R -> arrival;
- the fleet overview of target 0 alone: R -> arrival, and R -> its confirmation on screen;
- the overview of all 12, target 11's heartbeat hung (every poll of it hangs until its
  timeout): R on target 0 -> arrival, while the other 10 keep polling at 1 Hz;
- the same overview with the hang cleared: X, then `y` -> the last of 12 confirmations on screen;
  interleaved with it, the floor of this machine and harness: a stock httpx POST of 0% plus a
  heartbeat GET (the read-back) to one simulator, and to all 12 at once, from the same event loop;
- the same overview with every simulator answering its API after a delay of RTT_S (a real network:
  Mission Control is a Worker some tens of milliseconds away): R on one target -> its confirmation,
  and rollback-all -> the last confirmation, with the bare floor again. On loopback with no delay the
  cost is all CPU (12 simulators and the app share 2 cores), so rollback-all of 12 is mostly serial;
  with a delay it shows whether the 12 rollbacks run in parallel, as on call.

Before each trial the server(s) are put back at 10%, the app has seen it, and a seeded
random pause (up to one poll period) puts the key press at any phase of the others' polls.
A confirmation is the moment the app handles the target's rollback result (read-back
confirmed) and writes it into its row and log.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from benchmarks._pilot import until
from benchmarks._procs import SimulatorProcess

TOKEN = "bench-token"
THEMES = Path(__file__).resolve().parents[1] / "themes"
HEARTBEAT_PATH = "/api/ghost/heartbeat"
TARGETS = 12
POLL_INTERVAL_S = 1.0
#: the selected target and the hung one (indices into the 12)
SELECTED, HUNG = 0, TARGETS - 1
#: how long one trial may take before the run is called broken
TRIAL_TIMEOUT_S = 15.0
#: the network round trip the delayed cases add to every API request (POST and read-back alike)
RTT_S = 0.05
RTT = f"{RTT_S * 1000:.0f} ms RTT"
CASES = ("single dashboard", "fleet of 1", "fleet of 12, 1 hung", "single confirmation", "rollback-all", "bare one", "bare 12",
         f"R arrival, {RTT}", f"one rollback, {RTT}", f"rollback-all, {RTT}", f"bare one, {RTT}", f"bare 12, {RTT}")


def _name(index: int) -> str:
    return f"t{index:02d}"


class _Bench:
    """The harness's own calls to the simulators (bench-only routes, faults), on one stock httpx client."""

    def __init__(self, client: httpx.AsyncClient, urls: list[str]) -> None:
        self.client = client
        self.urls = urls

    async def call(self, method: str, url: str, **kwargs: Any) -> Any:
        """One idempotent call; once more on a fresh connection if a kept-alive one was closed just as it was reused."""
        try:
            answer = await self.client.request(method, url, **kwargs)
        except httpx.TransportError:
            answer = await self.client.request(method, url, **kwargs)
        answer.raise_for_status()
        return answer.json()

    async def reset(self, indices: range | list[int]) -> None:
        await asyncio.gather(*(self.call("POST", f"{self.urls[i]}/_bench/reset") for i in indices))

    async def arrivals(self, index: int) -> list[float]:
        return [float(t) for t in (await self.call("GET", f"{self.urls[index]}/_bench/arrivals"))["arrivals"]]

    async def first_arrival(self, index: int) -> float:
        got = await self.arrivals(index)
        if not got:
            raise RuntimeError(f"fleet benchmark: no rollback POST arrived at {_name(index)}")
        return got[0]

    async def bare_rollback(self, index: int) -> None:
        """What a rollback needs at the least: the POST of 0% and one heartbeat read back, on a stock client."""
        body = {"percent": 0, "note": "emergency rollback (bare POST)", "actor": "bench"}
        (await self.client.post(f"{self.urls[index]}/api/ghost/canary", json=body, headers={"Authorization": f"Bearer {TOKEN}"})).raise_for_status()
        (await self.client.get(f"{self.urls[index]}{HEARTBEAT_PATH}")).raise_for_status()

    async def hang(self, index: int) -> None:
        await self.call("POST", f"{self.urls[index]}/_control/faults", json={"fault": "hang", "count": -1, "paths": [HEARTBEAT_PATH]})

    async def fired(self, index: int) -> int:
        return len((await self.call("GET", f"{self.urls[index]}/_control/state"))["faults_fired"])

    async def clear(self, index: int) -> None:
        await self.call("POST", f"{self.urls[index]}/_control/faults/clear")

    async def delay_all(self, seconds: float) -> None:
        """Every simulator answers its rollback POST and heartbeat only after `seconds` (until cleared)."""
        fault = {"fault": "delay", "seconds": seconds, "count": -1, "paths": ["/api/ghost/canary", HEARTBEAT_PATH]}
        await asyncio.gather(*(self.call("POST", f"{url}/_control/faults", json=fault) for url in self.urls))

    async def clear_all(self) -> None:
        await asyncio.gather(*(self.clear(index) for index in range(len(self.urls))))


class _Targets:
    """Real controllers on the first `count` simulators, each with its own client and audit file; closed together."""

    def __init__(self, urls: list[str], count: int, home: Path) -> None:
        from canary_tui.config import Config, EnvironmentConfig
        from canary_tui.controller.audit import AuditLog
        from canary_tui.controller.factory import build_controller
        from canary_tui.mission.client import MissionClient
        from canary_tui.mission.credentials import Secret

        self.clients = [MissionClient(urls[i], token=Secret(TOKEN)) for i in range(count)]
        self.controllers: list[tuple[str, Any]] = []
        for i, client in enumerate(self.clients):
            env = EnvironmentConfig(name=_name(i), url=urls[i], auto_advance=False, auto_rollback=False)
            audit = AuditLog(_name(i), path=home / f"audit-{_name(i)}.jsonl")
            self.controllers.append((_name(i), build_controller(env, Config(), client=client, audit=audit)))

    async def aclose(self) -> None:
        for _, controller in self.controllers:
            await controller.aclose(abandon_rollback=True)
        for client in self.clients:
            await client.aclose()


def _live_at_10(snapshot: Any) -> bool:
    from canary_tui.controller.model import ConnectionState

    return (snapshot is not None and snapshot.connection == ConnectionState.LIVE and snapshot.heartbeat is not None
            and snapshot.heartbeat.deployment.canary_percent == 10)


async def _single_dashboard(bench: _Bench, targets: _Targets, trials: int, jitter: Callable[[], float], out: dict[str, list[float]]) -> None:
    """R -> arrival on the single-target dashboard."""
    from canary_tui.ui.app import CanaryApp

    _, controller = targets.controllers[0]
    app = CanaryApp(controller, poll_interval_s=POLL_INTERVAL_S, theme_dirs=[THEMES])
    async with app.run_test(size=(160, 48)) as pilot:
        def ready() -> bool:
            return _live_at_10(controller.snapshot) and not app.in_flight and controller.action_in_flight is None

        for _ in range(trials):
            await bench.reset([SELECTED])
            app.action_refresh()
            await until(pilot, ready, TRIAL_TIMEOUT_S, "single dashboard live at 10%")
            await pilot.pause(jitter())
            started = time.perf_counter()
            await pilot.press("R")
            await until(pilot, lambda: not app.in_flight and controller.action_in_flight is None, TRIAL_TIMEOUT_S, "rollback settled")
            out["single dashboard"].append(await bench.first_arrival(SELECTED) - started)


def _fleet_app(targets: _Targets) -> tuple[Any, dict[str, float]]:
    """The overview on every controller of `targets`, with each target's rollback confirmation timestamped."""
    from canary_tui.ui.fleet_app import FleetApp

    app = FleetApp(targets.controllers, poll_interval_s=POLL_INTERVAL_S, theme_dirs=[THEMES])
    confirmed: dict[str, float] = {}
    log_outcome = app.log_outcome

    def timed(state: Any, kind: str, message: str, level: str) -> None:
        if kind == "rollback" and message.startswith("✔"):
            confirmed.setdefault(state.name, time.perf_counter())
        log_outcome(state, kind, message, level)

    app.log_outcome = timed  # type: ignore[method-assign]  # the outcome handler calls it as the result lands
    return app, confirmed


def _fleet_ready(app: Any, names: list[str]) -> Callable[[], bool]:
    def ready() -> bool:
        return all(_live_at_10(app.targets[n].snapshot) and not app.targets[n].in_flight
                   and app.targets[n].controller.action_in_flight is None for n in names)
    return ready


async def _select(pilot: Any, app: Any, name: str) -> None:
    """Move the selection to `name` with the arrow keys, as an operator would (bounded).

    At least one key is pressed: until the operator moves, the overview's selection follows
    the worst row, and R would go to whichever target that is when it lands (the hung one, soon).
    """
    moved = False
    for _ in range(2 * len(app.targets) + 2):
        names = [row.name for row in app.rows]
        if app.selected == name:
            if moved:
                return
            key = "down" if names.index(name) < len(names) - 1 else "up"
        else:
            key = "down" if names.index(name) > names.index(app.selected) else "up"
        await pilot.press(key)
        moved = True
    if app.selected != name:
        raise RuntimeError(f"fleet benchmark: could not select {name}")


async def _fleet_r(bench: _Bench, app: Any, pilot: Any, confirmed: dict[str, float], trials: int,
                   jitter: Callable[[], float], arrival_case: str, out: dict[str, list[float]], confirm_case: str | None = None) -> None:
    """R on the selected target: R -> arrival (and R -> its confirmation on screen)."""
    name = _name(SELECTED)
    state = app.targets[name]
    await _select(pilot, app, name)
    for _ in range(trials):
        await bench.reset([SELECTED])
        state.refresh_now.set()
        await until(pilot, _fleet_ready(app, [name]), TRIAL_TIMEOUT_S, f"{name} live at 10%")
        await pilot.pause(jitter())
        confirmed.clear()
        started = time.perf_counter()
        await pilot.press("R")
        try:
            await until(pilot, lambda: name in confirmed, TRIAL_TIMEOUT_S, f"{name} rollback confirmed")
        except RuntimeError as exc:
            arrived = await bench.arrivals(SELECTED)
            raise RuntimeError(f"{exc}: selected {app.selected}, note {state.note!r}, in flight {state.in_flight}, "
                               f"controller {state.controller.action_in_flight}, {len(arrived)} POSTs arrived, "
                               f"screen {type(app.screen).__name__}") from exc
        out[arrival_case].append(await bench.first_arrival(SELECTED) - started)
        if confirm_case:
            out[confirm_case].append(confirmed[name] - started)


async def _rollback_all(bench: _Bench, app: Any, pilot: Any, confirmed: dict[str, float], trials: int,
                        jitter: Callable[[], float], out: dict[str, list[float]], spread: list[float], suffix: str = "") -> None:
    """X, then y -> the last confirmation of all targets; `spread` gets y -> the last POST's arrival; `suffix` names the cases."""
    from canary_tui.ui.screens.confirm_rollback_all import ConfirmRollbackAll

    names = list(app.targets)
    indices = list(range(len(names)))
    for _ in range(trials):
        await bench.reset(indices)
        app.action_refresh()
        await until(pilot, _fleet_ready(app, names), TRIAL_TIMEOUT_S, "every target live at 10%")
        await pilot.pause(jitter())
        await pilot.press("X")
        await until(pilot, lambda: isinstance(app.screen, ConfirmRollbackAll), TRIAL_TIMEOUT_S, "rollback-all dialog")
        if len(app.screen.lines) != len(names):
            raise RuntimeError(f"fleet benchmark: rollback-all lists {len(app.screen.lines)} targets, not {len(names)}")
        confirmed.clear()
        started = time.perf_counter()
        await pilot.press("y")
        await until(pilot, lambda: len(confirmed) == len(names), TRIAL_TIMEOUT_S, "every rollback confirmed")
        out[f"rollback-all{suffix}"].append(max(confirmed.values()) - started)
        arrivals = await asyncio.gather(*(bench.first_arrival(i) for i in indices))
        spread.append(max(arrivals) - started)
        for case, chosen in (("bare one", [SELECTED]), ("bare 12", indices)):
            await bench.reset(indices)
            await pilot.pause(jitter())
            started = time.perf_counter()
            await asyncio.gather(*(bench.bare_rollback(i) for i in chosen))
            out[f"{case}{suffix}"].append(time.perf_counter() - started)


async def _quiesce(app: Any, pilot: Any) -> None:
    """Stop the overview's polls and let its queue drain before it exits.

    FleetApp handles a target's snapshot by reading app.screen, which raises once shutdown
    has emptied the screen stack (ScreenStackError): a snapshot landing then crashes the exit.
    """
    app.workers.cancel_all()
    await pilot.pause(0.05)


async def _measure(trials: int, rounds: int, home: Path) -> tuple[dict[str, list[float]], list[float], int]:
    """Latencies (s) per case over `rounds` rounds of `trials` trials each; y -> last arrival; polls of the hung target."""
    from canary_tui.ui.fleet_app import FleetApp

    out: dict[str, list[float]] = {case: [] for case in CASES}
    spread: list[float] = []
    hung_polls = 0
    rng = random.Random(15)

    def jitter() -> float:
        return 0.05 + rng.random() * POLL_INTERVAL_S

    with SimulatorProcess(scenario="healthy", seed=7, token=TOKEN, initial_percent=10, faults=True, count=TARGETS) as sim:
        async with httpx.AsyncClient() as client:
            bench = _Bench(client, sim.urls)
            for _ in range(rounds):
                one = _Targets(sim.urls, 1, home)
                try:
                    await _single_dashboard(bench, one, trials, jitter, out)
                finally:
                    await one.aclose()
                one = _Targets(sim.urls, 1, home)
                try:
                    app, confirmed = _fleet_app(one)
                    async with app.run_test(size=(160, 48)) as pilot:
                        await _fleet_r(bench, app, pilot, confirmed, trials, jitter, "fleet of 1", out, "single confirmation")
                        await _quiesce(app, pilot)
                finally:
                    await one.aclose()
                fleet = _Targets(sim.urls, TARGETS, home)
                try:
                    app, confirmed = _fleet_app(fleet)
                    assert isinstance(app, FleetApp)
                    async with app.run_test(size=(160, 48)) as pilot:
                        await bench.reset(range(TARGETS))
                        app.action_refresh()
                        await until(pilot, _fleet_ready(app, list(app.targets)), TRIAL_TIMEOUT_S, "every target live at 10%")
                        fired = await bench.fired(HUNG)
                        await bench.hang(HUNG)
                        app.targets[_name(HUNG)].refresh_now.set()  # its next poll goes out now and hangs
                        while await bench.fired(HUNG) == fired:
                            await pilot.pause(0.005)
                        polls_before = app.targets[_name(HUNG)].polls
                        await _fleet_r(bench, app, pilot, confirmed, trials, jitter, "fleet of 12, 1 hung", out)
                        hung_polls += app.targets[_name(HUNG)].polls - polls_before
                        await bench.clear(HUNG)  # releases the hung poll
                        await _rollback_all(bench, app, pilot, confirmed, trials, jitter, out, spread)
                        await bench.delay_all(RTT_S)
                        await _fleet_r(bench, app, pilot, confirmed, trials, jitter, f"R arrival, {RTT}", out, f"one rollback, {RTT}")
                        await _rollback_all(bench, app, pilot, confirmed, trials, jitter, out, [], f", {RTT}")
                        await bench.clear_all()
                        await _quiesce(app, pilot)
                finally:
                    await bench.clear_all()
                    await fleet.aclose()
    return out, spread, hung_polls


def measure(quick: bool, home: Path) -> tuple[dict[str, list[float]], list[float], int, int]:
    """(latencies per case, y -> last POST arrival, polls the hung target finished while hung, trials per case)."""
    trials, rounds = (4, 1) if quick else (20, 2)
    latencies, spread, hung_polls = asyncio.run(_measure(trials, rounds, home))
    return latencies, spread, hung_polls, trials * rounds
