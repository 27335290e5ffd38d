"""Run a rule's inline test cases: the same engine as replay, over the case's events.

Used by ``correlator rules test`` and by ``tests/rules`` (one pytest case per inline case).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from correlator.core import duration
from correlator.core.cases import case_events
from correlator.core.engine import Engine
from correlator.core.rules.model import Rule, RuleCase
from correlator.errors import DirectoryError
from correlator.identity import Identity, load_directory
from correlator.identity.loader import directory_from
from correlator.identity.view import IdentityView, NullIdentity
from correlator.model import Alert
from correlator.state.store import DictStore


@dataclass(frozen=True, slots=True)
class CaseResult:
    rule: str
    case: str
    passed: bool
    detail: str
    alerts: tuple[Alert, ...]


def run_case(path: Path, rule: Rule, index: int) -> CaseResult:
    """Replay one inline case through a fresh engine and compare with its expectation."""
    case = rule.tests[index]
    events, problems = case_events(rule.id, index, case)
    if problems:
        return CaseResult(rule.id, case.name, False, problems[0].message, ())
    try:
        identity = case_identity(path, case)
    except DirectoryError as exc:
        return CaseResult(rule.id, case.name, False, "; ".join(exc.problems), ())
    engine = Engine(
        [rule], DictStore(), identity, timedelta(microseconds=duration.parse_us(case.lateness))
    )
    alerts: list[Alert] = []
    for event in events:
        alerts += engine.process(event).alerts
    alerts += engine.flush()
    detail = _mismatch(case, alerts, engine.stats.suppressed)
    return CaseResult(rule.id, case.name, not detail, detail or "ok", tuple(alerts))


def _mismatch(case: RuleCase, alerts: list[Alert], suppressed: int) -> str:
    want = case.expect
    if len(alerts) != want.alerts:
        got = ", ".join(f"{a.entity.id}@{a.time:%H:%M:%S}" for a in alerts) or "none"
        return f"expected {want.alerts} alert(s), got {len(alerts)} ({got})"
    wrong = [a.entity.id for a in alerts if want.key is not None and a.entity.id != want.key]
    if wrong:
        return f"expected key {want.key!r}, got {wrong[0]!r}"
    odd = [a.summary for a in alerts if want.summary is not None and a.summary != want.summary]
    if odd:
        return f"expected summary {want.summary!r}, got {odd[0]!r}"
    if want.suppressed is not None and suppressed != want.suppressed:
        return f"expected {want.suppressed} suppressed, got {suppressed}"
    return ""


def case_identity(path: Path, case: RuleCase) -> IdentityView:
    """The identity view a case runs with: its directory fixture, or none. An unreadable or
    invalid fixture raises :class:`~correlator.errors.DirectoryError` with every problem."""
    if case.directory is None:
        return NullIdentity()
    if isinstance(case.directory, str):
        directory = load_directory(path.parent / case.directory)
    else:
        directory = directory_from(case.directory, "directory")
    view: IdentityView = Identity(directory)
    return view
