"""A small testing kit for the engine: rules from YAML text, events from a few keywords."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from correlator.core.engine import Engine
from correlator.core.rules import validate
from correlator.core.rules.model import Rule
from correlator.identity.view import IdentityView
from correlator.model import Alert, Event, Resolution, Resolved
from correlator.state.store import Store

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)

BASE = {
    "title": "test rule",
    "description": "a rule written by a test",
    "status": "experimental",
    "severity": "high",
}


def rule(text: str, **meta: Any) -> Rule:
    """A rule from the YAML of its ``correlation`` (and more), metadata filled in."""
    data = {"id": "r", **BASE, **meta, **yaml.safe_load(textwrap.dedent(text))}
    return Rule.model_validate(data)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ev(seconds: float, activity: str, key: str = "k1", **fields: Any) -> Event:
    """An access event at ``T0 + seconds`` at door ``key``; the id names time and activity."""
    data: dict[str, Any] = {
        "id": fields.pop("id", f"{activity}@{seconds}/{key}"),
        "time": at(seconds),
        "ingest_time": at(seconds),
        "source": {"connector": "test", "format": "test"},
        "domain": fields.pop("domain", "access"),
        "activity": activity,
        "location": {"door": key},
        **fields,
    }
    return Event.model_validate(data)


def run(
    rules: Iterable[Rule],
    events: Iterable[Event],
    lateness: float = 0,
    store: Store | None = None,
    identity: IdentityView | None = None,
) -> tuple[list[Alert], int]:
    """Alerts (in emission order) and the number of late events, after a final flush."""
    engine = Engine(rules, store, identity, timedelta(seconds=lateness))
    alerts: list[Alert] = []
    late = 0
    for event in events:
        result = engine.process(event)
        alerts += result.alerts
        late += len(result.late)
    alerts += engine.flush()
    return alerts, late


class FakeIdentity:
    """Resolves ``actor.account`` through a table and answers attributes from a table."""

    def __init__(self, people: dict[str, str], attributes: dict[tuple[str, str], Any]) -> None:
        self.people = people
        self.attributes = attributes
        self.observed = 0

    def observe(self, event: Event) -> Event:
        self.observed += 1
        account = event.actor.account if event.actor else None
        person = self.people.get(account or "")
        if person is None:
            return event
        res = Resolution(id=person, via="account", value=account or "", source="directory")
        return event.model_copy(update={"resolved": Resolved(person=res)})

    def attribute(self, event: Event, path: str) -> Any:
        person = event.resolved.person.id if event.resolved and event.resolved.person else None
        return self.attributes.get((person or "", path))


SKELETON = """\
id: x
title: t
description: d
status: experimental
severity: low
correlation:
  type: {type}
  by: person
  window: 1h
  {body}
"""
"""A rule file with one correlation ``type`` and ``body`` to fill in, for loader tests."""


def loader_problems(tmp_path: Path, kind: str, body: str) -> list[str]:
    """The loader's problems with a ``SKELETON`` rule of this kind and body."""
    path = tmp_path / "x.yaml"
    path.write_text(SKELETON.format(type=kind, body=body))
    _, problems = validate([path])
    return problems
