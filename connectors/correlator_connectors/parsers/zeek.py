"""Zeek logs: ``conn``, ``dhcp``, ``kerberos``, ``dns`` and ``notice``, as TSV or JSON.

TSV (Zeek's ASCII writer) is stateful: the ``#separator``, ``#set_separator``,
``#unset_field``, ``#empty_field``, ``#path`` and ``#fields`` header lines configure the
parser for the records that follow, so use one :class:`ZeekParser` per file. Header lines
return an empty list. JSON records (one object per line) name their log with ``_path``
(Zeek) or ``@stream`` (common shippers); without either, the fields decide. Both the native
``id.orig_h`` keys and the flattened ``id_orig_h`` keys are read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from correlator_connectors.parsers.base import (
    BaseParser,
    Draft,
    ParseContext,
    RecordError,
    unsupported,
)
from correlator_connectors.parsers.fields import (
    epoch,
    integer,
    ip,
    iso_time,
    json_object,
    mac,
    number,
    port,
    text,
)

_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")


class ZeekParser(BaseParser):
    name: str = "zeek"
    description: str = "Zeek conn, dhcp, kerberos, dns and notice logs (TSV with #fields, or JSON)"

    def __init__(self) -> None:
        self._separator = "\t"
        self._set_separator = ","
        self._unset = "-"
        self._empty = "(empty)"
        self._path: str | None = None
        self._fields: list[str] | None = None

    def drafts(self, raw: bytes, ctx: ParseContext) -> list[Draft]:
        line = raw.strip(b"\r\n")
        if line.startswith(b"{"):
            rec = json_object(line)
            path = text(rec.get("_path")) or text(rec.get("@stream")) or _guess_path(rec)
            host = text(rec.get("_system_name")) or text(rec.get("@system"))
        elif line.startswith(b"#"):
            self._header(line.decode("utf-8", "replace"))
            return []
        else:
            rec = self._tsv(line.decode("utf-8", "replace"))
            path, host = self._path, None
        builder = _BUILDERS.get(path or "")
        if builder is None:
            raise unsupported(f"Zeek log {path!r} is not mapped (mapped: {', '.join(_BUILDERS)})")
        if rec.get("ts") is None:
            raise RecordError(f"Zeek {path} record has no 'ts'")
        draft: Draft = {
            "time": _timestamp(rec["ts"]),
            "host": host,
            "src": {"ip": ip(_get(rec, "id.orig_h")), "port": port(_get(rec, "id.orig_p"))},
            "dst": {"ip": ip(_get(rec, "id.resp_h")), "port": port(_get(rec, "id.resp_p"))},
        }
        attrs: dict[str, Any] = {"uid": text(rec.get("uid")), "proto": text(rec.get("proto"))}
        builder(draft, attrs, rec)
        draft["attrs"] = attrs
        return [draft]

    def _header(self, line: str) -> None:
        if line.startswith("#separator"):
            sep = line[len("#separator") :].strip()
            self._separator = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), sep) or "\t"
            return
        key, _, value = line.partition(self._separator)
        if key == "#set_separator":
            self._set_separator = value
        elif key == "#unset_field":
            self._unset = value
        elif key == "#empty_field":
            self._empty = value
        elif key == "#path":
            self._path = value
        elif key == "#fields":
            self._fields = value.split(self._separator)

    def _tsv(self, line: str) -> dict[str, Any]:
        if self._fields is None:
            raise RecordError(
                "Zeek TSV record before any '#fields' header (read the file from its start)"
            )
        values = line.split(self._separator)
        if len(values) != len(self._fields):
            raise RecordError(
                f"Zeek TSV record has {len(values)} fields, "
                f"the #fields header names {len(self._fields)}"
            )
        rec: dict[str, Any] = {}
        for name, value in zip(self._fields, values, strict=True):
            if value == self._unset:
                continue
            rec[name] = (
                ""
                if value == self._empty
                else _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
            )
        return rec


def _timestamp(value: Any) -> datetime:
    """Zeek writes epoch seconds; JSON writers may be set to ISO 8601 instead."""
    if number(value) is not None:
        return epoch(value)
    return iso_time(value, UTC)


def _get(rec: dict[str, Any], dotted: str) -> Any:
    if dotted in rec:
        return rec[dotted]
    return rec.get(dotted.replace(".", "_"))


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value:
        return value.split(",")
    return []


def _guess_path(rec: dict[str, Any]) -> str | None:
    if "conn_state" in rec or "history" in rec:
        return "conn"
    if "msg_types" in rec or "assigned_addr" in rec or "assigned_ip" in rec:
        return "dhcp"
    if "request_type" in rec or ("client" in rec and "service" in rec and "cipher" in rec):
        return "kerberos"
    if "qtype_name" in rec or "rcode_name" in rec:
        return "dns"
    if "note" in rec:
        return "notice"
    return None


def _conn(draft: Draft, attrs: dict[str, Any], rec: dict[str, Any]) -> None:
    draft.update(domain="network", activity="conn", ocsf_class_uid=4001)
    draft["src"]["mac"] = mac(rec.get("orig_l2_addr"))
    draft["dst"]["mac"] = mac(rec.get("resp_l2_addr"))
    attrs.update(
        service=text(rec.get("service")),
        duration=number(rec.get("duration")),
        orig_bytes=integer(rec.get("orig_bytes")),
        resp_bytes=integer(rec.get("resp_bytes")),
        conn_state=text(rec.get("conn_state")),
        history=text(rec.get("history")),
    )


def _dhcp(draft: Draft, attrs: dict[str, Any], rec: dict[str, Any]) -> None:
    """A dhcp.log record sums up one exchange: an ACK with an address is a lease."""
    types = [t.upper() for t in _as_list(rec.get("msg_types"))]
    assigned = ip(rec.get("assigned_addr")) or ip(rec.get("assigned_ip"))
    client = {"mac": mac(rec.get("mac")), "host": text(rec.get("host_name"))}
    draft.update(domain="dhcp", ocsf_class_uid=4004, dst={"ip": ip(rec.get("server_addr"))})
    if "ACK" in types and assigned and assigned != "0.0.0.0":
        draft.update(activity="lease", outcome="success", src={**client, "ip": assigned})
        attrs["lease_seconds"] = integer(rec.get("lease_time"))
    elif "RELEASE" in types:
        client_ip = ip(rec.get("client_addr")) or draft["src"].get("ip")
        if client_ip is None:
            raise unsupported("Zeek DHCP RELEASE without client_addr names no address")
        draft.update(activity="release", src={**client, "ip": client_ip})
    else:
        shown = ",".join(types) or "none"
        raise unsupported(
            f"Zeek DHCP exchange {shown} assigns no address "
            "(mapped: ACK with assigned_addr, RELEASE)"
        )
    attrs.update(
        msg_types=",".join(types),
        domain_name=text(rec.get("domain")),
        client_fqdn=text(rec.get("client_fqdn")),
    )


def _kerberos(draft: Draft, attrs: dict[str, Any], rec: dict[str, Any]) -> None:
    draft.update(domain="network", activity="kerberos", ocsf_class_uid=4001)
    success = rec.get("success")
    if isinstance(success, str):
        success = {"t": True, "T": True, "f": False, "F": False}.get(success)
    if isinstance(success, bool):
        draft["outcome"] = "success" if success else "failure"
    client = text(rec.get("client"))
    draft["actor"] = {"account": client}
    attrs.update(
        request_type=text(rec.get("request_type")),
        service=text(rec.get("service")),
        error_msg=text(rec.get("error_msg")),
        cipher=text(rec.get("cipher")),
    )


def _dns(draft: Draft, attrs: dict[str, Any], rec: dict[str, Any]) -> None:
    draft.update(domain="network", activity="dns", ocsf_class_uid=4001)
    query = text(rec.get("query"))
    attrs.update(
        query=query,
        qtype=text(rec.get("qtype_name")),
        rcode=text(rec.get("rcode_name")),
        answers=",".join(_as_list(rec.get("answers"))) or None,
    )
    if query:
        draft["observables"] = [{"name": "dns.query", "type": "domain", "value": query}]


def _notice(draft: Draft, attrs: dict[str, Any], rec: dict[str, Any]) -> None:
    """A Zeek notice is a detection; Zeek gives it no severity, so we say medium."""
    draft.update(domain="ids", activity="alert", severity="medium", ocsf_class_uid=2004)
    draft["message"] = text(rec.get("msg"))
    if draft["src"].get("ip") is None:
        draft["src"] = {"ip": ip(rec.get("src"))}
    if draft["dst"].get("ip") is None:
        draft["dst"] = {"ip": ip(rec.get("dst")), "port": port(rec.get("p"))}
    attrs.update(signature=text(rec.get("note")), category="zeek-notice", sub=text(rec.get("sub")))


_BUILDERS: dict[str, Callable[[Draft, dict[str, Any], dict[str, Any]], None]] = {
    "conn": _conn,
    "dhcp": _dhcp,
    "kerberos": _kerberos,
    "dns": _dns,
    "notice": _notice,
}
