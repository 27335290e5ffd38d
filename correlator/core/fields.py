"""Reading a dotted field path from an event, and checking that a path exists.

Event fields (``src.ip``, ``actor.account``, ``resolved.person.id``, ``attrs.signature``)
are read straight off the model; paths starting with an identity root (``person.``,
``host.``, ``site.``, ``door.``, ``camera.``) go to :meth:`IdentityView.attribute`. A getter is
compiled once per rule into a closure, so reading a field costs two ``getattr`` calls.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from correlator.identity.view import IdentityView
from correlator.model import Event

Getter = Callable[[Event], Any]
IDENTITY_ROOTS = ("person", "host", "site", "door", "camera")
_LEAF_ONLY = frozenset({"observables"})
_ATOMIC = frozenset({str, int, float, bool})
"""Exact types :func:`plain` returns as they are, checked before ``isinstance``."""


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``X | None`` (or ``X``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


def path_problem(path: str) -> str | None:
    """Why ``path`` names no field (with the valid names), or ``None`` when it is fine."""
    parts = path.split(".")
    if parts[0] in IDENTITY_ROOTS:
        return None if len(parts) > 1 and all(parts) else f"{path!r}: attribute path is empty"
    if parts[0] == "attrs":
        return None if len(parts) > 1 and all(parts[1:]) else "use attrs.<name>"
    model: type[BaseModel] | None = Event
    for depth, part in enumerate(parts):
        if model is None:
            return f"{'.'.join(parts[:depth])!r} has no sub-fields"
        if part not in model.model_fields or part in _LEAF_ONLY:
            known = ", ".join(n for n in model.model_fields if n not in _LEAF_ONLY)
            where = ".".join(parts[:depth]) or "an event"
            roots = f"; identity attributes start with {', '.join(IDENTITY_ROOTS)}"
            return (
                f"unknown field {part!r} in {where} (known: {known}{roots if depth == 0 else ''})"
            )
        model = _model_of(model.model_fields[part].annotation)
    if model is not None:
        return f"{path!r} is a group of fields; name one of: {', '.join(model.model_fields)}"
    return None


def getter(path: str, identity: IdentityView) -> Getter:
    """A closure reading ``path`` from an event; ``None`` when any part is missing."""
    parts = path.split(".")
    if parts[0] in IDENTITY_ROOTS:
        attribute = identity.attribute
        return lambda event: attribute(event, path)
    if parts[0] == "attrs":
        name = ".".join(parts[1:])
        return lambda event: event.attrs.get(name)
    if len(parts) == 1:
        (first,) = parts
        return lambda event: getattr(event, first)
    if len(parts) == 2:
        first, second = parts

        def two(event: Event) -> Any:
            outer = getattr(event, first)
            return None if outer is None else getattr(outer, second)

        return two

    def deep(event: Event) -> Any:
        value: Any = event
        for part in parts:
            value = getattr(value, part)
            if value is None:
                return None
        return value

    return deep


def plain(value: Any) -> Any:
    """A value as plain JSON data, so it can be kept in a state store."""
    if value is None or type(value) in _ATOMIC or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)
