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
import errno
import os
import stat
from collections.abc import Sequence
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


# A large file is decoded, and kept, in pieces of about this many bytes, each ending at a
# line end: decoding 60 MB in one call held the GIL for 40-85 ms, and the service's event
# loop, which answers D TCPIP, waited that long during a refresh (issue 13 §1).
PIECE_BYTES = 1 << 20


class SourceText:
    """Decoded text of one file, with the line numbers where non-UTF-8 bytes were found.

    The text is held as ``pieces``: a small file is one piece; a large one is several,
    each ending with a line end except the last, so that no step over a large file needs
    the whole text as one string (:data:`PIECE_BYTES`). ``text`` joins them for the
    callers that want one string.
    """

    __slots__ = ("latin1_lines", "path", "pieces")

    def __init__(
        self, path: str, text: str | Sequence[str], latin1_lines: tuple[int, ...] = ()
    ) -> None:
        self.path = path
        self.pieces: tuple[str, ...] = (text,) if isinstance(text, str) else tuple(text)
        self.latin1_lines = latin1_lines

    def __repr__(self) -> str:
        size = sum(map(len, self.pieces))
        return f"SourceText({self.path!r}, {size} characters in {len(self.pieces)} pieces)"

    @property
    def text(self) -> str:
        """The whole text as one string."""
        return self.pieces[0] if len(self.pieces) == 1 else "".join(self.pieces)

    @property
    def lines(self) -> list[str]:
        """The logical lines, without their line ends."""
        out: list[str] = []
        last = len(self.pieces) - 1
        for i, piece in enumerate(self.pieces):
            # Every piece but the last ends with a line end, which ends its last line.
            out.extend((piece if i == last else piece[:-1]).split("\n"))
        return out


def decode(data: bytes, path: str) -> SourceText:
    """Decode policy bytes: UTF-8 where valid, Latin-1 per undecodable byte, CRLF/CR -> LF.

    Pieces of :data:`PIECE_BYTES` are cut after a line feed byte, which is never part of
    a multi-byte UTF-8 sequence and ends any CRLF, so each piece decodes on its own.
    """
    pieces: list[str] = []
    bad: list[int] = []
    view = memoryview(data)
    start, line, size = 0, 1, len(data)
    while start < size or not pieces:
        cut = data.find(b"\n", start + PIECE_BYTES) + 1 if size - start > PIECE_BYTES else 0
        end = cut or size
        text, lines = _decode_piece(view[start:end], line)
        pieces.append(text)
        bad.extend(lines)
        line += data.count(b"\n", start, end)
        start = end
    return SourceText(path, pieces, tuple(bad))


def _decode_piece(raw: memoryview, first_line: int) -> tuple[str, list[int]]:
    """One piece's text, and its lines (numbered from ``first_line``) that are not UTF-8."""
    try:
        text = str(raw, "utf-8")
        bad: list[int] = []
    except UnicodeDecodeError:
        text = str(raw, "utf-8", "pagent-latin1")
        lines = bytes(raw).split(b"\n")
        bad = [n for n, line in enumerate(lines, start=first_line) if not _is_utf8(line)]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if BOM in text:  # a BOM anywhere is invisible noise (corpus PAGENTTN-v1/v2)
        text = text.replace(BOM, "")
    return text, bad


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class SourceError(OSError):
    """A file that cannot be read as a policy or configuration file.

    An OSError, so that every caller that handles an unreadable file handles this one too;
    ``strerror`` says why, as the end of a sentence that starts with the file's name:
    "not found", "is a FIFO, not a regular file", "cannot be read: Permission denied".
    """


class SourceNotFoundError(SourceError, FileNotFoundError):
    """A SourceError that is also a FileNotFoundError, as reading a missing file gives."""


class SourceIsDirectoryError(SourceError, IsADirectoryError):
    """A SourceError that is also an IsADirectoryError."""


def _error(code: int, why: str, path: str) -> SourceError:
    """The SourceError for an errno: the standard subclass where there is one."""
    kinds = {errno.ENOENT: SourceNotFoundError, errno.EISDIR: SourceIsDirectoryError}
    return kinds.get(code, SourceError)(code, why, path)


