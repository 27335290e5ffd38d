"""Compile ``match`` blocks into closures.

A field test becomes ``test(value, event, lookup) -> bool``: ``value`` is the field's value,
``event`` lets ``{attr: ...}`` operands ask identity about the same event, and ``lookup`` reads
what an earlier step captured for ``{ref: step.path}`` operands. Tests without references run
once per event on arrival (:func:`compile_match`); tests with references run when the engine
lines the event up against a partial match (:func:`compile_ref_tests`). A ``{distinct: ...}``
operand is a reference too: it reads the number of distinct values among the referenced step's
events of the partial matches the event is lined up against (:data:`DISTINCT`).

A missing value (``None``) fails every test except ``exists: false`` and ``not``.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from correlator.core import fields
from correlator.core.rules.model import Attr, Condition, Distinct, FieldTest, Match, Ref, Speed
from correlator.identity.view import IdentityView
from correlator.model import Event

Lookup = Callable[[int, str], Any]
"""(step index, field path) → the value that step captured; :data:`HERE` is the event under
test and the path :data:`TIME` its time (µs)."""
HERE = -1
"""Step index meaning "the event being tested" in a :data:`Lookup`."""
TIME = "@time"
"""Pseudo path of a :data:`Lookup`: the event time of that step, in microseconds."""
DISTINCT = "@distinct:"
"""Prefix of a :data:`Lookup` path: the number of distinct values of the rest of the path
among that step's events (``@distinct:actor.credential``)."""
EARTH_RADIUS_KM = 6371.0
Test = Callable[[Any, Event | None, Lookup | None], bool]
Predicate = Callable[[Event], bool]
Operand = Callable[[Event | None, Lookup | None], Any]
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Env:
    """What compiling needs: the identity view for attributes, step names for references."""

    identity: IdentityView
    steps: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class RefTest:
    """A field test that reads an earlier step: ``path`` is captured on arrival."""

    path: str
    test: Test
    gathers: bool = False
    """It counts distinct values (``{distinct: ...}``): the step gathers its partial matches."""


def operands(test: Any) -> Iterable[Any]:
    """Every operand inside a field test, through conditions and ``not``."""
    if isinstance(test, Condition):
        for name in type(test).model_fields:
            yield from operands(getattr(test, name))
    elif isinstance(test, Speed):
        yield test.from_
    elif test is not None:
        yield test


def uses_ref(test: Any) -> bool:
    """Whether a field test reads an earlier step (``{ref: ...}`` or ``{distinct: ...}``)."""
    return any(isinstance(o, Ref | Distinct) for o in operands(test))


def gathers(test: Any) -> bool:
    """Whether a field test counts an earlier step's distinct values (``{distinct: ...}``)."""
    return any(isinstance(o, Distinct) for o in operands(test))


def refs_in(test: Any) -> Iterable[str]:
    """The ``step.path`` every reference inside a field test reads."""
    for o in operands(test):
        if isinstance(o, Ref):
            yield o.ref
        elif isinstance(o, Distinct):
            yield o.distinct


def reads_presence(path: str, test: Any) -> bool:
    """Whether a field test reads badge presence (``person.presence.*``,
    ``host.owner.presence.*``, in its path or an ``{attr: ...}`` operand). Presence at an
    event's time is only known once the badges before it are read, so the engine tests it
    when it settles the event behind the watermark, not on arrival."""
    paths = [path, *(o.attr for o in operands(test) if isinstance(o, Attr))]
    return any(
        p.partition(".")[0] in fields.IDENTITY_ROOTS and "presence" in p.split(".") for p in paths
    )


