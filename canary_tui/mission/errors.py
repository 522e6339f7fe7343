"""Typed errors of the Mission Control client: every failure the contract names becomes one.

Messages are short, operator-facing and never contain the token or the secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from canary_tui.core.samples import Heartbeat


class MissionError(Exception):
    """Base of every error the client raises; `str()` is safe to show on screen."""

    #: short machine word for the kind of failure (shown as the STALE reason tag)
    kind: str = "error"
    #: whether retrying later can help (connect errors, timeouts, 5xx, 429)
    transient: bool = False


class TransportError(MissionError):
    """Connection refused, DNS failure, TLS failure, or a reset: nothing usable arrived."""

    kind = "unreachable"
    transient = True


class TimeoutError_(TransportError):
    """A connect, read or total timeout expired."""

    kind = "timeout"


class TLSError(TransportError):
    """The TLS handshake or certificate verification failed."""

    kind = "tls"


class HttpStatusError(MissionError):
    """An unexpected HTTP status; carries the code and a short excerpt of the body."""

    kind = "http"

    def __init__(self, status_code: int, message: str, excerpt: str = "", retry_after_s: float | None = None):
        super().__init__(f"HTTP {status_code}: {message}" + (f" — {excerpt}" if excerpt else ""))
        self.status_code = status_code
        self.excerpt = excerpt
        self.retry_after_s = retry_after_s
        self.transient = status_code >= 500 or status_code == 429


class UnauthorizedError(HttpStatusError):
    """401: no token or a bad token. Never retried."""

    kind = "unauthorized"


class BadRequestError(HttpStatusError):
    """400: the server refused the request body (`error` code kept). Never retried."""

    kind = "bad-request"

    def __init__(self, status_code: int, message: str, error_code: str = "", excerpt: str = ""):
        super().__init__(status_code, message, excerpt)
        self.error_code = error_code


class RedirectRefused(MissionError):
    """A 3xx pointing at another host: not followed."""

    kind = "redirect"

    def __init__(self, status_code: int, location: str, reason: str = "refused redirect to another host"):
        super().__init__(f"HTTP {status_code}: {reason} ({location[:120]})")
        self.status_code = status_code
        self.location = location


class ContractError(MissionError):
    """The body broke the contract: not JSON, wrong shape or type, impossible values, too big.

    `field` names the offending JSON path (e.g. `heartbeat.metrics.errors`) when known.
    """

    kind = "contract"

    def __init__(self, message: str, field: str | None = None, status_code: int | None = None, excerpt: str = ""):
        where = f"{field}: " if field else ""
        code = f" (HTTP {status_code})" if status_code is not None else ""
        tail = f" — {excerpt}" if excerpt else ""
        super().__init__(f"{where}{message}{code}{tail}")
        self.field = field
        self.status_code = status_code
        self.excerpt = excerpt


class SignatureError(MissionError):
    """The X-Signature header is missing or does not match the body."""

    kind = "signature"


class ConflictError(MissionError):
    """409 on a compare-and-set: someone else changed the ramp first.

    Carries the server's current state so the caller can show "changed by X to Y%".
    """

    kind = "conflict"

    def __init__(self, canary_percent: int | None, updated_by: str | None, *, paused: bool | None = None):
        """`paused`: the hold flag moved (the share did not) — "paused by X at 10%" rather than "changed by X to 10%"."""
        who = updated_by or "someone else"
        pct = f"{canary_percent}%" if canary_percent is not None else "an unknown percent"
        if paused is None:
            super().__init__(f"changed by {who} to {pct}")
        else:
            super().__init__(f"{'paused' if paused else 'resumed'} by {who} at {pct}")
        self.canary_percent = canary_percent
        self.updated_by = updated_by
        self.paused = paused


class BodyTooLarge(ContractError):
    """The answer is bigger than the client accepts; refused before it was read whole."""

    kind = "too-large"

    def __init__(self, limit_bytes: int, bytes_read: int, declared_bytes: int | None = None, status_code: int | None = None):
        declared = f", declared {declared_bytes} bytes" if declared_bytes is not None else ""
        super().__init__(f"body over the {limit_bytes}-byte limit (read {bytes_read} bytes{declared})", field="body", status_code=status_code)
        self.limit_bytes = limit_bytes
        self.bytes_read = bytes_read
        self.declared_bytes = declared_bytes


class InvalidRequestError(MissionError):
    """The caller asked for something the contract cannot express (bad percent, note too long). Never sent."""

    kind = "invalid-request"


class MissingCredentialError(MissionError):
    """A mutation was asked for but no bearer token is configured. Never sent."""

    kind = "no-token"


class InvalidTargetError(MissionError):
    """The base URL or TLS settings cannot be used (bad scheme, unreadable CA bundle)."""

    kind = "config"


class UnexpectedError(MissionError):
    """Anything the client did not foresee, wrapped so that only MissionError escapes."""

    kind = "unexpected"


class PrometheusError(MissionError):
    """The metrics source failed: the deployment's own heartbeat answered, its request figures could not be read.

    `query` names the PromQL template (requests, errors, latency_buckets, window_latency_buckets) and
    `variant` the variant it ran for; `heartbeat` is Mission Control's heartbeat of the same poll (its
    deployment state is still good for a read-back), when one arrived.
    """

    kind = "prometheus"

    def __init__(self, message: str, *, query: str | None = None, variant: str | None = None) -> None:
        where = f"{query} query" + (f" ({variant})" if variant else "") + ": " if query else ""
        super().__init__(f"Prometheus {where}{message}")
        self.query = query
        self.variant = variant
        self.heartbeat: Heartbeat | None = None


def deployment_heartbeat(error: MissionError) -> Heartbeat | None:
    """The heartbeat that still arrived with a failure of the metrics source (its deployment state is good), else None."""
    return error.heartbeat if isinstance(error, PrometheusError) else None


class PrometheusUnavailable(PrometheusError):
    """No usable answer from Prometheus: refused, reset, an HTTP error, a body that is not its API's JSON."""

    kind = "prometheus-failed"
    transient = True


class PrometheusTimeout(PrometheusUnavailable):
    """Prometheus did not answer every query of a poll within the configured timeout."""

    kind = "prometheus-timeout"


class PrometheusBadQuery(PrometheusError):
    """Prometheus refused the PromQL (a syntax or type error); the message is Prometheus's own."""

    kind = "prometheus-bad-query"


class PrometheusNoSeries(PrometheusError):
    """The query returned no series where one was expected (wrong metric or label, or nothing scraped yet)."""

    kind = "prometheus-no-series"


class PrometheusSeveralSeries(PrometheusError):
    """The query returned several series where one was expected (aggregate it with sum or sum by (le))."""

    kind = "prometheus-several-series"


class PrometheusNaN(PrometheusError):
    """The query returned NaN, an infinity or a negative count: no figure can be judged from it."""

    kind = "prometheus-nan"
