"""Hypothesis profiles for the fuzz tests, chosen with ``HYPOTHESIS_PROFILE``.

- ``ci`` (default): a few dozen inputs per parser, so ``make test`` stays fast;
- ``soak``: ten thousand per test, for ``make soak`` (or any longer run you like:
  ``HYPOTHESIS_PROFILE=soak .venv/bin/pytest tests/unit/connectors/test_fuzz*.py``).

Only the tests decorated with :data:`FUZZ` follow the profile; the other property tests keep
their own settings.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("ci", max_examples=60, **_COMMON)  # type: ignore[arg-type]  # the dict is keyword arguments of settings
settings.register_profile("soak", max_examples=10_000, **_COMMON)  # type: ignore[arg-type]  # the same

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
FUZZ = settings.get_profile(PROFILE)
"""Decorate a ``@given`` test with this to run it as many times as the profile says."""