def compile_match(
    match: Match, any_of: Iterable[Match], env: Env, skip: frozenset[str] = frozenset()
) -> Predicate:
    """The arrival-time predicate of a step: every reference-free test, ANDed.

    ``skip`` names fields whose tests the caller already guarantees (the engine's index
    only offers an event to steps whose literal ``domain``/``activity`` it has).
    """
    tests = [
        (_cost(path, test), fields.getter(path, env.identity), compile_test(test, env))
        for path, test in match.items()
        if not uses_ref(test) and path not in skip
    ]
    groups = [compile_match(group, (), env) for group in any_of]
    if groups:
        cost = max(_cost(path, test) for group in any_of for path, test in group.items())
        tests.append(
            (max(cost, 1), lambda event: event, lambda event, _e, _l: any(g(event) for g in groups))
        )
    # Cheapest first: the tests are pure, so their order changes nothing but the time it
    # takes to reject an event (most events fail on a field before identity is asked).
    tests.sort(key=lambda item: item[0])
    pairs = [(get, test) for _, get, test in tests]
    if not pairs:
        return lambda event: True
    if len(pairs) == 1:
        get, test = pairs[0]
        return lambda event: test(get(event), event, None)

    def every(event: Event) -> bool:
        for get, test in pairs:  # noqa: SIM110 (faster than all() on the hot path)
            if not test(get(event), event, None):
                return False
        return True

    return every


def _cost(path: str, test: FieldTest) -> int:
    """0: a field of the event; 2: asks identity (an attribute path or operand)."""
    if path.partition(".")[0] in fields.IDENTITY_ROOTS:
        return 2
    return 2 if any(isinstance(o, Attr) for o in operands(test)) else 0


def compile_ref_tests(match: Match, env: Env) -> tuple[RefTest, ...]:
    return tuple(
        RefTest(path, compile_test(test, env), gathers(test))
        for path, test in match.items()
        if uses_ref(test)
    )


def compile_test(test: FieldTest, env: Env) -> Test:
    if isinstance(test, Condition):
        return _condition(test, env)
    if isinstance(test, list):
        allowed = frozenset(test)
        return lambda value, _e, _l: value is not None and value in allowed
    if isinstance(test, str | int | float | bool):
        wanted = test
        return lambda value, _e, _l: value is not None and bool(value == wanted)
    return _eq(_operand(test, env))


def _operand(value: Any, env: Env) -> Operand:
    if isinstance(value, Ref):
        step, _, path = value.ref.partition(".")
        index = env.steps[step]
        return lambda _event, lookup: None if lookup is None else lookup(index, path)
    if isinstance(value, Distinct):
        step, _, path = value.distinct.partition(".")
        index, counted = env.steps[step], DISTINCT + path
        return lambda _event, lookup: None if lookup is None else lookup(index, counted)
    if isinstance(value, Attr):
        attribute, path = env.identity.attribute, value.attr
        return lambda event, _lookup: None if event is None else attribute(event, path)
    constant = tuple(value) if isinstance(value, list) else value
    return lambda _event, _lookup: constant


def _condition(cond: Condition, env: Env) -> Test:
    tests: list[Test] = []
    for name, factory in _OPERATORS.items():
        operand = getattr(cond, name)
        if operand is not None:
            tests.append(factory(_operand(operand, env)))
    if cond.regex is not None:
        tests.append(_regex(re.compile(cond.regex)))
    if cond.exists is not None:
        want = cond.exists
        tests.append(lambda value, _e, _l: (value is not None) is want)
    if cond.speed_kmh is not None:
        tests.append(_speed(cond.speed_kmh, env))
    if cond.not_ is not None:
        inner = compile_test(cond.not_, env)
        tests.append(lambda value, event, lookup: not inner(value, event, lookup))
    if len(tests) == 1:
        return tests[0]
    return lambda value, event, lookup: all(t(value, event, lookup) for t in tests)


def _many(operand: Any) -> tuple[Any, ...]:
    if operand is None:
        return ()
    return tuple(operand) if isinstance(operand, list | tuple | set | frozenset) else (operand,)


def _eq(operand: Operand) -> Test:
    def eq(value: Any, event: Event | None, lookup: Lookup | None) -> bool:
        other = operand(event, lookup)
        if value is None or other is None:
            return False
        return value in other if isinstance(other, tuple | list) else bool(value == other)

    return eq


def _ne(operand: Operand) -> Test:
    eq = _eq(operand)
    return lambda value, event, lookup: value is not None and not eq(value, event, lookup)


