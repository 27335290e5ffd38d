"""The evaluation as a table, and the list of targets a run misses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from correlator.sim.evaluate import Evaluation
from correlator.sim.scoring import RuleScore, overall

_HEAD = (
    f"{'rule':34} {'inc':>4} {'TP':>4} {'FN':>4} {'alerts':>6} {'FP':>4} {'side':>4} "
    f"{'recall':>7} {'precision':>9}"
)


def _row(s: RuleScore, note: str = "") -> str:
    return (
        f"{s.rule:34} {s.incidents:>4} {s.detected:>4} {len(s.missed):>4} {s.alerts:>6} "
        f"{s.false_positives:>4} {s.side_alerts:>4} {s.recall:>7.1%} {s.precision:>9.1%}"
        + (f"  {note}" if note else "")
    )


def render(
    result: Evaluation, targets: Sequence[str], loaded: set[str], verbose: bool = False
) -> str:
    scores = result.scores
    lines = [_HEAD]
    for rule in targets:
        s = scores.get(rule) or RuleScore(rule)
        lines.append(_row(s, "" if rule in loaded else "(no such rule in --rules)"))
        if verbose:
            lines += [f"    missed {incident}" for incident in s.missed]
            lines += [f"    false positive alert {alert}" for alert in s.false_alerts]
    lines.append(_row(overall(scores.get(r) or RuleScore(r) for r in targets)))
    others = [s for rule, s in scores.items() if rule not in targets]
    if others:
        lines += [
            "",
            "other rules (no incidents of their own; an alert no incident's 'also' explains is FP)",
        ]
        lines += [_row(s) for s in others]
    summary = result.summary
    lines += [
        "",
        f"{summary.events:,} events, {summary.alerts:,} alerts, {summary.late:,} late, "
        f"{summary.bad:,} bad records",
    ]
    lines += [f"  {line}" for line in result.bad[:10]]
    return "\n".join(lines)


def failures(
    scores: Mapping[str, RuleScore],
    targets: Iterable[str],
    loaded: set[str],
    min_recall: float,
    min_precision: float,
) -> list[str]:
    """One line per target rule below a threshold (a target rule not loaded fails too)."""
    out = []
    for rule in targets:
        s = scores.get(rule) or RuleScore(rule)
        if rule not in loaded:
            out.append(f"{rule}: not in the rules given (recall 0/{s.incidents})")
            continue
        if s.recall < min_recall:
            out.append(
                f"{rule}: recall {s.recall:.1%} < {min_recall:.1%} (missed {', '.join(s.missed)})"
            )
        if s.precision < min_precision:
            out.append(
                f"{rule}: precision {s.precision:.1%} < {min_precision:.1%} "
                f"({s.false_positives} false positives)"
            )
    return out
