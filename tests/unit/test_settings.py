from __future__ import annotations

import pytest
from pydantic import ValidationError

from correlator.settings import Settings


def test_settings_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRELATOR_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("CORRELATOR_TOPIC_PREFIX", "prod.")
    monkeypatch.setenv("CORRELATOR_KAFKA_PASSWORD", "hunter2")
    settings = Settings()
    assert settings.bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert settings.topic("alerts") == "prod.alerts"
    assert settings.kafka_password is not None
    assert settings.kafka_password.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.model_dump())


def test_settings_are_frozen_and_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.partitions = 8  # type: ignore[misc]
    monkeypatch.setenv("CORRELATOR_BROKER_PORT", "99999")
    with pytest.raises(ValidationError, match="broker_port"):
        Settings()
