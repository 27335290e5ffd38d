"""The inline case runner fails when a rule does not do what its case says."""

from __future__ import annotations

from pathlib import Path

from correlator.core.rules import load_rules
from correlator.core.rules.model import CaseExpect
from correlator.core.testing import run_case

RULE = Path(__file__).resolve().parents[3] / "rules" / "denied-then-forced.yaml"


def test_wrong_count_and_wrong_key_fail() -> None:
    (loaded,) = load_rules([RULE])
    rule = loaded.rule
    assert run_case(RULE, rule, 0).passed
    for expect, detail in [
        (CaseExpect(alerts=2), "expected 2 alert(s), got 1 (lab-d3@08:00:20)"),
        (CaseExpect(alerts=1, key="other"), "expected key 'other', got 'lab-d3'"),
        (CaseExpect(alerts=1, suppressed=3), "expected 3 suppressed, got 0"),
        (
            CaseExpect(alerts=1, summary="Door lab-d3 forced"),
            "expected summary 'Door lab-d3 forced', got 'Badge 4411 refused at door lab-d3 at "
            "08:00:00 UTC, then the door was forced open at 08:00:20 UTC'",
        ),
    ]:
        case = rule.tests[0].model_copy(update={"expect": expect})
        changed = rule.model_copy(update={"tests": [case]})
        result = run_case(RULE, changed, 0)
        assert (result.passed, result.detail) == (False, detail)


def test_case_ids_are_stable_between_runs() -> None:
    (loaded,) = load_rules([RULE])
    first = run_case(RULE, loaded.rule, 0).alerts
    second = run_case(RULE, loaded.rule, 0).alerts
    assert [a.id for a in first] == [a.id for a in second]
    assert len(first) == 1


TAILGATING = RULE.parent / "tailgating.yaml"


def test_an_invalid_directory_fixture_fails_its_case_with_every_problem(tmp_path: Path) -> None:
    (loaded,) = load_rules([TAILGATING])
    rule = loaded.rule
    case = rule.tests[0]
    assert isinstance(case.directory, dict)
    assert run_case(TAILGATING, rule, 0).passed
    sites = case.directory["sites"]
    wrong = {**case.directory, "sites": [{**sites[0], "latitude": "north"}]}
    twice = {**case.directory, "sites": [*sites, sites[0]]}
    for fixture, found in [
        ("missing.yaml", "cannot read the directory file"),
        (["not", "a", "mapping"], "directory: the directory must be a mapping"),
        (wrong, "directory sites[0].latitude: Input should be a valid number"),
        (twice, "directory sites[1].id: duplicate"),  # checked as a file is
    ]:
        changed = rule.model_copy(
            update={"tests": [case.model_copy(update={"directory": fixture})]}
        )
        result = run_case(TAILGATING, changed, 0)
        assert not result.passed
        assert found in result.detail, result.detail
