"""The rule language as a pydantic model: what a rule file may say, and nothing else.

One YAML file holds one rule. The correlation kinds reuse Sigma's words: ``temporal_ordered``
(a sequence), ``temporal`` (all of several steps, any order), ``event_count`` (threshold),
``value_count`` (distinct values), plus ``absence`` (a step that must *not* happen). Steps
hold ``match`` blocks: field path → test. The JSON Schema of :class:`Rule` is published as
``schemas/rule.schema.json`` so editors can check a rule while it is typed.

Cross-field rules (step references, status needs positive/negative/boundary cases, field
paths exist) are checked by :mod:`correlator.core.rules.checks`, which knows file lines.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    WithJsonSchema,
)

from correlator.core import duration

Duration = Annotated[
    str,
    AfterValidator(duration.check),
    WithJsonSchema({"type": "string", "pattern": duration.PATTERN, "examples": ["30s", "5m"]}),
]
Status = Literal["experimental", "test", "stable", "deprecated"]
RuleSeverity = Literal["low", "medium", "high", "critical"]
Scalar = StrictStr | StrictInt | StrictFloat | StrictBool
Number = StrictInt | StrictFloat
StepName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="snake_case")]
RuleId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="kebab-case")]
Technique = Annotated[str, Field(pattern=r"^T\d{4}(\.\d{3})?$", description="ATT&CK id")]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Ref(_Strict):
    """The value a field had in an earlier step: ``{ref: badge.location.site}``."""

    ref: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[A-Za-z0-9_.]+$", description="step.field.path")


class Attr(_Strict):
    """A directory or derived attribute of this event: ``{attr: site.networks}``."""

    attr: str = Field(pattern=r"^(person|host|site|door|camera)\.[A-Za-z0-9_.]+$")


class Distinct(_Strict):
    """The number of distinct values an earlier step saw: ``{distinct: granted.actor.credential}``.

    The step testing it gathers every partial match waiting for it at once and counts over
    all of them (one people count against every badge of the door cycle).
    """

    distinct: str = Field(
        pattern=r"^[a-z][a-z0-9_]*\.[A-Za-z0-9_.]+$", description="step.field.path"
    )


def _operand_tag(value: Any) -> str:
    if isinstance(value, dict):
        if "distinct" in value:
            return "distinct"
        return "attr" if "attr" in value else "ref"
    return "list" if isinstance(value, list) else "scalar"


Operand = Annotated[
    Annotated[Scalar, Tag("scalar")]
    | Annotated[list[Scalar], Tag("list")]
    | Annotated[Ref, Tag("ref")]
    | Annotated[Attr, Tag("attr")]
    | Annotated[Distinct, Tag("distinct")],
    Discriminator(_operand_tag),
]
"""A literal (or list: any of them), a reference to an earlier step, an attribute, or the
number of distinct values an earlier step saw."""


class Speed(_Strict):
    """The speed (km/h) needed to travel from an earlier step's position to this event's.

    The field it tests is a position ``[latitude, longitude]`` (``site.geo``); ``from`` names
    the earlier step's (``{ref: first.site.geo}``); the time is the two events' times.
    """

    from_: Ref = Field(alias="from", description="The earlier position: {ref: STEP.site.geo}")
    gt: Number | None = None
    gte: Number | None = None
    lt: Number | None = None
    lte: Number | None = None


class Condition(_Strict):
    """Tests on one field; every test given must hold. ``not`` negates a whole test."""

    eq: Operand | None = None
    ne: Operand | None = None
    in_: Operand | None = Field(default=None, alias="in", description="Equals one of.")
    contains: Operand | None = Field(default=None, description="Substring (any of a list).")
    startswith: Operand | None = None
    endswith: Operand | None = None
    regex: StrictStr | None = Field(default=None, description="Python regex, searched.")
    cidr: Operand | None = Field(default=None, description="IP in a network (any of a list).")
    gt: Operand | None = None
    gte: Operand | None = None
    lt: Operand | None = None
    lte: Operand | None = None
    exists: StrictBool | None = Field(default=None, description="true: present; false: missing")
    speed_kmh: Speed | None = Field(
        default=None, description="Travel speed from an earlier step's position (sequences)."
    )
    not_: FieldTest | None = Field(default=None, alias="not")


def _test_tag(value: Any) -> str:
    if isinstance(value, dict):
        if set(value) == {"ref"}:
            return "ref"
        return "attr" if set(value) == {"attr"} else "operators"
    return "list" if isinstance(value, list) else "scalar"


FieldTest = Annotated[
    Annotated[Scalar, Tag("scalar")]
    | Annotated[list[Scalar], Tag("list")]
    | Annotated[Ref, Tag("ref")]
    | Annotated[Attr, Tag("attr")]
    | Annotated[Condition, Tag("operators")],
    Discriminator(_test_tag),
]
"""``value`` (equals), ``[a, b]`` (in list), ``{ref: ...}``/``{attr: ...}`` (equals), or a
:class:`Condition`."""

Match = dict[str, FieldTest]
"""Field path → test; every entry must hold. Paths starting ``person.``, ``host.``,
``site.``, ``door.`` or ``camera.`` are identity attributes, the rest are event fields."""

UNION_TAGS = frozenset({"scalar", "list", "ref", "attr", "distinct", "operators"})


class Step(_Strict):
    """One kind of event the rule waits for (or, with ``absent``, must not see)."""

    name: StepName
    match: Match = Field(min_length=1)
    any: tuple[Match, ...] = Field(default=(), description="At least one group must also hold.")
    absent: bool = Field(default=False, description="The step must NOT happen (absence).")
    count: int = Field(
        default=1, ge=1, description="Events needed (first step of a sequence; any temporal step)."
    )


class Threshold(_Strict):
    gte: int = Field(ge=1, description="Fire when the count reaches this.")


Key = str | list[str]
KEY_HELP = "person, host, location, site, or an event field path such as src.ip"


class _Kind(_Strict):
    by: Key = Field(description=f"Correlation key: {KEY_HELP}; a list for a composite key.")
    window: Duration = Field(description="Longest span from the first to the last step.")


class Sequence(_Kind):
    """Steps in order within the window; an ``absent`` step in between must not occur."""

    type: Literal["temporal_ordered"]
    steps: list[Step] = Field(min_length=2)


class Absence(_Kind):
    """Like a sequence, with at least one ``absent`` step: A not followed/preceded by B."""

    type: Literal["absence"]
    steps: list[Step] = Field(min_length=2)


class AllOf(_Kind):
    """Every step within the window, in any order."""

    type: Literal["temporal"]
    steps: list[Step] = Field(min_length=2)


class EventCount(_Kind):
    """At least ``condition.gte`` matching events per key within the window."""

    type: Literal["event_count"]
    match: Match = Field(min_length=1)
    any: tuple[Match, ...] = ()
    condition: Threshold


class ValueCount(_Kind):
    """At least ``condition.gte`` distinct values of ``field`` per key within the window."""

    type: Literal["value_count"]
    match: Match = Field(min_length=1)
    any: tuple[Match, ...] = ()
    field: str
    condition: Threshold


Correlation = Annotated[
    Sequence | Absence | AllOf | EventCount | ValueCount, Field(discriminator="type")
]
KIND_TAGS = frozenset({"temporal_ordered", "absence", "temporal", "event_count", "value_count"})


class CaseExpect(_Strict):
    alerts: int = Field(ge=0, description="Number of alerts after the input is replayed.")
    key: str | None = Field(default=None, description="Entity id every alert must carry.")
    suppressed: int | None = Field(default=None, ge=0, description="Total suppressed matches.")
    summary: str | None = Field(default=None, description="Summary every alert must carry.")


class RuleCase(_Strict):
    """An inline test: partial events at time offsets, and the expected result."""

    name: str = Field(min_length=1)
    kind: Literal["positive", "negative", "boundary"]
    lateness: Duration = Field(default="0s", description="Allowed lateness while replaying.")
    directory: str | dict[str, Any] | None = Field(
        default=None, description="Directory fixture: inline mapping or a path next to the rule."
    )
    events: list[dict[str, Any]] = Field(
        min_length=1, description="Event fields that matter plus `at: <duration>`, in order."
    )
    expect: CaseExpect


class Rule(_Strict):
    """A correlation rule: metadata, the correlation, suppression and inline tests."""

    id: RuleId = Field(description="Equals the file name without .yaml.")
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    status: Status
    severity: RuleSeverity
    tags: tuple[Technique, ...] = Field(default=(), description="ATT&CK technique ids.")
    falsepositives: tuple[str, ...] = ()
    runbook: str | None = Field(default=None, description="What the analyst does first.")
    summary: str | None = Field(
        default=None,
        description="Alert sentence; placeholders {title}, {key}, {count} and {STEP.FIELD} "
        "(a field of the event that matched that step, e.g. {badge.time:%H:%M}).",
    )
    correlation: Correlation
    suppress: Duration | None = Field(default=None, description="One alert per key per span.")
    tests: list[RuleCase] = Field(default_factory=list)
