"""Reliability fixtures; the helpers live in reliability_support.py so test modules can import them unambiguously."""

from reliability_support import blackhole, cli_home, tls_front_factory  # noqa: F401 - pytest fixtures

