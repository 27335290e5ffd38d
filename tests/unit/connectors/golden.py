"""Golden files for the parsers: ``tests/fixtures/golden/<format>/NAME.raw`` holds input
records (one record, or a header plus records for stateful formats); ``NAME.expected.json``
holds what the parser made of them, events and rejects, with a fixed ingest time.

The tests compare. To regenerate after an intended change, run

    .venv/bin/python -m tests.unit.connectors.golden

and review the diff before committing it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from correlator_connectors import formats
from correlator_connectors.parsers.base import ParseContext, Reject
from correlator_connectors.parsers.framing import split_records

from correlator import serde
from correlator.model.eventtime import TimeBounds

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
GOLDEN = ROOT / "golden"
SAMPLES = ROOT / "samples"
INGEST = datetime(2024, 6, 1, tzinfo=UTC)
OPEN_AHEAD = TimeBounds(ahead=timedelta(days=3650))
"""The samples span 2013-2025 and the ingest time is fixed: goldens pin parsing, so the
"too far ahead" bound is opened here (the bounds have tests of their own)."""


def run_format(name: str, data: bytes, label: str) -> list[dict[str, Any]]:
    """Every record in ``data`` through a fresh parser: events and rejects, in order."""
    parser = formats.get_parser(name)
    out: list[dict[str, Any]] = []
    for frame in split_records(parser.framer(), [data]):
        ctx = ParseContext(
            connector="golden", ingest_time=INGEST, position=f"{label}:{frame.offset}",
            time_bounds=OPEN_AHEAD,
        )  # fmt: skip
        result = parser.parse(frame.data, ctx)
        if isinstance(result, Reject):
            out.append(
                {"line": frame.line, "reject": {"kind": result.kind, "reason": result.reason}}
            )
        else:
            for event in result:
                out.append(
                    {"line": frame.line, "event": event.model_dump(mode="json", exclude_none=True)}
                )
    return out


def golden_cases() -> list[tuple[str, Path]]:
    return [(path.parent.name, path) for path in sorted(GOLDEN.glob("*/*.raw"))]


def expected_path(raw: Path) -> Path:
    return raw.with_name(raw.name.removesuffix(".raw") + ".expected.json")


def render(name: str, raw: Path) -> bytes:
    return serde.dumps_pretty(run_format(name, raw.read_bytes(), raw.name))


def main() -> None:
    for name, raw in golden_cases():
        expected_path(raw).write_bytes(render(name, raw))
        print(expected_path(raw).relative_to(ROOT.parent.parent))


if __name__ == "__main__":
    main()
