"""A rejected record on its way to the dead-letter topic: raw bytes, reason and position."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from correlator.model.event import UtcDatetime
from correlator.text import raw_text


def kafka_position(topic: str, partition: int, offset: int) -> str:
    """Where a Kafka record was read, as dead letters and logs write it: ``topic[p]@offset``."""
    return f"{topic}[{partition}]@{offset}"


class DeadLetter(BaseModel):
    """Everything needed to understand and replay a record that could not be processed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time: UtcDatetime = Field(description="When the record was rejected.")
    stage: str = Field(description="Who rejected it: connector name, or worker agent name.")
    format: str | None = Field(default=None, description="Parser format, when a parser ran.")
    reason: str = Field(description="Why, in one line.")
    position: str = Field(description="file:offset, peer address, or topic[partition]@offset.")
    raw: str = Field(description="The record, as text or base64 (see raw_encoding).")
    raw_encoding: Literal["utf-8", "base64"]

    @classmethod
    def of(
        cls,
        raw: bytes,
        *,
        reason: str,
        position: str,
        stage: str,
        time: datetime,
        format: str | None = None,
    ) -> DeadLetter:
        text, encoding = raw_text(raw)
        return cls(
            time=time,
            stage=stage,
            format=format,
            reason=reason,
            position=position,
            raw=text,
            raw_encoding=encoding,
        )
