"""Sinks: where rendered records are written. Files follow rotation and deletion on their own.

A :class:`FileSink` appends each record as one line with one ``write(2)`` on a file opened
``O_APPEND``, so a reader (``tail -f``) sees whole lines at once. Before every write it
compares the device and inode of its open file with those of the path; when the file was
renamed (rotated) or deleted it opens the path again, creating the file and its missing
directories (syslogd's ``-c``). A record is never lost to a rotation: after a rename the
next record lands in the new file, and a record written while the file was being deleted is
written again to the new one. :meth:`FileSink.reopen` reopens at once (SIGUSR1, ``F
SYSLOGD,RESTART``). One lock serialises write, reopen and close.

:class:`CallbackSink` hands lines to a function (the MVS console); :class:`NullSink` drops
them (forwarding to ``@host``, which pagent does not emulate).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

# Fidelity notes
# ==============
# * Files and directories are created when missing, as with syslogd's ``-c`` (the workshop
#   starts syslogd with ``-cuf``); without ``-F``/``-D`` their modes come from the umask.
#   ``-F``/``-D`` set the mode of a file or directory that the sink creates, never of one
#   that exists. IBM's defaults are not in the reference.
# * Records are written as UTF-8 (z/OS writes EBCDIC, IBM-1047), one ``\n`` per record.
# * Rotation is detected on every write (one stat of the path), and also by SIGUSR1-style
#   reopen; z/OS syslogd itself is only documented to reopen on restart (§7.1).


class Sink(Protocol):
    """What the daemon writes rendered records to."""

    def write(self, line: str) -> None:
        """Write one record line (without its line end)."""

    def write_lines(self, lines: list[str]) -> None:
        """Write record lines (without their line ends), in order, as one block."""

    def write_block(self, head: str, texts: Sequence[str]) -> None:
        """Write one record line ``head + text`` per text, in order, as one block."""

    def reopen(self) -> None:
        """Close and open the destination again (after log rotation)."""

    def close(self) -> None:
        """Release the destination; later writes are errors."""


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (a seam for tests that race the writer)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class FileSink:
    """A log file that survives rotation: one line per record, flushed at once."""

    __slots__ = ("_closed", "_dir_mode", "_fd", "_file_mode", "_ident", "_lock", "_path")

    def __init__(
        self, path: Path, *, file_mode: int | None = None, dir_mode: int | None = None
    ) -> None:
        self._path = path
        self._file_mode = file_mode
        self._dir_mode = dir_mode
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._ident: tuple[int, int] = (0, 0)
        self._closed = False

    @property
    def path(self) -> Path:
        """The file written to."""
        return self._path

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._closed

    def __repr__(self) -> str:
        return f"FileSink({str(self._path)!r})"

    def open(self) -> None:
        """Open (and create) the file now rather than at the first write."""
        with self._lock:
            self._check_open()
            self._current()

    def write(self, line: str) -> None:
        """Append ``line`` and a line end; reopen first if the file was rotated or deleted."""
        self._append((line + "\n").encode("utf-8", "backslashreplace"))

    def write_lines(self, lines: list[str]) -> None:
        """Append the lines with one write: a reader sees the block whole or not at all."""
        if lines:
            self._append(("\n".join(lines) + "\n").encode("utf-8", "backslashreplace"))

    def write_block(self, head: str, texts: Sequence[str]) -> None:
        """Append ``head + text`` per text with one write. The block is made by one join
        in C: 5,000 of PAGENT's lines cost a few hundred microseconds (issue 13 §1)."""
        if texts:
            data = head + f"\n{head}".join(texts) + "\n"
            self._append(data.encode("utf-8", "backslashreplace"))

    def _append(self, data: bytes) -> None:
        with self._lock:
            self._check_open()
            fd = self._current()
            _write_all(fd, data)
            if os.fstat(fd).st_nlink == 0:
                # Deleted between the check and the write: the record went with the file.
                _write_all(self._reopen(), data)

    def reopen(self) -> None:
        """Close the file and open the path again (SIGUSR1): the next line goes to the path."""
        with self._lock:
            self._check_open()
            self._reopen()

    def close(self) -> None:
        """Close the file; later writes raise ValueError. Closing twice is harmless."""
        with self._lock:
            self._closed = True
            self._drop()

    # --- under the lock -----------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"write to a closed sink: {self._path}")

    def _current(self) -> int:
        """The descriptor of the file now at the path, opening it if needed."""
        if self._fd is None:
            return self._open()
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            return self._reopen()
        if (st.st_dev, st.st_ino) != self._ident:
            return self._reopen()
        return self._fd

    def _reopen(self) -> int:
        self._drop()
        return self._open()

    def _drop(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def _open(self) -> int:
        _make_dirs(self._path.parent, self._dir_mode)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        mode = 0o666 if self._file_mode is None else self._file_mode
        try:
            fd = os.open(self._path, flags | os.O_EXCL, mode)
        except FileExistsError:
            fd = os.open(self._path, flags, mode)
        else:
            if self._file_mode is not None:
                os.fchmod(fd, self._file_mode)  # exactly -F, whatever the umask
        st = os.fstat(fd)
        self._fd, self._ident = fd, (st.st_dev, st.st_ino)
        return fd


def _make_dirs(directory: Path, mode: int | None) -> None:
    """Create ``directory`` and its missing parents, each with ``mode`` when given."""
    if directory.is_dir() or directory.parent == directory:
        return
    _make_dirs(directory.parent, mode)
    try:
        directory.mkdir()
    except FileExistsError:
        return
    if mode is not None:
        directory.chmod(mode)


class CallbackSink:
    """Hands each line to a function, such as the MVS console's writer."""

    __slots__ = ("_closed", "_lock", "_target")

    def __init__(self, target: Callable[[str], None]) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._closed = False

    def write(self, line: str) -> None:
        """Pass ``line`` on."""
        with self._lock:
            if self._closed:
                raise ValueError("write to a closed sink")
            self._target(line)

    def write_lines(self, lines: list[str]) -> None:
        """Pass each line on, in order."""
        with self._lock:
            if self._closed:
                raise ValueError("write to a closed sink")
            for line in lines:
                self._target(line)

    def write_block(self, head: str, texts: Sequence[str]) -> None:
        """Pass ``head + text`` on for each text, in order."""
        self.write_lines([head + text for text in texts])

    def reopen(self) -> None:
        """Nothing to reopen."""

    def close(self) -> None:
        """Stop passing lines on."""
        with self._lock:
            self._closed = True


class NullSink:
    """Drops every line (destinations pagent does not emulate, such as ``@host``)."""

    __slots__ = ()

    def write(self, line: str) -> None:
        """Drop ``line``."""

    def write_lines(self, lines: list[str]) -> None:
        """Drop ``lines``."""

    def write_block(self, head: str, texts: Sequence[str]) -> None:
        """Drop the block."""

    def reopen(self) -> None:
        """Nothing to reopen."""

    def close(self) -> None:
        """Nothing to close."""
