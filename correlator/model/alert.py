"""The cross-domain alert a SOC consumes from the ``alerts`` topic."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from correlator.model.event import Event, UtcDatetime

AlertSeverity = Literal["low", "medium", "high", "critical"]
EntityType = Literal["person", "host", "location", "site", "field"]


class AlertEntity(BaseModel):
    """The entity an alert is about: the correlation key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: EntityType
    id: str


class Alert(BaseModel):
    """A correlation result with the events that prove it.

    ``id`` is deterministic over (rule, entity, evidence ids): processing the same input twice
    yields the same id, so consumers drop repeats by id (delivery is at-least-once).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    rule: str = Field(description="Id of the rule that fired.")
    title: str
    severity: AlertSeverity
    entity: AlertEntity
    time: UtcDatetime = Field(description="Event time at which the rule fired.")
    first_seen: UtcDatetime
    last_seen: UtcDatetime
    evidence: tuple[Event, ...] = Field(description="Contributing events, in event-time order.")
    tags: tuple[str, ...] = Field(default=(), description="ATT&CK technique ids, e.g. T1078.")
    summary: str = Field(description="One human sentence: what happened, to whom, where.")
    suppressed: int = Field(
        default=0, ge=0, description="Matches folded into this alert by the rule's suppression."
    )


def alert_id(rule: str, entity: AlertEntity, evidence_ids: Iterable[str]) -> str:
    """Deterministic alert id over the rule, the entity and the evidence event ids."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (rule, entity.type, entity.id, *evidence_ids):
        digest.update(part.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()
