"""Mutation fuzzing of every parser: good records with delimiters, escapes, control
characters, bad UTF-8 and cuts thrown in. Whatever comes in, ``parse`` returns events (each
within the time bounds) or a reject the parser meant: one whose reason is not the catch-all
``parser error:`` that stands for an exception escaping the parser's own checks.

Bounded by the Hypothesis profile (:mod:`tests.fuzzing`): ``ci`` in ``make test``, ``soak``
in ``make soak``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from correlator_connectors import formats
from correlator_connectors.parsers.base import ParseContext, Parser, Reject
from hypothesis import given
from hypothesis import strategies as st

from correlator.model.event import Event
from tests.badinput import FORMATS, INGEST, preamble, valid
from tests.fuzzing import FUZZ

pytestmark = pytest.mark.fuzz

CTX = ParseContext(connector="fuzz", ingest_time=INGEST, position="fuzz:0")
ZEEK_TSV = (
    Path(__file__).resolve().parents[2] / "fixtures" / "golden" / "zeek" / "conn-kerberos-tsv.raw"
)

SPECIALS = [
    b"|", b"\\", b"\\|", b"\\=", b"=", b"^", b'"', b"'", b",", b";", b"\t", b" ", b"\r", b"\n",
    b"\x1b[2J", b"\x00", b"\x07", b"\x7f", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82",
    b"{", b"}", b"[", b"]", b"<", b">", b"/>", b"</", b"&", b"&#0;", b"&amp;", b"<!DOCTYPE x>",
    b"CEF:0|", b"LEEF:2.0|", b"x09|", b"<134>", b"1 ", b"99999999999999999999", b"-1", b"1e309",
    b"NaN", b"null", b"true", b"0x", b"%s", b"\u2028".decode("unicode_escape").encode(),
]  # fmt: skip


def _tsv_stream() -> tuple[list[bytes], bytes]:
    lines = [line for line in ZEEK_TSV.read_bytes().splitlines() if line.strip()]
    return [line for line in lines if line.startswith(b"#")], lines[-1]


SUBJECTS: list[tuple[str, str]] = [(fmt, fmt) for fmt in FORMATS] + [("zeek-tsv", "zeek")]


def _start(subject: str, fmt: str, n: int) -> tuple[Parser, bytes]:
    """A parser that has read its stream's preamble, and a good record to mutate."""
    parser = formats.get_parser(fmt)
    if subject == "zeek-tsv":
        header, record = _tsv_stream()
    else:
        header, record = preamble(fmt), valid(fmt, n)
    for line in header:
        assert parser.parse(line, CTX) == []
    return parser, record


@st.composite
def mutations(draw: st.DrawFn, record: bytes) -> bytes:
    """``record`` with up to four edits: inserts, deletions, overwrites, a cut."""
    data = bytearray(record)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        piece = draw(st.sampled_from(SPECIALS) | st.binary(min_size=1, max_size=6))
        edit = draw(st.sampled_from(["insert", "delete", "overwrite", "cut", "repeat"]))
        if edit == "insert":
            data[at:at] = piece
        elif edit == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif edit == "overwrite":
            data[at : at + len(piece)] = piece
        elif edit == "cut":
            del data[at:]
        else:
            data[at:at] = piece * draw(st.integers(2, 2000))
    return bytes(data)


def check(parser: Parser, data: bytes) -> None:
    result = parser.parse(data, CTX)
    if isinstance(result, Reject):
        assert result.reason
        assert not result.reason.startswith("parser error:"), result.reason
        assert result.raw == data
        return
    for event in result:
        assert isinstance(event, Event)
        assert CTX.time_bounds.problem(event.time, INGEST) is None


@pytest.mark.parametrize(("subject", "fmt"), SUBJECTS, ids=[s for s, _ in SUBJECTS])
@FUZZ
@given(n=st.integers(0, 3000), data=st.data())
def test_mutated_records_give_events_or_a_deliberate_reject(
    subject: str, fmt: str, n: int, data: st.DataObject
) -> None:
    parser, record = _start(subject, fmt, n)
    check(parser, data.draw(mutations(record), label="record"))


@pytest.mark.parametrize(("subject", "fmt"), SUBJECTS, ids=[s for s, _ in SUBJECTS])
@FUZZ
@given(noise=st.binary(max_size=400))
def test_noise_gives_a_deliberate_reject(subject: str, fmt: str, noise: bytes) -> None:
    parser, _ = _start(subject, fmt, 0)
    check(parser, noise)
