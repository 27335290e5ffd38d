"""End to end: the shipped rules over a small simulation (40 people, 2 sites, 24 hours).

The rules are written alongside the simulator, so each target rule has an explicit status
here: absent from ``rules/`` (skipped, saying so), or present and expected to find every
incident. Precision on normal noise is asserted for the rules known to hold it;
``IMPRECISE`` lists the others with the reason, and their precision check is an expected
failure until the rule is tuned.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from correlator.core.rules import load_rules
from correlator.sim import RULES
from correlator.sim.evaluate import Evaluation, evaluate

RULES_DIR = Path(__file__).resolve().parents[3] / "rules"
IMPRECISE = {
    "tailgating": "fires on colleagues who enter together (two grants, the camera counts two)",
    "door-forced-then-network": "a door held at the dock, then any medium IDS alert on the site",
    "after-hours-access-exfil": "large uploads that are not tied to the after-hours badge",
}


@pytest.fixture(scope="module")
def evaluation(small_sim: Path) -> Evaluation:
    return evaluate(small_sim, [loaded.rule for loaded in load_rules([RULES_DIR])])


def _shipped(rule: str) -> None:
    if not (RULES_DIR / f"{rule}.yaml").exists():
        pytest.skip(f"rule {rule} is not in rules/ yet: its incidents are generated, not scored")


def test_every_feed_replays_without_bad_records(evaluation: Evaluation) -> None:
    assert evaluation.bad == []
    assert evaluation.summary.events > 500


@pytest.mark.parametrize("rule", RULES)
def test_rule_finds_every_incident(evaluation: Evaluation, rule: str) -> None:
    _shipped(rule)
    score = evaluation.scores[rule]
    assert score.incidents >= 1
    assert score.missed == []


@pytest.mark.parametrize("rule", RULES)
def test_rule_precision_on_normal_noise(evaluation: Evaluation, rule: str) -> None:
    _shipped(rule)
    score = evaluation.scores[rule]
    if rule in IMPRECISE and score.precision < 0.95:
        pytest.xfail(f"{rule} not tuned yet: {IMPRECISE[rule]}")
    assert score.precision >= 0.95, f"false positive alerts: {score.false_alerts}"