# A file is refused as not a text file when more than _BINARY_SHARE of its first _SAMPLE
# bytes are not text: NUL and the other control bytes except tab, line feed, vertical tab,
# form feed and carriage return, DEL, and bytes that are not UTF-8. Text with Latin-1
# accents, or with a stray NUL in a path, stays far below; executables (40-85% NUL alone),
# compressed files (over 50%) and EBCDIC members transferred in binary are far above
# (docs/fidelity.md F-230).
_SAMPLE = 8192
_BINARY_SHARE = 0.30
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\v\f\r") + b"\x7f"
_KINDS = (
    (stat.S_ISDIR, "is a directory"),
    (stat.S_ISFIFO, "is a FIFO"),
    (stat.S_ISSOCK, "is a socket"),
    (stat.S_ISCHR, "is a character device"),
    (stat.S_ISBLK, "is a block device"),
)


def _refusal(exc: BaseException) -> tuple[int, str]:
    """An errno and a reason for what opening a path raised."""
    if isinstance(exc, ValueError):
        return errno.EINVAL, "has a NUL byte in its name"
    if isinstance(exc, OSError):
        if exc.errno == errno.ELOOP:
            return errno.ELOOP, "is a symbolic link loop (too many levels of symbolic links)"
        if exc.errno == errno.ENOENT:
            return errno.ENOENT, "not found"
        return exc.errno or errno.EIO, f"cannot be read: {exc.strerror or exc}"
    return errno.EIO, f"cannot be read: {exc}"


def _open_regular(path: str) -> int:
    """An open descriptor of a regular file; SourceError for anything else.

    O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever (issue 13 §4).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except (OSError, ValueError, RuntimeError) as exc:
        code, why = _refusal(exc)
        raise _error(code, why, path) from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:
        os.close(fd)
        raise _error(exc.errno or errno.EIO, f"cannot be read: {exc.strerror}", path) from None
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = next((text for test, text in _KINDS if test(mode)), "is a special file")
        code = errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL
        raise _error(code, f"{kind}, not a regular file", path)
    return fd


def file_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be read as a regular file, or None when it can be opened.

    The same reasons as :func:`read_source` gives, without reading the file: for a checker
    that reports a named file it will read later.
    """
    try:
        os.close(_open_regular(str(path)))
    except SourceError as exc:
        return exc.strerror
    return None


def read_regular(path: str | Path) -> bytes:
    """The bytes of a regular file. Raises SourceError (an OSError) for anything else."""
    name = str(path)
    fd = _open_regular(name)
    try:
        with os.fdopen(fd, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise _error(exc.errno or errno.EIO, f"cannot be read: {exc.strerror}", name) from None


def binary_reason(data: bytes) -> str | None:
    """Why bytes are not text, or None (the rule of docs/fidelity.md F-230)."""
    sample = data[:_SAMPLE]
    if not sample:
        return None
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    # Undecodable bytes: each becomes one U+FFFD (a sequence cut at the end of the sample
    # counts a few bytes at most).
    undecodable = sample.decode("utf-8", errors="replace").count("\ufffd")
    share = (controls + undecodable) / len(sample)
    if share > _BINARY_SHARE:
        return f"{share:.0%} of its first {len(sample)} bytes are not text"
    return None


def read_source(path: str | Path, name: str | None = None) -> SourceText:
    """Read and decode one policy or configuration file; ``name`` labels it (default: path).

    The one reader of such files (issue 13 §4): it reads only a regular file, never waits
    on a FIFO, turns every failure of the file system (a NUL byte in the name, a symbolic
    link loop, a directory) into a SourceError with the reason, and refuses a file that is
    not text (:func:`binary_reason`).
    """
    data = read_regular(path)
    label = str(path) if name is None else name
    why = binary_reason(data)
    if why is not None:
        raise _error(errno.EINVAL, f"is not a text file: {why}", str(path))
    return decode(data, label)
