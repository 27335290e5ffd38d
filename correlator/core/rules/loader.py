"""Load rule files and report every problem with file, line, field path and fix.

``rules/x.yaml:14 correlation.window: '5x' is not a duration (use 30s, 5m, 1h)``: one line per
problem, across all files, never only the first. Values come from ``yaml.safe_load``; lines
come from the composed node tree of the same text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from correlator.core import cases
from correlator.core.rules import checks, model
from correlator.core.rules.errors import Loc, Problem, RuleError, loc_text
from correlator.core.rules.model import KIND_TAGS, Rule
from correlator.yamlkeys import duplicate_key_problems

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class RuleFile:
    """A valid rule and the file it came from."""

    path: Path
    rule: Rule


def rule_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus every ``*.yaml``/``*.yml`` below named directories."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
        else:
            out.append(path)
    return out


def load_rules(paths: Iterable[Path]) -> list[RuleFile]:
    """Every rule under ``paths``; :class:`RuleError` lists every problem in every file."""
    rules, problems = validate(paths)
    if problems:
        raise RuleError(problems)
    return rules


def validate(paths: Iterable[Path]) -> tuple[list[RuleFile], list[str]]:
    """The valid rules and one line per problem (files with problems give no rule)."""
    rules: list[RuleFile] = []
    problems: list[str] = []
    files = rule_paths(paths)
    if not files:
        problems.append(f"{', '.join(map(str, paths)) or '.'}: no rule files (*.yaml) found")
    first: dict[str, tuple[Path, int]] = {}
    for path in files:
        rule, lines, found = _load_file(path)
        problems += found
        if rule is None:
            continue
        line = lines.line(("id",))
        if rule.id in first:
            other, other_line = first[rule.id]
            problems.append(
                f"{path}:{line} id: {rule.id!r} is also the id of {other}:{other_line}; "
                "rule ids must be unique"
            )
            continue
        first[rule.id] = (path, line)
        if not found:
            rules.append(RuleFile(path, rule))
    return rules, problems


def _load_file(path: Path) -> tuple[Rule | None, _Lines, list[str]]:
    lines = _Lines(path, None)
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        return None, lines, [f"{path}: cannot read the rule file: {exc}"]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        return None, lines, [f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]
    lines = _Lines(path, root)
    twice = duplicate_key_problems(str(path), root)
    if twice:
        return None, lines, twice
    if not isinstance(data, dict):
        return None, lines, [f"{path}:1: a rule file is a mapping (id:, title:, correlation:, ...)"]
    try:
        rule = Rule.model_validate(data)
    except ValidationError as exc:
        return None, lines, [_pydantic_problem(err, data, lines) for err in exc.errors()]
    found = checks.check(rule)
    if rule.id != path.stem:
        found.append(
            Problem(
                ("id",),
                f"{rule.id!r} differs from the file name; rename the file to "
                f"{rule.id}{path.suffix or '.yaml'} or set id: {path.stem}",
            )
        )
    for i, case in enumerate(rule.tests):
        found += cases.case_events(rule.id, i, case)[1]
        if isinstance(case.directory, str) and not (path.parent / case.directory).is_file():
            found.append(
                Problem(("tests", i, "directory"), f"no file {case.directory!r} next to the rule")
            )
    found.sort(key=lambda p: lines.line(p.loc))
    return rule, lines, [lines.format(p) for p in found]


_MODELS: dict[str, type[BaseModel]] = {
    "temporal_ordered": model.Sequence,
    "absence": model.Absence,
    "temporal": model.AllOf,
    "event_count": model.EventCount,
    "value_count": model.ValueCount,
    "steps": model.Step,
    "tests": model.RuleCase,
    "expect": model.CaseExpect,
    "condition": model.Threshold,
    "operators": model.Condition,
    "ref": model.Ref,
    "attr": model.Attr,
}
"""Location part → the model below it, to list the allowed fields of an unknown field."""


def _pydantic_problem(err: Any, data: Any, lines: _Lines) -> str:
    raw: Loc = tuple(err["loc"])
    loc = _data_loc(raw, data)
    kind, message = err["type"], str(err["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return lines.format(Problem(loc, "missing (required)"), at=loc[:-1])
    if kind == "extra_forbidden":
        below: type[BaseModel] = Rule
        for part in raw[:-1]:
            below = _MODELS.get(str(part), below)
        allowed = ", ".join(f.alias or n for n, f in below.model_fields.items())
        return lines.format(Problem(loc, f"unknown field; allowed here: {allowed}"))
    if kind == "union_tag_invalid" and loc[-1:] == ("correlation",):
        tag = (err.get("ctx") or {}).get("tag", "")
        message = f"{tag!r}: unknown type; use one of {', '.join(sorted(KIND_TAGS))}"
    elif kind in ("literal_error", "string_pattern_mismatch", "union_tag_invalid"):
        message = f"{err.get('input')!r}: {message}"
    return lines.format(Problem(loc, message))


def _data_loc(raw: Loc, data: Any) -> Loc:
    """Drop the union tags pydantic adds, keeping the parts that exist in the data."""
    out: list[str | int] = []
    node = data
    for i, part in enumerate(raw):
        if _has(node, part):
            node = node[part]
        elif i < len(raw) - 1:
            continue
        out.append(part)
    return tuple(out)


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and part < len(node)


class _Lines:
    """Field path → line in the YAML source."""

    def __init__(self, path: Path, root: yaml.Node | None) -> None:
        self.path = path
        self.root = root

    def line(self, loc: Loc) -> int:
        node, line = self.root, 1
        for part in loc:
            if node is None:
                break
            line = node.start_mark.line + 1
            node = _child(node, part)
        return node.start_mark.line + 1 if node is not None else line

    def format(self, problem: Problem, at: Loc | None = None) -> str:
        where = loc_text(problem.loc) or "<rule>"
        line = self.line(problem.loc if at is None else at)
        return f"{self.path}:{line} {where}: {problem.message}"


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value if isinstance(value, yaml.Node) else None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        child = node.value[part]
        return child if isinstance(child, yaml.Node) else None
    return None
