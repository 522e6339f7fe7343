"""A real Prometheus server for the tests: generated config, loopback port, data in a temporary directory, always stopped."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from system_packages import ensure

SCRAPE_INTERVAL_S = 1
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


def free_port() -> int:
    """An ephemeral loopback port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], Any], timeout_s: float, what: str, every_s: float = 0.1) -> Any:
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(every_s)


class PrometheusServer:
    """`prometheus` scraping `targets` (job name -> base URL) every second; start() waits for ready and a first scrape."""

    def __init__(self, tmp: Path, targets: dict[str, str]) -> None:
        self.binary = ensure("prometheus")
        self.tmp = tmp
        self.targets = targets
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.config = tmp / "prometheus.yml"
        jobs = "".join(
            f"  - job_name: {job}\n    metrics_path: /metrics\n    static_configs:\n"
            f"      - targets: ['{url.removeprefix('http://')}']\n" for job, url in targets.items()
        )
        self.config.write_text(f"global:\n  scrape_interval: {SCRAPE_INTERVAL_S}s\n  evaluation_interval: 15s\nscrape_configs:\n{jobs}")

    def start(self) -> str:
        """Run it (same port and data on a restart) and wait until every target has been scraped."""
        log = (self.tmp / "prometheus.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, f"--config.file={self.config}", f"--web.listen-address=127.0.0.1:{self.port}",
             f"--storage.tsdb.path={self.tmp / 'data'}", "--storage.tsdb.retention.time=1h"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        log.close()
        wait_for(self._ready, START_TIMEOUT_S, f"Prometheus ready on {self.url} (log: {self.tmp / 'prometheus.log'})")
        for job in self.targets:  # two scrapes: increase() over a window needs two samples
            wait_for(lambda job=job: self.scrapes(job) >= 2, START_TIMEOUT_S, f"two scrapes of {job}")
        return self.url

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"prometheus exited with {self.process.returncode}: {(self.tmp / 'prometheus.log').read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query's result list (empty when nothing matches)."""
        answer = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5.0).json()
        return list(answer["data"]["result"])

    def scrapes(self, job: str) -> int:
        """How many samples of `up` Prometheus holds for `job` over the last minute (a scrape counter)."""
        result = self.query(f'count_over_time(up{{job="{job}"}}[1m])')
        return int(float(result[0]["value"][1])) if result else 0

    def stop(self) -> None:
        """Terminate (then kill) the process; safe to call twice."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT_S)
        self.process = None


def env_toml(name: str, url: str, prometheus_url: str | None, job: str, extra: str = "", auto_rollback: bool = False) -> str:
    """An `[environments.NAME]` table on `url`, its figures from Prometheus (job label) when `prometheus_url` is set."""
    lines = [f"[environments.{name}]", f'url = "{url}"', "read_timeout_s = 2.0", f"auto_rollback = {str(auto_rollback).lower()}"]
    if prometheus_url is not None:
        lines += ['metrics = "prometheus"', f'prometheus_url = "{prometheus_url}"', f"[environments.{name}.prometheus]",
                  f'labels = {{ job = "{job}" }}', 'window = "30s"', "timeout_s = 3.0", extra]
    return "\n".join(lines) + "\n"


def write_config(tmp_path: Path, *tables: str) -> Path:
    """A config of the given environment tables."""
    path = tmp_path / "config.toml"
    path.write_text('actor = "prom@test"\npoll_interval_s = 0.5\n' + "\n".join(tables))
    return path
