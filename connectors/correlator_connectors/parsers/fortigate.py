"""Fortinet FortiGate (FortiOS) ``key=value`` syslog.

Pairs are ``key=value`` or ``key="quoted value"`` separated by spaces, after an optional
syslog header. What we map:

- ``type=traffic`` → ``firewall`` / ``traffic`` (``attrs.action`` allow or deny);
- ``type=utm`` (virus, ips, webfilter, app-ctrl, ...) → ``firewall`` / ``threat``;
- ``type=event subtype=vpn``: SSL/IPsec ``tunnel-up`` → ``vpn`` / ``connect``,
  ``tunnel-down`` → ``disconnect``, ``ssl-login-fail`` → a failed connect
  (``tunnelip`` is the assigned IP, ``remip`` the client's outside IP);
- ``type=event subtype=system`` admin ``login`` / ``logout`` → ``auth`` / ``logon`` /
  ``logoff`` on the firewall itself.

Time: ``eventtime`` (s, µs or ns depending on FortiOS version), else ``date`` + ``time``
in the record's ``tz`` or the context's default zone.
"""

from __future__ import annotations

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
from correlator_connectors.parsers.fields import epoch, integer, ip, port, public_ip, strptime, text

_PAIR = re.compile(r'([\w-]+)=("(?:[^"\\]|\\.)*"|[^\s]*)')
_START = re.compile(rb"(?:^|[\s>])(date|devname|logver|logid|time|itime|eventtime)=")
_ALLOW = {
    "accept",
    "close",
    "timeout",
    "server-rst",
    "client-rst",
    "start",
    "ip-conn",
    "pass",
    "passthrough",
}
_LEVELS: dict[str, Severity] = {
    "emergency": "critical",
    "alert": "critical",
    "critical": "critical",
    "error": "high",
    "warning": "medium",
    "notice": "low",
    "information": "informational",
    "debug": "informational",
    "high": "high",
    "medium": "medium",
    "low": "low",
    "info": "informational",
}
_UI_IP = re.compile(r"\(([0-9a-fA-F:.]+)\)")


def parse_pairs(body: str) -> dict[str, str]:
    pairs = {}
    for key, value in _PAIR.findall(body):
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1].replace('\\"', '"')
        pairs[key] = value
    return pairs


class FortigateParser(BaseParser):
    name: str = "fortigate"
    description: str = (
        "Fortinet FortiGate key=value syslog: traffic, utm, SSL/IPsec VPN, admin logins"
    )

    def drafts(self, raw: bytes, ctx: ParseContext) -> list[Draft]:
        start = _START.search(raw)
        if start is None:
            raise RecordError("no FortiGate key=value fields (date=, devname=, logid=) found")
        rec = parse_pairs(raw[start.start(1) :].decode("utf-8", "replace"))
        kind, subtype = rec.get("type", ""), rec.get("subtype", "")
        if kind == "traffic":
            draft = _traffic(rec)
        elif kind == "utm":
            draft = _utm(rec)
        elif kind == "event" and subtype == "vpn":
            draft = _vpn(rec)
        elif kind == "event" and subtype == "system" and rec.get("action") in ("login", "logout"):
            draft = _admin(rec)
        else:
            raise unsupported(
                f"FortiGate type={kind or '?'} subtype={subtype or '?'} is not mapped "
                "(mapped: traffic, utm, event/vpn tunnels, event/system admin login/logout)"
            )
        draft["time"] = _time(rec, ctx)
        draft["host"] = text(rec.get("devname")) or text(rec.get("devid"))
        draft["attrs"].update(
            logid=text(rec.get("logid")), subtype=text(subtype), vd=text(rec.get("vd"))
        )
        return [draft]


def _time(rec: dict[str, str], ctx: ParseContext) -> datetime:
    if text(rec.get("eventtime")):
        return epoch(rec["eventtime"])
    stamp = f"{rec.get('date', '')} {rec.get('time', '')}".strip()
    zone = rec.get("tz", "")
    if re.fullmatch(r"[+-]\d{4}", zone):
        return strptime(f"{stamp} {zone}", "%Y-%m-%d %H:%M:%S %z", ctx.default_tz)
    return strptime(stamp, "%Y-%m-%d %H:%M:%S", ctx.default_tz)


