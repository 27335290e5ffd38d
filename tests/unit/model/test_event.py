from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from correlator import serde
from correlator.errors import DecodeError
from correlator.model import Actor, Event, Source
from correlator.model.event import event_id

SOURCE = Source(connector="hq-doors", format="onvif", host="door-ctl-1")


def make(**overrides: object) -> Event:
    fields: dict[str, object] = {
        "id": "e1",
        "time": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        "ingest_time": datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC),
        "source": SOURCE,
        "domain": "access",
        "activity": "access_granted",
    }
    fields.update(overrides)
    return Event.model_validate(fields)


def test_times_are_normalized_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    event = make(time=datetime(2026, 3, 2, 10, 0, tzinfo=paris))
    assert event.time == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert event.time.utcoffset() == timedelta(0)


def test_naive_time_is_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        make(time=datetime(2026, 3, 2, 9, 0))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("domain", "weather", id="unknown-domain"),
        pytest.param("severity", "severe", id="unknown-severity"),
        pytest.param("colour", "red", id="extra-field"),
    ],
)
def test_invalid_fields_are_rejected(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=field):
        make(**{field: value})


def test_events_are_frozen() -> None:
    event = make()
    with pytest.raises(ValidationError, match="frozen"):
        event.activity = "access_denied"  # type: ignore[misc]


def test_json_round_trip_keeps_every_field() -> None:
    event = make(actor=Actor(credential="0042"), attrs={"count": 2, "door_open": True})
    data = serde.encode_model(event)
    assert b'"time":"2026-03-02T09:00:00Z"' in data
    assert serde.decode_model(Event, data) == event


def test_decode_error_names_the_field() -> None:
    bad = serde.encode_model(make()).replace(b'"access"', b'"weather"')
    with pytest.raises(DecodeError, match=r"not a valid Event: domain"):
        serde.decode_model(Event, bad)


def test_event_id_is_deterministic_and_depends_on_source_and_raw() -> None:
    assert event_id(SOURCE, "line 1") == event_id(SOURCE, b"line 1")
    assert event_id(SOURCE, "line 1") != event_id(SOURCE, "line 2")
    other = Source(connector="lab-doors", format="onvif", host="door-ctl-1")
    assert event_id(SOURCE, "line 1") != event_id(other, "line 1")
    moved = Source(connector="hq-doors", format="onvif", host="door-ctl-1", position="f:10")
    assert event_id(SOURCE, "line 1") == event_id(moved, "line 1")
