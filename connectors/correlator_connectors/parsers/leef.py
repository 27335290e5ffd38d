"""IBM QRadar Log Event Extended Format (LEEF) 1.0 and 2.0, bare or after a syslog header.

``LEEF:1.0|Vendor|Product|Version|EventID|`` then attributes separated by a tab.
``LEEF:2.0|Vendor|Product|Version|EventID|Delim|`` names its attribute delimiter: one
character (``^``) or a hex code (``x09``, ``0x09``); an empty delimiter field means tab.
Senders that use spaces instead of tabs in 1.0 are read like a CEF extension.

Events are ``ids`` / ``alert``: ``sev`` (1-10) maps to our severity, ``cat`` is the
category, the EventID the signature id. Time: ``devTime`` (with ``devTimeFormat`` when
given, else epoch or ``MMM dd yyyy HH:mm:ss``), else the syslog header, else ingest time.
"""

from __future__ import annotations

import re
from typing import Any

from correlator_connectors.parsers.base import BaseParser, Draft, ParseContext, RecordError
from correlator_connectors.parsers.cef import split_extension, split_header, unreadable
from correlator_connectors.parsers.fields import (
    DEVICE_TIME_FORMATS,
    device_time,
    ip,
    java_format,
    mac,
    port,
    severity_0_10,
    text,
)
from correlator_connectors.parsers.syslog import embedded_header, event_time

_PREFIX = re.compile(rb"LEEF: ?([12]\.0)\|")
_HEX = re.compile(r"(?:0x|x)([0-9a-fA-F]{1,4})")


def leef_delimiter(field: str) -> str:
    """The LEEF 2.0 attribute delimiter from its header field."""
    if field == "":
        return "\t"
    hexcode = _HEX.fullmatch(field)
    if hexcode:
        return chr(int(hexcode.group(1), 16))
    if len(field) == 1:
        return field
    raise RecordError(f"LEEF 2.0 delimiter {field!r} is neither one character nor a hex code")


def split_attributes(body: str, delimiter: str) -> dict[str, str]:
    if delimiter not in body and delimiter == "\t":
        return split_extension(body)
    pairs = {}
    for item in body.split(delimiter):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            pairs[key.strip()] = value.strip()
    return pairs


class LeefParser(BaseParser):
    name: str = "leef"
    description: str = "IBM QRadar LEEF 1.0 / 2.0, bare or in syslog; mapped to ids alerts"

    def drafts(self, raw: bytes, ctx: ParseContext) -> list[Draft]:
        found = _PREFIX.search(raw)
        if found is None:
            raise RecordError("no 'LEEF:1.0|' or 'LEEF:2.0|' header in the record")
        syslog = embedded_header(raw[: found.start()], ctx.ingest_time, ctx.default_tz)
        version = found.group(1).decode()
        body = raw[found.end() :].decode("utf-8", "replace")
        if version == "2.0":
            (vendor, product, product_version, event_id, delim), rest = split_header(body, 5)
            delimiter = leef_delimiter(delim)
        else:
            (vendor, product, product_version, event_id), rest = split_header(body, 4)
            delimiter = "\t"
        attrs_in = split_attributes(rest, delimiter)
        when, time_source = event_time(
            self._time(attrs_in, ctx), "devTime", syslog, ctx.ingest_time
        )
        attrs: dict[str, Any] = {
            "time_source": time_source,
            "signature": text(attrs_in.get("name")) or text(event_id),
            "signature_id": text(event_id),
            "category": text(attrs_in.get("cat")),
            "vendor": text(vendor),
            "product": text(product),
            "device_version": text(product_version),
            "leef_version": version,
            "action": text(attrs_in.get("action")),
        }
        for key, value in attrs_in.items():
            attrs.setdefault(key, value)
        return [
            {
                "time": when,
                "host": text(attrs_in.get("identHostName")) or (syslog.host if syslog else None),
                "domain": "ids",
                "activity": "alert",
                "ocsf_class_uid": 2004,
                "severity": severity_0_10(attrs_in.get("sev")),
                "message": text(attrs_in.get("msg")) or text(event_id),
                "actor": {
                    "account": text(attrs_in.get("usrName")) or text(attrs_in.get("accountName"))
                },
                "src": {
                    "ip": ip(attrs_in.get("src")),
                    "port": port(attrs_in.get("srcPort")),
                    "mac": mac(attrs_in.get("srcMAC")),
                },
                "dst": {
                    "ip": ip(attrs_in.get("dst")),
                    "port": port(attrs_in.get("dstPort")),
                    "mac": mac(attrs_in.get("dstMAC")),
                },
                "attrs": attrs,
            }
        ]

    @staticmethod
    def _time(attrs: dict[str, str], ctx: ParseContext) -> Any:
        pattern = attrs.get("devTimeFormat")
        formats = (java_format(pattern), *DEVICE_TIME_FORMATS) if pattern else DEVICE_TIME_FORMATS
        when = device_time(attrs.get("devTime"), ctx.default_tz, formats)
        if when is None:
            unreadable(attrs, ("devTime",))
        return when
