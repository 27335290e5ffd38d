"""Safe rendering of untrusted text for logs, terminals and alert text."""

from __future__ import annotations

import base64
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls, the Unicode line and paragraph separators, and the bidirectional
overrides and isolates (which can make a name read backwards in a console)."""


def escape_controls(text: str) -> str:
    r"""Replace control characters (CR, LF, ESC, ...) with visible escapes like ``\x1b``
    (``\u2028`` above U+00FF).

    Untrusted records must never move a terminal cursor, forge a log line or reorder text.
    """
    return _CONTROL.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def raw_text(raw: bytes) -> tuple[str, str]:
    """A raw record as text for JSON: ``(text, "utf-8")``, or ``(base64, "base64")``."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), "base64"
