"""Detection quality: alerts against the ground truth, per rule and overall.

An alert **matches** an incident when the rule is the incident's rule, the alert's entity is
the incident's entity or one of its aliases, and the alert's span (first seen to the later
of last seen and its time) overlaps the incident's time range widened by a tolerance on
each side: the rule's window plus a slack for clock skew and upload delays.

- Each matching alert detects one incident (one not yet detected first, then the nearest
  in time); a detected incident is a true positive, any other is a false negative.
- An alert that matches an incident of its rule is a true alert; an alert that only
  matches an incident listing its rule in ``also`` (another rule that rightly fires on the
  same facts) is a side alert and counts neither way; any other alert is a false positive.
- Recall = detected incidents / incidents; precision = true alerts / (true + false alerts).
  With nothing to count, both are 1.0 (nothing missed, nothing wrong).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from correlator import serde
from correlator.errors import CorrelatorError
from correlator.model import Alert

Entity = tuple[str, str]
DEFAULT_SLACK = timedelta(minutes=3)


class TruthError(CorrelatorError):
    """A truth file that cannot be read."""


@dataclass(frozen=True, slots=True)
class Truth:
    incident: str
    rule: str
    entities: frozenset[Entity]
    start: datetime
    end: datetime
    also: frozenset[str] = frozenset()


@dataclass(slots=True)
class RuleScore:
    rule: str
    incidents: int = 0
    detected: int = 0
    alerts: int = 0
    true_alerts: int = 0
    side_alerts: int = 0
    missed: list[str] = field(default_factory=list)
    false_alerts: list[str] = field(default_factory=list)

    @property
    def false_positives(self) -> int:
        return len(self.false_alerts)

    @property
    def recall(self) -> float:
        return self.detected / self.incidents if self.incidents else 1.0

    @property
    def precision(self) -> float:
        counted = self.true_alerts + self.false_positives
        return self.true_alerts / counted if counted else 1.0


def load_truth(path: Path) -> list[Truth]:
    """Incidents of a ``truth.jsonl``; a bad line is an error naming ``file:line``."""
    out = []
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = serde.loads(line)
            entities = {(row["entity"]["type"], row["entity"]["id"])}
            entities |= {(alias["type"], alias["id"]) for alias in row.get("aliases", ())}
            out.append(
                Truth(
                    incident=row["incident"],
                    rule=row["rule"],
                    entities=frozenset(entities),
                    start=datetime.fromisoformat(row["start"]),
                    end=datetime.fromisoformat(row["end"]),
                    also=frozenset(row.get("also", ())),
                )
            )
        except (CorrelatorError, KeyError, TypeError, ValueError) as exc:
            raise TruthError(f"{path}:{number}: not a truth record ({exc})") from exc
    return out


def matches(alert: Alert, truth: Truth, tolerance: timedelta) -> bool:
    """Same entity (or an alias) and overlapping time; the rule is checked by the caller."""
    if (alert.entity.type, alert.entity.id) not in truth.entities:
        return False
    last = max(alert.last_seen, alert.time)
    return alert.first_seen <= truth.end + tolerance and last >= truth.start - tolerance


def score(
    alerts: Iterable[Alert],
    truths: Iterable[Truth],
    windows: Mapping[str, timedelta],
    slack: timedelta = DEFAULT_SLACK,
) -> dict[str, RuleScore]:
    """Scores per rule, for every rule that has incidents or alerts (sorted by rule id)."""
    truths = list(truths)
    scores: dict[str, RuleScore] = {}

    def of(rule: str) -> RuleScore:
        return scores.setdefault(rule, RuleScore(rule))

    detected: set[str] = set()
    for truth in truths:
        of(truth.rule).incidents += 1
    for alert in alerts:
        rule = of(alert.rule)
        rule.alerts += 1
        tolerance = windows.get(alert.rule, timedelta(0)) + slack
        own = [t for t in truths if t.rule == alert.rule and matches(alert, t, tolerance)]
        if own:
            rule.true_alerts += 1
            detected.add(_closest(alert, own, detected).incident)
        elif any(alert.rule in t.also and matches(alert, t, tolerance) for t in truths):
            rule.side_alerts += 1
        else:
            rule.false_alerts.append(alert.id)
    for truth in truths:
        if truth.incident in detected:
            of(truth.rule).detected += 1
        else:
            of(truth.rule).missed.append(truth.incident)
    return dict(sorted(scores.items()))


def _closest(alert: Alert, candidates: list[Truth], detected: set[str]) -> Truth:
    """The incident an alert detects: one not yet detected first, then the nearest in time."""
    return min(
        candidates,
        key=lambda t: (t.incident in detected, abs((t.start - alert.first_seen).total_seconds())),
    )


def overall(scores: Iterable[RuleScore]) -> RuleScore:
    """The sum of several rules' scores (micro-averaged precision and recall)."""
    total = RuleScore("overall")
    for s in scores:
        total.incidents += s.incidents
        total.detected += s.detected
        total.alerts += s.alerts
        total.true_alerts += s.true_alerts
        total.side_alerts += s.side_alerts
        total.missed += s.missed
        total.false_alerts += s.false_alerts
    return total
