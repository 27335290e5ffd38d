"""Field tests: one row per operator, including missing values and negation."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from correlator.core import predicates
from correlator.core.rules.model import Step
from correlator.model import Event
from tests.unit.core.kit import FakeIdentity, ev

EVENT = ev(
    0,
    "logon",
    domain="auth",
    outcome="failure",
    actor={"account": "CORP\\alice"},
    src={"ip": "10.1.2.3", "port": 51000},
    attrs={"signature": "ET SCAN Nmap", "count": 7, "ratio": "2.5"},
)
IDENTITY = FakeIdentity(
    {"CORP\\alice": "alice"},
    {("alice", "site.networks"): ["10.1.0.0/16"], ("alice", "person.presence.on_site"): True},
)


def matches(text: str, event: Event = EVENT) -> bool:
    step = Step.model_validate({"name": "s", "match": yaml.safe_load(text)})
    env = predicates.Env(IDENTITY, {"s": 0})
    return predicates.compile_match(step.match, step.any, env)(IDENTITY.observe(event))


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        pytest.param("{domain: auth}", True, id="equals"),
        pytest.param("{domain: vpn}", False, id="equals-not"),
        pytest.param("{domain: [vpn, auth]}", True, id="in-list"),
        pytest.param("{domain: {in: [vpn, dhcp]}}", False, id="in-operator"),
        pytest.param("{attrs.signature: {contains: SCAN}}", True, id="contains"),
        pytest.param("{attrs.signature: {contains: [XX, Nmap]}}", True, id="contains-any"),
        pytest.param("{attrs.signature: {startswith: ET}}", True, id="startswith"),
        pytest.param("{attrs.signature: {endswith: Nmap}}", True, id="endswith"),
        pytest.param("{attrs.signature: {endswith: ET}}", False, id="endswith-not"),
        pytest.param("{actor.account: {regex: '^CORP\\\\'}}", True, id="regex"),
        pytest.param("{src.ip: {cidr: 10.0.0.0/8}}", True, id="cidr"),
        pytest.param("{src.ip: {cidr: [192.168.0.0/16, 172.16.0.0/12]}}", False, id="cidr-none"),
        pytest.param("{src.ip: {cidr: {attr: site.networks}}}", True, id="cidr-attribute"),
        pytest.param("{src.ip: {not: {cidr: {attr: site.networks}}}}", False, id="not-cidr-attr"),
        pytest.param("{attrs.count: {gte: 7, lt: 8}}", True, id="numeric-range"),
        pytest.param("{attrs.count: {gt: 7}}", False, id="numeric-gt"),
        pytest.param("{attrs.ratio: {gt: 2}}", True, id="numeric-from-text"),
        pytest.param("{src.port: {lte: 1024}}", False, id="numeric-lte"),
        pytest.param("{dst.ip: {exists: false}}", True, id="missing"),
        pytest.param("{src.ip: {exists: true}}", True, id="exists"),
        pytest.param("{dst.ip: {cidr: 10.0.0.0/8}}", False, id="missing-fails-tests"),
        pytest.param("{dst.ip: {not: {cidr: 10.0.0.0/8}}}", True, id="not-on-missing"),
        pytest.param("{outcome: {not: success}}", True, id="negation"),
        pytest.param("{outcome: {ne: failure}}", False, id="not-equal"),
        pytest.param("{person.presence.on_site: true}", True, id="identity-attribute"),
        pytest.param("{person.status: active}", False, id="unknown-attribute-is-missing"),
        pytest.param("{resolved.person.id: alice}", True, id="resolved-field"),
    ],
)
def test_field_tests(match: str, expected: bool) -> None:
    assert matches(match) is expected


def test_any_groups_are_or_and_match_is_and() -> None:
    step: dict[str, Any] = {
        "name": "s",
        "match": {"domain": "auth"},
        "any": [{"outcome": "success"}, {"attrs.count": {"gte": 5}}],
    }
    parsed = Step.model_validate(step)
    env = predicates.Env(IDENTITY, {"s": 0})
    assert predicates.compile_match(parsed.match, parsed.any, env)(EVENT)
    other = EVENT.model_copy(update={"attrs": {"count": 1}})
    assert not predicates.compile_match(parsed.match, parsed.any, env)(other)


def test_reference_tests_read_the_earlier_step() -> None:
    step = Step.model_validate(
        {"name": "b", "match": {"domain": "auth", "location.site": {"ref": "a.location.site"}}}
    )
    env = predicates.Env(IDENTITY, {"a": 0, "b": 1})
    (ref,) = predicates.compile_ref_tests(step.match, env)
    captured = {0: {"location.site": "hq"}}

    def lookup(index: int, path: str) -> Any:
        return captured[index][path]

    assert ref.path == "location.site"
    assert ref.test("hq", None, lookup)
    assert not ref.test("lyon", None, lookup)
    assert not ref.test(None, None, lookup)
