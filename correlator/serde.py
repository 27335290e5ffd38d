"""JSON encoding and decoding: the one place that talks to orjson.

Everything that turns our models into bytes or back goes through here, so the wire format
has a single definition (UTC timestamps in RFC 3339 with ``Z``, compact JSON, UTF-8).
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from correlator.errors import DecodeError

M = TypeVar("M", bound=BaseModel)

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


def dumps(value: Any) -> bytes:
    """Encode plain data (dicts, lists, datetimes, ...) as compact JSON bytes."""
    return orjson.dumps(value, option=_OPTIONS)


def dumps_sorted(value: Any) -> bytes:
    """Encode with sorted keys: for hashing and golden files, where order must not vary."""
    return orjson.dumps(value, option=_OPTIONS | orjson.OPT_SORT_KEYS)


def dumps_pretty(value: Any) -> bytes:
    """Indented, sorted, newline-terminated JSON: for files people read and diff."""
    return orjson.dumps(value, option=_OPTIONS | orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Decode JSON; raise :class:`DecodeError` with orjson's position message on bad input."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"invalid JSON: {exc}") from exc


def encode_model(model: BaseModel) -> bytes:
    """Encode a pydantic model; ``None`` fields are left out to keep records small."""
    return dumps(model.model_dump(mode="json", exclude_none=True))


def decode_model(cls: type[M], data: bytes | bytearray | memoryview | str) -> M:
    """Validate JSON bytes into ``cls``; errors become :class:`DecodeError` naming the fields."""
    if isinstance(data, memoryview):
        data = bytes(data)
    try:
        return cls.model_validate_json(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors(include_url=False)[:5]
        )
        raise DecodeError(f"not a valid {cls.__name__}: {problems}") from exc
