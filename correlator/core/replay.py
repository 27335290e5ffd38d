"""Offline replay: recorded events through the same engine the worker runs.

Inputs are JSON lines of normalized events, or ``FORMAT:PATH`` raw feeds parsed by the
connectors' parsers. Inputs are merged by event time (each input is assumed roughly in
time order; what is not is handled by the engine's lateness), the engine runs over the
merged stream, and at the end the watermark passes everything so pending absences fire.
A bad line is reported with ``file:line`` and counted; it never stops the replay.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from correlator import serde
from correlator.core.engine import Engine
from correlator.errors import CorrelatorError, DecodeError
from correlator.model import Alert, Event

if TYPE_CHECKING:
    from correlator_connectors.parsers.base import Parser

OnBad = Callable[[str, str], None]
"""Called with ``file:line`` and the reason for every input line that is not an event."""

_FORMAT = re.compile(r"^([a-z][a-z0-9_-]*):(.+)$")


class ReplayError(CorrelatorError):
    """An input cannot be replayed at all (missing file, unknown format)."""


@dataclass(slots=True)
class Summary:
    events: int = 0
    alerts: int = 0
    late: int = 0
    bad: int = 0
    duplicates: int = 0
    suppressed: int = 0


def open_input(spec: str, on_bad: OnBad) -> Iterator[Event]:
    """Events of one input: a JSON-lines file, or ``FORMAT:PATH`` for a raw feed."""
    found = _FORMAT.match(spec)
    if found and not Path(spec).exists():
        return raw_events(found.group(1), Path(found.group(2)), on_bad)
    path = Path(spec)
    if not path.is_file():
        raise ReplayError(f"{spec}: no such file (give a JSON-lines file or FORMAT:PATH)")
    return json_events(path, on_bad)


def json_events(path: Path, on_bad: OnBad) -> Iterator[Event]:
    """Normalized events, one JSON object per line; blank lines are skipped."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield serde.decode_model(Event, line)
            except DecodeError as exc:
                on_bad(f"{path}:{number}", str(exc))


def raw_events(fmt: str, path: Path, on_bad: OnBad) -> Iterator[Event]:
    """A raw feed parsed by the connectors' parser for ``fmt`` (the hook for raw replay)."""
    try:
        from correlator_connectors.formats import get_parser
    except ImportError as exc:
        raise ReplayError(f"{fmt}:{path}: unknown format {fmt!r} (no parsers installed)") from exc
    parser = get_parser(fmt)
    if not path.is_file():
        raise ReplayError(f"{fmt}:{path}: no such file")
    ingest = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return _parsed(parser, path, ingest, on_bad)


def _parsed(parser: Parser, path: Path, ingest: datetime, on_bad: OnBad) -> Iterator[Event]:
    from correlator_connectors.parsers.base import ParseContext, Reject

    framer = parser.framer()
    with path.open("rb") as stream:
        while True:
            chunk = stream.read(1 << 16)
            frames = framer.feed(chunk) if chunk else framer.flush()
            for frame in frames:
                ctx = ParseContext(
                    connector="replay", ingest_time=ingest, position=f"{path}:{frame.line}"
                )
                result = parser.parse(frame.data, ctx)
                if isinstance(result, Reject):
                    on_bad(f"{path}:{frame.line}", result.reason)
                else:
                    yield from result
            if not chunk:
                return


def merge(inputs: Iterable[Iterator[Event]]) -> Iterator[Event]:
    """One stream ordered by event time across inputs (ties keep input order)."""
    return heapq.merge(*inputs, key=lambda event: event.time)


def replay(
    engine: Engine,
    events: Iterable[Event],
    on_alert: Callable[[Alert], None],
    on_late: Callable[[Event], None] | None = None,
    progress: Callable[[Summary], None] | None = None,
) -> Summary:
    """Run ``engine`` over ``events`` and flush it at the end; ``progress`` every 10k events."""
    summary = Summary()
    for event in events:
        result = engine.process(event)
        for alert in result.alerts:
            on_alert(alert)
        if on_late is not None:
            for late in result.late:
                on_late(late)
        summary.events += 1
        if progress is not None and summary.events % 10_000 == 0:
            progress(_fill(summary, engine))
    for alert in engine.flush():
        on_alert(alert)
    return _fill(summary, engine)


def _fill(summary: Summary, engine: Engine) -> Summary:
    summary.alerts = engine.stats.alerts
    summary.late = engine.stats.late
    summary.duplicates = engine.stats.duplicates
    summary.suppressed = engine.stats.suppressed
    return summary
