"""Framing: cutting a byte stream into records, before any parsing.

A :class:`Framer` is fed chunks as they arrive (a file tail, a TCP stream) and returns the
complete records seen so far as :class:`Frame` objects; ``flush()`` returns what is left at
end of stream. Each frame carries its byte offset and its first line number in the stream,
so a transport can say where a record came from (``file.log:1234``) and the ``normalize``
command can report line numbers.

- :class:`LineFramer`: one record per line (LF or CRLF), blank lines skipped. Most formats.
- :class:`XmlDocumentFramer`: one record per top-level XML element, however many lines
  it spans (ONVIF event documents).
- :class:`correlator_connectors.parsers.syslog.SyslogFramer`: RFC 6587 octet counting or
  LF, detected per record (syslog over TCP).

A record longer than the cap is not buffered without bound: the framer emits its first
``cap + 1`` bytes (which the parser then rejects as oversize) and drops the rest of it (to
the end of its line, or of its XML root element), so its tail never passes for records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple, Protocol

DEFAULT_FRAME_CAP = 1 << 20


class Frame(NamedTuple):
    offset: int
    """Byte offset of the record's first byte in the stream."""
    line: int
    """1-based line number of the record's first line."""
    data: bytes


class Framer(Protocol):
    def feed(self, chunk: bytes) -> list[Frame]:
        """Take the next chunk; return the records it completes."""
        ...

    def flush(self) -> list[Frame]:
        """End of stream: return the last, unterminated record, if any."""
        ...


def split_records(framer: Framer, chunks: Iterable[bytes]) -> Iterator[Frame]:
    """Every record in a chunked stream (a file read in blocks, say), then the remainder."""
    for chunk in chunks:
        yield from framer.feed(chunk)
    yield from framer.flush()


class LineFramer:
    """Newline-delimited records; a trailing CR is removed, blank lines are skipped."""

    def __init__(self, cap: int = DEFAULT_FRAME_CAP) -> None:
        self._cap = cap
        self._buffer = bytearray()
        self._offset = 0  # stream offset of _buffer[0]
        self._line = 1  # line number of _buffer[0]
        self._skipping = False  # inside an oversize line, dropping until its end

    def feed(self, chunk: bytes) -> list[Frame]:
        self._buffer += chunk
        frames: list[Frame] = []
        start = 0
        while True:
            end = self._buffer.find(b"\n", start)
            if end < 0:
                break
            if not self._skipping:
                self._emit(frames, bytes(self._buffer[start:end]), self._offset + start)
            self._skipping = False
            self._line += 1
            start = end + 1
        del self._buffer[:start]
        self._offset += start
        if len(self._buffer) > self._cap and not self._skipping:
            frames.append(Frame(self._offset, self._line, bytes(self._buffer[: self._cap + 1])))
            self._skipping = True
        if self._skipping:
            self._offset += len(self._buffer)
            self._buffer.clear()
        return frames

    def flush(self) -> list[Frame]:
        frames: list[Frame] = []
        if self._buffer and not self._skipping:
            self._emit(frames, bytes(self._buffer), self._offset)
        self._offset += len(self._buffer)
        self._buffer.clear()
        self._skipping = False
        return frames

    def _emit(self, frames: list[Frame], line: bytes, offset: int) -> None:
        if line.endswith(b"\r"):
            line = line[:-1]
        if line.strip():
            frames.append(Frame(offset, self._line, line))


_START_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)[\s/>]")


class XmlDocumentFramer:
    """One record per top-level XML element: ``<?xml ...?>`` through the root's end tag.

    It does not parse XML: it finds the first start tag's name and cuts after the matching
    end tag (or a self-closing root). Good enough for event streams, where each document is
    a ``MetadataStream``, ``Envelope`` or ``NotificationMessage``; the parser validates.
    """

    def __init__(self, cap: int = DEFAULT_FRAME_CAP) -> None:
        self._cap = cap
        self._buffer = bytearray()
        self._offset = 0
        self._line = 1
        self._skipping: bytes | None = None  # end tag of an oversize document being dropped

    def feed(self, chunk: bytes) -> list[Frame]:
        self._buffer += chunk
        frames: list[Frame] = []
        while self._skip_oversize():
            end = self._junk_end() or self._document_end()
            if end is None:
                break
            self._take(frames, end)
        if self._skipping is None and len(self._buffer) > self._cap:
            root = self._root()
            end_tag = None if root is None else b"</" + bytes(root.group(1))
            self._take(frames, len(self._buffer), limit=self._cap + 1)
            self._skipping = end_tag
        return frames

    def flush(self) -> list[Frame]:
        frames: list[Frame] = []
        if self._buffer and self._skipping is None:
            self._take(frames, len(self._buffer))
        self._drop(len(self._buffer))
        self._skipping = None
        return frames

    def _skip_oversize(self) -> bool:
        """Drop the rest of an oversize document up to its end tag; False while it goes on
        (the last few bytes are kept, an end tag may be split across chunks)."""
        if self._skipping is None:
            return True
        close = self._buffer.find(self._skipping)
        gt = self._buffer.find(b">", close) if close >= 0 else -1
        if gt < 0:
            self._drop(max(0, len(self._buffer) - len(self._skipping)))
            return False
        self._drop(gt + 1)
        self._skipping = None
        return True

    def _drop(self, count: int) -> None:
        self._line += self._buffer.count(b"\n", 0, count)
        self._offset += count
        del self._buffer[:count]

    def _root(self) -> re.Match[bytes] | None:
        """The first start tag that is not the ``<?xml`` declaration."""
        search_from = 0
        while True:
            match = _START_TAG.search(self._buffer, search_from)
            if match is None or match.group(1).lower() != b"xml":
                return match
            search_from = match.end()

    def _document_end(self) -> int | None:
        match = self._root()
        if match is None:
            return None
        name = bytes(match.group(1))
        close = self._buffer.find(b"</" + name, match.end())
        following = self._next_document(match.end())
        if following is not None and (close < 0 or following < close):
            return following  # unclosed: it ends where the next one starts, alone
        if close >= 0:
            gt = self._buffer.find(b">", close)
            return None if gt < 0 else gt + 1
        gt = self._buffer.find(b">", match.start())
        if gt > 0 and self._buffer[gt - 1 : gt] == b"/":
            return gt + 1
        return None

    def _next_document(self, start: int) -> int | None:
        """Where the next ``<?xml`` declaration begins, so that a broken document cannot
        swallow the good one after it (documents without a declaration can't be told apart)."""
        found = self._buffer.find(b"<?xml", start)
        return found if found >= 0 else None

    def _junk_end(self) -> int | None:
        """Where the next document starts, when something else comes first (a JSON line, a
        UTF-16 document): that something is a record of its own, rejected by the parser."""
        first = len(self._buffer) - len(self._buffer.lstrip())
        declaration = self._buffer.find(b"<?xml", first)
        root = self._root()
        starts = [p for p in (declaration, root.start() if root else -1) if p >= 0]
        if not starts or min(starts) <= first:
            return None
        newline = self._buffer.find(b"\n", first, min(starts))  # one junk line at a time
        return newline + 1 if newline >= 0 else min(starts)

    def _take(self, frames: list[Frame], end: int, limit: int | None = None) -> None:
        piece = bytes(self._buffer[:end])
        lead = len(piece) - len(piece.lstrip())
        if piece.strip():
            data = piece[lead:].rstrip()
            line = self._line + piece.count(b"\n", 0, lead)
            frames.append(Frame(self._offset + lead, line, data[:limit] if limit else data))
        self._line += piece.count(b"\n")
        self._offset += end
        del self._buffer[:end]
