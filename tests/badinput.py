"""A bad-input corpus for every connector format, generated in code (no big files in git).

For each format: :func:`valid` makes a good record (distinct per ``n``, its event time
``T0 + n`` seconds), :func:`preamble` the lines a stream of that format starts with (a CSV
header), and :func:`bad_cases` the hostile records, one or more per :data:`KINDS`:

- ``invalid-utf8``: bytes that are not UTF-8 where the format needs text it can read;
- ``oversize``: a 10 MB record (a valid one, padded);
- ``deep-nesting``: 100 000 levels of JSON or XML nesting;
- ``wrong-types``: the right shape with the wrong types (a timestamp that is an object...);
- ``delimiters``: delimiter and escaping abuse (CEF/LEEF pipes and backslashes, CSV quotes);
- ``injection``: CR, LF, ESC and NUL where the format's structure does not allow them;
- ``time-future`` / ``time-past``: event times in 2099, or from a zeroed clock (1970);
- ``other-format``: a good record of another format.

Every case here must be rejected with a reason, never raise and never become an event.
:func:`tolerated` lists hostile-looking records that are *accepted* by design (control
characters inside a field value, stray invalid UTF-8 inside a free-text field): the event
keeps the text as sent, and every place that renders it escapes it (logs, alert text).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from correlator_connectors import formats
from correlator_connectors.parsers.base import ParseContext, Parser

from correlator import serde

T0 = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
INGEST = T0 + timedelta(hours=1)
"""The ingest time unit tests use: an hour after the valid records' event times."""
FUTURE = datetime(2099, 1, 1, 12, 0, tzinfo=UTC)
PAST = datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)
DEPTH = 100_000
BIG = 10 * 1000 * 1000

KINDS = (
    "invalid-utf8", "oversize", "deep-nesting", "wrong-types", "delimiters", "injection",
    "time-future", "time-past", "other-format",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Case:
    kind: str
    name: str
    data: bytes

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.name}"


# -- good records --------------------------------------------------------------------------


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+0000"


def _suricata(n: int, when: datetime) -> bytes:
    return serde.dumps({
        "timestamp": _iso(when), "flow_id": 1000 + n, "event_type": "flow", "host": "ids-1",
        "src_ip": "10.0.0.1", "src_port": 1024 + n % 60000, "dest_ip": "10.0.0.2",
        "dest_port": 80, "proto": "TCP",
    })  # fmt: skip


def _zeek(n: int, when: datetime) -> bytes:
    return serde.dumps({
        "_path": "conn", "ts": when.timestamp(), "uid": f"C{n:08d}", "id.orig_h": "10.1.2.50",
        "id.orig_p": 40000 + n % 20000, "id.resp_h": "10.1.0.10", "id.resp_p": 445,
        "proto": "tcp", "conn_state": "SF",
    })  # fmt: skip


def _winevent(n: int, when: datetime) -> bytes:
    return serde.dumps({
        "@timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "winlog": {"channel": "Security", "event_id": 4624, "computer_name": "WS-ALICE",
                   "record_id": n,
                   "event_data": {"TargetUserName": f"user{n}", "TargetDomainName": "CORP",
                                  "LogonType": "3", "IpAddress": "10.1.2.50"}},
    })  # fmt: skip


def _json_doors(n: int, when: datetime) -> bytes:
    return serde.dumps({
        "EventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "EventType": "AccessGranted",
        "CardNumber": f"{n:07d}", "Door": "HQ-L1-Lobby", "Reader": "HQ-L1-Lobby-In", "Site": "HQ",
    })  # fmt: skip


def _csv_doors(n: int, when: datetime) -> bytes:
    return (
        f"{when:%Y-%m-%dT%H:%M:%S}+00:00,Granted,{n:07d},Alice,hq,hq-main,hq-main-in,ctl,".encode()
    )


def _vast(n: int, when: datetime) -> bytes:
    return f"{when:%Y-%m-%d %H:%M:%S}, fixed-prox, card{n:05d}, 1, {1 + n % 7}".encode()


def _cef(n: int, when: datetime) -> bytes:
    ms = int(when.timestamp() * 1000)
    return (
        f"CEF:0|Acme|IDS|1.0|{100 + n}|Port scan|7|rt={ms} src=10.0.0.{n % 250 + 1} "
        f"spt={1024 + n % 60000} dst=10.0.1.1 dpt=22 suser=alice msg=scan number {n}"
    ).encode()


def _leef(n: int, when: datetime) -> bytes:
    epoch_ms = int(when.timestamp() * 1000)
    return (
        f"LEEF:2.0|Acme|IDS|1.0|sig-{n}|^|src=10.0.0.{n % 250 + 1}^dst=10.0.1.1^sev=6"
        f"^devTime={epoch_ms}^cat=Scan^usrName=alice"
    ).encode()


