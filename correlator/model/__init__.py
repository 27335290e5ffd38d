"""The normalized data model shared by connectors, the core and the runtime."""

from correlator.model.alert import Alert, AlertEntity
from correlator.model.event import (
    Actor,
    Domain,
    Endpoint,
    Event,
    Observable,
    Outcome,
    Place,
    Resolution,
    Resolved,
    Severity,
    Source,
)

__all__ = [
    "Actor",
    "Alert",
    "AlertEntity",
    "Domain",
    "Endpoint",
    "Event",
    "Observable",
    "Outcome",
    "Place",
    "Resolution",
    "Resolved",
    "Severity",
    "Source",
]
