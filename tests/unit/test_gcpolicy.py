"""Processes that hold engine state run with the engine's collector thresholds."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from correlator.cli import main
from correlator.gcpolicy import THRESHOLDS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def python_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


@pytest.mark.usefixtures("python_thresholds")
def test_replay_sets_the_engine_thresholds(tmp_path: Path) -> None:
    events = ROOT / "tests" / "fixtures" / "replay" / "events.jsonl"
    out = tmp_path / "alerts.jsonl"
    assert main(["replay", "--rules", str(ROOT / "rules"), "-o", str(out), str(events)]) == 0
    assert gc.get_threshold() == THRESHOLDS
