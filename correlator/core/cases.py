"""Inline rule tests: partial events at time offsets become complete, deterministic events.

A case lists only the fields that matter plus ``at`` (offset from a fixed base time); the
rest (id, ingest time, source) is filled the same way every run, so alert ids in a case
never change between runs.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from correlator.core import duration
from correlator.core.rules.errors import Problem
from correlator.core.rules.model import RuleCase
from correlator.model import Event

BASE_TIME = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
"""Offset zero of every inline case (a Monday, 08:00 UTC)."""
CASE_SOURCE = {"connector": "rule-test", "format": "inline"}


def case_events(rule_id: str, index: int, case: RuleCase) -> tuple[list[Event], list[Problem]]:
    """The case's events in the order given, and a problem per event that is not valid."""
    events, problems = [], []
    for i, partial in enumerate(case.events):
        loc = ("tests", index, "events", i)
        data: dict[str, Any] = dict(partial)
        at = data.pop("at", None)
        try:
            offset = duration.parse_us(at)
        except ValueError as exc:
            what = "missing `at`" if at is None else str(exc)
            problems.append(Problem((*loc, "at"), f"{what} (the event time as an offset: 0s, 90s)"))
            continue
        time = BASE_TIME + timedelta(microseconds=offset)
        data.setdefault("id", _event_id(rule_id, case.name, i))
        data.setdefault("time", time)
        data.setdefault("ingest_time", time)
        data.setdefault("source", CASE_SOURCE)
        try:
            events.append(Event.model_validate(data))
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                problems.append(Problem((*loc, *err["loc"]), err["msg"]))
    return events, problems


def _event_id(rule_id: str, case: str, index: int) -> str:
    digest = hashlib.blake2b(f"{rule_id}\x1f{case}\x1f{index}".encode(), digest_size=16)
    return digest.hexdigest()
