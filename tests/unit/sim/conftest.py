"""One small simulation per test session: 40 people, 2 sites, 24 hours."""

from __future__ import annotations

from pathlib import Path

import pytest

from correlator.sim import Scenario, simulate

SMALL = Scenario(seed=7, people=40, sites=2, hours=24, incidents=1)


@pytest.fixture(scope="session")
def small_sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "small"
    simulate(SMALL, out)
    return out
