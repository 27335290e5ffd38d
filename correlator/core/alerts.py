"""Turn a match (rule, key, time, hits) into the :class:`Alert` a SOC analyst reads.

The summary is the rule's ``summary`` template. Besides ``{title}``, ``{key}`` and ``{count}``
it may read the evidence: ``{STEP.PATH}`` is a field of the latest event that matched step
``STEP`` (``event`` for counting rules), with an optional format after a colon:
``{badge.location.door}``, ``{remote.attrs.public_ip}``, ``{badge.time:%H:%M}``. A field the
event does not carry reads ``?``, so the sentence stays readable when a feed omits it.
Control characters in the key and the fields are escaped (``\\x1b``).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from correlator.core import fields
from correlator.core.clock import from_us
from correlator.core.compiled import CompiledRule
from correlator.core.machines import ID, STEP, Hit
from correlator.identity.view import NullIdentity
from correlator.model import Alert, AlertEntity, Event
from correlator.model.alert import alert_id
from correlator.text import escape_controls

MISSING = "?"
"""What a step field the event does not carry reads as in a summary."""
TIME_FORMAT = "%Y-%m-%d %H:%M:%S UTC"
"""How a time reads in a summary when the template gives no format."""


class _Summary(string.Formatter):
    """``str.format`` where a dotted name is ``step.field.path``, not attribute access."""

    def __init__(self, values: Mapping[str, Any], steps: Mapping[str, Event]) -> None:
        super().__init__()
        self.values, self.steps = values, steps

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if field_name in self.values:
            return self.values[field_name], field_name
        step, _, path = field_name.partition(".")
        event = self.steps.get(step)
        if event is None or not path:
            return _Literal("{" + field_name + "}"), field_name
        return fields.getter(path, NullIdentity())(event), field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        """Field values come from devices: control characters in them are escaped, so an
        alert's sentence cannot forge lines or move a cursor wherever it is shown."""
        if isinstance(value, _Literal):
            return str(value)
        if value is None:
            return MISSING
        if isinstance(value, datetime):
            return value.strftime(format_spec or TIME_FORMAT)
        if isinstance(value, list | tuple):
            return escape_controls(", ".join(str(v) for v in value))
        return escape_controls(format(value, format_spec))


class _Literal(str):
    """An unknown placeholder, written back as it was."""


def summary(rule: CompiledRule, key: str, hits: list[Hit], events: Mapping[str, Event]) -> str:
    """The alert's sentence: the rule's template over its title, key, count and evidence."""
    steps: dict[str, Event] = {}
    for hit in hits:  # hits come in event-time order: the latest event of a step wins
        steps[rule.steps[hit[STEP]].name] = events[hit[ID]]
    meta = rule.rule
    values = {"title": meta.title, "key": key, "count": len(events)}
    template = meta.summary or "{title}: {key} ({count} events)"
    return _Summary(values, steps).format(template)


def build_alert(
    rule: CompiledRule,
    key: str,
    time: int,
    hits: list[Hit],
    doc: Callable[[Hit], str],
    suppressed: int,
) -> Alert:
    """The alert; its id depends only on rule, key and evidence ids (replays give the same).
    ``doc`` gives a hit's event JSON."""
    by_id: dict[str, Event] = {}
    for hit in hits:
        if hit[ID] not in by_id:
            by_id[hit[ID]] = Event.model_validate_json(doc(hit))
    events = sorted(by_id.values(), key=lambda e: (e.time, e.id))
    entity = AlertEntity(type=rule.entity, id=key)
    meta = rule.rule
    return Alert(
        id=alert_id(rule.id, entity, [e.id for e in events]),
        rule=rule.id,
        title=meta.title,
        severity=meta.severity,
        entity=entity,
        time=from_us(time),
        first_seen=events[0].time,
        last_seen=events[-1].time,
        evidence=tuple(events),
        tags=meta.tags,
        summary=summary(rule, key, hits, by_id),
        suppressed=suppressed,
    )
