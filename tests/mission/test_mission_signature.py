"""HMAC-SHA256 signatures over the raw body, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

from canary_tui.mission.credentials import Secret
from canary_tui.mission.signature import sign, verify

SECRET = Secret("s3cr3t-signing-key")
BODY = b'{"heartbeat": {}, "verified": true}'


def test_sign_matches_an_independent_hmac() -> None:
    expected = hmac.new(b"s3cr3t-signing-key", BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, SECRET) == "sha256=" + expected


def test_verify_accepts_the_exact_signature_only() -> None:
    good = sign(BODY, SECRET)
    assert verify(BODY, good, SECRET)
    assert verify(BODY, good.upper().replace("SHA256=", "sha256="), SECRET)
    assert not verify(BODY + b" ", good, SECRET)
    assert not verify(BODY, good, Secret("other"))
    assert not verify(BODY, None, SECRET)
    assert not verify(BODY, "", SECRET)
    assert not verify(BODY, good[len("sha256="):], SECRET)
    assert not verify(BODY, "sha256=é" + good[8:], SECRET)
