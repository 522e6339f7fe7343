"""The Mission Control HTTP layer: the strict client, parsing, signatures, actuators and the probe."""

import sys

# httpx imports its own command-line client when it loads (click, pygments, rich.syntax: ~30 ms of
# every launch, benchmarks/startup.py). httpx treats that module as optional (ImportError gives a stub
# httpx.main), so it is marked absent before httpx loads; canary-tui never calls httpx.main.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)
