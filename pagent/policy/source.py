"""Source text and locations: decoding policy bytes the way a transferred z/OS file needs.

Files reach us as an ASCII/UTF-8 transfer of EBCDIC members, often with artefacts:
CRLF line ends, a UTF-8 byte-order mark anywhere (corpus PAGENTTN-v1/v2 end with one),
trailing blanks from FB-80 records, and bytes that are not UTF-8 at all. Decoding never
fails: undecodable bytes are read as Latin-1 (ISO-8859-1), because that is what a
binary transfer of a Latin-1 workstation file or an ISO-8859-1 conversion gives, and it
maps every byte to exactly one character, so columns stay right. See docs/fidelity.md.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

BOM = "\ufeff"


class SourceLoc(NamedTuple):
    """A place in a source file: path as given, 1-based line and column.

    A named tuple rather than a dataclass: a 10,000-rule policy creates half a million of
    them, and a tuple is built several times faster than a frozen dataclass.
    """

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    """Codec error handler: decode each undecodable byte as its Latin-1 character."""
    if not isinstance(err, UnicodeDecodeError):  # pragma: no cover - registered for decoding only
        raise err
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("pagent-latin1", _latin1_fallback)


@dataclass(frozen=True, slots=True)
class SourceText:
    """Decoded text of one file, with the line numbers where non-UTF-8 bytes were found."""

    path: str
    text: str
    latin1_lines: tuple[int, ...] = ()

    @property
    def lines(self) -> list[str]:
        """The logical lines, without their line ends."""
        return self.text.split("\n")


def decode(data: bytes, path: str) -> SourceText:
    """Decode policy bytes: UTF-8 where valid, Latin-1 per undecodable byte, CRLF/CR -> LF."""
    try:
        text = data.decode("utf-8")
        bad: tuple[int, ...] = ()
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="pagent-latin1")
        bad = tuple(n for n, raw in enumerate(data.split(b"\n"), start=1) if not _is_utf8(raw))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if BOM in text:  # a BOM anywhere is invisible noise (corpus PAGENTTN-v1/v2)
        text = text.replace(BOM, "")
    return SourceText(path=path, text=text, latin1_lines=bad)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_source(path: str | Path) -> SourceText:
    """Read and decode one file. Raises OSError when it cannot be read."""
    p = Path(path)
    return decode(p.read_bytes(), str(path))