def _endpoints(rec: dict[str, str]) -> Draft:
    return {
        "actor": {"account": text(rec.get("user")) or text(rec.get("unauthuser"))},
        "src": {
            "ip": ip(rec.get("srcip")),
            "port": port(rec.get("srcport")),
            "host": text(rec.get("srcname")),
        },
        "dst": {
            "ip": ip(rec.get("dstip")),
            "port": port(rec.get("dstport")),
            "host": text(rec.get("hostname")),
        },
    }


def _traffic(rec: dict[str, str]) -> Draft:
    action = rec.get("action", "")
    allowed = action in _ALLOW
    draft = _endpoints(rec)
    draft.update(
        domain="firewall",
        activity="traffic",
        ocsf_class_uid=4001,
        outcome="success" if allowed else "failure",
    )
    draft["attrs"] = {
        "action": "allow" if allowed else "deny",
        "fortigate_action": text(action),
        "policy_id": integer(rec.get("policyid")),
        "service": text(rec.get("service")),
        "app": text(rec.get("app")),
        "proto": integer(rec.get("proto")),
        "bytes_sent": integer(rec.get("sentbyte")),
        "bytes_received": integer(rec.get("rcvdbyte")),
        "src_intf": text(rec.get("srcintf")),
        "dst_intf": text(rec.get("dstintf")),
        "nat_src_ip": public_ip(rec.get("transip")),
    }
    return draft


def _utm(rec: dict[str, str]) -> Draft:
    draft = _endpoints(rec)
    level = (rec.get("severity") or rec.get("crlevel") or rec.get("level") or "").lower()
    signature = (
        rec.get("attack")
        or rec.get("virus")
        or rec.get("app")
        or rec.get("catdesc")
        or rec.get("msg")
    )
    draft.update(
        domain="firewall",
        activity="threat",
        ocsf_class_uid=4001,
        severity=_LEVELS.get(level),
        message=text(rec.get("msg")),
    )
    draft["attrs"] = {
        "signature": text(signature),
        "signature_id": integer(rec.get("attackid") or rec.get("virusid") or rec.get("appid")),
        "category": text(rec.get("catdesc"))
        or text(rec.get("appcat"))
        or text(rec.get("eventtype")),
        "action": text(rec.get("action")),
        "url": text(rec.get("url")),
        "filename": text(rec.get("filename")),
        "service": text(rec.get("service")),
    }
    return draft


def _vpn(rec: dict[str, str]) -> Draft:
    action = rec.get("action", "")
    if action == "tunnel-up":
        activity, outcome = "connect", "success"
    elif action == "tunnel-down":
        activity, outcome = "disconnect", "success"
    elif action in ("ssl-login-fail", "negotiate") and rec.get("status", "") in (
        "failure",
        "failed",
        "",
    ):
        activity, outcome = "connect", "failure"
    else:
        raise unsupported(
            f"FortiGate VPN action {action!r} is not mapped "
            "(mapped: tunnel-up, tunnel-down, ssl-login-fail)"
        )
    attrs: dict[str, Any] = {
        "public_ip": public_ip(rec.get("remip")),
        "tunnel_type": text(rec.get("tunneltype")),
        "tunnel_id": text(rec.get("tunnelid")),
        "reason": text(rec.get("reason")),
        "fortigate_action": action,
    }
    return {
        "domain": "vpn",
        "activity": activity,
        "ocsf_class_uid": 3002,
        "outcome": outcome,
        "message": text(rec.get("msg")),
        "actor": {"account": text(rec.get("user"))},
        "src": {"ip": public_ip(rec.get("tunnelip"))},
        "attrs": attrs,
    }


def _admin(rec: dict[str, str]) -> Draft:
    status = rec.get("status", "")
    ui = rec.get("ui", "")
    via = _UI_IP.search(ui)
    return {
        "domain": "auth",
        "activity": "logon" if rec.get("action") == "login" else "logoff",
        "ocsf_class_uid": 3002,
        "outcome": "success" if status == "success" else "failure",
        "message": text(rec.get("msg")),
        "actor": {"account": text(rec.get("user"))},
        "src": {"ip": ip(rec.get("srcip")) or (ip(via.group(1)) if via else None)},
        "dst": {"ip": ip(rec.get("dstip")), "host": text(rec.get("devname"))},
        "attrs": {
            "logon_method": text(rec.get("method")) or ui.split("(")[0] or None,
            "profile": text(rec.get("profile")),
        },
    }
