"""ArcSight Common Event Format (CEF), bare or after any syslog header.

``CEF:Version|Vendor|Product|DeviceVersion|SignatureID|Name|Severity|Extension``. In the
header ``\\|`` and ``\\\\`` are escapes; in the extension, pairs are ``key=value`` separated
by spaces, a value runs until the next `` key=``, and ``\\=``, ``\\\\``, ``\\n``, ``\\r``
are escapes. ``CEF: 0|`` (with a space) is accepted, as some senders write it.

CEF comes from every kind of product, so events are ``ids`` / ``alert`` with the CEF
severity (0-10 or Low/Medium/High/Very-High) mapped to ours. Time: ``rt``, else ``start``,
else the syslog header, else the ingest time (``attrs.time_source`` says which).
"""

from __future__ import annotations

import re
from typing import Any

from correlator_connectors.parsers.base import BaseParser, Draft, ParseContext, RecordError
from correlator_connectors.parsers.fields import device_time, ip, mac, port, severity_0_10, text
from correlator_connectors.parsers.syslog import embedded_header, event_time

_PREFIX = re.compile(rb"CEF: ?(\d+(?:\.\d+)?)\|")
_EXT_KEY = re.compile(r"(?:^|(?<=\s))([\w.\-\[\]]+)=")
_EXT_ESCAPES = {"\\=": "=", "\\\\": "\\", "\\n": "\n", "\\r": "\r", "\\|": "|"}
_ESCAPE = re.compile(r"\\[=\\nr|]")
_HEADER_FIELD = re.compile(r"((?:[^|\\]++|\\.)*+)\|", re.DOTALL)
_HEADER_ESCAPE = re.compile(r"\\([|\\])")


def split_header(body: str, count: int) -> tuple[list[str], str]:
    """Split ``count`` pipe-separated header fields off ``body`` (``\\|`` and ``\\\\`` escaped).

    One regular expression per field, possessive so that a header of a hundred thousand
    escaped pipes costs one linear scan, not a character loop or backtracking.
    """
    fields: list[str] = []
    at = 0
    for _ in range(count):
        match = _HEADER_FIELD.match(body, at)
        if match is None:
            raise RecordError(f"header has {len(fields)} of its {count} '|'-separated fields")
        fields.append(_HEADER_ESCAPE.sub(r"\1", match.group(1)))
        at = match.end()
    return fields, body[at:]


def split_extension(extension: str) -> dict[str, str]:
    """``k1=v1 k2=v two k3=v3`` → dict; a value runs to the next unescaped `` key=``."""
    pairs: dict[str, str] = {}
    matches = [
        m
        for m in _EXT_KEY.finditer(extension)
        if not _escaped(extension, m.start(1) + len(m.group(1)))
    ]
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(extension)
        value = extension[match.end() : end].strip()
        pairs[match.group(1)] = _ESCAPE.sub(lambda m: _EXT_ESCAPES[m.group(0)], value)
    return pairs


def unreadable(fields: dict[str, str], keys: tuple[str, ...]) -> None:
    """A device time that is there but cannot be read rejects the record: falling back to
    the ingest time would misplace the event without anyone noticing."""
    given = [f"{key}={fields[key]!r}" for key in keys if text(fields.get(key))]
    if given:
        raise RecordError(
            f"device time {', '.join(given)[:200]} is not a time "
            "(epoch, 'MMM dd yyyy HH:mm:ss' or ISO 8601)"
        )


def _escaped(text_: str, pos: int) -> bool:
    """True when the character at ``pos`` is preceded by an odd number of backslashes."""
    count = 0
    while pos - count - 1 >= 0 and text_[pos - count - 1] == "\\":
        count += 1
    return count % 2 == 1


class CefParser(BaseParser):
    name: str = "cef"
    description: str = "ArcSight CEF (any product), bare or in syslog; mapped to ids alerts"

    def drafts(self, raw: bytes, ctx: ParseContext) -> list[Draft]:
        found = _PREFIX.search(raw)
        if found is None:
            raise RecordError("no 'CEF:' header in the record")
        syslog = embedded_header(raw[: found.start()], ctx.ingest_time, ctx.default_tz)
        body = raw[found.end() :].decode("utf-8", "replace")
        (vendor, product, version, sig_id, name, level), extension = split_header(body, 6)
        ext = split_extension(extension)
        device, device_field = None, "rt"
        for key in ("rt", "start", "end"):
            device = device_time(ext.get(key), ctx.default_tz)
            if device is not None:
                device_field = key
                break
        if device is None:
            unreadable(ext, ("rt", "start", "end"))
        when, time_source = event_time(device, device_field, syslog, ctx.ingest_time)
        attrs: dict[str, Any] = {
            "time_source": time_source,
            "signature": text(name),
            "signature_id": text(sig_id),
            "category": text(ext.get("cat")),
            "vendor": text(vendor),
            "product": text(product),
            "device_version": text(version),
            "cef_version": found.group(1).decode(),
            "action": text(ext.get("act")),
        }
        for key, value in ext.items():
            attrs.setdefault(key, value)
        return [
            {
                "time": when,
                "host": text(ext.get("dvchost"))
                or text(ext.get("dvc"))
                or (syslog.host if syslog else None),
                "domain": "ids",
                "activity": "alert",
                "ocsf_class_uid": 2004,
                "severity": severity_0_10(level),
                "message": text(ext.get("msg")) or text(name),
                "actor": {"account": text(ext.get("suser"))},
                "src": {
                    "ip": ip(ext.get("src")),
                    "port": port(ext.get("spt")),
                    "host": text(ext.get("shost")),
                    "mac": mac(ext.get("smac")),
                },
                "dst": {
                    "ip": ip(ext.get("dst")),
                    "port": port(ext.get("dpt")),
                    "host": text(ext.get("dhost")),
                    "mac": mac(ext.get("dmac")),
                },
                "attrs": attrs,
            }
        ]
