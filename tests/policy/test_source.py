"""Decoding policy bytes: UTF-8, Latin-1 fallback, line ends."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pagent.policy import source
from pagent.policy.source import (
    SourceError,
    binary_reason,
    decode,
    file_problem,
    read_source,
)


def test_utf8_text_is_decoded_as_is():
    """Valid UTF-8 (box-drawing comment separators) decodes unchanged."""
    src = decode("# ── x\n".encode(), "p")
    assert src.text == "# ── x\n"
    assert src.latin1_lines == ()


def test_non_utf8_bytes_fall_back_to_latin1_per_byte():
    """A byte that is not UTF-8 becomes its Latin-1 character and its line is recorded."""
    src = decode(b"Keyring a\nLabel \xb8x\n", "p")
    assert src.lines[1] == "Label \u00b8x"
    assert src.latin1_lines == (2,)


def test_crlf_and_cr_line_ends_become_lf():
    """CRLF (corpus MFNET) and lone CR both end a line."""
    assert decode(b"a\r\nb\rc", "p").lines == ["a", "b", "c"]


# --- large files in pieces (issue 13 §1: no one C call over a 60 MB file) ----------------------
def test_a_large_text_decodes_in_pieces_that_end_with_line_ends(monkeypatch):
    """Pieces of about PIECE_BYTES, each but the last ending with a line end, make the text."""
    monkeypatch.setattr(source, "PIECE_BYTES", 1000)
    data = b"".join(b"TTLSRule r%d\n{\n  Priority 1\n}\n" % n for n in range(2000))
    src = decode(data, "p")
    assert len(src.pieces) > 50
    assert all(p.endswith("\n") and len(p) <= 1000 + 40 for p in src.pieces[:-1])
    assert src.text == data.decode()


_BYTES = st.lists(
    st.sampled_from(
        [b"a", b"Jobname x", b"\n", b"\r\n", b"\r", b"\xef\xbb\xbf", b"\xb8", b"\xc3\xa9"]
    ),
    max_size=60,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(_BYTES, st.integers(1, 12))
def test_pieces_decode_as_the_whole_file_does(data, size):
    """CRLF, lone CR, BOMs and bytes that are not UTF-8 anywhere: the same text and the same
    Latin-1 lines, whatever the piece size."""
    whole = decode(data, "p")
    saved = source.PIECE_BYTES
    source.PIECE_BYTES = size
    try:
        cut = decode(data, "p")
    finally:
        source.PIECE_BYTES = saved
    assert cut.text == whole.text
    assert cut.lines == whole.lines == whole.text.split("\n")
    assert cut.latin1_lines == whole.latin1_lines
    assert all(p.endswith("\n") for p in cut.pieces[:-1])


# --- reading files: regular text files only (issue 13 §4, issue 9) ---------------------------
def _reason(path: str | Path) -> str:
    with pytest.raises(SourceError) as caught:
        read_source(path)
    assert file_problem(path) in (caught.value.strerror, None)
    return str(caught.value.strerror)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    """open() of a FIFO blocks until a writer comes; the reader must not (issue 13 §4)."""
    fifo = tmp_path / "TTLS.policy"
    os.mkfifo(fifo)
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(_reason(fifo)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "read_source blocked on a FIFO"
    assert result == ["is a FIFO, not a regular file"]


def test_a_directory_is_refused_as_not_a_regular_file(tmp_path):
    assert _reason(tmp_path) == "is a directory, not a regular file"
    with pytest.raises(IsADirectoryError):
        read_source(tmp_path)


def test_a_symbolic_link_loop_is_refused_with_its_reason(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    assert _reason(loop) == "is a symbolic link loop (too many levels of symbolic links)"


def test_a_nul_byte_in_the_name_is_refused_not_a_value_error(tmp_path):
    """ValueError('embedded null byte') is a SourceError with the reason (issue 13 §4)."""
    assert _reason(f"{tmp_path}/a\0b") == "has a NUL byte in its name"


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        read_source(tmp_path / "nope")
    assert caught.value.strerror == "not found"
    assert caught.value.errno == errno.ENOENT


def test_a_device_is_refused():
    assert _reason("/dev/null") == "is a character device, not a regular file"


def test_an_unreadable_file_says_why(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    f = tmp_path / "p"
    f.write_text("x")
    f.chmod(0)
    assert _reason(f) == "cannot be read: Permission denied"


def test_an_executable_is_not_a_text_file(tmp_path):
    """Mostly NUL and control bytes, as an ELF file starts (issue 9: pagent check /bin/ls)."""
    f = tmp_path / "ls"
    f.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4 + b"\0" * 4000)
    assert _reason(f).startswith("is not a text file: ")


def test_text_with_latin1_bytes_and_a_stray_nul_is_still_text():
    """Accents and a NUL byte in a path do not make a policy binary (docs F-230)."""
    text = "TTLSRule Caf\xe9\n{\n  Jobname J\0B\n}\n".encode("latin-1") * 50
    assert binary_reason(text) is None


def test_an_ebcdic_member_transferred_in_binary_is_not_text():
    text = "TTLSRule R1\n{\n  LocalPortRange 443\n}\n".encode("cp037") * 20
    assert binary_reason(text) is not None


def test_an_empty_file_is_text(tmp_path):
    f = tmp_path / "empty.policy"
    f.write_bytes(b"")
    assert read_source(f).text == ""
