"""The grammar of Policy Agent files, line by line, in pyparsing.

Policy Agent files are line-structured (ttls-language.md §1.2, EZAPAGCO general rules):
one attribute and its values per line, braces on lines of their own, ``#`` comments to
the end of the line. So the grammar is a grammar of *lines*; nesting is done by the
block builder (:mod:`pagent.policy.blocks`), which can then say precisely which brace is
missing. Each line is one of::

    line      := [ brace | item ] [ comment ]
    brace     := "{" | "}"
    item      := keyword value* [ "{" ]          # "Stmt name {" is accepted with W309
    keyword   := a run of characters other than blank, brace, '#', '"'
    value     := '"' any-but-quote* '"' | a run not starting with '#', without blank/brace/'"'
    comment   := "#" rest-of-line                # only where a token could start

``#`` only starts a comment at the start of a token, so ``Keyring a#b`` keeps ``a#b``
(peers.md §5 point 4: TTLSCHK cut values at the first '#').

Speed: pyparsing's per-match dispatch costs about 3 µs a line (measured 1.08 s for
350,000 lines, half of issue 2's 2 s budget before any model is built), so
:func:`scan_line` applies the compiled pattern of the same pyparsing ``Regex`` elements
directly, and falls back to the full pyparsing rule only to explain a line that does
not fit. tests/policy/test_grammar.py checks that both paths agree on every line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

import pyparsing as pp

pp.ParserElement.set_default_whitespace_chars(" \t")

# --- The pyparsing grammar (the authority). -------------------------------------------
# Possessive runs (Python 3.11): like pyparsing's own token matching, the fast pattern
# must not backtrack into a token to find a comment ("a#b" is one token, not "a" + "#b").
KEYWORD_RE = r'(?!#)[^\s{}"]++'
QUOTED_RE = r'"[^"\n]*"'
BARE_RE = KEYWORD_RE
KEYWORD = pp.Regex(KEYWORD_RE).set_name("keyword")
QUOTED = pp.Regex(QUOTED_RE).set_name("quoted value")
BARE = pp.Regex(BARE_RE).set_name("value")
VALUE = (QUOTED | BARE).set_name("value")
COMMENT = pp.Regex(r"#.*").set_name("comment")
OPEN = pp.Literal("{").set_name("'{'")
CLOSE = pp.Literal("}").set_name("'}'")

ITEM = pp.Group(
    KEYWORD("keyword") + pp.Group(pp.ZeroOrMore(VALUE))("values") + pp.Optional(OPEN)("open")
).set_name("parameter or statement")
LINE = (
    pp.Optional(OPEN("brace") | CLOSE("brace") | ITEM("item"))
    + pp.Optional(COMMENT)("comment")
    + pp.StringEnd()
).set_name("line")

# --- The fast path: the same token patterns, compiled into one line pattern. ----------
_TOKEN = rf"(?:{QUOTED_RE}|{BARE_RE})"
LINE_PATTERN = pp.Regex(
    r"[ \t]*(?:"
    r"(?P<brace>[{}])"
    rf"|(?P<kw>{KEYWORD_RE})(?P<vals>(?>(?:[ \t]*{_TOKEN})*))(?:[ \t]*(?P<open>\{{))?"
    r")?[ \t]*(?P<comment>#.*)?$"
)
_MATCH = LINE_PATTERN.re.match
# Every line of a text at once: the same pattern, or anything (a BAD line to explain).
# One C-level scan instead of a Python call per line (0.25 s for 400,000 lines).
# The leading blanks are captured so that columns come from lengths, not m.start() calls.
_CORE = LINE_PATTERN.re.pattern.removeprefix(r"[ \t]*").removesuffix("$")
TEXT_PATTERN = re.compile(rf"^(?P<indent>[ \t]*)(?:{_CORE}$|(?P<bad>.*)$)", re.MULTILINE)


class LineKind(Enum):
    """What a line holds."""

    EMPTY = "empty"  # blank or comment only
    OPEN = "open"
    CLOSE = "close"
    ITEM = "item"  # keyword [values] ["{"]
    BAD = "bad"  # fits no form


@dataclass(frozen=True, slots=True)
class Line:
    """One scanned line: its kind, keyword and raw value text, with 1-based columns."""

    kind: LineKind
    keyword: str = ""
    value: str = ""  # raw value text, blanks inside kept, trimmed at both ends
    kw_col: int = 0
    value_col: int = 0
    opens: bool = False  # "keyword values {" on one line
    error: str = ""  # for BAD lines: what pyparsing expected, and where
    error_col: int = 0


_EMPTY = Line(LineKind.EMPTY)


def scan_line(text: str) -> Line:
    """Scan one line (without its line end) into a :class:`Line`."""
    m = _MATCH(text)
    if m is None:
        return explain(text)
    brace = m.group("brace")
    if brace is not None:
        col = m.start("brace") + 1
        return Line(LineKind.OPEN if brace == "{" else LineKind.CLOSE, kw_col=col)
    kw = m.group("kw")
    if kw is None:
        return _EMPTY
    vals = m.group("vals")
    value = vals.strip()
    value_col = m.start("vals") + (len(vals) - len(vals.lstrip())) + 1 if value else 0
    return Line(
        LineKind.ITEM,
        keyword=kw,
        value=value,
        kw_col=m.start("kw") + 1,
        value_col=value_col,
        opens=m.group("open") is not None,
    )


def explain(text: str) -> Line:
    """Use the pyparsing rule to say why a line fits no form."""
    try:
        LINE.parse_string(text, parse_all=True)
    except pp.ParseBaseException as exc:
        return Line(LineKind.BAD, error=exc.msg, error_col=exc.col)
    # The fast pattern and the grammar disagree: the test-suite guards against this,
    # but never let it turn into a crash.
    return Line(LineKind.BAD, error="unrecognised line", error_col=1)  # pragma: no cover


def split_values(value: str) -> list[str]:
    """Split raw value text into tokens; a double-quoted token keeps its quotes."""
    if '"' not in value:
        return value.split()
    return [t for t in VALUE.search_string(value).as_list() for t in t]
