"""PROFILE.TCPIP and OBEY members: the text of a TCP/IP configuration data set as statements.

One responsibility: read the text of a stack's profile or of an OBEY member into typed
statements with their line numbers, and the problems found on the way. It never raises on
what the text holds (only :func:`read_profile` raises OSError, for a file it cannot read),
and it applies nothing: the stack (:mod:`pagent.stack.stack`) decides what a statement does.

The stack emulates one setting, ``TCPCONFIG TTLS | NOTTLS`` (pagent-ops.md §4.4, default
NOTTLS). Every other TCPCONFIG operand and every other statement is kept as written and
marked *not emulated*; that is not a problem.

The syntax, as far as the reference shows it (§4.4, §1.5)::

    TCPCONFIG TTLS        ; Required for AT-TLS
    AUTOLOG
       PAGENT             ; POLICY AGENT, required for AT-TLS
    ENDAUTOLOG

* ``;`` starts a comment that runs to the end of the line; blank lines are ignored.
* A statement is its keyword and the operands that follow it on the same line.
* AUTOLOG runs to its ENDAUTOLOG, over as many lines as it takes, or on one line
  (``AUTOLOG PAGENT ENDAUTOLOG``, §1.5).
* Keywords and operands are compared in upper case (MVS configuration text).

Fidelity notes
==============
Choices the reference leaves open (pagent-ops.md §4.4 gives the statement and a four-line
example, nothing more):

* Continuation: the reference shows one statement per line except the AUTOLOG ... ENDAUTOLOG
  block, so that is the rule here. IBM's free-format profile (operands of any statement
  continued on the next line) is not emulated: a line that starts with an operand is read
  as a statement of that name, not emulated. BEGINROUTES ... ENDROUTES and BEGINVTAM ...
  ENDVTAM are read as blocks like AUTOLOG (IBM statements recalled, not in the reference
  [UNV]); they are not emulated either, so this only keeps their lines together.
* A block that is not closed by the end of the file is kept as a statement, with a problem;
  an END keyword with no block open is a problem and is otherwise ignored. Tokens after an
  END keyword on the same line start a new statement.
* ``TCPCONFIG`` with both TTLS and NOTTLS: the last one coded wins (the way the profile's
  statements are applied in order), reported as a problem. ``TCPCONFIG`` with no operand at
  all is a problem (nothing to configure).
* ``;`` starts a comment anywhere on a line, quoted or not (quoted strings carry no
  semicolon in any statement the stack emulates).
* Problems are pagent's diagnostics, not console messages: the stack's syntax-error
  message (IBM's EZZ0401I family) is not in the message catalogue, so nothing about them
  is written to the console.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pagent.policy.source import SourceText, read_source

COMMENT: Final = ";"  # PROFILE.TCPIP's comment character (§4.4)

# Statements that run to an end keyword rather than to the end of the line: AUTOLOG from the
# reference (§4.4, §1.5), the others recalled from IBM's profile [UNV] (module docstring).
BLOCKS: Final[dict[str, str]] = {
    "AUTOLOG": "ENDAUTOLOG",
    "BEGINROUTES": "ENDROUTES",
    "BEGINVTAM": "ENDVTAM",
}
_ENDS: Final[dict[str, str]] = {end: start for start, end in BLOCKS.items()}

TCPCONFIG: Final = "TCPCONFIG"
_TTLS_OPERANDS: Final[dict[str, bool]] = {"TTLS": True, "NOTTLS": False}  # §4.4


@dataclass(frozen=True, slots=True)
class ProfileProblem:
    """Something wrong in a profile or OBEY member: where, and what."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class TcpConfig:
    """A ``TCPCONFIG`` statement (§4.4).

    ``ttls`` is True for TTLS, False for NOTTLS, None when the statement codes neither;
    ``not_emulated`` holds every other operand, as written.
    """

    line: int
    end_line: int
    operands: tuple[str, ...]
    ttls: bool | None
    not_emulated: tuple[str, ...]

    keyword = TCPCONFIG

    @property
    def emulated(self) -> bool:
        """Whether the stack does something with this statement (only TTLS/NOTTLS)."""
        return self.ttls is not None


@dataclass(frozen=True, slots=True)
class OtherStatement:
    """A statement the stack does not emulate, kept as written (keyword upper-cased)."""

    line: int
    end_line: int
    keyword: str
    operands: tuple[str, ...]

    @property
    def emulated(self) -> bool:
        """Always False: the stack ignores the statement."""
        return False


