"""Durations as rule authors write them: ``30s``, ``5m``, ``1h``, ``2d``, ``1m30s``.

The engine works in integer microseconds (exact comparisons at window edges), so a duration
is parsed once, when a rule is compiled.
"""

from __future__ import annotations

import re

_UNIT_US = {"ms": 1_000, "s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000, "d": 86_400_000_000}
_PART = re.compile(r"(\d+)(ms|s|m|h|d)")
PATTERN = r"^(\d+(ms|s|m|h|d))+$"
"""The JSON Schema pattern of a duration."""

HINT = "use 30s, 5m, 1h"


def parse_us(text: str) -> int:
    """Microseconds in ``text``; :class:`ValueError` says what a duration looks like."""
    if not isinstance(text, str) or not re.fullmatch(PATTERN, text):
        raise ValueError(f"{text!r} is not a duration ({HINT})")
    return sum(int(n) * _UNIT_US[unit] for n, unit in _PART.findall(text))


def check(text: str) -> str:
    """Pydantic validator: keep the text, reject what :func:`parse_us` rejects."""
    parse_us(text)
    return text


def format_us(us: int) -> str:
    """The shortest duration text for ``us`` microseconds (for messages)."""
    if us == 0:
        return "0s"
    out = []
    for unit in ("d", "h", "m", "s", "ms"):
        size = _UNIT_US[unit]
        if us >= size:
            out.append(f"{us // size}{unit}")
            us %= size
    return "".join(out)
