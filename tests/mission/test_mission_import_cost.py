"""The HTTP layer loads without httpx's command-line client (click, pygments): ~30 ms of every launch."""

from __future__ import annotations

import json
import subprocess
import sys


def _modules_after(statement: str) -> dict[str, bool]:
    """Which of the watched modules a fresh interpreter has loaded after running `statement`."""
    code = (
        f"{statement}\n"
        "import json, sys\n"
        "print(json.dumps({name: name in sys.modules for name in ('httpx', 'click', 'pygments', 'rich.syntax')}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_client_import_skips_httpx_cli() -> None:
    loaded = _modules_after("import canary_tui.mission.client")
    assert loaded == {"httpx": True, "click": False, "pygments": False, "rich.syntax": False}


def test_plain_httpx_import_still_loads_its_cli() -> None:
    """The control: without canary_tui first, httpx pulls in click and pygments (so the test above can fail)."""
    loaded = _modules_after("import httpx")
    assert loaded["click"] and loaded["pygments"]
