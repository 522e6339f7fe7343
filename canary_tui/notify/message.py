"""A notice as a message: a title and a body of `field: value` lines, with a link and never a secret."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from canary_tui.core.clock import to_datetime
from canary_tui.core.notices import Notice

#: the body's fields, in order (docs/notifications.md lists them)
FIELDS = ("event", "target", "release", "stage", "reason", "actor", "at", "link")
_MIN_SECRET_CHARS = 6


@dataclass(frozen=True, slots=True)
class Message:
    """What is sent: a title and a body."""

    title: str
    body: str


def link_for(link_base: str | None, target: str) -> str:
    """The link of a message: `link_base` with the target as a query, or '' when no base is configured."""
    if not link_base:
        return ""
    return f"{link_base}/?target={quote(target, safe='/')}"


def render(notice: Notice, link_base: str | None, secrets: Iterable[str] = ()) -> Message:
    """Title and body for one notice, every secret scrubbed from them."""
    release = notice.release or "?"
    title = f"canary-tui {notice.event}: {notice.target} {release}"
    values = {
        "event": notice.event,
        "target": notice.target,
        "release": release,
        "stage": notice.stage or "?",
        "reason": notice.reason,
        "actor": notice.actor or "?",
        "at": to_datetime(notice.at_s).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "link": link_for(link_base, notice.target) or "-",
    }
    body = "\n".join(f"{name}: {values[name]}" for name in FIELDS)
    return Message(scrub(title, secrets), scrub(body, secrets))


def secret_parts(url: str) -> list[str]:
    """The parts of an apprise URL that may be secret: the URL itself, its user, password, path segments and query values."""
    parts = [url]
    try:
        split = urlsplit(url)
    except ValueError:
        return parts
    parts += [p for p in (split.username, split.password) if p]
    parts += [seg for seg in split.path.split("/") if seg]
    parts += [kv.partition("=")[2] for kv in split.query.split("&") if kv.partition("=")[2]]
    return sorted({p for p in parts if len(p) >= _MIN_SECRET_CHARS}, key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by '***' (longest first)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