def _in(operand: Operand) -> Test:
    def in_(value: Any, event: Event | None, lookup: Lookup | None) -> bool:
        return value is not None and value in _many(operand(event, lookup))

    return in_


def _text(check: Callable[[str, str], bool]) -> Callable[[Operand], Test]:
    def factory(operand: Operand) -> Test:
        def text(value: Any, event: Event | None, lookup: Lookup | None) -> bool:
            wanted = _many(operand(event, lookup))
            if isinstance(value, str):
                return any(isinstance(w, str) and check(value, w) for w in wanted)
            if isinstance(value, list | tuple) and check is _contains:
                return any(w in value for w in wanted)
            return False

        return text

    return factory


def _contains(value: str, wanted: str) -> bool:
    return wanted in value


def _regex(pattern: re.Pattern[str]) -> Test:
    return lambda value, _e, _l: isinstance(value, str) and pattern.search(value) is not None


@lru_cache(maxsize=65536)
def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _networks(texts: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    out = []
    for text in texts:
        try:
            out.append(ipaddress.ip_network(text, strict=False))
        except (TypeError, ValueError):
            continue
    return tuple(out)


def _cidr(operand: Operand) -> Test:
    def cidr(value: Any, event: Event | None, lookup: Lookup | None) -> bool:
        ip = _ip(value) if isinstance(value, str) else None
        if ip is None:
            return False
        nets = _networks(tuple(str(n) for n in _many(operand(event, lookup))))
        return any(ip in net for net in nets)

    return cidr


def _number(value: Any) -> float | None:
    if type(value) is float or type(value) is int:  # the common case, checked first
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(check: Callable[[float, float], bool]) -> Callable[[Operand], Test]:
    def factory(operand: Operand) -> Test:
        def compare(value: Any, event: Event | None, lookup: Lookup | None) -> bool:
            left, right = _number(value), _number(operand(event, lookup))
            return left is not None and right is not None and check(left, right)

        return compare

    return factory


def _speed(speed: Speed, env: Env) -> Test:
    """Compare the km/h needed between the referenced step's position and this one's."""
    step, _, path = speed.from_.ref.partition(".")
    index = env.steps[step]
    limits = [
        (_LIMITS[name], float(bound))
        for name in _LIMITS
        if (bound := getattr(speed, name)) is not None
    ]

    def test(value: Any, event: Event | None, lookup: Lookup | None) -> bool:
        if lookup is None:
            return False
        kmh = travel_kmh(lookup(index, path), lookup(index, TIME), value, lookup(HERE, TIME))
        return kmh is not None and all(check(kmh, bound) for check, bound in limits)

    return test


def travel_kmh(start: Any, start_us: Any, end: Any, end_us: Any) -> float | None:
    """Great-circle km/h from ``start`` to ``end`` (``[lat, lon]``) in the time between.

    No elapsed time over a distance is infinitely fast; ``None`` when a position is missing.
    """
    if not (_position(start) and _position(end)) or None in (start_us, end_us):
        return None
    km = _km(float(start[0]), float(start[1]), float(end[0]), float(end[1]))
    hours = abs(float(end_us) - float(start_us)) / 3_600_000_000
    if hours == 0:
        return math.inf if km > 0 else 0.0
    return km / hours


@lru_cache(maxsize=65536)
def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; rules compare a few site positions over and over."""
    lat1, lon1, lat2, lon2 = (math.radians(v) for v in (lat1, lon1, lat2, lon2))
    a = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def _position(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(_number(v) is not None for v in value)
    )


_LIMITS: dict[str, Callable[[float, float], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}

_OPERATORS: dict[str, Callable[[Operand], Test]] = {
    "eq": _eq,
    "ne": _ne,
    "in_": _in,
    "contains": _text(_contains),
    "startswith": _text(str.startswith),
    "endswith": _text(str.endswith),
    "cidr": _cidr,
    **{name: _compare(check) for name, check in _LIMITS.items()},
}
"""Condition field → test factory; ``regex``, ``exists``, ``speed_kmh`` and ``not`` are built
apart."""
