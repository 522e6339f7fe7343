"""The Debian packages the tests start as real programs, installed when missing: by .ci/run before pytest, and by fixtures.

Run as a script (`python3 tests/system_packages.py`) it installs every one; `ensure(name)` installs one from a test.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

#: program the tests run -> the Debian package that provides it
PACKAGES = {"prometheus": "prometheus", "chromium": "chromium"}

_LOCK = Path("/tmp/canary-tui-apt.lock")


def missing(programs: list[str] | None = None) -> list[str]:
    """The packages whose program is not on PATH."""
    return [PACKAGES[name] for name in (programs or list(PACKAGES)) if shutil.which(name) is None]


def install(packages: list[str]) -> None:
    """apt-get install the packages (refreshing the index once if the first try fails); one installer at a time."""
    if not packages:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    with _LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two xdist workers must not run apt at once
        if not missing([name for name, package in PACKAGES.items() if package in packages]):
            return
        if subprocess.run(command, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)
            subprocess.run(command, env=env, capture_output=True, check=True)


def ensure(program: str) -> str:
    """The path of `program`, installing its package first when it is missing."""
    install(missing([program]))
    path = shutil.which(program)
    if path is None:
        raise RuntimeError(f"{program} is not on PATH after installing {PACKAGES[program]}")
    return path


if __name__ == "__main__":
    install(missing())
    still = missing()
    if still:
        sys.exit(f"not installed: {', '.join(still)}")
