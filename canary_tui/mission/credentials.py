"""Secrets that cannot leak: a wrapper whose repr, str and format never show the value."""

from __future__ import annotations


class Secret:
    """A token or signing secret. Only `reveal()` gives the value; everything else says '***'."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str = "") -> None:
        self._value = value
        self.source = source  # where it came from, e.g. "env OPS_TOKEN" (safe to show)

    def reveal(self) -> str:
        """The raw value, for the Authorization header or the HMAC key only."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret(***{', ' + self.source if self.source else ''})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self):  # never pickled into a crash dump or a subprocess
        raise TypeError("Secret cannot be pickled")

    def __eq__(self, other: object) -> bool:
        import hmac

        return isinstance(other, Secret) and hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(("Secret", self.source))

    def __bool__(self) -> bool:
        return bool(self._value)
