"""Replay a simulator output through the rules and score the alerts against its truth.

The replay is :mod:`correlator.core.replay` (the same parsing, merge and engine as
``correlator replay``), fed by the feeds the manifest lists, with the simulated directory
for identity and the manifest's lateness.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from correlator import serde
from correlator.core import duration
from correlator.core.engine import Engine
from correlator.core.replay import Summary, merge, open_input, replay
from correlator.core.rules.model import Rule
from correlator.errors import CorrelatorError
from correlator.identity import Identity, load_directory
from correlator.model import Alert
from correlator.sim.scenario import MANIFEST
from correlator.sim.scoring import RuleScore, load_truth, score


class EvaluationError(CorrelatorError):
    """A directory that is not a simulator output (no manifest, missing files)."""


@dataclass(slots=True)
class Evaluation:
    scores: dict[str, RuleScore]
    alerts: list[Alert]
    summary: Summary
    bad: list[str] = field(default_factory=list)


def read_manifest(out: Path) -> dict[str, Any]:
    path = out / MANIFEST
    if not path.is_file():
        raise EvaluationError(f"{path}: no manifest (run correlator simulate --out {out} first)")
    manifest: dict[str, Any] = serde.loads(path.read_bytes())
    return manifest


def windows(rules: list[Rule]) -> dict[str, timedelta]:
    """Each rule's correlation window: the matching tolerance around an incident."""
    return {
        rule.id: timedelta(microseconds=duration.parse_us(rule.correlation.window))
        for rule in rules
    }


def evaluate(out: Path, rules: list[Rule], lateness: timedelta | None = None) -> Evaluation:
    """Replay ``out`` with ``rules`` and score the alerts against ``out``'s truth."""
    manifest = read_manifest(out)
    if lateness is None:
        lateness = timedelta(microseconds=duration.parse_us(manifest["lateness"]))
    identity = Identity(load_directory(out / manifest["directory"]), lateness=lateness)
    engine = Engine(rules, identity=identity, lateness=lateness)
    bad: list[str] = []
    alerts: list[Alert] = []
    inputs = [
        open_input(
            f"{feed['format']}:{out / feed['path']}",
            lambda where, why: bad.append(f"{where}: {why}"),
        )
        for feed in manifest["feeds"]
    ]
    summary = replay(engine, merge(inputs), alerts.append)
    summary.bad = len(bad)
    truths = load_truth(out / manifest["truth"])
    return Evaluation(score(alerts, truths, windows(rules)), alerts, summary, bad)