def _fortigate(n: int, when: datetime) -> bytes:
    return (
        f'date={when:%Y-%m-%d} time={when:%H:%M:%S} devname="fgt-hq" devid="FG100D0000000001" '
        f'logid="0101039947" type="event" subtype="vpn" level="information" vd="root" '
        f'eventtime={int(when.timestamp())} tz="+0000" action="tunnel-up" '
        f'tunneltype="ssl-tunnel" tunnelid={n} remip=203.0.113.50 tunnelip=10.212.134.200 '
        f'user="user{n}" msg="SSL tunnel established"'
    ).encode()


def _panos(n: int, when: datetime) -> bytes:
    t = f"{when:%Y/%m/%d %H:%M:%S}"
    fields = [
        "1", t, "001606001116", "TRAFFIC", "end", "1", t, "10.0.0.5", "8.8.8.8", "0.0.0.0",
        "0.0.0.0", "allow-dns", "", "", "dns", "vsys1", "trust", "untrust", "ethernet1/2",
        "ethernet1/1", "fwd", t, str(10_000 + n), "1", str(1024 + n % 60000), "53", "0", "0",
        "0x0", "udp", "allow", "100", "50", "50", "2", t, "0", "any", "0", str(n), "0x0",
        "10.0.0.0-10.255.255.255", "United States", "0", "1", "1", "aged-out",
    ]  # fmt: skip
    return ",".join(fields).encode()


_ONVIF = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<tt:MetadataStream xmlns:tt="http://www.onvif.org/ver10/schema"><tt:Event>'
    '<wsnt:NotificationMessage xmlns:tns1="http://www.onvif.org/ver10/topics" '
    'xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2">'
    "<wsnt:Topic>tns1:AccessControl/AccessGranted/Credential</wsnt:Topic><wsnt:Message>"
    '<tt:Message UtcTime="{time}"><tt:Source>'
    '<tt:SimpleItem Name="AccessPointToken" Value="ap-{n}"/></tt:Source><tt:Data>'
    '<tt:SimpleItem Name="CredentialToken" Value="cred-{n}"/>{inner}</tt:Data></tt:Message>'
    "</wsnt:Message></wsnt:NotificationMessage></tt:Event></tt:MetadataStream>"
)


def _onvif(n: int, when: datetime, inner: str = "") -> bytes:
    time = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return _ONVIF.format(time=time, n=n, inner=inner).encode()


MAKERS: dict[str, Callable[[int, datetime], bytes]] = {
    "onvif": _onvif, "suricata": _suricata, "zeek": _zeek, "panos": _panos,
    "fortigate": _fortigate, "cef": _cef, "leef": _leef, "winevent": _winevent,
    "csv-doors": _csv_doors, "json-doors": _json_doors, "vast-prox": _vast,
}  # fmt: skip
FORMATS = tuple(MAKERS)


def valid(fmt: str, n: int = 0, when: datetime | None = None) -> bytes:
    """A good record of ``fmt``; its event time is ``when``, else ``T0 + n`` seconds."""
    return MAKERS[fmt](n, when if when is not None else T0 + timedelta(seconds=n))


def preamble(fmt: str) -> list[bytes]:
    """What a stream of ``fmt`` starts with before its records (the CSV header)."""
    if fmt == "csv-doors":
        return [b"Timestamp,Event,Card,Cardholder,Site,Door,Reader,Controller,Reason"]
    return []


def fresh(fmt: str) -> Parser:
    """A parser that has seen its stream's preamble (the CSV header), as a transport's has."""
    parser = formats.get_parser(fmt)
    ctx = ParseContext(connector="preamble", ingest_time=INGEST)
    for line in preamble(fmt):
        assert parser.parse(line, ctx) == []
    return parser


# -- hostile records -----------------------------------------------------------------------


def _deep_json() -> bytes:
    return b'{"a":' * DEPTH + b"1" + b"}" * DEPTH


def _deep_xml() -> bytes:
    return b"<a>" * DEPTH + b"</a>" * DEPTH


@cache
def _oversize(fmt: str) -> bytes:
    record = valid(fmt, 7)
    pad = b"x" * (BIG - len(record))
    if fmt == "onvif":
        return record.replace(b"</tt:Data>", b"<tt:Pad>" + pad + b"</tt:Pad></tt:Data>")
    if record.startswith(b"{"):
        return record[:-1] + b',"pad":"' + pad + b'"}'
    if fmt in ("csv-doors", "vast-prox", "panos"):
        return record + b"," + pad
    return record + b" pad=" + pad


