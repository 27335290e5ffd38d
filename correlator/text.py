"""Safe rendering of untrusted text for logs, terminals and alert text."""

from __future__ import annotations

import base64
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    r"""Replace control characters (CR, LF, ESC, ...) with visible escapes like ``\x1b``.

    Untrusted records must never move a terminal cursor or forge a log line.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def raw_text(raw: bytes) -> tuple[str, str]:
    """A raw record as text for JSON: ``(text, "utf-8")``, or ``(base64, "base64")``."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), "base64"
