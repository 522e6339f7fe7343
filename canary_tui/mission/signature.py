"""Heartbeat signatures: HMAC-SHA256 of the raw body, sent as `X-Signature: sha256=<hex>`."""

from __future__ import annotations

import hashlib
import hmac

from canary_tui.mission.credentials import Secret

PREFIX = "sha256="


def sign(body: bytes, secret: Secret) -> str:
    """The X-Signature header value for body: "sha256=<hex>"."""
    digest = hmac.new(secret.reveal().encode("utf-8"), body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def verify(body: bytes, header: str | None, secret: Secret) -> bool:
    """True when header is exactly the signature of body; compared in constant time."""
    if header is None:
        return False
    expected = sign(body, secret).encode("ascii")
    try:
        given = header.strip().lower().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, given)
