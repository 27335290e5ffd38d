"""Every rule in ``rules/``, every inline case: one test each."""

from __future__ import annotations

from pathlib import Path

import pytest

from correlator.core.rules import RuleFile, rule_paths, validate
from correlator.core.testing import run_case

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
LOADED, PROBLEMS = validate([RULES_DIR])
CASES = [
    pytest.param(loaded, index, id=f"{loaded.rule.id}::{case.name}")
    for loaded in LOADED
    for index, case in enumerate(loaded.rule.tests)
]


def test_every_rule_file_is_valid() -> None:
    assert PROBLEMS == []
    assert len(LOADED) == len(rule_paths([RULES_DIR]))


def test_shipped_rules_cover_sequence_absence_and_threshold() -> None:
    kinds = {loaded.rule.correlation.type for loaded in LOADED}
    assert {"temporal_ordered", "absence", "event_count"} <= kinds


@pytest.mark.parametrize(("loaded", "index"), CASES)
def test_inline_case(loaded: RuleFile, index: int) -> None:
    result = run_case(loaded.path, loaded.rule, index)
    assert result.passed, result.detail
