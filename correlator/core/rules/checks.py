"""Checks a schema cannot express: step references, field paths, test coverage.

Each check returns :class:`Problem` values with the field path, so the loader can point at
the line; nothing stops at the first problem.
"""

from __future__ import annotations

import ipaddress
import re
import string
from collections.abc import Iterator

from correlator.core import fields, predicates
from correlator.core.rules.errors import Loc, Problem
from correlator.core.rules.model import (
    Absence,
    AllOf,
    Attr,
    Condition,
    Distinct,
    EventCount,
    Match,
    Ref,
    Rule,
    Sequence,
    Step,
    ValueCount,
)

KEY_KINDS = ("person", "host", "location", "site")
_PLACEHOLDERS = frozenset({"title", "key", "count"})


def check(rule: Rule) -> list[Problem]:
    """Every problem of a parsed rule."""
    corr = rule.correlation
    out = list(_keys(corr.by))
    if isinstance(corr, EventCount | ValueCount):
        out += _match(corr.match, ("correlation", "match"), refs_allowed=False)
        for i, group in enumerate(corr.any):
            out += _match(group, ("correlation", "any", i), refs_allowed=False)
        if isinstance(corr, ValueCount) and (why := fields.path_problem(corr.field)):
            out.append(Problem(("correlation", "field"), why))
    else:
        out += _steps(corr)
    out += _summary(rule)
    out += _cases(rule)
    return out


def _keys(by: str | list[str]) -> Iterator[Problem]:
    for i, key in enumerate([by] if isinstance(by, str) else by):
        loc: Loc = ("correlation", "by") if isinstance(by, str) else ("correlation", "by", i)
        if key not in KEY_KINDS and (why := fields.path_problem(key)):
            yield Problem(loc, f"{why}; a key is {', '.join(KEY_KINDS)} or an event field")


def _steps(corr: Sequence | Absence | AllOf) -> list[Problem]:
    out: list[Problem] = []
    seen: dict[str, int] = {}
    positives = [s for s in corr.steps if not s.absent]
    for i, step in enumerate(corr.steps):
        loc: Loc = ("correlation", "steps", i)
        if step.name in seen:
            out.append(
                Problem((*loc, "name"), f"step {step.name!r} is also step {seen[step.name]}")
            )
        if step.count > 1 and not isinstance(corr, AllOf) and (i > 0 or step.absent):
            out.append(
                Problem(
                    (*loc, "count"),
                    "count is only for the first, present step of a sequence "
                    "(or any step of a temporal rule)",
                )
            )
        if step.absent and isinstance(corr, AllOf):
            out.append(Problem((*loc, "absent"), "temporal steps cannot be absent; use absence"))
        earlier = {s.name for s in corr.steps[:i] if not s.absent}
        if isinstance(corr, AllOf):
            earlier = set()
        out += _match(step.match, (*loc, "match"), refs_allowed=True, earlier=earlier)
        if step.absent and any(predicates.gathers(t) for t in step.match.values()):
            out.append(
                Problem((*loc, "match"), "{distinct: ...} is only for present steps, not absent")
            )
        for g, group in enumerate(step.any):
            out += _match(group, (*loc, "any", g), refs_allowed=False)
        seen.setdefault(step.name, i)
    if isinstance(corr, Absence) and (len(positives) == len(corr.steps) or not positives):
        out.append(
            Problem(
                ("correlation", "steps"), "absence needs a present step and an absent: true step"
            )
        )
    if isinstance(corr, Sequence) and len(positives) < 2:
        out.append(Problem(("correlation", "steps"), "temporal_ordered needs two present steps"))
    return out


def _match(
    match: Match, loc: Loc, *, refs_allowed: bool, earlier: set[str] | None = None
) -> list[Problem]:
    out = []
    for path, test in match.items():
        where = (*loc, path)
        if why := fields.path_problem(path):
            out.append(Problem(where, why))
        if predicates.uses_ref(test) and not refs_allowed:
            out.append(
                Problem(
                    where, "{ref: ...}, {distinct: ...} are only allowed in steps of a sequence"
                )
            )
            continue
        for ref in predicates.refs_in(test):
            step, _, ref_path = ref.partition(".")
            if step not in (earlier or set()):
                known = ", ".join(sorted(earlier or ())) or "none"
                out.append(
                    Problem(
                        where,
                        f"ref {ref!r}: no earlier present step {step!r} (earlier steps: {known})",
                    )
                )
            elif why := fields.path_problem(ref_path):
                out.append(Problem(where, f"ref {ref!r}: {why}"))
        out += _condition(test, where)
    return out


