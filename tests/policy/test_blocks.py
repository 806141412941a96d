"""Nesting a file's lines into blocks, from one string or from pieces (issue 13 §1)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pagent.policy.blocks import parse_blocks

_LINES = st.lists(
    st.sampled_from(
        ["TTLSRule r1", "{", "}", "  Priority 7", "TTLSGroupAction g {", "# note", "", "  x =", "h"]
    ),
    max_size=30,
)


def _pieces(lines: list[str], cuts: list[int]) -> list[str]:
    """The text of ``lines`` cut after the line ends at the given line indexes."""
    text = [line + "\n" for line in lines]
    out, start = [], 0
    for cut in sorted({c for c in cuts if 0 < c < len(text)}):
        out.append("".join(text[start:cut]))
        start = cut
    out.append("".join(text[start:]))
    return out


@settings(max_examples=300, deadline=None)
@given(_LINES, st.lists(st.integers(0, 30), max_size=6), st.booleans(), st.integers(1, 9))
def test_pieces_nest_as_the_joined_text_does(lines, cuts, trailing_line_end, first_line):
    """Blocks, their line spans and end offsets, strays and diagnostics are the same."""
    pieces = _pieces(lines, cuts)
    if not trailing_line_end and pieces[-1].endswith("\n"):
        pieces[-1] = pieces[-1][:-1]
    whole = parse_blocks("p", "".join(pieces), first_line=first_line)
    cut = parse_blocks("p", pieces, first_line=first_line)
    assert cut.blocks == whole.blocks
    assert cut.strays == whole.strays
    assert [d.headline() for d in cut.diagnostics] == [d.headline() for d in whole.diagnostics]
    assert cut.line_count == whole.line_count


def test_an_unclosed_block_ends_at_the_end_of_the_last_piece():
    """E102's block runs to the end of the text the pieces make."""
    raw = parse_blocks("p", ["TTLSRule r\n", "{\n", "  Priority 1"])
    assert raw.blocks[0].end_pos == len("TTLSRule r\n{\n  Priority 1")
    assert [d.code.id for d in raw.diagnostics] == ["E102"]
