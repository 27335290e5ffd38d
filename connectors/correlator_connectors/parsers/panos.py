"""Palo Alto Networks PAN-OS syslog CSV: ``TRAFFIC``, ``THREAT`` and GlobalProtect.

The CSV may follow any syslog header (BSD, RFC 5424, or a relay's header in front of the
firewall's own); the record starts at ``<future>,<receive time>,<serial>,<TYPE>``. Field
positions (0-based, from the PAN-OS syslog field descriptions) are stable across 6.x to 11.x
for the fields we read; newer versions only append fields.

GlobalProtect arrives three ways, all mapped to ``vpn`` ``connect`` / ``disconnect``:

- the ``GLOBALPROTECT`` log type (PAN-OS 9.1+): ``gateway-connected`` is a connect (it
  carries the private and public IPs), ``gateway-logout`` a disconnect, a failed
  ``portal-auth`` / ``gateway-auth`` a connect with outcome failure;
- the older ``SYSTEM`` / ``globalprotect`` messages: ``globalprotectgateway-config-succ``
  (the private IP is assigned) is a connect, ``-config-release`` (it is released) a
  disconnect, ``-auth-fail`` a failed connect; the fields are read from the description;
- the same ``GLOBALPROTECT`` log as JSON (Cortex Data Lake / Prisma Access field names).

Other log types (CONFIG, SYSTEM, HIPMATCH, USERID, ...) are rejected as unsupported.
Times carry no zone: the context's default zone applies, unless the record has a
high-resolution timestamp with an offset (PAN-OS 9.0+ appends one).
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from typing import Any

from correlator.model.event import Severity
from correlator_connectors.parsers.base import (
    BaseParser,
    Draft,
    ParseContext,
    RecordError,
    unsupported,
)
from correlator_connectors.parsers.fields import (
    integer,
    ip,
    iso_time,
    json_object,
    port,
    public_ip,
    strptime,
    text,
)
from correlator_connectors.parsers.syslog import parse_syslog

_CSV_START = re.compile(rb"(?:^|[\s>])(\d+),(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d),([^,]*),([A-Z]+),")
_HIRES = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?[+-]\d\d:\d\d")
_SEVERITIES: tuple[Severity, ...] = ("informational", "low", "medium", "high", "critical")
_DENY = {
    "deny",
    "drop",
    "drop-icmp",
    "reset-client",
    "reset-server",
    "reset-both",
    "block-url",
    "block",
}
_GP_CONNECT = {"gateway-connected"}
_GP_DISCONNECT = {"gateway-logout"}
_GP_AUTH = {"portal-auth", "gateway-auth"}


class PanosParser(BaseParser):
    name: str = "panos"
    description: str = (
        "Palo Alto PAN-OS syslog CSV: TRAFFIC, THREAT, GlobalProtect (CSV, SYSTEM, CDL JSON)"
    )

    def drafts(self, raw: bytes, ctx: ParseContext) -> list[Draft]:
        body = raw.strip()
        if body.startswith(b"{"):
            return [_cdl_globalprotect(json_object(body), ctx)]
        start = _CSV_START.search(body)
        if start is None:
            raise RecordError(
                "no PAN-OS CSV record ('1,YYYY/MM/DD hh:mm:ss,serial,TYPE,...') found"
            )
        header = parse_syslog(body[: start.start(1)], ctx.ingest_time, ctx.default_tz)
        try:
            row = next(csv.reader([body[start.start(1) :].decode("utf-8", "replace")]))
        except csv.Error as exc:
            raise RecordError(f"not a CSV row: {exc}") from exc
        if len(row) < 5:
            raise RecordError(
                f"PAN-OS CSV record has {len(row)} fields, fewer than the 5 of any log type "
                "(a stray quote?)"
            )
        kind = row[3]
        if kind == "TRAFFIC":
            draft = _traffic(row)
        elif kind == "THREAT":
            draft = _threat(row)
        elif kind == "GLOBALPROTECT":
            draft = _globalprotect(row)
        elif kind == "SYSTEM" and row[4] == "globalprotect":
            draft = _system_globalprotect(row)
        else:
            subtype = f"/{row[4]}" if len(row) > 4 else ""
            raise unsupported(
                f"PAN-OS log type {kind}{subtype} is not mapped "
                "(mapped: TRAFFIC, THREAT, GLOBALPROTECT)"
            )
        draft["time"] = _time(row, ctx)
        draft["host"] = header.host
        draft.setdefault("attrs", {}).update(
            serial=text(row[2]), log_type=kind, log_subtype=text(row[4])
        )
        return [draft]


def _need(row: list[str], count: int) -> None:
    if len(row) < count:
        raise RecordError(
            f"PAN-OS {row[3]} record has {len(row)} fields, expected at least {count}"
        )


def _time(row: list[str], ctx: ParseContext) -> datetime:
    for value in row[-3:]:
        if _HIRES.fullmatch(value):
            return iso_time(value)
    return strptime(row[6], "%Y/%m/%d %H:%M:%S", ctx.default_tz)


def _session(row: list[str]) -> Draft:
    """Fields TRAFFIC and THREAT share (positions 7 to 30)."""
    return {
        "ocsf_class_uid": 4001,
        "actor": {"account": text(row[12])},
        "src": {"ip": ip(row[7]), "port": port(row[24])},
        "dst": {"ip": ip(row[8]), "port": port(row[25])},
        "attrs": {
            "rule": text(row[11]),
            "dst_user": text(row[13]),
            "app": text(row[14]),
            "vsys": text(row[15]),
            "src_zone": text(row[16]),
            "dst_zone": text(row[17]),
            "nat_src_ip": public_ip(row[9]),
            "nat_dst_ip": public_ip(row[10]),
            "session_id": integer(row[22]),
            "proto": text(row[29]),
            "panos_action": text(row[30]),
            "action": "deny" if row[30] in _DENY else "allow",
        },
    }


def _traffic(row: list[str]) -> Draft:
    _need(row, 31)
    draft = _session(row)
    draft.update(domain="firewall", activity="traffic")

    def field(index: int) -> str | None:
        return row[index] if len(row) > index else None

    draft["outcome"] = "failure" if row[30] in _DENY else "success"
    draft["attrs"].update(
        bytes=integer(field(31)),
        bytes_sent=integer(field(32)),
        bytes_received=integer(field(33)),
        packets=integer(field(34)),
        elapsed=integer(field(36)),
        url_category=text(field(37)),
        session_end_reason=text(field(46)),
    )
    return draft


def _threat(row: list[str]) -> Draft:
    _need(row, 36)
    draft = _session(row)
    draft.update(domain="firewall", activity="threat")
    name, _, number = row[32].rpartition("(")
    level = row[34].lower()
    draft["severity"] = level if level in _SEVERITIES else None
    draft["message"] = text(name) or text(row[31])
    draft["attrs"].update(
        signature=text(name) or row[4],
        signature_id=integer(number.rstrip(")")),
        category=text(row[33]),
        direction=text(row[35]),
        url=text(row[31]) if row[4] == "url" else None,
        filename=text(row[31]) if row[4] != "url" else None,
    )
    return draft


def _vpn(
    event: str, status: str, user: str | None, private_ip: str | None, public: str | None
) -> Draft:
    failed = status.lower() in ("failure", "fail", "failed")
    if event in _GP_CONNECT or (event in _GP_AUTH and failed):
        activity = "connect"
    elif event in _GP_DISCONNECT:
        activity = "disconnect"
    else:
        raise unsupported(
            f"GlobalProtect event {event!r} is not mapped "
            "(mapped: gateway-connected, gateway-logout, failed portal-auth/gateway-auth)"
        )
    return {
        "domain": "vpn",
        "activity": activity,
        "ocsf_class_uid": 3002,
        "outcome": "failure" if failed else "success",
        "actor": {"account": user},
        "src": {"ip": private_ip},
        "attrs": {"public_ip": public, "gp_event": event},
    }


def _globalprotect(row: list[str]) -> Draft:
    _need(row, 29)
    draft = _vpn(row[8], row[28], text(row[12]), public_ip(row[17]), public_ip(row[15]))
    draft["attrs"].update(
        stage=text(row[9]),
        auth_method=text(row[10]),
        tunnel_type=text(row[11]),
        machine=text(row[14]),
        client_version=text(row[21]),
        reason=text(row[25]),
        error=text(row[26]),
        portal=text(row[33]) if len(row) > 33 else None,
    )
    return draft


_LEGACY = {
    "globalprotectgateway-config-succ": ("connect", "success"),
    "globalprotectgateway-config-release": ("disconnect", "success"),
    "globalprotectgateway-auth-fail": ("connect", "failure"),
    "globalprotectportal-auth-fail": ("connect", "failure"),
}


def _system_globalprotect(row: list[str]) -> Draft:
    _need(row, 15)
    event = row[8]
    if event not in _LEGACY:
        raise unsupported(
            f"GlobalProtect system event {event!r} is not mapped (mapped: {', '.join(_LEGACY)})"
        )
    activity, outcome = _LEGACY[event]
    details = _description_fields(row[14])
    return {
        "domain": "vpn",
        "activity": activity,
        "ocsf_class_uid": 3002,
        "outcome": outcome,
        "message": text(row[14]),
        "actor": {"account": text(details.get("User name"))},
        "src": {"ip": public_ip(details.get("Private IP"))},
        "attrs": {
            "public_ip": public_ip(details.get("Login from")),
            "gp_event": event,
            "gateway": text(row[9]),
            "reason": text(details.get("Reason")),
            "machine": text(details.get("Device name")),
        },
    }


def _description_fields(description: str) -> dict[str, str]:
    """``"... succeeded. User name: x, Private IP: y, ..."`` → ``{"User name": "x", ...}``."""
    out = {}
    for part in description.split(", "):
        key, sep, value = part.rpartition(": ")
        if sep:
            out[key.rsplit(". ", 1)[-1].strip()] = value.strip().rstrip(".")
    return out


def _cdl_globalprotect(rec: dict[str, Any], ctx: ParseContext) -> Draft:
    if rec.get("LogType") != "GLOBALPROTECT":
        raise unsupported(
            f"PAN-OS JSON log type {rec.get('LogType')!r} is not mapped (mapped: GLOBALPROTECT)"
        )
    draft = _vpn(
        str(rec.get("EventIDValue")),
        str(rec.get("EventStatus") or ""),
        text(rec.get("SourceUserName")),
        public_ip(rec.get("PrivateIPv4")) or public_ip(rec.get("PrivateIPv6")),
        public_ip(rec.get("PublicIPv4")) or public_ip(rec.get("PublicIPv6")),
    )
    draft["time"] = iso_time(
        rec.get("TimeGeneratedHighResolution") or rec.get("TimeGenerated"), ctx.default_tz
    )
    draft["host"] = text(rec.get("DeviceName"))
    draft["attrs"].update(
        stage=text(rec.get("Stage")),
        tunnel_type=text(rec.get("TunnelType")),
        machine=text(rec.get("EndpointDeviceName")),
        portal=text(rec.get("Portal")),
        serial=text(rec.get("DeviceSN")),
        log_type="GLOBALPROTECT",
    )
    return draft
