"""``correlator formats`` and ``correlator normalize``: the connector parsers from a shell.

``normalize`` reads files (or stdin), cuts them into records with the format's framer and
writes each normalized event as a JSON line on stdout. Each reject becomes a JSON line
``{"file", "line", "kind", "reason", "raw"}`` on stderr (or in ``--rejects FILE``); the exit
code is 1 when anything was rejected, after every record has been processed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from correlator import serde
from correlator.errors import ConfigError
from correlator.model.eventtime import time_bounds
from correlator.settings import Settings

if TYPE_CHECKING:
    from correlator_connectors.parsers.base import Reject
    from correlator_connectors.parsers.framing import Frame, Framer

_CHUNK = 1 << 16


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    formats = sub.add_parser("formats", help="List the input formats the parsers understand.")
    formats.set_defaults(run=run_formats)
    parser = sub.add_parser(
        "normalize",
        help="Parse records of one format into normalized events (JSON lines on stdout).",
        description="Rejected records go to stderr as JSON lines; exit code 1 if any.",
    )
    parser.add_argument("--format", "-f", required=True, help="format name (see `formats`)")
    parser.add_argument("files", nargs="*", type=Path, help="input files (default: stdin)")
    parser.add_argument("--rejects", type=Path, help="write rejects to FILE instead of stderr")
    parser.add_argument("--connector", default="normalize", help="connector name in events")
    parser.add_argument(
        "--tz", default="UTC", help="zone for timestamps without one (IANA name; default UTC)"
    )
    parser.add_argument(
        "--ingest-time",
        help="fixed ingest time (ISO 8601) for reproducible output; default: now",
    )
    parser.add_argument(
        "--max-record-bytes", type=int, default=1 << 20, help="record size cap (default 1 MiB)"
    )
    parser.set_defaults(run=run)


def run_formats(args: argparse.Namespace, settings: Settings) -> int:
    from correlator_connectors.formats import available

    entries = available()
    width = max(len(name) for name, _ in entries)
    for name, description in entries:
        print(f"{name:<{width}}  {description}")
    return 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    from correlator_connectors.formats import get_parser
    from correlator_connectors.parsers.base import ParseContext, Reject

    try:
        zone = ZoneInfo(args.tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"--tz {args.tz!r}: unknown time zone (use e.g. UTC, Europe/Paris)"
        ) from exc
    ingest = _ingest_time(args.ingest_time)
    bounds = time_bounds(settings)
    rejects_out = args.rejects.open("wb") if args.rejects else sys.stderr.buffer
    out = sys.stdout.buffer
    rejected = 0
    try:
        for label, stream in _inputs(args.files):
            parser = get_parser(args.format)  # one per input: some keep header state
            framer = parser.framer()
            for frame in _frames(framer, stream):
                ctx = ParseContext(
                    connector=args.connector,
                    ingest_time=ingest,
                    position=f"{label}:{frame.offset}",
                    default_tz=zone,
                    max_record_bytes=args.max_record_bytes,
                    time_bounds=bounds,
                )
                result = parser.parse(frame.data, ctx)
                if isinstance(result, Reject):
                    rejected += 1
                    rejects_out.write(_reject_line(label, frame.line, result) + b"\n")
                    continue
                for event in result:
                    out.write(serde.encode_model(event) + b"\n")
    finally:
        out.flush()
        if args.rejects:
            rejects_out.close()
        else:
            rejects_out.flush()
    return 1 if rejected else 0


def _ingest_time(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)  # the CLI is the one place that may read the clock
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"--ingest-time {value!r}: not ISO 8601 (2024-05-01T12:00:00Z)") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _inputs(files: list[Path]) -> Iterator[tuple[str, BinaryIO]]:
    if not files:
        yield "<stdin>", sys.stdin.buffer
        return
    for path in files:
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read input file: {exc.strerror}") from exc
        with handle:
            yield str(path), handle


def _frames(framer: Framer, stream: BinaryIO) -> Iterator[Frame]:
    from correlator_connectors.parsers.framing import split_records

    yield from split_records(framer, iter(lambda: stream.read(_CHUNK), b""))


def _reject_line(label: str, line: int, reject: Reject) -> bytes:
    """JSON escapes control characters, so a hostile record cannot break the line."""
    return serde.dumps(
        {
            "file": label,
            "line": line,
            "kind": reject.kind,
            "reason": reject.reason,
            "raw": reject.raw.decode("utf-8", "backslashreplace"),
        }
    )
