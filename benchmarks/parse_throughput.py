"""Parser throughput: records per second per format, clean and with 1% bad records.

Each format's sample files (``tests/fixtures/samples/<format>/``) are framed once and the
records repeated to ``--records``. Two batches are parsed with a fresh parser each, in turn,
``--runs`` times: the clean batch, and every record of the bad-input corpus
(``tests/badinput.py``: invalid UTF-8, a 10 MB record, 100 000 levels of nesting, wrong types,
delimiter abuse, control characters, far times, another format) repeated to a hundredth of
it. The figures are medians of process CPU time (one core). The 1%-bad rate is the rate of
99 clean records and one bad one from those two medians: comparing two whole runs, one of
them 1% different, drowns in the noise of a shared machine; per-record costs do not.

    .venv/bin/python benchmarks/parse_throughput.py [--quick] [--records N] [--runs R]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from correlator_connectors.formats import get_parser
from correlator_connectors.parsers.base import ParseContext, Reject
from correlator_connectors.parsers.framing import split_records

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
CTX = ParseContext(
    connector="bench",
    ingest_time=datetime(2026, 1, 1, tzinfo=UTC),
    max_record_bytes=Settings().connector_max_record_bytes,  # what a connector runs with
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


def measure(fmt: str, target: int, runs: int) -> tuple[int, int, float, float]:
    """Records, rejects of the clean batch, median CPU µs per clean and per bad record."""
    clean, bad = batches(fmt, target)
    clean_times, bad_times = [], []
    rejects = 0
    for _ in range(runs):  # in turn, so that both see the same machine load
        seconds, _, rejects = parse_all(fmt, clean)
        clean_times.append(seconds / len(clean) * 1e6)
        seconds, _, refused = parse_all(fmt, bad)
        assert refused == len(bad), f"{fmt}: a bad-input record was not rejected"
        bad_times.append(seconds / len(bad) * 1e6)
    return len(clean), rejects, statistics.median(clean_times), statistics.median(bad_times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="records per format")
    parser.add_argument("--runs", type=int, default=5, help="runs per batch; medians are shown")
    parser.add_argument("--quick", action="store_true", help="3,000 records, 3 runs")
    args = parser.parse_args()
    target, runs = (3_000, 3) if args.quick else (args.records, args.runs)
    print(f"{target} records per format, median of {runs} runs, CPU time, 1 bad in {BAD_EVERY}")
    print(
        f"{'format':<11} {'records':>8} {'rejects':>8} {'records/s':>10} {'µs/record':>10}"
        f" {'µs/bad':>8} {'1% bad r/s':>11} {'drop':>6}"
    )
    for fmt in FORMATS:
        count, rejects, clean_us, bad_us = measure(fmt, target, runs)
        mixed_us = (clean_us * (BAD_EVERY - 1) + bad_us) / BAD_EVERY
        print(
            f"{fmt:<11} {count:>8} {rejects:>8} {1e6 / clean_us:>10,.0f} {clean_us:>10.1f}"
            f" {bad_us:>8.1f} {1e6 / mixed_us:>11,.0f} {1 - clean_us / mixed_us:>6.1%}"
        )


if __name__ == "__main__":
    main()
