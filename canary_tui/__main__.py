"""Entry point for `python -m canary_tui`."""

import sys

from canary_tui.cli import main

sys.exit(main())
