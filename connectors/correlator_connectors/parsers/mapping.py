"""Mapping-driven formats: a YAML file turns a vendor's CSV or JSON export into events.

Physical access systems (Genetec, LenelS2, ...) export whatever columns their admin chose,
so instead of a parser per vendor there is one parser and a small mapping per export::

    description: VAST 2016 proximity-card CSV (timestamp, type, prox-id, floor, zone)
    input: csv                      # csv | json (one object per line)
    csv:
      columns: [timestamp, type, prox-id, floor, zone]   # omit: the first row is the header
      delimiter: ","
    time:
      field: timestamp
      formats: ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]  # strptime; or "iso8601", "epoch"
      timezone: Europe/Berlin       # omit: the connector's default zone
    domain: access
    activity: {field: type, map: {fixed-prox: access_granted}}
    fields:
      actor.credential: prox-id                # a column / JSON path
      location.zone: "F{floor}-Z{zone}"        # a template over columns
      location.site: {value: HQ}               # a constant
      attrs.floor: {field: floor, type: int}   # converted
      attrs.reason: {field: Reason, map: {"1": bad-pin}, default: other}

Targets: ``actor.person|account|credential``, ``src.*`` / ``dst.*`` (``ip``, ``port``,
``host``, ``mac``), ``location.site|zone|door|reader|camera``, ``message``, ``host``,
``severity``, ``outcome`` and ``attrs.<name>``. An activity value missing from ``map`` (and
with no ``default``) rejects the record as unsupported, naming the value. ``outcome``
defaults to success for ``access_granted`` and failure for ``access_denied``.

The CSV parser is stateful (the header row): one instance per file.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from correlator.errors import ConfigError
from correlator.model.event import Domain
from correlator_connectors.parsers.base import (
    BaseParser,
    Draft,
    ParseContext,
    RecordError,
    unsupported,
)
from correlator_connectors.parsers.fields import (
    epoch,
    get_path,
    integer,
    iso_time,
    number,
    strptime,
    text,
)

_TEMPLATE = re.compile(r"\{([^{}]+)\}")
_TARGET = re.compile(
    r"(actor\.(person|account|credential)|(src|dst)\.(ip|port|host|mac)"
    r"|location\.(site|zone|door|reader|camera)|message|host|severity|outcome|attrs\.[\w.-]+)"
)


class MappingError(ConfigError):
    """A mapping file that cannot be used; the message names the file and the field."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Mapped(_Model):
    field: str
    map: dict[str, str] | None = None
    default: str | None = None
    type: Literal["str", "int", "float"] = "str"


class Const(_Model):
    value: str | int | float | bool


FieldSpec = str | Const | Mapped


class CsvOptions(_Model):
    columns: list[str] | None = None
    delimiter: str = Field(default=",", min_length=1, max_length=1)


class TimeSpec(_Model):
    field: str
    formats: list[str] = Field(default_factory=lambda: ["iso8601"], min_length=1)
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(
                    f"unknown time zone {value!r} (use an IANA name like Europe/Paris)"
                ) from exc
        return value


class Mapping(_Model):
    name: str = ""
    description: str
    input: Literal["csv", "json"]
    csv: CsvOptions = CsvOptions()
    time: TimeSpec
    domain: Domain
    activity: FieldSpec
    outcome: FieldSpec | None = None
    fields: dict[str, FieldSpec] = Field(default_factory=dict)

    @field_validator("fields")
    @classmethod
    def _known_targets(cls, value: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
        for target in value:
            if not _TARGET.fullmatch(target):
                raise ValueError(
                    f"unknown target {target!r} "
                    "(use actor.credential, location.door, src.ip, attrs.NAME, ...)"
                )
        return value


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping file; :class:`MappingError` says what is wrong and where."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(f"{path}: cannot read mapping file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise MappingError(
            f"{path}: a mapping file is a YAML object with description, input, time, ..."
        )
    data.setdefault("name", path.stem)
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            for err in exc.errors(include_url=False)[:5]
        )
        raise MappingError(f"{path}: {problems}") from exc


