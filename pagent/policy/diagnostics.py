"""Diagnostics: what the checker found, where, and how it is shown.

Text form (one per diagnostic, the source line and a caret under the column)::

    policy.conf:12:3: error E201: TTLSGroupActionRef 'gAct' names no TTLSGroupAction
       12 |   TTLSGroupActionRef gAct
          |   ^

JSON form: one object per diagnostic with the keys of :meth:`Diagnostic.as_json`; the
keys are stable (docs/diagnostics.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pagent.policy.codes import Code, Effect, Grade, Severity, code
from pagent.policy.source import SourceLoc


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding, with its code, location and message."""

    code: Code
    loc: SourceLoc
    message: str
    related: tuple[tuple[SourceLoc, str], ...] = field(default=())
    # The evidence of this one finding where it is weaker than its code's (a port range
    # that runs backwards is E111 like a mixed delimiter, but only the latter is documented).
    grade_override: Grade | None = field(default=None, compare=False)

    @classmethod
    def make(
        cls,
        code_id: str,
        loc: SourceLoc,
        message: str,
        related: Iterable[tuple[SourceLoc, str]] = (),
        grade: Grade | None = None,
    ) -> Diagnostic:
        """Build a diagnostic from a code id."""
        return cls(code(code_id), loc, message, tuple(related), grade)

    @property
    def grade(self) -> Grade | None:
        """The evidence for this finding's effect (its code's, unless overridden)."""
        return self.grade_override or self.code.grade

    @property
    def severity(self) -> Severity:
        """Error or warning, from the code."""
        return self.code.severity

    @property
    def effect(self) -> Effect:
        """What PAGENT does, from the code."""
        return self.code.effect

    @property
    def evidence(self) -> str | None:
        """``documented``, ``observed`` or ``estimate`` for the effect; None for lint."""
        grade = self.grade
        return grade.evidence.value if grade is not None else None

    def headline(self) -> str:
        """``path:line:col: error|warning CODE: text``, control characters escaped."""
        return printable(f"{self.loc}: {self.severity.value} {self.code.id}: {self.message}")

    def as_json(self) -> dict[str, object]:
        """The stable JSON form."""
        return {
            "path": self.loc.path,
            "line": self.loc.line,
            "col": self.loc.col,
            "severity": self.severity.value,
            "code": self.code.id,
            "effect": self.effect.value,
            "evidence": self.evidence,
            "message": self.message,
            "related": [
                {"path": r.path, "line": r.line, "col": r.col, "message": m}
                for r, m in self.related
            ],
        }


# Control characters are never written raw to a terminal or a log (issue 9: `pagent check
# /bin/ls` wrote NUL, ESC and BEL bytes): C0, DEL and C1 (a Latin-1 byte 0x9B is a CSI).
_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}


def printable(text: str) -> str:
    """``text`` with every control character shown as ``\\xNN``."""
    return text.translate(_ESCAPES)


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    """Order by file, line, column, code."""
    return (d.loc.path, d.loc.line, d.loc.col, d.code.id)


def render_text(
    diags: Sequence[Diagnostic], sources: Mapping[str, Sequence[str]] | None = None
) -> str:
    """Render diagnostics as text; with ``sources`` (path -> lines) show the source line."""
    out: list[str] = []
    for d in diags:
        out.append(d.headline())
        lines = sources.get(d.loc.path) if sources else None
        if lines is not None and 1 <= d.loc.line <= len(lines):
            raw = lines[d.loc.line - 1].replace("\t", " ").rstrip()
            src = printable(raw)
            num = str(d.loc.line)
            pad = " " * len(num)
            out.append(f"  {num} | {src}")
            # The caret moves right by what escaping added before the column.
            col = len(printable(raw[: max(d.loc.col - 1, 0)]))
            out.append(f"  {pad} | {' ' * col}^")
        out.extend(printable(f"  note: {r}: {m}") for r, m in d.related)
    return "\n".join(out) + ("\n" if out else "")
