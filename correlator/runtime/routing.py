"""Repartitioning: which ``correlate`` keys an event is forwarded under.

Rules group their state by a key (``correlation.by``: ``person``, ``host``, ``site``, ...). For
each distinct ``by`` among the loaded rules whose steps can take an event's (domain, activity),
the event is sent once to the ``correlate`` topic keyed ``"<by>\\x1f<key value>"``, so all
events of one key meet in one partition and one engine. Pure: no Kafka here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from correlator.core.compiled import KeyFn, compile_rule
from correlator.core.rules.model import Rule
from correlator.identity.view import IdentityView
from correlator.model import Event

SEPARATOR = "\x1f"


def by_text(rule: Rule) -> str:
    """The rule's key kind as one string: ``person``, or ``src.ip,dst.ip`` for several."""
    by = rule.correlation.by
    return by if isinstance(by, str) else ",".join(by)


def route_key(by: str, key: str) -> bytes:
    return f"{by}{SEPARATOR}{key}".encode()


def split_key(raw: bytes) -> tuple[str, str]:
    """``(by, key value)`` of a ``correlate`` message key."""
    by, _, key = raw.decode().partition(SEPARATOR)
    return by, key


@dataclass(frozen=True, slots=True)
class _Gate:
    by: str
    key: KeyFn
    domains: frozenset[str] | None
    activities: frozenset[str] | None

    def admits(self, event: Event) -> bool:
        return (self.domains is None or event.domain in self.domains) and (
            self.activities is None or event.activity in self.activities
        )


class Router:
    """The (by, key) pairs an event goes to, for one set of rules."""

    def __init__(self, rules: Iterable[Rule], identity: IdentityView) -> None:
        self.rules_by: dict[str, list[Rule]] = {}
        gates: list[_Gate] = []
        for rule in rules:
            by = by_text(rule)
            self.rules_by.setdefault(by, []).append(rule)
            compiled = compile_rule(rule, identity)
            for step in compiled.steps:
                gates.append(_Gate(by, compiled.key, step.domains, step.activities))
        self._gates = tuple(gates)
        self._index: dict[tuple[str, str], tuple[_Gate, ...]] = {}

    def routes(self, event: Event) -> list[tuple[str, str]]:
        """Distinct ``(by, key value)`` pairs; events no rule can use give none."""
        gates = self._index.get((event.domain, event.activity))
        if gates is None:
            gates = tuple(g for g in self._gates if g.admits(event))
            if len(self._index) < 10_000:
                self._index[(event.domain, event.activity)] = gates
        out: list[tuple[str, str]] = []
        for gate in gates:
            key = gate.key(event)
            if key is not None and (gate.by, key) not in out:
                out.append((gate.by, key))
        return out
