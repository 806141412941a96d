"""The AT-TLS language catalogue: every statement and parameter, from the reference schema.

The data is ``data/ttls-schema.json``, a copy of ``shared/reference/ttls-schema.json`` (the
product must not read ../shared at run time). This module turns it into typed specs that
the builder, the renderer and the generator of :mod:`pagent.policy.statements` use, so
that a correction to the reference is one edit of the JSON (then ``python -m
tools.gen_statements``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pagent.policy.naming import field_name

NUMERIC_CEILING = 4294967295  # EZAPAGCO: largest decimal value unless documented otherwise

# Value types whose value is the rest of the line, blanks included (ttls-language §1.2).
REST_OF_LINE_TYPES = frozenset({"string", "path", "url", "hostname"})


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One parameter of one statement."""

    keyword: str  # canonical spelling
    field: str  # Python field name
    type: str  # a key of the schema's _value_types
    values: tuple[str, ...]  # canonical enumerated values (keyword type)
    range: tuple[int, int] | None
    range_source: str
    default: Any
    required: bool | str  # True, False, "conditional"
    required_source: str  # the tag of the requirement when it differs from the parameter's
    repeatable: bool
    repeat_semantics: str  # "", "concatenate", "list", "last_wins"
    target: str | None  # statement type a *Ref resolves to
    statement: str | None  # statement type of an inline block
    choice_group: str | None
    minlen: int | None
    maxlen: int | None
    source: str

    @property
    def is_block(self) -> bool:
        """True for an inline block parameter."""
        return self.type == "inline_block"

    @property
    def is_ref(self) -> bool:
        """True for a *Ref parameter."""
        return self.type == "name_ref"

    @property
    def collects(self) -> bool:
        """True when repeated lines add up (concatenate or list) instead of replacing."""
        return self.repeatable and self.repeat_semantics != "last_wins"

    def canonical_value(self, token: str) -> str | None:
        """The canonical spelling of an enumerated value, case-insensitively."""
        low = token.lower()
        for v in self.values:
            if v.lower() == low:
                return v
        return None


@dataclass(frozen=True, slots=True)
class StatementSpec:
    """One statement type."""

    keyword: str
    field: str
    name_required: bool | str  # True, or "when_global"
    top_level: bool
    inline_in: tuple[str, ...]
    params: dict[str, ParamSpec]  # by lower-case keyword

    def param(self, keyword: str) -> ParamSpec | None:
        """Look up a parameter case-insensitively."""
        return self.params.get(keyword.lower())


def _load_raw() -> dict[str, Any]:
    text = resources.files("pagent.policy").joinpath("data/ttls-schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _param(keyword: str, raw: dict[str, Any]) -> ParamSpec:
    rng = raw.get("range")
    rep = raw.get("repeatable", False)
    semantics = raw.get("repeat_semantics") or ""
    if rep == "UNV":  # ServerCertificateLabel: several labels for SNI, pasearch lists them
        rep, semantics = True, "list"
    elif rep and not semantics:
        semantics = "list"
    return ParamSpec(
        keyword=keyword,
        field=field_name(keyword),
        type=raw["type"],
        values=tuple(raw.get("values") or ()),
        range=(int(rng[0]), int(rng[1])) if rng else None,
        range_source=str(raw.get("range_source") or raw.get("source") or ""),
        default=raw.get("default"),
        required=raw.get("required", False),
        required_source=str(raw.get("required_source") or ""),
        repeatable=bool(rep),
        repeat_semantics=semantics.removesuffix("_UNV"),
        target=raw.get("target"),
        statement=raw.get("statement"),
        choice_group=raw.get("choice_group"),
        minlen=raw.get("minlen"),
        maxlen=raw.get("maxlen"),
        source=str(raw.get("source", "")),
    )


@cache
def statements() -> dict[str, StatementSpec]:
    """Every statement type, by lower-case keyword."""
    raw = _load_raw()
    out: dict[str, StatementSpec] = {}
    for keyword, body in raw.items():
        if keyword.startswith("_"):
            continue
        params = {p.lower(): _param(p, v) for p, v in body["params"].items()}
        out[keyword.lower()] = StatementSpec(
            keyword=keyword,
            field=field_name(keyword),
            name_required=body["name"]["required"],
            top_level=bool(body["top_level"]),
            inline_in=tuple(body.get("inline_in") or ()),
            params=params,
        )
    return out


def statement(keyword: str) -> StatementSpec | None:
    """Look up a statement type case-insensitively."""
    return statements().get(keyword.lower())


def spec_of(keyword: str) -> StatementSpec:
    """The spec of a canonical statement keyword (a programming error if unknown)."""
    return statements()[keyword.lower()]
