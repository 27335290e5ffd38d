"""Suricata EVE JSON: ``alert``, ``flow``, ``dns``, ``http``, ``tls`` and ``dhcp`` records.

One JSON object per line, bare (``eve.json``) or after a syslog header (EVE over syslog).
Other event types (``stats``, ``fileinfo``, ``anomaly``, ...) are rejected as unsupported.
Suricata severity is 1 (high) to 3 (low); 4 and above are informational.
"""

from __future__ import annotations

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
    json_payload,
    mac,
    port,
    text,
)

_SEVERITY: dict[int, Severity] = {1: "high", 2: "medium", 3: "low"}
_TYPES = ("alert", "flow", "dns", "http", "tls", "dhcp")


class SuricataParser(BaseParser):
    name: str = "suricata"
    description: str = "Suricata EVE JSON (alert, flow, dns, http, tls, dhcp), bare or in syslog"

    def drafts(self, raw: bytes, ctx: ParseContext) -> list[Draft]:
        rec, syslog_host = json_payload(raw, ctx.ingest_time, ctx.default_tz)
        kind = rec.get("event_type")
        if kind not in _TYPES:
            raise unsupported(
                f"Suricata event_type {kind!r} is not mapped (mapped: {', '.join(_TYPES)})"
            )
        if "timestamp" not in rec:
            raise RecordError("Suricata record has no 'timestamp'")
        draft: Draft = {
            "time": iso_time(rec["timestamp"], ctx.default_tz),
            "host": text(rec.get("host")) or syslog_host,
            "src": {"ip": ip(rec.get("src_ip")), "port": port(rec.get("src_port"))},
            "dst": {"ip": ip(rec.get("dest_ip")), "port": port(rec.get("dest_port"))},
        }
        attrs: dict[str, Any] = {
            "proto": text(rec.get("proto")),
            "app_proto": text(rec.get("app_proto")),
            "flow_id": integer(rec.get("flow_id")),
            "community_id": text(rec.get("community_id")),
        }
        body = rec.get(kind)
        body = body if isinstance(body, dict) else {}
        _BUILDERS[kind](draft, attrs, body, rec)
        draft["attrs"] = attrs
        return [draft]


def _alert(draft: Draft, attrs: dict[str, Any], alert: dict[str, Any], rec: dict[str, Any]) -> None:
    draft.update(domain="ids", activity="alert", ocsf_class_uid=2004)
    level = integer(alert.get("severity"))
    draft["severity"] = _SEVERITY.get(level, "informational") if level is not None else None
    draft["message"] = text(alert.get("signature"))
    attrs.update(
        signature=text(alert.get("signature")),
        signature_id=integer(alert.get("signature_id")),
        category=text(alert.get("category")),
        action=text(alert.get("action")),
        gid=integer(alert.get("gid")),
        rev=integer(alert.get("rev")),
    )


def _flow(draft: Draft, attrs: dict[str, Any], flow: dict[str, Any], rec: dict[str, Any]) -> None:
    draft.update(domain="network", activity="flow", ocsf_class_uid=4001)
    attrs.update(
        bytes_toserver=integer(flow.get("bytes_toserver")),
        bytes_toclient=integer(flow.get("bytes_toclient")),
        pkts_toserver=integer(flow.get("pkts_toserver")),
        pkts_toclient=integer(flow.get("pkts_toclient")),
        state=text(flow.get("state")),
        reason=text(flow.get("reason")),
    )


def _dns(draft: Draft, attrs: dict[str, Any], dns: dict[str, Any], rec: dict[str, Any]) -> None:
    draft.update(domain="network", activity="dns", ocsf_class_uid=4001)
    query = text(dns.get("rrname"))
    queries = dns.get("queries")
    if query is None and isinstance(queries, list) and queries and isinstance(queries[0], dict):
        query = text(queries[0].get("rrname"))
    attrs.update(
        query=query,
        qtype=text(dns.get("rrtype")),
        rcode=text(dns.get("rcode")),
        dns_type=text(dns.get("type")),
    )
    if query:
        draft["observables"] = [{"name": "dns.query", "type": "domain", "value": query}]


def _http(draft: Draft, attrs: dict[str, Any], http: dict[str, Any], rec: dict[str, Any]) -> None:
    draft.update(domain="network", activity="http", ocsf_class_uid=4001)
    host = text(http.get("hostname"))
    url = text(http.get("url"))
    attrs.update(
        http_host=host,
        url=url,
        method=text(http.get("http_method")),
        status=integer(http.get("status")),
        user_agent=text(http.get("http_user_agent")),
    )
    if host:
        draft["observables"] = [{"name": "http.hostname", "type": "domain", "value": host}]


def _tls(draft: Draft, attrs: dict[str, Any], tls: dict[str, Any], rec: dict[str, Any]) -> None:
    draft.update(domain="network", activity="tls", ocsf_class_uid=4001)
    ja3 = tls.get("ja3")
    ja3s = tls.get("ja3s")
    sni = text(tls.get("sni"))
    attrs.update(
        sni=sni,
        tls_version=text(tls.get("version")),
        subject=text(tls.get("subject")),
        issuer=text(tls.get("issuerdn")),
        ja3=text(ja3.get("hash")) if isinstance(ja3, dict) else None,
        ja3s=text(ja3s.get("hash")) if isinstance(ja3s, dict) else None,
    )
    if sni:
        draft["observables"] = [{"name": "tls.sni", "type": "domain", "value": sni}]


def _dhcp(draft: Draft, attrs: dict[str, Any], dhcp: dict[str, Any], rec: dict[str, Any]) -> None:
    """Only the server's ACK (a lease) and the client's RELEASE bind an IP to a host."""
    kind = (text(dhcp.get("dhcp_type")) or "").lower()
    draft.update(domain="dhcp", ocsf_class_uid=4004)
    client = {"mac": mac(dhcp.get("client_mac")), "host": text(dhcp.get("hostname"))}
    if kind == "ack":
        assigned = ip(dhcp.get("assigned_ip"))
        if assigned is None or assigned == "0.0.0.0":
            raise unsupported("Suricata DHCP ack without an assigned_ip carries no lease")
        draft.update(activity="lease", outcome="success", src={**client, "ip": assigned})
        attrs["lease_seconds"] = integer(dhcp.get("lease_time"))
    elif kind == "release":
        draft.update(activity="release", src={**client, "ip": ip(dhcp.get("client_ip"))})
    else:
        raise unsupported(
            f"Suricata DHCP {kind or 'message'!r} carries no lease (mapped: ack, release)"
        )
    draft["dst"] = None
    attrs.update(dhcp_id=integer(dhcp.get("id")))


_BUILDERS = {
    "alert": _alert,
    "flow": _flow,
    "dns": _dns,
    "http": _http,
    "tls": _tls,
    "dhcp": _dhcp,
}
