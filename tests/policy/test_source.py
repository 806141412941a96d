"""Decoding policy bytes: UTF-8, Latin-1 fallback, line ends."""

from __future__ import annotations

from pagent.policy.source import decode


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
