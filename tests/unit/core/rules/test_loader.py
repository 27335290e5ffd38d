"""Rule loading: every problem reported with file, line, field path and a fix."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from correlator.core.rules import RuleError, load_rules, validate

GOOD = """\
id: {id}
title: Door forced
description: A door was forced.
status: experimental
severity: high
correlation:
  type: event_count
  by: location
  window: 30s
  match: {{activity: door_forced}}
  condition: {{gte: 1}}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def problems(*paths: Path) -> list[str]:
    return validate(list(paths))[1]


def test_a_valid_rule_loads(tmp_path: Path) -> None:
    write(tmp_path, "forced.yaml", GOOD.format(id="forced"))
    (loaded,) = load_rules([tmp_path])
    assert loaded.rule.id == "forced"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "window: 30s",
            "window: 5x",
            r"x\.yaml:9 correlation\.window: '5x' is not a duration \(use 30s, 5m, 1h\)",
            id="bad-duration",
        ),
        pytest.param(
            "severity: high",
            "severity: hgh",
            r"x\.yaml:5 severity: 'hgh': Input should be 'low'",
            id="bad-severity",
        ),
        pytest.param(
            "status: experimental",
            "status: experimental\ncolour: red",
            r"x\.yaml:5 colour: unknown field; allowed here: id, title, description",
            id="unknown-top-field",
        ),
        pytest.param(
            "{activity: door_forced}",
            "{activity: {startwith: door}}",
            r"x\.yaml:10 correlation\.match\.activity\.startwith: unknown field; allowed here: "
            r"eq, ne, in, contains, startswith",
            id="unknown-operator",
        ),
        pytest.param(
            "by: location",
            "by: src.ipp",
            r"x\.yaml:8 correlation\.by: unknown field 'ipp' in src \(known: ip, port",
            id="unknown-key-field",
        ),
        pytest.param(
            "{activity: door_forced}",
            "{activity: door_forced, src.ip: {cidr: 10.0.0.0/33}}",
            r"x\.yaml:10 correlation\.match\.src\.ip\.cidr: '10\.0\.0\.0/33' is not a network",
            id="bad-cidr",
        ),
        pytest.param(
            "type: event_count",
            "type: sequence",
            r"x\.yaml:7 correlation: 'sequence': unknown type; use one of absence, event_count",
            id="unknown-kind",
        ),
        pytest.param(
            "title: Door forced\n",
            "",
            r"x\.yaml:1 title: missing \(required\)",
            id="missing-field",
        ),
    ],
)
def test_problem_names_file_line_field_and_fix(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    path = write(tmp_path, "x.yaml", GOOD.format(id="x").replace(old, new))
    found = problems(path)
    assert len(found) == 1, found
    assert found[0].startswith(str(path))
    assert re.search(expected, found[0]), found[0]


def test_every_problem_in_every_file_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.format(id="a").replace("30s", "5x").replace("high", "hgh"))
    write(tmp_path, "b.yaml", GOOD.format(id="b").replace("location", "src.nope"))
    with pytest.raises(RuleError) as raised:
        load_rules([tmp_path])
    lines = raised.value.problems
    assert len(lines) == 3
    assert [Path(line.split(":")[0]).name for line in lines] == ["a.yaml", "a.yaml", "b.yaml"]


def test_duplicate_ids_name_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, "one/dup.yaml", GOOD.format(id="dup"))
    second = write(tmp_path, "two/dup.yaml", GOOD.format(id="dup"))
    (line,) = problems(tmp_path)
    assert line.startswith(f"{second}:1 id: 'dup' is also the id of {first}:1")


def test_file_name_must_equal_id(tmp_path: Path) -> None:
    path = write(tmp_path, "door.yaml", GOOD.format(id="forced"))
    (line,) = problems(path)
    assert "rename the file to forced.yaml or set id: door" in line


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", GOOD.format(id="x") + "  bad: [\n")
    (line,) = problems(path)
    assert line.startswith(f"{path}:")
    assert "not valid YAML" in line


def test_a_key_given_twice_is_a_problem_naming_both_lines(tmp_path: Path) -> None:
    # PyYAML would keep the second match: and quietly drop the first.
    text = GOOD.format(id="x").replace(
        "  condition:", "  match: {activity: door_held_open}\n  condition:"
    )
    path = write(tmp_path, "x.yaml", text)
    assert problems(path) == [
        f"{path}:11: key 'match' is given twice (first at line 10); YAML would keep only this one"
    ]


def test_anchors_aliases_and_merge_keys_are_not_keys_given_twice(tmp_path: Path) -> None:
    text = GOOD.format(id="x").replace(
        "  match: {activity: door_forced}",
        "  match: &m {activity: door_forced}\n  group: {<<: *m, <<: *m}",
    )
    path = write(tmp_path, "x.yaml", text)
    assert not any("given twice" in line for line in problems(path))


SEQUENCE = """\
id: seq
title: t
description: d
status: {status}
severity: low
correlation:
  type: temporal_ordered
  by: person
  window: 1m
  steps:
    - name: badge
      match: {{activity: access_granted}}
    - name: vpn
      count: 2
      match:
        domain: vpn
        location.site: {{ref: {ref}}}
"""


def test_sequence_checks_references_and_counts(tmp_path: Path) -> None:
    path = write(tmp_path, "seq.yaml", SEQUENCE.format(status="experimental", ref="vpn.x.y"))
    found = problems(path)
    assert any(":14 correlation.steps[1].count: count is only for the first" in p for p in found)
    assert any(
        ":17 correlation.steps[1].match.location.site: ref 'vpn.x.y': no earlier present step "
        "'vpn' (earlier steps: badge)" in p
        for p in found
    )


def test_stable_rule_needs_positive_negative_and_boundary_cases(tmp_path: Path) -> None:
    text = SEQUENCE.format(status="stable", ref="badge.location.site")
    path = write(tmp_path, "seq.yaml", text.replace("      count: 2\n", ""))
    (line,) = problems(path)
    assert "status stable needs a positive, a negative and a boundary case" in line


def test_inline_case_events_are_validated(tmp_path: Path) -> None:
    text = GOOD.format(id="x") + textwrap.dedent("""\
        tests:
          - name: bad event
            kind: positive
            events:
              - {at: 0s, domain: nowhere, activity: door_forced}
              - {domain: access, activity: door_forced}
            expect: {alerts: 1}
        """)
    path = write(tmp_path, "x.yaml", text)
    found = problems(path)
    assert any(":16 tests[0].events[0].domain: Input should be" in p for p in found), found
    assert any(":17 tests[0].events[1].at: missing `at`" in p for p in found), found


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        pytest.param("{event.location.door} at {event.time:%H:%M}", None, id="step-fields"),
        pytest.param("{key} {count} {title}", None, id="plain-placeholders"),
        pytest.param("{door}", r"unknown placeholder \{door\}.*present step: event", id="no-step"),
        pytest.param("{other.src.ip}", r"unknown placeholder \{other\.src\.ip\}", id="bad-step"),
        pytest.param("{event.src.ipp}", r"\{event\.src\.ipp\}: unknown field 'ipp'", id="bad-path"),
        pytest.param("{event.person.name}", r"identity attributes are not kept", id="identity"),
        pytest.param("{event", r"bad template", id="unclosed"),
    ],
)
def test_summary_placeholders_name_a_step_and_an_event_field(
    tmp_path: Path, summary: str, expected: str | None
) -> None:
    text = GOOD.format(id="x") + f"summary: {summary!r}\n"
    found = problems(write(tmp_path, "x.yaml", text))
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1, found
        assert re.search(expected, found[0]), found