def _condition(test: object, loc: Loc) -> list[Problem]:
    if not isinstance(test, Condition):
        return []
    out = []
    if all(getattr(test, name) is None for name in type(test).model_fields):
        out.append(Problem(loc, "empty test: give eq, in, contains, cidr, gte, exists, not, ..."))
    if test.regex is not None:
        try:
            re.compile(test.regex)
        except re.error as exc:
            out.append(Problem((*loc, "regex"), f"{test.regex!r} is not a regex: {exc}"))
    if isinstance(test.cidr, str | list):
        for net in [test.cidr] if isinstance(test.cidr, str) else test.cidr:
            try:
                ipaddress.ip_network(str(net), strict=False)
            except ValueError:
                out.append(Problem((*loc, "cidr"), f"{net!r} is not a network (10.0.0.0/8)"))
    kinds = {type(o) for o in predicates.operands(test)}
    if (Ref in kinds or Distinct in kinds) and Attr in kinds:
        out.append(Problem(loc, "one test cannot mix {ref: ...} and {attr: ...}; split it"))
    speed = test.speed_kmh
    if speed is not None and all(getattr(speed, op) is None for op in ("gt", "gte", "lt", "lte")):
        out.append(Problem((*loc, "speed_kmh"), "give a speed to compare: gt, gte, lt or lte"))
    if test.not_ is not None:
        out += _condition(test.not_, (*loc, "not"))
    return out


def _summary(rule: Rule) -> list[Problem]:
    """Placeholders: title, key, count, or ``STEP.PATH`` (an event field of a present step)."""
    if rule.summary is None:
        return []
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(rule.summary) if name]
    except ValueError as exc:
        return [Problem(("summary",), f"bad template: {exc}")]
    steps = [s.name for s in step_list(rule) if not s.absent]
    out = []
    for name in dict.fromkeys(names):
        if name in _PLACEHOLDERS:
            continue
        step, _, path = name.partition(".")
        if step not in steps or not path:
            known = ", ".join(f"{{{n}}}" for n in sorted(_PLACEHOLDERS))
            out.append(
                Problem(
                    ("summary",),
                    f"unknown placeholder {{{name}}} (use {known}, or {{STEP.FIELD}} with a "
                    f"present step: {', '.join(steps)})",
                )
            )
        elif path.split(".")[0] in fields.IDENTITY_ROOTS:
            out.append(
                Problem(
                    ("summary",),
                    f"{{{name}}}: identity attributes are not kept with the evidence; "
                    "name an event field (resolved.person.id, location.door, attrs.NAME)",
                )
            )
        elif why := fields.path_problem(path):
            out.append(Problem(("summary",), f"{{{name}}}: {why}"))
    return out


def _cases(rule: Rule) -> list[Problem]:
    out = []
    names: dict[str, int] = {}
    for i, case in enumerate(rule.tests):
        if case.name in names:
            out.append(
                Problem(("tests", i, "name"), f"case {case.name!r} is also case {names[case.name]}")
            )
        names.setdefault(case.name, i)
        if case.kind == "positive" and case.expect.alerts == 0:
            out.append(Problem(("tests", i, "expect", "alerts"), "a positive case expects alerts"))
        if case.kind == "negative" and case.expect.alerts != 0:
            out.append(Problem(("tests", i, "expect", "alerts"), "a negative case expects 0"))
    if rule.status in ("test", "stable"):
        missing = {"positive", "negative", "boundary"} - {c.kind for c in rule.tests}
        if missing:
            out.append(
                Problem(
                    ("tests",),
                    f"status {rule.status} needs a positive, a negative and a "
                    f"boundary case; missing: {', '.join(sorted(missing))}",
                )
            )
    return out


def step_list(rule: Rule) -> list[Step]:
    """The steps of any rule kind; counting kinds have one step named ``event``."""
    corr = rule.correlation
    if isinstance(corr, EventCount | ValueCount):
        # Already validated: building the Step again would re-run the tagged unions on parsed
        # tests, which read a Condition or an {attr: ...} as a scalar and reject it.
        return [Step.model_construct(name="event", match=corr.match, any=corr.any)]
    return list(corr.steps)
