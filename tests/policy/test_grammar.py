"""The line grammar: the fast scanner and the pyparsing rule agree."""

from __future__ import annotations

import pyparsing as pp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pagent.policy.grammar import LINE, LineKind, scan_line, split_values


@pytest.mark.parametrize(
    ("line", "kind", "keyword", "value"),
    [
        pytest.param("TTLSRule  x~1  ", LineKind.ITEM, "TTLSRule", "x~1", id="statement"),
        pytest.param("  {", LineKind.OPEN, "", "", id="indented-open"),
        pytest.param("}  # end", LineKind.CLOSE, "", "", id="close-with-comment"),
        pytest.param("# just a comment", LineKind.EMPTY, "", "", id="comment"),
        pytest.param("   \t ", LineKind.EMPTY, "", "", id="blank"),
        pytest.param("\tTLSv1.2\tOn\t", LineKind.ITEM, "TLSv1.2", "On", id="tabs"),
        pytest.param("Keyring a#b # c", LineKind.ITEM, "Keyring", "a#b", id="hash-inside-token"),
        pytest.param(
            "CertificateLabel Zowe Server # x",
            LineKind.ITEM,
            "CertificateLabel",
            "Zowe Server",
            id="value-with-blank",
        ),
        pytest.param(
            "CertificateLabel # Keep", LineKind.ITEM, "CertificateLabel", "", id="no-value"
        ),
        pytest.param(
            'Jobname "jobname of the service"',
            LineKind.ITEM,
            "Jobname",
            '"jobname of the service"',
            id="quoted",
        ),
    ],
)
def test_scan_line_kinds(line, kind, keyword, value):
    """Each line form is recognised with its keyword and value."""
    got = scan_line(line)
    assert (got.kind, got.keyword, got.value) == (kind, keyword, value)


def test_brace_on_statement_line_is_flagged():
    """'TTLSRule x {' is an item that opens a block."""
    got = scan_line("TTLSRule x {")
    assert got.opens
    assert got.value == "x"


def test_columns_are_one_based():
    """Keyword and value columns point at the first character."""
    got = scan_line("  Keyring   ring1")
    assert (got.kw_col, got.value_col) == (3, 13)


@pytest.mark.parametrize(
    ("line", "col"),
    [
        pytest.param('Jobname "abc', 9, id="unclosed-quote"),
        pytest.param("{ junk", 3, id="text-after-brace"),
    ],
)
def test_bad_lines_say_where(line, col):
    """A line that fits no form is BAD, with pyparsing's column."""
    got = scan_line(line)
    assert got.kind is LineKind.BAD
    assert got.error_col == col


def test_split_values_keeps_quoted_tokens():
    """A quoted value with blanks is one token."""
    assert split_values('"port number" x') == ['"port number"', "x"]


_line_chars = st.sampled_from(list(' \t{}#"abcXYZ019.~-_/*'))


@given(st.text(alphabet=_line_chars, max_size=30))
def test_fast_scanner_agrees_with_pyparsing(text):
    """For any line, the fast scanner fails exactly when the pyparsing grammar does."""
    try:
        LINE.parse_string(text, parse_all=True)
        grammar_ok = True
    except pp.ParseBaseException:
        grammar_ok = False
    assert (scan_line(text).kind is not LineKind.BAD) == grammar_ok
