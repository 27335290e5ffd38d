"""Turn a match (rule, key, time, hits) into the :class:`Alert` a SOC analyst reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from correlator.core.clock import from_us
from correlator.core.compiled import CompiledRule
from correlator.core.machines import ID, JSON, Hit
from correlator.model import Alert, AlertEntity, Event
from correlator.model.alert import alert_id


class _Blank(dict[str, Any]):
    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def build_alert(rule: CompiledRule, key: str, time: int, hits: list[Hit], suppressed: int) -> Alert:
    """The alert; its id depends only on rule, key and evidence ids (replays give the same)."""
    docs: dict[str, str] = {}
    for hit in hits:
        docs.setdefault(hit[ID], hit[JSON])
    events = sorted(
        (Event.model_validate_json(doc) for doc in docs.values()), key=lambda e: (e.time, e.id)
    )
    entity = AlertEntity(type=rule.entity, id=key)
    meta = rule.rule
    values: Mapping[str, Any] = _Blank(title=meta.title, key=key, count=len(events))
    template = meta.summary or "{title}: {key} ({count} events)"
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
        summary=template.format_map(values),
        suppressed=suppressed,
    )