def _json_cases(fmt: str) -> list[Case]:
    good = valid(fmt, 3)
    time_key = {"suricata": "timestamp", "zeek": "ts", "winevent": "@timestamp",
                "json-doors": "EventTime"}[fmt]  # fmt: skip
    record = serde.loads(good)
    return [
        Case("invalid-utf8", "lone-continuation", good.replace(b'":"', b'":"\x80\x81', 1)),
        Case("invalid-utf8", "overlong-slash", good[:-1] + b',"k":"\xc0\xaf"}'),
        Case("invalid-utf8", "utf16-whole", good.decode().encode("utf-16")),
        Case("deep-nesting", "in-a-field", good[:-1] + b',"deep":' + _deep_json() + b"}"),
        Case("deep-nesting", "arrays", b"[" * DEPTH + b"]" * DEPTH),
        Case("wrong-types", "time-object", serde.dumps({**record, time_key: {"t": 1}})),
        Case("wrong-types", "time-list", serde.dumps({**record, time_key: [1, 2]})),
        Case("wrong-types", "not-an-object", b'["' + good.replace(b'"', b"'") + b'"]'),
        Case("wrong-types", "a-number", b"12345"),
        Case("delimiters", "truncated", good[: len(good) // 2]),
        Case("delimiters", "two-objects", good + good),
        Case("delimiters", "unbalanced-quote", good.replace(b'":"', b'":"\\', 1)),
        Case("injection", "raw-esc-in-string", good.replace(b'":"', b'":"\x1b[2J', 1)),
        Case("injection", "raw-cr-in-string", good.replace(b'":"', b'":"\rforged', 1)),
        Case("injection", "nul-between-tokens", good.replace(b",", b",\x00", 1)),
    ]


def _onvif_cases() -> list[Case]:
    good = valid("onvif", 3)
    lol = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        b"]><d>&c;</d>"
    )
    return [
        Case("invalid-utf8", "in-an-attribute", good.replace(b"cred-3", b"cred-\xff\xfe", 1)),
        Case("invalid-utf8", "truncated-sequence", good.replace(b"ap-3", b"ap-\xe2\x82", 1)),
        Case("deep-nesting", "in-the-data", _onvif(3, T0, "<x>" * DEPTH + "</x>" * DEPTH)),
        Case("deep-nesting", "bare", _deep_xml()),
        Case("wrong-types", "time-not-a-time", good.replace(b'UtcTime="', b'UtcTime="soon', 1)),
        Case("wrong-types", "no-time", good.replace(b'UtcTime="', b'Other="', 1)),
        Case("delimiters", "billion-laughs", lol),
        Case("delimiters", "billion-laughs-utf16", lol.decode().encode("utf-16")),
        Case("delimiters", "unclosed", good[:-30]),
        Case("delimiters", "attribute-quote", good.replace(b'Value="ap-3"', b'Value="a"p"', 1)),
        Case("injection", "esc-in-a-tag", good.replace(b"<tt:Source>", b"<tt:\x1bSource>", 1)),
        Case("injection", "nul-in-text", good.replace(b"cred-3", b"cred\x00-3", 1)),
    ]


def _text_cases(fmt: str) -> list[Case]:
    """Cases shared by the line formats that are not JSON: CEF, LEEF, FortiGate, PAN-OS, CSV."""
    good = valid(fmt, 3)
    return [
        Case("invalid-utf8", "whole-record-utf16", good.decode().encode("utf-16")),
        Case("invalid-utf8", "garbage-bytes", bytes(range(0x80, 0x100)) * 4),
        Case("deep-nesting", "json", _deep_json()),
        Case("deep-nesting", "xml", _deep_xml()),
        Case("injection", "esc-sequence-only", b"\x1b[2J\x1b[H\x1b]0;pwned\x07"),
        Case("injection", "nul-bytes", b"\x00" * 64),
        Case("injection", "cr-cut-in-the-header", good[:12] + b"\r"),
    ]


def _specific_cases(fmt: str) -> list[Case]:
    good = valid(fmt, 3)
    if fmt == "cef":
        return [
            Case("wrong-types", "version-not-a-number", good.replace(b"CEF:0|", b"CEF:x|", 1)),
            Case("wrong-types", "rt-not-a-time", good.replace(b"rt=", b"rt=yesterday x=", 1)),
            Case("delimiters", "five-pipes", b"CEF:0|Acme|IDS|1.0|100|Port scan"),
            Case("delimiters", "all-pipes-escaped", b"CEF:0|" + b"a\\|" * 50_000),
            Case("delimiters", "trailing-backslash", b"CEF:0|Acme|IDS|1.0|100|scan\\"),
            Case("injection", "esc-in-header", good.replace(b"CEF:0|", b"CEF:\x1b0|", 1)),
        ]
    if fmt == "leef":
        return [
            Case("wrong-types", "version-3", good.replace(b"LEEF:2.0|", b"LEEF:3.0|", 1)),
            Case("wrong-types", "time-not-a-time", good.replace(b"devTime=", b"devTime=x", 1)),
            Case("delimiters", "multi-char-delimiter", good.replace(b"|^|", b"|^^^|", 1)),
            Case("delimiters", "four-pipes", b"LEEF:2.0|Acme|IDS|1.0"),
            Case("delimiters", "all-pipes-escaped", b"LEEF:1.0|" + b"a\\|" * 50_000),
            Case("injection", "esc-in-header", good.replace(b"LEEF:2.0|", b"LEEF:\x1b2.0|", 1)),
        ]
    if fmt == "fortigate":
        return [
            Case("wrong-types", "no-usable-time", _strip_eventtime(good, b"time=soon")),
            Case("delimiters", "unterminated-quote", good[: good.index(b'devname="') + 12]),
            Case("delimiters", "no-pairs", b"date time devname logid type"),
            Case("injection", "esc-in-type", good.replace(b'type="event"', b'type="ev\x1bent"')),
        ]
    if fmt == "panos":
        return [
            Case("wrong-types", "time-word", good.replace(b",2024/", b",soon/", 1)),
            Case("delimiters", "unbalanced-quote", good.replace(b",allow-dns,", b',"allow,', 1)),
            Case("delimiters", "only-commas", b"," * 5000),
            Case("delimiters", "short-row", b",".join(good.split(b",")[:8])),
            Case("injection", "esc-in-type", good.replace(b",TRAFFIC,", b",TRA\x1bFFIC,", 1)),
        ]
    if fmt in ("csv-doors", "vast-prox"):
        return [
            Case("wrong-types", "time-word", b"yesterday" + good[good.index(b",") :]),
            Case("delimiters", "unbalanced-quote", good.replace(b",", b',"', 1)),
            Case("delimiters", "extra-columns", good + b",x,y,z"),
            Case("delimiters", "semicolons", good.replace(b",", b";")),
            Case("injection", "esc-in-time", b"\x1b" + good),
        ]
    raise KeyError(fmt)


def _strip_eventtime(record: bytes, replacement: bytes) -> bytes:
    start = record.index(b"eventtime=")
    end = record.index(b" ", start)
    return (record[:start] + b"eventtime=x " + record[end + 1 :]).replace(b"time=", replacement, 1)


def bad_cases(fmt: str) -> list[Case]:
    """Every hostile record for ``fmt``; each one must be rejected."""
    if fmt in ("suricata", "zeek", "winevent", "json-doors"):
        cases = _json_cases(fmt)
    elif fmt == "onvif":
        cases = _onvif_cases()
    else:
        cases = _text_cases(fmt) + _specific_cases(fmt)
    here = FORMATS.index(fmt)
    others = [FORMATS[(here + step) % len(FORMATS)] for step in (1, 5)]
    cases += [
        Case("oversize", "10MB", _oversize(fmt)),
        Case("time-future", "2099", valid(fmt, 3, FUTURE)),
        Case("time-past", "1970", valid(fmt, 3, PAST)),
        Case("time-past", "1999", valid(fmt, 3, datetime(1999, 12, 31, 23, 0, tzinfo=UTC))),
        *(Case("other-format", other, valid(other, 3)) for other in others),
    ]
    return cases


def tolerated(fmt: str) -> list[Case]:
    """Hostile-looking records that are accepted by design: control characters and stray
    invalid UTF-8 inside a field value. The event keeps them; renderers escape them."""
    good = valid(fmt, 5)
    if good.startswith(b"{"):
        value = {"suricata": b"ids-1", "zeek": b"C00000005", "winevent": b"user5",
                 "json-doors": b"HQ-L1-Lobby-In"}[fmt]  # fmt: skip
        forged = value + b"\\u001b[2J\\r\\nforged line\\u0007"
        return [Case("injection", "escaped-controls-in-a-value", good.replace(value, forged))]
    if fmt == "onvif":
        return [Case("injection", "char-references", good.replace(b"cred-5", b"cred&#13;&#10;x"))]
    if fmt in ("cef", "leef", "fortigate"):
        marker = {"cef": b"msg=", "leef": b"usrName=", "fortigate": b'msg="'}[fmt]
        return [
            Case("injection", "esc-in-a-value", good.replace(marker, marker + b"\x1b[31m", 1)),
            Case("invalid-utf8", "latin1-in-a-value", good.replace(marker, marker + b"M\xfc", 1)),
        ]
    return []
