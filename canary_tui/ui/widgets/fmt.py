"""Small text formatters shared by the widgets: ages, durations, milliseconds, percents."""

from __future__ import annotations


def duration_text(seconds: float | None) -> str:
    """Compact duration: '45s', '17m42s', '6h18m', '2d3h'; '—' when unknown."""
    if seconds is None:
        return "—"
    total_s = max(0, int(round(seconds)))
    if total_s < 60:
        return f"{total_s}s"
    minutes, secs = divmod(total_s, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h"


def age_text(age_s: float | None, *, tenths: bool = True) -> str:
    """Data age: '0.8 s' under 10 s (whole seconds, '1s', without `tenths`), then a compact duration; 'no data' when unknown."""
    if age_s is None:
        return "no data"
    if age_s < 10 and tenths:
        return f"{age_s:.1f} s"
    return duration_text(age_s)


def ms_text(value_ms: float | None) -> str:
    """Milliseconds without false precision; '—' when unknown."""
    if value_ms is None:
        return "—"
    return f"{value_ms:.0f} ms" if value_ms >= 10 else f"{value_ms:.1f} ms"


def percent_text(fraction: float | None, digits: int = 2) -> str:
    """A fraction 0..1 as a percent; '—' when unknown."""
    if fraction is None:
        return "—"
    return f"{fraction * 100:.{digits}f}%"


def per_s_text(rate: float | None) -> str:
    """Requests per second with a thin thousands separator; '—' when unknown."""
    if rate is None:
        return "—"
    if rate >= 100:
        return f"{rate:,.0f}/s".replace(",", " ")
    return f"{rate:.1f}/s"
