"""Read a directory file (YAML or JSON) and report every problem with file, line and field.

``load_directory`` never stops at the first problem: a customer fixing an export wants the
whole list. Each line reads ``directory.yaml:14 people[2].credentials[0].valid_until: what is
wrong``; a duplicate also names where the first entry is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from correlator.errors import DirectoryError
from correlator.identity.checks import Loc, Problem, check, loc_text
from correlator.identity.directory import Directory
from correlator.yamlkeys import duplicate_key_problems


def load_directory(path: Path) -> Directory:
    """The validated directory in ``path``; :class:`DirectoryError` lists every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DirectoryError([f"{path}: cannot read the directory file: {exc}"]) from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise DirectoryError([f"{where}: not valid YAML/JSON: {exc}"]) from exc
    twice = duplicate_key_problems(str(path), root)
    if twice:
        raise DirectoryError(twice)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DirectoryError([f"{path}:1: the directory must be a mapping (people:, sites:, ...)"])
    return _validated(data, _Lines(path, root))


def directory_from(data: Any, where: str) -> Directory:
    """The validated directory given as data (a rule case's inline ``directory:``), with
    the same checks as a file; problems are reported under ``where`` (no line numbers)."""
    if not isinstance(data, dict):
        raise DirectoryError([f"{where}: the directory must be a mapping (people:, sites:, ...)"])
    return _validated(data, _Lines(Path(where), None))


def _validated(data: dict[str, Any], lines: _Lines) -> Directory:
    try:
        directory = Directory.model_validate(data)
    except ValidationError as exc:
        raise DirectoryError(_validation_problems(exc, data, lines)) from exc
    problems = check(directory)
    if problems:
        raise DirectoryError([lines.format(problem) for problem in problems])
    return directory


def format_problems(problems: list[Problem], where: str = "directory") -> list[str]:
    """Problem lines for a directory built in code (no file, so no line numbers)."""
    return [_Lines(Path(where), None).format(problem) for problem in problems]


class _Lines:
    """Maps a field path to its line in the YAML source, via the composed node tree."""

    def __init__(self, path: Path, root: yaml.Node | None) -> None:
        self._path = path
        self._root = root

    def line(self, loc: Loc) -> int | None:
        node = self._root
        if node is None:
            return None
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            node = child
        return node.start_mark.line + 1

    def where(self, loc: Loc) -> str:
        line = self.line(loc)
        return f"{self._path}:{line}" if line is not None else str(self._path)

    def format(self, problem: Problem) -> str:
        text = f"{self.where(problem.loc)} {loc_text(problem.loc)}: {problem.message}"
        if problem.other is not None:
            line = self.line(problem.other)
            at = f"line {line}, " if line is not None else ""
            text += f" (first defined at {at}{loc_text(problem.other)})"
        return text


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return value  # type: ignore[no-any-return]  # PyYAML nodes are untyped
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


def _validation_problems(exc: ValidationError, data: Any, lines: _Lines) -> list[str]:
    """One line per field: union alternatives are merged, pydantic's type tags dropped."""
    merged: dict[Loc, list[str]] = {}
    for error in exc.errors(include_url=False):
        loc = _data_loc(tuple(error["loc"]), data, error["type"] == "missing")
        messages = merged.setdefault(loc, [])
        if error["msg"] not in messages:
            messages.append(error["msg"])
    return [lines.format(Problem(loc, "; ".join(msgs))) for loc, msgs in merged.items()]


def _data_loc(loc: Loc, data: Any, missing: bool) -> Loc:
    """The part of pydantic's ``loc`` that exists in the input (plus a missing field name)."""
    out: list[str | int] = []
    for n, part in enumerate(loc):
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if in_dict or in_list:
            data = data[part]
        elif isinstance(data, dict) and n == len(loc) - 1 and missing:
            pass
        else:
            continue
        out.append(part)
    return tuple(out)
