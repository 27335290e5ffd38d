"""Rule problems and the error that carries all of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from correlator.errors import CorrelatorError

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a rule: where (field path) and what, with the fix when we know it."""

    loc: Loc
    message: str


def loc_text(loc: Loc) -> str:
    """``correlation.steps[0].match.src.ip`` from a field path."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class RuleError(CorrelatorError):
    """One or more rule files are invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
