"""The parser contract: one raw record in, normalized events or a reject out.

A transport reads bytes, cuts them into records with the format's :class:`Framer` (see
:mod:`correlator_connectors.parsers.framing`) and calls :meth:`Parser.parse` once per record::

    parser = formats.get_parser("suricata")      # a fresh instance per stream
    framer = parser.framer()
    for frame in framer.feed(chunk):             # ... and framer.flush() at end of stream
        ctx = ParseContext("dmz-ids", ingest_time=now, position=f"eve.json:{frame.offset}")
        result = parser.parse(frame.data, ctx)
        if isinstance(result, Reject): send_to_dead_letters(result)
        else: produce(result)                    # list[Event], possibly empty

Rules every parser keeps:

- ``parse`` never raises: any failure, even a bug, comes back as a :class:`Reject` that
  names the reason and keeps the raw bytes.
- An empty list means "consumed, nothing to emit" (a Zeek ``#fields`` header, a CSV header).
- Time is injected: the ingest time and the default time zone come from the context; a
  parser never reads the wall clock.
- Some parsers keep per-stream state (Zeek TSV headers, CSV headers): use one parser
  instance per stream (file, TCP connection), which :func:`formats.get_parser` gives you.
- A record with several events (an ONVIF ``PullMessagesResponse``) gets event ids from the
  raw bytes plus the event's index, so ids stay deterministic and distinct.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal, Protocol

from pydantic import ValidationError

from correlator.model.event import Event, Source, event_id
from correlator.model.eventtime import TimeBounds
from correlator_connectors.parsers.framing import Framer, LineFramer

DEFAULT_MAX_RECORD_BYTES = 1 << 20
"""Records larger than this (1 MiB) are rejected unparsed."""

DEFAULT_TIME_BOUNDS = TimeBounds()
"""Not before 2000, not more than a day past the ingest time."""

RejectKind = Literal["malformed", "unsupported", "oversize", "time"]
"""``malformed``: not valid for the format. ``unsupported``: valid, but a record type we do
not map (Suricata ``stats``, PAN-OS ``CONFIG``): count it rather than alarm on it.
``oversize``: above the record size cap. ``time``: its event time is outside the
plausible bounds (see :mod:`correlator.model.eventtime`)."""


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What a parser knows besides the bytes: who read them, where, and when."""

    connector: str
    ingest_time: datetime
    position: str | None = None
    """Where the record was read: ``"file.log:1234"``, ``"udp 127.0.0.1:5514"``, ``"t[0]@17"``."""
    host: str | None = None
    """The sending device as the transport saw it (peer address), if the record names none."""
    default_tz: tzinfo = UTC
    """Zone for timestamps that carry none (BSD syslog, PAN-OS CSV, NXLog ``EventTime``)."""
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    time_bounds: TimeBounds = DEFAULT_TIME_BOUNDS
    """Event times before ``earliest`` or further than ``ahead`` past ``ingest_time`` are
    rejected (kind ``time``)."""


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that produced no event, with the reason an operator can act on."""

    reason: str
    raw: bytes
    kind: RejectKind = "malformed"
    format: str = ""
    position: str | None = None


ParseResult = list[Event] | Reject


class Parser(Protocol):
    """A format: ``name``, a one-line ``description``, ``parse`` and ``framer``."""

    @property
    def name(self) -> str:
        """The format name, as :func:`formats.get_parser` knows it."""
        ...

    @property
    def description(self) -> str:
        """One line for ``correlator formats``."""
        ...

    def parse(self, raw: bytes, ctx: ParseContext) -> ParseResult:
        """Normalize one record. Never raises."""
        ...

    def framer(self) -> Framer:
        """A fresh framer that cuts this format's byte stream into records."""
        ...


class RecordError(Exception):
    """Raised inside a parser to reject the current record; never escapes ``parse``."""

    def __init__(self, reason: str, kind: RejectKind = "malformed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind: RejectKind = kind


def unsupported(reason: str) -> RecordError:
    """A valid record of a type we do not map."""
    return RecordError(reason, "unsupported")


Draft = dict[str, Any]
"""An event under construction: :class:`Event` fields as plain data, without ``id``,
``ingest_time``, ``source`` and ``raw`` (the base class adds those). ``host`` names the
emitting device; ``time`` may be naive (the context's default zone is applied)."""


class BaseParser:
    """Shared plumbing: size cap, catch-all, event ids, raw text. Subclasses write ``drafts``."""

    name: str
    description: str

    def framer(self) -> Framer:
        return LineFramer()

    def drafts(self, raw: bytes, ctx: ParseContext) -> list[Draft]:
        """The events in ``raw`` as drafts; raise :class:`RecordError` to reject."""
        raise NotImplementedError

    def parse(self, raw: bytes, ctx: ParseContext) -> ParseResult:
        if len(raw) > ctx.max_record_bytes:
            return self._reject(
                f"record is {len(raw)} bytes, above the {ctx.max_record_bytes}-byte cap",
                raw,
                ctx,
                "oversize",
            )
        try:
            drafts = self.drafts(raw, ctx)
            return self._finish(drafts, raw, ctx)
        except RecordError as exc:
            return self._reject(exc.reason, raw, ctx, exc.kind)
        except ValidationError as exc:
            return self._reject(f"invalid event: {_validation_summary(exc)}", raw, ctx)
        except Exception as exc:  # a parser bug must cost one record, not the connector
            return self._reject(f"parser error: {type(exc).__name__}: {exc}", raw, ctx)

    def _reject(
        self, reason: str, raw: bytes, ctx: ParseContext, kind: RejectKind = "malformed"
    ) -> Reject:
        return Reject(reason=reason, raw=raw, kind=kind, format=self.name, position=ctx.position)

    def _finish(self, drafts: list[Draft], raw: bytes, ctx: ParseContext) -> list[Event]:
        text, encoding = raw_text(raw)
        events = []
        for index, draft in enumerate(drafts):
            host = draft.pop("host", None) or ctx.host
            source = Source(
                connector=ctx.connector, format=self.name, host=host, position=ctx.position
            )
            when = draft.pop("time")
            if when.tzinfo is None:
                when = when.replace(tzinfo=ctx.default_tz)
            problem = ctx.time_bounds.problem(when, ctx.ingest_time)
            if problem is not None:
                raise RecordError(problem, "time")
            attrs = draft.pop("attrs", None) or {}
            if encoding != "utf-8":
                attrs["raw_encoding"] = encoding
            ident = event_id(source, raw if index == 0 else raw + b"\x1f#%d" % index)
            events.append(
                Event.model_validate(
                    {
                        **_compact(draft),
                        "id": ident,
                        "time": when,
                        "ingest_time": ctx.ingest_time,
                        "source": source,
                        "attrs": {k: v for k, v in attrs.items() if v is not None},
                        "raw": text,
                    }
                )
            )
        return events


def raw_text(raw: bytes) -> tuple[str, str]:
    """The raw record as text: UTF-8 when it decodes, else base64 (``attrs.raw_encoding``)."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), "base64"


def _compact(draft: Mapping[str, Any]) -> dict[str, Any]:
    """Drop ``None`` values and sub-objects that end up empty (``src`` with no field set)."""
    out: dict[str, Any] = {}
    for key, value in draft.items():
        if isinstance(value, Mapping):
            inner = {k: v for k, v in value.items() if v is not None and v != ""}
            if inner:
                out[key] = inner
        elif value is not None:
            out[key] = value
    return out


def _validation_summary(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
        for err in exc.errors(include_url=False)[:3]
    )