class MappingParser(BaseParser):
    """One mapping, one parser. ``name`` is the mapping's name (its file name)."""

    name: str = "mapping"
    description: str = "a CSV/JSON export described by a YAML mapping"

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.name = mapping.name
        self.description = mapping.description
        self._columns = mapping.csv.columns
        self._zone = ZoneInfo(mapping.time.timezone) if mapping.time.timezone else None

    def drafts(self, raw: bytes, ctx: ParseContext) -> list[Draft]:
        if self.mapping.input == "json":
            from correlator_connectors.parsers.fields import json_object

            record: dict[str, Any] = json_object(raw.strip())
        else:
            row = self._row(raw)
            if row is None:
                return []
            record = row
        return [self._draft(record, ctx)]

    def _row(self, raw: bytes) -> dict[str, Any] | None:
        line = raw.decode("utf-8-sig", "replace").rstrip("\r\n")
        reader = csv.reader([line], delimiter=self.mapping.csv.delimiter, skipinitialspace=True)
        try:
            values = [v.strip() for v in next(reader, [])]
        except csv.Error as exc:
            raise RecordError(f"not a CSV row: {exc}") from exc
        if self._columns is None:
            missing = [c for c in self._needed() if c not in values]
            if missing:  # garbage before the header must not become the header
                raise RecordError(
                    f"expected the header row first, naming {', '.join(map(repr, missing))} "
                    f"(mapping {self.name!r}); this row names none of them"
                    if len(missing) == len(self._needed())
                    else f"header row lacks {', '.join(map(repr, missing))} (mapping {self.name!r})"
                )
            self._columns = values
            return None
        if values == [c.strip() for c in self._columns]:
            return None  # the header row of a file whose columns the mapping names
        if len(values) != len(self._columns):
            raise RecordError(
                f"{len(values)} columns, mapping {self.name!r} expects {len(self._columns)} "
                f"({', '.join(self._columns)})"
            )
        return dict(zip((c.strip() for c in self._columns), values, strict=True))

    def _needed(self) -> list[str]:
        """Columns a header must name: the time column and the activity column."""
        activity = self.mapping.activity
        field = activity if isinstance(activity, str) else getattr(activity, "field", None)
        names = [self.mapping.time.field] + ([field] if field and "{" not in field else [])
        return list(dict.fromkeys(names))

    def _draft(self, record: dict[str, Any], ctx: ParseContext) -> Draft:
        activity = _resolve(self.mapping.activity, record)
        if activity is None:
            raise unsupported(
                f"event type {_source_value(self.mapping.activity, record)!r} "
                f"is not in mapping {self.name!r}"
            )
        draft: Draft = {
            "domain": self.mapping.domain,
            "activity": str(activity),
            "time": self._time(record, ctx),
        }
        outcome = _resolve(self.mapping.outcome, record) if self.mapping.outcome else None
        draft["outcome"] = outcome or {"access_granted": "success", "access_denied": "failure"}.get(
            str(activity)
        )
        attrs: dict[str, Any] = {}
        for target, spec in self.mapping.fields.items():
            value = _resolve(spec, record)
            head, _, tail = target.partition(".")
            if head == "attrs":
                attrs[tail] = value
            elif tail:
                draft.setdefault(head, {})[tail] = (
                    None if value is None else (value if tail == "port" else str(value))
                )
            else:
                draft[head] = value
        draft["attrs"] = attrs
        return draft

    def _time(self, record: dict[str, Any], ctx: ParseContext) -> Any:
        value = get_path(record, self.mapping.time.field)
        zone = self._zone or ctx.default_tz
        last = RecordError(f"no time in field {self.mapping.time.field!r}")
        for fmt in self.mapping.time.formats:
            try:
                if fmt == "iso8601":
                    return iso_time(value, zone)
                if fmt == "epoch":
                    return epoch(value)
                return strptime(value, fmt, zone)
            except RecordError as exc:
                last = exc
        raise last


def _source_value(spec: FieldSpec, record: dict[str, Any]) -> Any:
    if isinstance(spec, Mapped):
        return get_path(record, spec.field)
    if isinstance(spec, str):
        return get_path(record, spec)
    return spec.value


def _resolve(spec: FieldSpec | None, record: dict[str, Any]) -> Any:
    if spec is None:
        return None
    if isinstance(spec, Const):
        return spec.value
    if isinstance(spec, str):
        if "{" in spec:
            return _TEMPLATE.sub(lambda m: str(text(get_path(record, m.group(1))) or ""), spec)
        return text(get_path(record, spec))
    raw = text(get_path(record, spec.field))
    if spec.map is not None:
        raw = spec.map.get(raw or "", spec.default)
    elif raw is None:
        raw = spec.default
    if raw is None or spec.type == "str":
        return raw
    return integer(raw) if spec.type == "int" else number(raw)
