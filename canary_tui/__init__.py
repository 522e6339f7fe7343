"""canary-tui: a terminal dashboard for progressive canary deployments of Mission Control."""

__version__ = "0.1.0"