ProfileStatement = TcpConfig | OtherStatement


@dataclass(frozen=True, slots=True)
class Profile:
    """The statements of one profile or OBEY member, in order, and its problems."""

    path: str
    statements: tuple[ProfileStatement, ...]
    problems: tuple[ProfileProblem, ...]

    @property
    def ttls(self) -> bool | None:
        """The TTLS setting the member leaves in force: its last TTLS/NOTTLS, or None."""
        setting: bool | None = None
        for s in self.statements:
            if isinstance(s, TcpConfig) and s.ttls is not None:
                setting = s.ttls
        return setting


@dataclass(slots=True)
class _Block:
    keyword: str
    end: str
    line: int
    operands: list[str]


class _Reader:
    """Turns the lines of one member into statements and problems."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.statements: list[ProfileStatement] = []
        self.problems: list[ProfileProblem] = []
        self.block: _Block | None = None

    def problem(self, line: int, message: str) -> None:
        self.problems.append(ProfileProblem(self.path, line, message))

    def read_line(self, lineno: int, text: str) -> None:
        tokens = text.split(COMMENT, 1)[0].split()
        i = 0
        while i < len(tokens):
            word = tokens[i].upper()
            if self.block is not None:
                if word == self.block.end:
                    self.close(lineno)
                else:
                    self.block.operands.append(tokens[i])
                i += 1
            elif word in BLOCKS:
                self.block = _Block(word, BLOCKS[word], lineno, [])
                i += 1
            elif word in _ENDS:
                self.problem(lineno, f"{word} without a preceding {_ENDS[word]}; ignored")
                i += 1
            else:
                self.add(lineno, lineno, word, tuple(tokens[i + 1 :]))
                return

    def close(self, lineno: int) -> None:
        block = self.block
        assert block is not None
        self.block = None
        self.add(block.line, lineno, block.keyword, tuple(block.operands))

    def add(self, line: int, end_line: int, keyword: str, operands: tuple[str, ...]) -> None:
        if keyword == TCPCONFIG:
            self.statements.append(self.tcpconfig(line, end_line, operands))
        else:
            self.statements.append(OtherStatement(line, end_line, keyword, operands))

    def tcpconfig(self, line: int, end_line: int, operands: tuple[str, ...]) -> TcpConfig:
        """TCPCONFIG: TTLS/NOTTLS are emulated, the last coded wins; the rest is kept."""
        if not operands:
            self.problem(line, "TCPCONFIG has no operands")
        switches = [o.upper() for o in operands if o.upper() in _TTLS_OPERANDS]
        if len(set(switches)) > 1:
            self.problem(
                line, f"TCPCONFIG codes both TTLS and NOTTLS; the last, {switches[-1]}, is used"
            )
        ttls = _TTLS_OPERANDS[switches[-1]] if switches else None
        rest = tuple(o for o in operands if o.upper() not in _TTLS_OPERANDS)
        return TcpConfig(line, end_line, operands, ttls, rest)

    def finish(self, last_line: int) -> Profile:
        if self.block is not None:
            block = self.block
            self.problem(block.line, f"{block.keyword} has no {block.end} before the end")
            self.add(block.line, last_line, block.keyword, tuple(block.operands))
            self.block = None
        return Profile(self.path, tuple(self.statements), tuple(self.problems))


def parse_profile(source: SourceText) -> Profile:
    """The statements and problems of a decoded profile or OBEY member. Never raises."""
    reader = _Reader(source.path)
    lines = source.lines
    for lineno, text in enumerate(lines, start=1):
        reader.read_line(lineno, text)
    return reader.finish(len(lines))


def parse_profile_text(text: str, path: str = "<profile>") -> Profile:
    """As :func:`parse_profile`, from a string."""
    return parse_profile(SourceText(path=path, text=text))


def read_profile(file: Path, path: str | None = None) -> Profile:
    """Read and parse a member. ``path`` names it in problems (default: the file).

    Raises OSError when the file cannot be read (missing data set or member, a data set
    given without its member, not a regular text file: :func:`pagent.policy.source.read_source`);
    the bytes are decoded as :func:`pagent.policy.source.decode` does (UTF-8, else Latin-1
    byte by byte; CRLF; byte-order marks).
    """
    return parse_profile(read_source(file, path))  # a regular text file only (issue 13 §4)
