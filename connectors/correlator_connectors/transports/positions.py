"""File positions: how far a file has been read *and acknowledged by the broker*.

A position names the file by its identity (device and inode), not only its path, so a
restart can tell "the same file, grown" from "a new file after rotation". It is saved only
after the events read up to it were acknowledged, so a crash re-reads at most the batch that
was in flight (those events come again with the same ids; consumers drop repeats).

The store is one small JSON file per connector, replaced atomically (write, fsync, rename):
a crash during a save leaves the previous position, never a torn one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from correlator import serde
from correlator.errors import ConfigError, DecodeError
from correlator_connectors.parsers.framing import Frame


@dataclass(frozen=True, slots=True)
class FileId:
    """A file's identity on disk; a rotated-away file keeps it, a new file at the path not."""

    device: int
    inode: int

    @classmethod
    def of(cls, stat: os.stat_result) -> FileId:
        return cls(stat.st_dev, stat.st_ino)


@dataclass(frozen=True, slots=True)
class FilePosition:
    path: str
    file: FileId
    offset: int
    """Bytes before this offset are delivered; reading resumes here."""


def resume_offset(saved: FilePosition | None, current: FileId, size: int) -> int:
    """Where to start reading the file now at the path.

    The saved offset if it is the same file and not shrunk below it; otherwise 0: a new file
    (rotated in, or replaced) or a truncated one is read from its start, never skipped.
    """
    if saved is None or saved.file != current or saved.offset > size:
        return 0
    return saved.offset


def frame_end(base: int, frame: Frame) -> int:
    """The stream offset just after ``frame``'s data; resuming there re-reads no record.

    A line's terminator (LF or CRLF) sits after the data: re-read, it is a blank line, which
    the framers skip.
    """
    return base + frame.offset + len(frame.data)


class PositionStore:
    """The saved position of one connector's file, in ``<dir>/position.json``."""

    def __init__(self, directory: Path) -> None:
        self.file = directory / "position.json"

    def load(self) -> FilePosition | None:
        try:
            data = serde.loads(self.file.read_bytes())
            return FilePosition(
                path=str(data["path"]),
                file=FileId(int(data["device"]), int(data["inode"])),
                offset=int(data["offset"]),
            )
        except FileNotFoundError:
            return None
        except (DecodeError, KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"{self.file}: unreadable connector position ({exc}); delete it to re-read "
                "the file from its start"
            ) from exc

    def save(self, position: FilePosition) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        data = serde.dumps(
            {
                "path": position.path,
                "device": position.file.device,
                "inode": position.file.inode,
                "offset": position.offset,
            }
        )
        temporary = self.file.with_suffix(".tmp")
        with temporary.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.file)
