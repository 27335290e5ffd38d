"""Syslog framing, parsed once for every format that travels over syslog.

:func:`parse_syslog` takes one record and returns its header fields and the message body:

- RFC 5424: ``<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD-ID k="v" ...] MSG``, structured
  data with the ``\\"``, ``\\\\`` and ``\\]`` escapes, an optional UTF-8 BOM before MSG;
- RFC 3164 (BSD): ``<PRI>Mmm dd hh:mm:ss HOST TAG[pid]: MSG``, PRI optional, the year
  inferred from the ingest time, the zone from the context; an ISO 8601 timestamp in place
  of the BSD one is accepted too (several senders do that);
- anything else: no header, the whole record is the message.

The host is taken only when it looks like one (no ``=``, ``|`` or ``,``), so a PAN-OS line
``Oct 30 09:46:12 1,2012/10/30 ...`` keeps its CSV intact.

:class:`SyslogFramer` splits a TCP stream using RFC 6587 octet counting (``LEN SP MSG``)
when a record starts with digits and a space, and LF otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from correlator_connectors.parsers.framing import DEFAULT_FRAME_CAP, Frame, LineFramer

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    )
}

_PRI = re.compile(rb"<(\d{1,3})>")
_BSD_TIME = re.compile(
    rb"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)"
    rb"(?:\.\d+)?(?: (\d{4}))? "
)
_ISO_TIME = re.compile(rb"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) ")
_TAG = re.compile(rb"([\w./-]{1,64})(?:\[(\w{1,32})\])?: ")
_SD_PARAM = re.compile(rb'\s*([^\s=\]"]{1,32})="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class SyslogMessage:
    """One syslog record, split. ``kind`` is ``"5424"``, ``"3164"`` or ``"none"``."""

    kind: str
    message: bytes
    facility: int | None = None
    severity: int | None = None
    time: datetime | None = None
    host: str | None = None
    app: str | None = None
    procid: str | None = None
    msgid: str | None = None
    structured_data: dict[str, dict[str, str]] = field(default_factory=dict)


def parse_syslog(data: bytes, ingest_time: datetime, default_tz: tzinfo) -> SyslogMessage:
    """Split a syslog header off ``data``. Never raises: no header means ``kind="none"``."""
    pos = 0
    facility = severity = None
    while pos < len(data) and data[pos] in b" \t":
        pos += 1
    pri = _PRI.match(data, pos)
    if pri:
        value = int(pri.group(1))
        if value <= 191:
            facility, severity = divmod(value, 8)
        pos = pri.end()
        if data[pos : pos + 2] == b"1 ":
            parsed = _parse_5424(data, pos + 2, facility, severity)
            if parsed is not None:
                return parsed
        while pos < len(data) and data[pos] == 0x20:
            pos += 1
    when: datetime | None = None
    bsd = _BSD_TIME.match(data, pos)
    iso = None if bsd else _ISO_TIME.match(data, pos)
    if bsd:
        when = _bsd_time(bsd, ingest_time, default_tz)
        pos = bsd.end()
    elif iso:
        when = _iso_time(iso.group(1).decode(), default_tz)
        pos = iso.end()
    if when is None and pri is None:
        return SyslogMessage(kind="none", message=data)
    host = app = procid = None
    if when is not None:
        space = data.find(b" ", pos)
        token = data[pos:space] if space > 0 else b""
        if token and not any(c in token for c in b"=|,:") and not token.startswith(b"{"):
            host = token.decode("utf-8", "replace")
            pos = space + 1
    tag = _TAG.match(data, pos)
    if tag:
        app = tag.group(1).decode()
        procid = tag.group(2).decode() if tag.group(2) else None
        pos = tag.end()
    return SyslogMessage(
        kind="3164",
        message=data[pos:],
        facility=facility,
        severity=severity,
        time=when,
        host=host,
        app=app,
        procid=procid,
    )


def _parse_5424(
    data: bytes, pos: int, facility: int | None, severity: int | None
) -> SyslogMessage | None:
    parts: list[bytes] = []
    for _ in range(5):
        space = data.find(b" ", pos)
        if space < 0:
            return None
        parts.append(data[pos:space])
        pos = space + 1
    stamp, host, app, procid, msgid = (
        None if p == b"-" else p.decode("utf-8", "replace") for p in parts
    )
    when = _iso_time(stamp, None) if stamp else None
    if stamp and when is None:
        return None
    sd: dict[str, dict[str, str]] = {}
    if data[pos : pos + 1] == b"-":
        pos += 1
    else:
        while data[pos : pos + 1] == b"[":
            end_id = pos + 1
            while end_id < len(data) and data[end_id] not in b" ]":
                end_id += 1
            sd_id = data[pos + 1 : end_id].decode("utf-8", "replace")
            params: dict[str, str] = {}
            pos = end_id
            while True:
                param = _SD_PARAM.match(data, pos)
                if not param:
                    break
                params[param.group(1).decode()] = _unescape_sd(param.group(2))
                pos = param.end()
            while data[pos : pos + 1] == b" ":
                pos += 1
            if data[pos : pos + 1] != b"]":
                return None
            sd[sd_id] = params
            pos += 1
    if data[pos : pos + 1] == b" ":
        pos += 1
    message = data[pos:]
    if message.startswith(b"\xef\xbb\xbf"):
        message = message[3:]
    return SyslogMessage(
        kind="5424",
        message=message,
        facility=facility,
        severity=severity,
        time=when,
        host=host,
        app=app,
        procid=procid,
        msgid=msgid,
        structured_data=sd,
    )


def _unescape_sd(value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    return re.sub(r'\\([\\"\]])', r"\1", text)


def _iso_time(text: str, default_tz: tzinfo | None) -> datetime | None:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        if default_tz is None:
            return None
        when = when.replace(tzinfo=default_tz)
    return when


def _bsd_time(match: re.Match[bytes], ingest_time: datetime, default_tz: tzinfo) -> datetime | None:
    month = _MONTHS[match.group(1).decode()]
    day, hour, minute, second = (int(match.group(i)) for i in range(2, 6))
    explicit_year = match.group(6)
    local_ingest = ingest_time.astimezone(default_tz)
    year = int(explicit_year) if explicit_year else local_ingest.year
    try:
        when = datetime(year, month, day, hour, minute, second, tzinfo=default_tz)
        if not explicit_year and when - local_ingest > timedelta(days=31):
            when = when.replace(year=year - 1)  # December's record read in January
    except ValueError:
        return None
    return when


def embedded_header(
    prefix: bytes, ingest_time: datetime, default_tz: tzinfo
) -> SyslogMessage | None:
    """The syslog header in front of an embedded payload (``... CEF:0|``), or None if bare."""
    if not prefix.strip():
        return None
    return parse_syslog(prefix.rstrip() + b" ", ingest_time, default_tz)


def event_time(
    device: datetime | None, device_field: str, header: SyslogMessage | None, ingest: datetime
) -> tuple[datetime, str]:
    """The best event time and where it came from: the device's own field, else the syslog
    header, else the ingest time (recorded in ``attrs.time_source`` by the parsers)."""
    if device is not None:
        return device, device_field
    if header is not None and header.time is not None:
        return header.time, "syslog"
    return ingest, "ingest"


class SyslogFramer:
    """Syslog over a stream: octet counting (RFC 6587) when a record starts ``<digits> <``,
    otherwise newline-delimited. UDP needs no framer: one datagram is one record."""

    def __init__(self, cap: int = DEFAULT_FRAME_CAP) -> None:
        self._cap = cap
        self._buffer = bytearray()
        self._offset = 0
        self._line = 1
        self._lines = LineFramer(cap)
        self._octet_mode: bool | None = None
        self._skip = 0  # bytes of the current octet-counted record still to drop

    def feed(self, chunk: bytes) -> list[Frame]:
        if self._octet_mode is None:
            probe = bytes(self._buffer + chunk).lstrip()
            match = re.match(rb"(\d{1,10}) <", probe)
            if match is None and len(probe) < 12 and probe[:1].isdigit():
                self._buffer += chunk
                return []
            self._octet_mode = match is not None
            chunk, self._buffer = bytes(self._buffer) + chunk, bytearray()
        if not self._octet_mode:
            return self._lines.feed(chunk)
        return self._feed_octets(chunk)

    def flush(self) -> list[Frame]:
        if not self._octet_mode:
            if self._octet_mode is None and self._buffer:
                self._lines.feed(bytes(self._buffer))
                self._buffer.clear()
            return self._lines.flush()
        frames = []
        rest = bytes(self._buffer).strip()
        if rest:
            frames.append(Frame(self._offset, self._line, rest[: self._cap + 1]))
        self._buffer.clear()
        return frames

    def _feed_octets(self, chunk: bytes) -> list[Frame]:
        self._buffer += chunk
        frames: list[Frame] = []
        while True:
            if not self._drop_skipped():
                return frames
            lead = len(self._buffer) - len(self._buffer.lstrip())
            self._advance(lead)
            space = self._buffer.find(b" ", 0, 12)
            if space <= 0 or not self._buffer[:space].isdigit():
                if len(self._buffer) >= 12 or (space == 0):
                    # lost sync: fall back to newline framing for the rest of the stream
                    self._octet_mode = False
                    rest = bytes(self._buffer)
                    self._buffer.clear()
                    frames.extend(self._lines.feed(rest))
                return frames
            length = int(self._buffer[:space])
            keep = min(length, self._cap + 1)
            if len(self._buffer) < space + 1 + keep:
                return frames
            data = bytes(self._buffer[space + 1 : space + 1 + keep])
            frames.append(Frame(self._offset + space + 1, self._line, data))
            self._skip = space + 1 + length
            self._drop_skipped()

    def _drop_skipped(self) -> bool:
        """Drop the rest of the current (oversize) record; False while more is needed."""
        count = min(self._skip, len(self._buffer))
        self._advance(count)
        self._skip -= count
        return self._skip == 0

    def _advance(self, count: int) -> None:
        self._line += self._buffer.count(b"\n", 0, count)
        self._offset += count
        del self._buffer[:count]
