from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from correlator.model import Alert, AlertEntity
from correlator.model.alert import alert_id

ALICE = AlertEntity(type="person", id="alice")


def test_alert_id_is_deterministic_over_rule_entity_and_evidence() -> None:
    base = alert_id("tailgating", ALICE, ["e1", "e2"])
    assert base == alert_id("tailgating", ALICE, ["e1", "e2"])
    assert base != alert_id("tailgating", ALICE, ["e2", "e1"])
    assert base != alert_id("tailgating", AlertEntity(type="person", id="bob"), ["e1", "e2"])
    assert base != alert_id("badge-in-remote-login", ALICE, ["e1", "e2"])
    # Field boundaries are kept: ("ab", "c") is not ("a", "bc").
    assert alert_id("r", ALICE, ["ab", "c"]) != alert_id("r", ALICE, ["a", "bc"])


def test_alert_severity_is_constrained() -> None:
    t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    fields = {
        "id": "a1", "rule": "r", "title": "t", "entity": ALICE, "time": t,
        "first_seen": t, "last_seen": t, "evidence": (), "summary": "s",
    }  # fmt: skip
    assert Alert.model_validate({**fields, "severity": "high"}).severity == "high"
    with pytest.raises(ValidationError, match="severity"):
        Alert.model_validate({**fields, "severity": "informational"})
