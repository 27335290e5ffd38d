"""Parser throughput: records per second per format, clean and with 1% bad records.

Each format's sample files (``tests/fixtures/samples/<format>/``) are framed once and the
records repeated to ``--records``. Two batches are parsed with a fresh parser each, in turn,
``--runs`` times: the clean batch, and every record of the bad-input corpus
(``tests/badinput.py``: invalid UTF-8, a 10 MB record, 100 000 levels of nesting, wrong types,
delimiter abuse, control characters, far times, another format) repeated to a hundredth of
it. Both go through the parser alone (``parse``) and through the connector's pipeline
(``Intake.convert``: parse, then the event encoded for Kafka, or the dead letter built,
logged and counted). The figures are medians of process CPU time (one core). The 1%-bad
rate is the pipeline rate of 99 clean records and one bad one from those medians: comparing
two whole runs, one of them 1% different, drowns in the noise of a shared machine;
per-record costs measured in turn do not.

    .venv/bin/python benchmarks/parse_throughput.py [--quick] [--records N] [--runs R]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from correlator_connectors.formats import get_parser
from correlator_connectors.parsers.base import ParseContext, Reject
from correlator_connectors.parsers.framing import split_records
from correlator_connectors.transports.delivery import Intake, Record

from correlator.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the bad-input corpus lives with the tests

from tests.badinput import bad_cases  # noqa: E402  (needs the path above)

SAMPLES = ROOT / "tests" / "fixtures" / "samples"
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
SETTINGS = Settings()
CTX = ParseContext(
    connector="bench",
    ingest_time=datetime(2026, 1, 1, tzinfo=UTC),
    max_record_bytes=SETTINGS.connector_max_record_bytes,  # what a connector runs with
)
BAD_EVERY = 100


def records(fmt: str) -> list[bytes]:
    parser = get_parser(fmt)
    out: list[bytes] = []
    for path in sorted((SAMPLES / fmt).rglob("*")):
        if path.is_file() and path.suffix != ".md":
            out.extend(frame.data for frame in split_records(parser.framer(), [path.read_bytes()]))
    return out


def batches(fmt: str, target: int) -> tuple[list[bytes], list[bytes]]:
    """The clean batch, and the corpus's bad records repeated to a hundredth of it."""
    base = records(fmt)
    clean = (base * (target // len(base) + 1))[:target]
    bad = [case.data for case in bad_cases(fmt)]
    count = max(len(bad), target // BAD_EVERY)
    return clean, (bad * (count // len(bad) + 1))[:count]


def parse_all(fmt: str, batch: list[bytes]) -> tuple[float, int, int]:
    """CPU seconds, events and rejects of one pass with a fresh parser."""
    parser = get_parser(fmt)
    events = rejects = 0
    start = time.process_time()
    for record in batch:
        result = parser.parse(record, CTX)
        if isinstance(result, Reject):
            rejects += 1
        else:
            events += len(result)
    return time.process_time() - start, events, rejects


def convert_all(fmt: str, batch: list[bytes]) -> float:
    """CPU seconds of one pass through the pipeline, in batches of a 64 kB chunk's size."""
    intake = Intake(SETTINGS, "bench", fmt)
    parser = get_parser(fmt)
    records = [Record(data, f"bench:{n}") for n, data in enumerate(batch)]
    start = time.process_time()
    for at in range(0, len(records), 350):
        intake.convert(parser, records[at : at + 350], CTX.ingest_time)
    return time.process_time() - start


@dataclass(frozen=True, slots=True)
class Row:
    records: int
    rejects: int
    parse_us: float
    pipeline_us: float
    bad_us: float
    """Pipeline CPU µs per bad record."""


def measure(fmt: str, target: int, runs: int) -> Row:
    """Median CPU µs per record: parse, pipeline, pipeline of a bad record; runs in turn."""
    clean, bad = batches(fmt, target)
    parse_us, pipeline_us, bad_us = [], [], []
    rejects = 0
    for _ in range(runs):  # in turn, so that all see the same machine load
        seconds, _, rejects = parse_all(fmt, clean)
        parse_us.append(seconds / len(clean) * 1e6)
        pipeline_us.append(convert_all(fmt, clean) / len(clean) * 1e6)
        _, _, refused = parse_all(fmt, bad)
        assert refused == len(bad), f"{fmt}: a bad-input record was not rejected"
        bad_us.append(convert_all(fmt, bad) / len(bad) * 1e6)
    return Row(
        len(clean), rejects, statistics.median(parse_us), statistics.median(pipeline_us),
        statistics.median(bad_us),
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="records per format")
    parser.add_argument("--runs", type=int, default=5, help="runs per batch; medians are shown")
    parser.add_argument("--quick", action="store_true", help="3,000 records, 3 runs")
    args = parser.parse_args()
    # Rejects are logged as a connector logs them; the lines go nowhere.
    logging.basicConfig(
        stream=open(os.devnull, "w"),  # noqa: SIM115  (open for the life of the process)
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    target, runs = (3_000, 3) if args.quick else (args.records, args.runs)
    print(f"{target} records per format, median of {runs} runs, CPU time, 1 bad in {BAD_EVERY}")
    print(
        f"{'format':<11} {'rejects':>8} {'parse r/s':>10} {'µs parse':>9} {'µs pipe':>8}"
        f" {'µs bad':>8} {'pipe r/s':>9} {'1% bad r/s':>11} {'drop':>6}"
    )
    for fmt in FORMATS:
        row = measure(fmt, target, runs)
        mixed_us = (row.pipeline_us * (BAD_EVERY - 1) + row.bad_us) / BAD_EVERY
        print(
            f"{fmt:<11} {row.rejects:>8} {1e6 / row.parse_us:>10,.0f} {row.parse_us:>9.1f}"
            f" {row.pipeline_us:>8.1f} {row.bad_us:>8.1f} {1e6 / row.pipeline_us:>9,.0f}"
            f" {1e6 / mixed_us:>11,.0f} {1 - row.pipeline_us / mixed_us:>6.1%}"
        )


if __name__ == "__main__":
    main()
