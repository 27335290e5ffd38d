"""Parser throughput: records per second per format, over the test samples.

Each format's sample files are framed once, the records repeated to a few thousand, and
parsed with a fresh parser; the table shows records/s and events/s (single core).

    .venv/bin/python benchmarks/parse_throughput.py [--records N]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

from correlator_connectors.formats import get_parser
from correlator_connectors.parsers.base import ParseContext, Reject
from correlator_connectors.parsers.framing import split_records

SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "samples"
FORMATS = [
    "suricata",
    "zeek",
    "panos",
    "fortigate",
    "cef",
    "leef",
    "winevent",
    "onvif",
    "vast-prox",
    "json-doors",
]


def records(fmt: str) -> list[bytes]:
    parser = get_parser(fmt)
    out: list[bytes] = []
    for path in sorted((SAMPLES / fmt).rglob("*")):
        if path.is_file() and path.suffix != ".md":
            out.extend(frame.data for frame in split_records(parser.framer(), [path.read_bytes()]))
    return out


def measure(fmt: str, target: int) -> tuple[int, int, int, float]:
    base = records(fmt)
    batch = (base * (target // len(base) + 1))[:target]
    parser = get_parser(fmt)
    ctx = ParseContext(connector="bench", ingest_time=datetime(2024, 6, 1, tzinfo=UTC))
    events = rejects = 0
    start = time.perf_counter()
    for record in batch:
        result = parser.parse(record, ctx)
        if isinstance(result, Reject):
            rejects += 1
        else:
            events += len(result)
    return len(batch), events, rejects, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="records per format")
    args = parser.parse_args()
    widths = (-11, 8, 8, 8, 10, 10)
    header = ("format", "records", "events", "rejects", "records/s", "µs/record")
    print(
        " ".join(
            f"{h:<{-w}}" if w < 0 else f"{h:>{w}}" for h, w in zip(header, widths, strict=True)
        )
    )
    for fmt in FORMATS:
        count, events, rejects, seconds = measure(fmt, args.records)
        print(
            f"{fmt:<11} {count:>8} {events:>8} {rejects:>8} {count / seconds:>10,.0f}"
            f" {seconds / count * 1e6:>10.1f}"
        )


if __name__ == "__main__":
    main()
