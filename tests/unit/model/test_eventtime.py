from datetime import UTC, datetime, timedelta

import pytest

from correlator.model.eventtime import TimeBounds, time_bounds
from correlator.settings import Settings

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("time", "fine"),
    [
        pytest.param(NOW, True, id="now"),
        pytest.param(NOW - timedelta(days=3650), True, id="ten-years-ago"),
        pytest.param(NOW + timedelta(days=1), True, id="exactly-the-allowed-skew"),
        pytest.param(NOW + timedelta(days=1, microseconds=1), False, id="just-past-the-skew"),
        pytest.param(datetime(2000, 1, 1, tzinfo=UTC), True, id="the-earliest"),
        pytest.param(datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC), False, id="before-2000"),
        pytest.param(datetime(1970, 1, 1, tzinfo=UTC), False, id="epoch-zero"),
        pytest.param(datetime(9999, 12, 31, tzinfo=UTC), False, id="year-9999"),
    ],
)
def test_default_bounds(time: datetime, fine: bool) -> None:
    assert (TimeBounds().problem(time, NOW) is None) is fine


def test_problems_say_what_and_which_setting_moves_the_bound() -> None:
    ahead = TimeBounds().problem(NOW + timedelta(days=3), NOW)
    assert ahead is not None
    assert "is 3d ahead of 2026-03-02T08:00:00+00:00, more than the 1d allowed" in ahead
    assert "CORRELATOR_EVENT_MAX_AHEAD" in ahead
    before = TimeBounds().problem(datetime(1970, 1, 1, tzinfo=UTC), NOW)
    assert before is not None
    assert "before 2000-01-01" in before
    assert "CORRELATOR_EVENT_EARLIEST" in before


def test_bounds_come_from_settings() -> None:
    settings = Settings(event_earliest=datetime(2020, 1, 1, tzinfo=UTC), event_max_ahead="2h")
    bounds = time_bounds(settings)
    assert bounds == TimeBounds(datetime(2020, 1, 1, tzinfo=UTC), timedelta(hours=2))
    assert bounds.problem(NOW + timedelta(hours=3), NOW) is not None
    assert bounds.problem(datetime(2019, 6, 1, tzinfo=UTC), NOW) is not None


def test_a_bad_max_ahead_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="event_max_ahead"):
        Settings(event_max_ahead="tomorrow")
