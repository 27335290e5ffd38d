"""JSON Schemas published in ``schemas/``, generated from the pydantic models.

Add a model to :data:`SCHEMAS` and run ``correlator schemas write``; a test fails when a file
in ``schemas/`` differs from what the models generate.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from correlator import serde


def _registry() -> dict[str, type[BaseModel]]:
    from correlator.core.rules.model import Rule
    from correlator.identity.directory import Directory
    from correlator.model import Alert, Event

    return {
        "event.schema.json": Event,
        "alert.schema.json": Alert,
        "directory.schema.json": Directory,
        "rule.schema.json": Rule,
    }


SCHEMAS: Callable[[], dict[str, type[BaseModel]]] = _registry
"""File name → model. A function so that importing this module imports no model."""


def render(model: type[BaseModel]) -> bytes:
    """The schema file contents for one model: sorted keys, trailing newline."""
    schema: dict[str, Any] = model.model_json_schema(mode="validation")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    return serde.dumps_pretty(schema)


def stale(directory: Path) -> list[str]:
    """Names of schema files in ``directory`` that are missing or differ from the models."""
    out = []
    for name, model in SCHEMAS().items():
        path = directory / name
        if not path.exists() or path.read_bytes() != render(model):
            out.append(name)
    return out


def write(directory: Path) -> list[Path]:
    """Write every schema file; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in SCHEMAS().items():
        path = directory / name
        path.write_bytes(render(model))
        written.append(path)
    return written
