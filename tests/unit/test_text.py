from __future__ import annotations

import base64

from correlator.text import escape_controls, raw_text


def test_control_characters_are_escaped() -> None:
    forged = "ok\r\n[ERROR] forged line\x1b[2J\x00"
    escaped = escape_controls(forged)
    assert escaped == "ok\\x0d\\x0a[ERROR] forged line\\x1b[2J\\x00"
    assert not any(ord(c) < 0x20 for c in escaped)


def test_line_separators_and_bidi_overrides_are_escaped_too() -> None:
    spoof = "admin\u202egnp.exe\u2028[INFO] forged\u2066x\u2069\x85"
    assert escape_controls(spoof) == ("admin\\u202egnp.exe\\u2028[INFO] forged\\u2066x\\u2069\\x85")
    assert escape_controls("Müller, café, 東京") == "Müller, café, 東京"


def test_raw_text_falls_back_to_base64_for_invalid_utf8() -> None:
    assert raw_text("café".encode()) == ("café", "utf-8")
    text, encoding = raw_text(b"\xff\xfe")
    assert encoding == "base64"
    assert base64.b64decode(text) == b"\xff\xfe"
