"""End to end: the shipped rules over a small simulation (40 people, 2 sites, 24 hours).

Every target rule must be in ``rules/``, find every incident and keep its precision on the
normal noise at 95% or more: a rule change that breaks detection, or one that starts firing
on colleagues entering together, deliveries at the dock or night shifts, fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from correlator.core.rules import load_rules
from correlator.sim import RULES
from correlator.sim.evaluate import Evaluation, evaluate

RULES_DIR = Path(__file__).resolve().parents[3] / "rules"


@pytest.fixture(scope="module")
def evaluation(small_sim: Path) -> Evaluation:
    return evaluate(small_sim, [loaded.rule for loaded in load_rules([RULES_DIR])])


def test_every_feed_replays_without_bad_records(evaluation: Evaluation) -> None:
    assert evaluation.bad == []
    assert evaluation.summary.events > 500


@pytest.mark.parametrize("rule", RULES)
def test_rule_finds_every_incident(evaluation: Evaluation, rule: str) -> None:
    assert (RULES_DIR / f"{rule}.yaml").exists(), f"rule {rule} is not shipped in rules/"
    score = evaluation.scores[rule]
    assert score.incidents >= 1
    assert score.missed == []


@pytest.mark.parametrize("rule", RULES)
def test_rule_precision_on_normal_noise(evaluation: Evaluation, rule: str) -> None:
    score = evaluation.scores[rule]
    assert score.true_alerts >= 1
    assert score.precision >= 0.95, f"false positive alerts: {score.false_alerts}"


def test_the_demo_scenario_has_no_false_positive_alert(tmp_path: Path) -> None:
    """What ``correlator demo`` shows a first-time user: every alert is an injected incident
    or one another rule rightly raises on its facts (``also``)."""
    from correlator.runtime.demo import SCENARIO
    from correlator.sim import simulate

    simulate(SCENARIO, tmp_path / "demo")
    evaluation = evaluate(tmp_path / "demo", [loaded.rule for loaded in load_rules([RULES_DIR])])
    false = {rule: s.false_alerts for rule, s in evaluation.scores.items() if s.false_alerts}
    assert false == {}
    assert all(s.missed == [] for s in evaluation.scores.values())
