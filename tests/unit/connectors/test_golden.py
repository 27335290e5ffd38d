"""Golden files and the real samples, for every format.

Golden: each ``tests/fixtures/golden/<format>/*.raw`` must normalize to exactly its
``*.expected.json`` (regenerate with ``python -m tests.unit.connectors.golden``).

Samples: every record of every sample file parses, or is rejected with a reason we agreed
with (the patterns below). A new kind of reject fails the test until it is reviewed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from correlator import serde
from tests.unit.connectors.golden import SAMPLES, expected_path, golden_cases, render, run_format

AGREED_REJECTS: dict[str, list[str]] = {
    "suricata": [
        r"^Suricata event_type '(stats|fileinfo)' is not mapped",
        r"DHCP 'discover' carries no lease",
        r"^event time 1969-12-31T17:00:00-07:00 is before 2000",  # zeroed clocks, 3 flows
    ],
    "zeek": [
        r"^Zeek log 'smb_mapping' is not mapped",
        r"^Zeek DHCP exchange (INFORM|INFORM,ACK|DISCOVER) assigns no address",
        r"^Zeek DHCP RELEASE without client_addr",
        r"^Zeek TSV record has 3 fields",  # the deliberately short synthetic line
    ],
    "panos": [
        r"^PAN-OS log type (CONFIG|SYSTEM/\w+|HIPMATCH|USERID/login|CORRELATION)\S* is not mapped",
        r"^GlobalProtect event '(portal|gateway)-[\w-]+' is not mapped",
        r"^GlobalProtect system event 'globalprotect[\w-]+' is not mapped",
    ],
    "fortigate": [],
    "cef": [],
    "leef": [r"^no 'LEEF:1.0\|' or 'LEEF:2.0\|' header"],  # the LEEF:3.0 line
    "winevent": [r"^Windows event 4688 is not mapped"],
    "onvif": [r"^no mapped ONVIF event: ", r"^no NotificationMessage in <MetadataStream>"],
    "vast-prox": [r"^6 columns, mapping 'vast-prox' expects 5"],  # the mobile-robot file
    "json-doors": [r"^event type 'DoorClosed' is not in mapping", r"^timestamp 'yesterday'"],
}


def _sample_files() -> list[tuple[str, Path]]:
    return [
        (fmt, path)
        for fmt in AGREED_REJECTS
        for path in sorted((SAMPLES / fmt).rglob("*"))
        if path.is_file()
    ]


@pytest.mark.parametrize(("fmt", "raw"), golden_cases(), ids=lambda v: getattr(v, "name", v))
def test_golden(fmt: str, raw: Path) -> None:
    expected = expected_path(raw)
    assert expected.exists(), f"{expected} missing: run python -m tests.unit.connectors.golden"
    assert serde.loads(render(fmt, raw)) == serde.loads(expected.read_bytes())


def test_every_format_has_golden_files() -> None:
    assert {fmt for fmt, _ in golden_cases()} == set(AGREED_REJECTS)


@pytest.mark.parametrize(("fmt", "path"), _sample_files(), ids=lambda v: getattr(v, "name", v))
def test_sample_records_parse_or_are_rejected_for_an_agreed_reason(fmt: str, path: Path) -> None:
    results = run_format(fmt, path.read_bytes(), path.name)
    unexpected = [
        (r["line"], r["reject"]["reason"])
        for r in results
        if "reject" in r
        and not any(re.search(p, r["reject"]["reason"]) for p in AGREED_REJECTS[fmt])
    ]
    assert unexpected == []
    for result in results:
        if "event" in result:
            assert result["event"]["source"]["format"] == fmt


def test_samples_yield_events_for_every_format() -> None:
    produced: dict[str, int] = dict.fromkeys(AGREED_REJECTS, 0)
    for fmt, path in _sample_files():
        produced[fmt] += sum("event" in r for r in run_format(fmt, path.read_bytes(), path.name))
    assert [fmt for fmt, count in produced.items() if count == 0] == []
