"""Small converters shared by the parsers: lenient where feeds are sloppy, strict on types.

Each returns ``None`` for a missing or unusable value instead of raising, so a parser can
say ``ip(rec.get("src"))`` and get either a valid address or nothing. Values that decide
whether a record makes sense at all (its timestamp) raise :class:`RecordError` instead.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any

from correlator.model.event import Severity
from correlator_connectors.parsers.base import RecordError

_EMPTY = {"", "-", "(empty)", "null", "none", "n/a", "N/A"}


def text(value: Any) -> str | None:
    """A non-empty string, or ``None`` for blanks and the usual 'no value' markers."""
    if value is None or isinstance(value, (dict, list)):
        return None
    out = str(value).strip()
    return None if out in _EMPTY else out


def integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        try:
            number = float(str(value).strip())
        except (TypeError, ValueError):
            return None
        return int(number) if number == number and abs(number) < 1e18 else None


def number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out and abs(out) != float("inf") else None


def port(value: Any) -> int | None:
    out = integer(value)
    return out if out is not None and 0 <= out <= 65535 else None


@lru_cache(maxsize=4096)
def _ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def ip(value: Any) -> str | None:
    """A valid IPv4/IPv6 address in canonical form; placeholders and junk give ``None``."""
    out = text(value)
    return _ip(out) if out else None


def public_ip(value: Any) -> str | None:
    """Like :func:`ip`, but ``0.0.0.0`` / ``::`` (unset) give ``None``."""
    out = ip(value)
    return None if out in ("0.0.0.0", "::") else out


def mac(value: Any) -> str | None:
    out = text(value)
    if out is None:
        return None
    digits = out.replace(":", "").replace("-", "").replace(".", "").lower()
    if len(digits) != 12 or any(c not in "0123456789abcdef" for c in digits):
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def epoch(value: Any) -> datetime:
    """Unix time in s, ms, µs or ns (guessed from the magnitude), as UTC."""
    seconds = number(value)
    if seconds is None:
        raise RecordError(f"timestamp {value!r} is not a number")
    while abs(seconds) > 1e11:  # beyond year 5138 in seconds: a finer unit
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise RecordError(f"timestamp {value!r} is out of range") from exc


def iso_time(value: Any, default_tz: tzinfo | None = None) -> datetime:
    """ISO 8601 / RFC 3339 (``Z``, ``+0000`` or ``+00:00``); naive ones get ``default_tz``."""
    raw = text(value)
    if raw is None:
        raise RecordError("timestamp is missing")
    stamp = raw.replace(" ", "T", 1) if "T" not in raw and len(raw) > 10 else raw
    if len(stamp) > 5 and stamp[-5] in "+-" and stamp[-4:].isdigit() and stamp[-3] != ":":
        stamp = stamp[:-2] + ":" + stamp[-2:]
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError as exc:
        raise RecordError(f"timestamp {raw!r} is not ISO 8601") from exc
    if when.tzinfo is None and default_tz is not None:
        when = when.replace(tzinfo=default_tz)
    return when


def strptime(value: Any, fmt: str, tz: tzinfo) -> datetime:
    raw = text(value)
    if raw is None:
        raise RecordError("timestamp is missing")
    try:
        when = datetime.strptime(raw, fmt)
    except ValueError as exc:
        raise RecordError(f"timestamp {raw!r} does not match {fmt!r}") from exc
    return when if when.tzinfo else when.replace(tzinfo=tz)


def severity_0_10(value: Any) -> Severity | None:
    """CEF/LEEF-style 0-10 scale (or its words) to our five levels."""
    word = (text(value) or "").lower()
    words: dict[str, Severity] = {
        "unknown": "informational",
        "low": "low",
        "medium": "medium",
        "high": "high",
        "very-high": "critical",
        "very high": "critical",
        "critical": "critical",
    }
    if word in words:
        return words[word]
    level = integer(word)
    if level is None:
        return None
    if level <= 0:
        return "informational"
    if level <= 3:
        return "low"
    if level <= 6:
        return "medium"
    return "high" if level <= 8 else "critical"


def get_path(record: Any, path: str) -> Any:
    """``a.b.c`` into nested dicts; ``None`` when any step is missing."""
    node = record
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def json_object(data: bytes) -> dict[str, Any]:
    """A JSON object from bytes; anything else is a malformed record."""
    from correlator import serde
    from correlator.errors import DecodeError

    try:
        value = serde.loads(data)
    except DecodeError as exc:
        raise RecordError(str(exc)) from exc
    if not isinstance(value, dict):
        raise RecordError(f"expected a JSON object, got {type(value).__name__}")
    return value


def json_payload(raw: bytes, ctx_ingest: datetime, tz: tzinfo) -> tuple[dict[str, Any], str | None]:
    """A JSON object, bare or after a syslog header; returns it and the syslog host."""
    from correlator_connectors.parsers.syslog import parse_syslog

    body = raw.strip()
    if body.startswith(b"{"):
        return json_object(body), None
    message = parse_syslog(body, ctx_ingest, tz)
    start = message.message.find(b"{")
    if start < 0:
        raise RecordError("no JSON object in the record")
    return json_object(message.message[start:]), message.host


_JAVA_TOKENS = [
    ("yyyy", "%Y"),
    ("MMM", "%b"),
    ("MM", "%m"),
    ("dd", "%d"),
    ("HH", "%H"),
    ("hh", "%I"),
    ("mm", "%M"),
    ("ss", "%S"),
    ("SSS", "%f"),
    ("zzz", "%Z"),
    ("Z", "%z"),
    ("z", "%Z"),
    ("a", "%p"),
]

DEVICE_TIME_FORMATS = (
    "%b %d %Y %H:%M:%S.%f %Z",
    "%b %d %Y %H:%M:%S %Z",
    "%b %d %Y %H:%M:%S.%f",
    "%b %d %Y %H:%M:%S",
    "%b %d %Y:%H:%M:%S %Z",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)
"""Textual timestamps CEF ``rt`` / LEEF ``devTime`` carry in practice (ArcSight and QRadar
defaults, plus the variants seen from real senders)."""


def java_format(pattern: str) -> str:
    """A Java ``SimpleDateFormat`` pattern (LEEF ``devTimeFormat``) as a strptime format."""
    out, i = [], 0
    while i < len(pattern):
        for token, code in _JAVA_TOKENS:
            if pattern.startswith(token, i):
                out.append(code)
                i += len(token)
                break
        else:
            out.append(pattern[i].replace("%", "%%"))
            i += 1
    return "".join(out)


def device_time(
    value: Any, tz: tzinfo, formats: tuple[str, ...] = DEVICE_TIME_FORMATS
) -> datetime | None:
    """Epoch (s/ms/µs) or one of ``formats``; ``None`` when nothing fits."""
    raw = text(value)
    if raw is None:
        return None
    if raw.isdigit():
        return epoch(raw)
    stamp = raw.replace(" UTC", " GMT") if raw.endswith(" UTC") else raw
    for fmt in formats:
        try:
            when = datetime.strptime(stamp, fmt)
        except ValueError:
            continue
        if "%Z" in fmt and stamp.endswith(" GMT"):
            return when.replace(tzinfo=UTC)
        return when if when.tzinfo else when.replace(tzinfo=tz)
    try:
        return iso_time(raw, tz)
    except RecordError:
        return None
