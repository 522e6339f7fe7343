"""SimulatorServer: uvicorn in a background thread with its own event loop, on a loopback port."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn

from canary_tui.simulator.app import SimulatorApp
from canary_tui.simulator.faults import Fault, FaultBook
from canary_tui.simulator.listener import ListenerSwitch, bind_socket
from canary_tui.simulator.model import SimulatorModel
from canary_tui.simulator.options import SimulatorOptions

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


class SimulatorServer:
    """An embedded Mission Control: `start()` returns its base URL, `stop()` frees the port."""

    def __init__(self, options: SimulatorOptions | None = None, **overrides: Any) -> None:
        self.options = options or SimulatorOptions(**overrides)
        if options is not None and overrides:
            raise TypeError("pass either options or keyword overrides, not both")
        self.state = SimulatorModel(self.options)
        self.faults = FaultBook()
        self.app = SimulatorApp(self.state, self.options, self.faults)
        self.url: str | None = None
        self.port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self) -> str:
        """Bind, serve in a background thread, and return the base URL once it accepts connections.

        Starting again after stop() re-listens on the same port with the same state (a network blip,
        not a process restart: counters keep counting).
        """
        if self._thread is not None:
            assert self.url is not None
            return self.url
        self.faults.stopping.clear()
        sock = bind_socket(self.options.host, self.port or self.options.port)  # a restart keeps its port
        self.port = sock.getsockname()[1]
        host = f"[{self.options.host}]" if ":" in self.options.host else self.options.host
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(self.app, lifespan="off", log_config=None, log_level="critical", access_log=False,
                                http="h11", loop="asyncio", timeout_graceful_shutdown=0.5,  # type: ignore[arg-type]  # annotated int, used as any number of seconds
                                timeout_keep_alive=5)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, args=(sock,), name=f"simulator-{self.port}", daemon=True)
        self._thread.start()
        self._wait_started()
        return self.url

    def _serve(self, sock: socket.socket) -> None:
        """Thread body: a fresh event loop running uvicorn until should_exit."""
        assert self._server is not None
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._main(sock))
        except BaseException as exc:  # noqa: BLE001 - start() reports it to the caller's thread
            self._error = exc
        finally:
            sock.close()
            loop.close()

    async def _main(self, sock: socket.socket) -> None:
        """uvicorn, plus the listener switch when the scenario can refuse connections."""
        assert self._server is not None and self.port is not None
        watcher = None
        if self.options.outage_mode == "refuse" and self.state.scenario.name == "outage":
            switch = ListenerSwitch(self._server, self.options.host, self.port)
            watcher = asyncio.create_task(switch.watch(self.state.outage_active))
        try:
            await self._server.serve(sockets=[sock])
        finally:
            if watcher is not None:
                watcher.cancel()

    def _wait_started(self) -> None:
        """Block until uvicorn reports started and a TCP connect succeeds."""
        assert self._server is not None and self._thread is not None and self.port is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if not self._thread.is_alive():
                raise RuntimeError(f"simulator failed to start: {self._error!r}")
            if self._server.started:
                try:
                    with socket.create_connection((self.options.host, self.port), timeout=1.0):
                        return
                except OSError:
                    pass
            time.sleep(0.005)
        self.stop()
        raise RuntimeError("simulator did not start in time")

    def stop(self) -> None:
        """Release hung requests, shut uvicorn down, join the thread (idempotent, bounded)."""
        thread, server = self._thread, self._server
        if thread is None or server is None:
            return
        self.faults.stopping.set()
        server.should_exit = True
        thread.join(STOP_TIMEOUT_S)
        if thread.is_alive():
            server.force_exit = True
            thread.join(STOP_TIMEOUT_S)
        self._thread = None

    @property
    def running(self) -> bool:
        """Whether the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def inject_fault(self, name: str, count: int = 1, paths: list[str] | None = None, **params: Any) -> Fault:
        """Queue a fault for the next `count` requests on `paths` (default: the heartbeat); -1 = until cleared."""
        return self.faults.inject(name, count, paths, **params)

    def clear_faults(self) -> None:
        """Forget pending faults and release hung requests."""
        self.faults.clear()

    def __enter__(self) -> SimulatorServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
