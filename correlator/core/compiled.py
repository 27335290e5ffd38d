"""A rule compiled for the engine: closures, microsecond windows, and its state machine.

Compiling happens once per engine; per event the engine only calls closures held here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from correlator.core import duration, fields, predicates
from correlator.core.machines import Machine, machine_for
from correlator.core.rules.checks import step_list
from correlator.core.rules.model import Condition, FieldTest, Rule, Step, ValueCount
from correlator.identity.view import IdentityView
from correlator.model import Event
from correlator.model.alert import EntityType

KeyFn = Callable[[Event], str | None]


@dataclass(frozen=True, slots=True)
class Settle:
    """The part of a step that waits until the engine settles a hit behind the watermark:
    tests and captures that read badge presence (see :func:`predicates.reads_presence`)."""

    test: predicates.Predicate
    captures: tuple[tuple[str, fields.Getter], ...]


@dataclass(frozen=True, slots=True)
class CompiledStep:
    index: int
    name: str
    rank: int
    """0 for an absent step, 1 otherwise: absent steps sort first at equal times."""
    test: predicates.Predicate
    refs: tuple[predicates.RefTest, ...]
    captures: tuple[tuple[str, fields.Getter], ...]
    settle: Settle | None
    """Tests and captures run when the hit is settled (``None``: all ran on arrival)."""
    domains: frozenset[str] | None
    """Event domains this step can match (``None``: any); the engine's index uses it."""
    activities: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    id: str
    steps: tuple[CompiledStep, ...]
    key: KeyFn
    entity: EntityType
    window: int
    suppress: int | None
    machine: Machine


def compile_rule(rule: Rule, identity: IdentityView) -> CompiledRule:
    """Compile a valid rule (see :mod:`correlator.core.rules.checks`) against ``identity``."""
    steps = step_list(rule)
    env = predicates.Env(identity, {s.name: i for i, s in enumerate(steps)})
    wanted = _captured(rule, steps)
    compiled = tuple(_step(i, s, env, wanted.get(i, set())) for i, s in enumerate(steps))
    corr = rule.correlation
    by = [corr.by] if isinstance(corr.by, str) else list(corr.by)
    entity: EntityType = _ENTITY.get(by[0], "field") if len(by) == 1 else "field"
    return CompiledRule(
        rule=rule,
        id=rule.id,
        steps=compiled,
        key=_key_fn(by, identity),
        entity=entity,
        window=duration.parse_us(corr.window),
        suppress=None if rule.suppress is None else duration.parse_us(rule.suppress),
        machine=machine_for(rule, steps, tuple(s.refs for s in compiled)),
    )


def _captured(rule: Rule, steps: list[Step]) -> dict[int, set[str]]:
    """Step index → field paths to keep from its events for later reference tests."""
    index = {s.name: i for i, s in enumerate(steps)}
    wanted: dict[int, set[str]] = {}
    for i, step in enumerate(steps):
        for path, test in step.match.items():
            if predicates.uses_ref(test):
                wanted.setdefault(i, set()).add(path)
            for ref in predicates.refs_in(test):
                name, _, ref_path = ref.partition(".")
                wanted.setdefault(index[name], set()).add(ref_path)
    if isinstance(rule.correlation, ValueCount):
        wanted.setdefault(0, set()).add(rule.correlation.field)
    return wanted


def _step(index: int, step: Step, env: predicates.Env, wanted: set[str]) -> CompiledStep:
    indexed = frozenset(
        name for name in ("domain", "activity") if isinstance(step.match.get(name), str | list)
    )
    presence = predicates.reads_presence
    later = {
        path: test
        for path, test in step.match.items()
        if not predicates.uses_ref(test) and presence(path, test)
    }
    now = {path: test for path, test in step.match.items() if path not in later}
    any_later = any(presence(path, test) for group in step.any for path, test in group.items())
    captures = [(path, fields.getter(path, env.identity)) for path in sorted(wanted)]
    later_captures = tuple((path, get) for path, get in captures if presence(path, None))
    settle = None
    if later or any_later or later_captures:
        test = predicates.compile_match(later, step.any if any_later else (), env)
        settle = Settle(test, later_captures)
    return CompiledStep(
        index=index,
        name=step.name,
        rank=0 if step.absent else 1,
        test=predicates.compile_match(now, () if any_later else step.any, env, skip=indexed),
        refs=predicates.compile_ref_tests(step.match, env),
        captures=tuple((path, get) for path, get in captures if not presence(path, None)),
        settle=settle,
        domains=_literal_values(step.match.get("domain")),
        activities=_literal_values(step.match.get("activity")),
    )


def _literal_values(test: FieldTest | None) -> frozenset[str] | None:
    """The literal values a ``domain``/``activity`` test accepts, or ``None`` (anything)."""
    value: object = test
    if isinstance(test, Condition) and test.not_ is None:
        value = test.eq if test.eq is not None else test.in_
    if isinstance(value, str):
        return frozenset([value])
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return frozenset(str(v) for v in value)
    return None


_ENTITY: dict[str, EntityType] = {k: k for k in ("person", "host", "location", "site")}


def _first(*getters: fields.Getter) -> fields.Getter:
    def first(event: Event) -> Any:
        for get in getters:
            value = get(event)
            if value is not None:
                return value
        return None

    return first


def key_getter(name: str, identity: IdentityView) -> fields.Getter:
    """How a key reads an event: resolved entities first, then what the feed said."""
    get = fields.getter
    if name == "person":
        return _first(get("resolved.person.id", identity), get("actor.person", identity))
    if name == "host":
        return get("resolved.host.id", identity)
    if name == "location":
        places = ("resolved.location.id", "location.door", "location.camera", "location.zone")
        return _first(*(get(p, identity) for p in places))
    if name == "site":
        return _first(get("resolved.site.id", identity), get("location.site", identity))
    return get(name, identity)


def _key_fn(by: list[str], identity: IdentityView) -> KeyFn:
    getters = [key_getter(name, identity) for name in by]
    if len(by) == 1 and by[0] in _ENTITY:
        (only,) = getters

        def entity_key(event: Event) -> str | None:
            value = only(event)
            return None if value is None else str(value)

        return entity_key

    def field_key(event: Event) -> str | None:
        parts = []
        for name, get in zip(by, getters, strict=True):
            value = get(event)
            if value is None:
                return None
            parts.append(f"{name}={value}")
        return ",".join(parts)

    return field_key
