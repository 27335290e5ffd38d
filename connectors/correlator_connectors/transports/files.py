"""File transport: read a file from its saved position and follow it across rotation.

- Start: the saved position if it names the file now at the path; otherwise the start of
  the file (a new file is read whole, never skipped). If the saved file was rotated away
  (renamed next to the path, ``eve.json.1``) before we finished it, its rest is read first.
- Follow: at end of file, poll. When the path names another file (rename rotation) or the
  file shrank below our offset (copy-truncate), read what is left of the open file, then
  start the new one from offset 0.
- Position: saved after each chunk's records were acknowledged by the broker, as the end of
  the last complete record. A partial last line waits for its newline; it is read only at
  rotation or, with ``once``, at end of file.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from correlator.errors import ConfigError
from correlator.text import escape_controls
from correlator_connectors.parsers.base import Parser
from correlator_connectors.parsers.framing import Frame
from correlator_connectors.transports.delivery import Delivery, Record
from correlator_connectors.transports.positions import (
    FileId,
    FilePosition,
    PositionStore,
    frame_end,
    resume_offset,
)

log = logging.getLogger(__name__)

CHUNK = 1 << 16


class FileTail:
    """One file, read and (unless ``once``) followed until ``stop`` is set."""

    def __init__(
        self,
        path: Path,
        delivery: Delivery,
        parsers: Callable[[], Parser],
        store: PositionStore,
        *,
        once: bool = False,
        poll_seconds: float = 0.2,
    ) -> None:
        self.path = path
        self.delivery = delivery
        self.parsers = parsers
        self.store = store
        self.once = once
        self.poll = poll_seconds

    async def run(self, stop: asyncio.Event, ready: Callable[[str], None]) -> None:
        saved = self.store.load()
        ready(f"file:{self.path}")
        if saved is not None:
            rotated = _rotated_copy(self.path, saved.file)
            if rotated is not None:
                log.info("finishing rotated file %s", escape_controls(str(rotated)))
                with rotated.open("rb") as old:
                    await self._read(old, saved.file, saved.offset, stop, drain=True)
        while not stop.is_set():
            handle = await self._open(stop)
            if handle is None:
                return
            with handle:
                file = FileId.of(os.fstat(handle.fileno()))
                start = resume_offset(saved, file, os.fstat(handle.fileno()).st_size)
                rotated_now = await self._read(handle, file, start, stop, drain=self.once)
            if not rotated_now:
                return
            log.info("%s was rotated; reading the new file", escape_controls(str(self.path)))
            saved = None

    async def _open(self, stop: asyncio.Event) -> BinaryIO | None:
        """The file at the path, waiting for it to appear when following."""
        while True:
            try:
                return self.path.open("rb")
            except FileNotFoundError:
                if self.once:
                    raise ConfigError(f"file:{self.path}: no such file") from None
            except OSError as exc:
                raise ConfigError(f"file:{self.path}: cannot read: {exc.strerror}") from exc
            if await _stopped(stop, self.poll):
                return None

    async def _read(
        self, handle: BinaryIO, file: FileId, start: int, stop: asyncio.Event, *, drain: bool
    ) -> bool:
        """Read from ``start``; True when the path now names another file (rotation).

        ``drain``: read to the end once, flush the partial last record and return.
        """
        parser = self.parsers()
        framer = parser.framer()
        handle.seek(start)
        label = getattr(handle, "name", str(self.path))
        while True:
            chunk = handle.read(CHUNK)
            if chunk:
                await self._deliver(parser, framer.feed(chunk), label, file, start)
                if stop.is_set():
                    return False
                continue
            rotated = not drain and self._rotated(file, handle.tell())
            if drain or rotated:
                await self._deliver(parser, framer.flush(), label, file, start)
                return rotated
            if await _stopped(stop, self.poll):
                return False

    def _rotated(self, file: FileId, offset: int) -> bool:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return False  # renamed away, the new one not created yet: keep the old one open
        return FileId.of(stat) != file or stat.st_size < offset

    async def _deliver(
        self, parser: Parser, frames: list[Frame], label: str, file: FileId, base: int
    ) -> None:
        if not frames:
            return
        records = [Record(f.data, f"{label}:{base + f.offset}") for f in frames]
        await self.delivery.send(parser, records, "file")
        self.store.save(FilePosition(str(self.path), file, frame_end(base, frames[-1])))


def _rotated_copy(path: Path, file: FileId) -> Path | None:
    """The renamed file next to ``path`` (``eve.json.1``) that still has identity ``file``."""
    try:
        if FileId.of(path.stat()) == file:
            return None
    except FileNotFoundError:
        pass
    try:
        siblings = [p for p in path.parent.iterdir() if p.name.startswith(path.name + ".")]
    except OSError:
        return None
    for candidate in sorted(siblings):
        try:
            if FileId.of(candidate.stat()) == file:
                return candidate
        except OSError:
            continue
    return None


async def _stopped(stop: asyncio.Event, seconds: float) -> bool:
    """Wait up to ``seconds``; True if ``stop`` was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True
