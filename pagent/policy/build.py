"""Raw blocks -> typed statements, with PAGENT's per-statement acceptance rules.

What PAGENT does, as the reference states it (ttls-language.md §1.2-§1.7, EZAPAGCO):

* an unknown parameter is ignored (W301); the nearest known keyword is suggested;
* a single-valued parameter coded twice keeps the last value (W303); repeatable ones
  (cipher lists, group members, LDAP servers) add up;
* text after a complete value is ignored (W304), a second parameter on the line is lost
  (W320);
* an invalid value, a misplaced block, a missing required parameter, conflicting
  alternatives or a name over 32 characters is an error: no new policy is installed.

Cross-statement rules (references, rule discards) are in :mod:`pagent.policy.policy`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, NamedTuple

from pagent.policy import ciphers
from pagent.policy.addresses import (
    ANY_PORT,
    FormError,
    bounded_int,
    is_decimal,
    parse_address,
    parse_ip_spec,
    parse_port_spec,
    parse_prefix,
    parse_range,
)
from pagent.policy.blocks import RawBlock, RawFile, RawParam
from pagent.policy.catalogue import (
    NUMERIC_CEILING,
    REST_OF_LINE_TYPES,
    ParamSpec,
    StatementSpec,
    spec_of,
    statement,
    statements,
)
from pagent.policy.codes import RANGE_ESTIMATE
from pagent.policy.diagnostics import Diagnostic
from pagent.policy.grammar import split_values
from pagent.policy.source import SourceLoc
from pagent.policy.statements import STATEMENT_CLASSES, Statement

NAME_MAX = 32

# Values people leave behind from templates (L404): ?port?, [name], <name>, "some prose".
_PLACEHOLDER = re.compile(r'^(\?[^?]*\?|\[[^\]]*\]|<[^>]*>|"[^"]*\s[^"]*")$')
# Parameters whose value is a label, key ring, path or DN: a blank inside is suspicious.
_LABEL_TYPES = frozenset({"string", "path"})
_MASK_LEN = {"DayOfWeekMask": 7, "DayOfMonthMask": 62, "MonthOfYearMask": 12}
_TIME_RANGE = re.compile(r"^\d{14}:\d{14}$")
_TOD = re.compile(r"^\d{1,2}(:\d\d)?-\d{1,2}(:\d\d)?(\s*,\s*\d{1,2}(:\d\d)?-\d{1,2}(:\d\d)?)*$")


@dataclass(slots=True)
class BuiltFile:
    """The statements of one file, in file order, and what was found on the way."""

    path: str
    statements: list[Statement] = field(default_factory=list)
    inline_names: set[tuple[str, str]] = field(default_factory=set)  # (type, name)
    diagnostics: list[Diagnostic] = field(default_factory=list)


class _Builder:
    """Builds the statements of one file."""

    def __init__(self, out: BuiltFile) -> None:
        self.out = out
        self.diag = out.diagnostics

    def warn(
        self, code_id: str, loc: SourceLoc, message: str, *, unconfirmed: bool = False
    ) -> None:
        grade = RANGE_ESTIMATE.get(code_id) if unconfirmed else None
        self.diag.append(Diagnostic.make(code_id, loc, message, grade=grade))

    # --- statements -----------------------------------------------------------------
    def top_block(self, block: RawBlock) -> Statement | None:
        spec = statement(block.keyword)
        if spec is None:
            self.warn(
                "E104", block.loc, f"unknown statement '{block.keyword}'{_hint(block.keyword)}"
            )
            return None
        name = self.statement_name(spec, block, inline=False)
        return self.body(spec, block, name, inline=False)

    def statement_name(self, spec: StatementSpec, block: RawBlock, *, inline: bool) -> str | None:
        tokens = split_values(block.name) if block.name else []
        if not tokens:
            if not inline:
                self.warn("E105", block.loc, f"global {spec.keyword} needs a name")
            return None
        name = tokens[0]
        if len(tokens) > 1:
            self.warn("W304", block.name_loc, f"text after the name '{name}' is ignored")
        if len(name) > NAME_MAX:
            self.warn(
                "E106",
                block.name_loc,
                f"{spec.keyword} name '{name}' is {len(name)} characters; at most {NAME_MAX}",
            )
        return name

    def body(
        self, spec: StatementSpec, block: RawBlock, name: str | None, *, inline: bool
    ) -> Statement | None:
        values: dict[str, Any] = {}
        locs: dict[str, Any] = {}
        for item in block.items:
            if isinstance(item, RawParam):
                self.param(spec, item, values, locs)
            else:
                self.nested(spec, item, values, locs)
        self.check_statement(spec, block, values, locs)
        cls = STATEMENT_CLASSES[spec.keyword]
        if name is not None and inline:
            self.out.inline_names.add((spec.keyword, name))
        return cls(name=name, inline=inline, loc=block.loc, locs=locs, **values)

    def nested(
        self, spec: StatementSpec, block: RawBlock, values: dict[str, Any], locs: dict[str, Any]
    ) -> None:
        p = spec.param(block.keyword)
        if p is None or not p.is_block:
            inner = statement(block.keyword)
            if inner is not None and spec.keyword in inner.inline_in:
                # TTLSGskLdapParms inside TTLSEnvironmentAction: the V2R1 placement.
                self.warn(
                    "W317",
                    block.loc,
                    f"{inner.keyword} inside {spec.keyword} is the V2R1 form; "
                    "current releases take it in TTLSGskAdvancedParms",
                )
                self.body(inner, block, self.statement_name(inner, block, inline=True), inline=True)
                return
            if inner is not None:
                self.warn(
                    "E113",
                    block.loc,
                    f"{inner.keyword} cannot be written inside {spec.keyword}"
                    + (
                        " (actions are referenced by *Ref from rules)"
                        if "Action" in inner.keyword
                        else ""
                    )
                    + f"; is a '}}' missing before line {block.loc.line}?",
                )
            elif p is not None:
                self.warn("E113", block.loc, f"{p.keyword} takes a value, not a block")
            else:
                # PAGENT ignores attributes it does not know (lang §1.6 [DOC]); an unknown
                # keyword that opens a block is taken as one, block and all (F-152).
                self.warn(
                    "W328",
                    block.loc,
                    f"unknown block '{block.keyword}' in {spec.keyword} is ignored by PAGENT"
                    + _hint(block.keyword, spec),
                )
            return
        assert p.statement is not None
        inner_spec = statement(p.statement)
        assert inner_spec is not None
        child = self.body(
            inner_spec, block, self.statement_name(inner_spec, block, inline=True), inline=True
        )
        self.store(spec, p, child, block.loc, values, locs)

    # --- parameters -----------------------------------------------------------------
    def param(
        self, spec: StatementSpec, item: RawParam, values: dict[str, Any], locs: dict[str, Any]
    ) -> None:
        p = spec.param(item.keyword)
        if p is None:
            self.warn(
                "W301",
                item.loc,
                f"unknown parameter '{item.keyword}' in {spec.keyword} is ignored by PAGENT"
                f"{_hint(item.keyword, spec)}",
            )
            return
        if p.is_block:
            ref = spec.param(p.keyword + "Ref")
            self.warn(
                "E113",
                item.loc,
                f"{p.keyword} must be followed by a '{{' block"
                + (f"; to name a global one use {ref.keyword}" if ref and item.value else ""),
            )
            return
        if not item.value:
            self.warn("W322", item.loc, f"{p.keyword} has no value and is treated as not coded")
            return
        # Most values recur (On, Off, Server, 10 ...): a value that parsed without any
        # diagnostic is remembered, and its parse skipped next time (issue 2 §9 speed).
        key = (spec.keyword, p.keyword, item.value)
        value = _CLEAN_VALUES.get(key, _MISSING)
        if value is _MISSING:
            before = len(self.diag)
            self.placeholder(p, item)
            value = self.value(spec, p, item)
            if len(self.diag) == before and len(_CLEAN_VALUES) < _CLEAN_VALUES_MAX:
                _CLEAN_VALUES[key] = value
        if value is not None:
            self.store(spec, p, value, item.loc, values, locs)
        elif p.keyword not in locs:
            # Coded, but invalid (already an error): it still counts as coded, so that no
            # 'has no HandshakeRole' or 'has no condition' error follows (issue 10 §3).
            locs[p.keyword] = item.loc

    def store(
        self,
        spec: StatementSpec,
        p: ParamSpec,
        value: object,
        loc: SourceLoc,
        values: dict[str, Any],
        locs: dict[str, Any],
    ) -> None:
        if p.collects:
            old = values.get(p.field) or ()
            if p.type in ciphers_types:
                assert isinstance(value, tuple)
                merged = ciphers.concat_unique(old, value)
                if "Any" in merged and len(merged) > 1:
                    # 'Any' may not be combined with specific curves (§2.7, C10).
                    self.warn(
                        "E116",
                        loc,
                        f"{p.keyword} Any cannot be combined with specific curves",
                    )
                values[p.field] = merged
                if p.keyword in ("V3CipherSuites", "V3CipherSuites4Char"):
                    values["v3_preference"] = ciphers.concat_unique(
                        values.get("v3_preference") or (), value
                    )
            else:
                values[p.field] = (*old, value)
        else:
            if p.field in values:
                self.warn(
                    "W303",
                    loc,
                    f"{p.keyword} is coded again in {spec.keyword}; PAGENT uses this last value",
                )
            values[p.field] = value
        locs[p.keyword] = loc

    def placeholder(self, p: ParamSpec, item: RawParam) -> None:
        if _PLACEHOLDER.match(item.value):
            self.warn(
                "L404",
                item.value_loc,
                f"{p.keyword} value {item.value} looks like a template placeholder",
            )

    def value(self, spec: StatementSpec, p: ParamSpec, item: RawParam) -> object:
        raw = item.value
        if p.type in REST_OF_LINE_TYPES:
            return self.string_value(p, item)
        tokens = split_values(raw)
        parse = _PARSERS.get(p.type)
        if p.type in ("port_spec", "ip_range", "tod_range"):
            text = raw  # "n m", "a - b" and "0-8:30, 17:30-24" are one value
        else:
            text = tokens[0]
            if len(tokens) > 1:
                extra = tokens[1]
                if spec.param(extra) is not None:
                    self.warn(
                        "W320",
                        item.value_loc,
                        f"'{extra}' is a second parameter on the line of {p.keyword}; "
                        "PAGENT loses it",
                    )
                else:
                    self.warn(
                        "W304",
                        item.value_loc,
                        f"text after the {p.keyword} value '{text}' is ignored: "
                        f"'{' '.join(tokens[1:])}'",
                    )
        if text.startswith('"') and text.endswith('"') and len(text) >= 2:
            self.warn(
                "W306", item.value_loc, f"{p.keyword} value is quoted; the quotes are dropped"
            )
            text = text[1:-1].strip()
        if parse is None:  # pragma: no cover - every schema type has a parser
            return text
        return parse(self, p, text, item)

    def string_value(self, p: ParamSpec, item: RawParam) -> str | None:
        text = item.value
        if text.startswith('"') and text.endswith('"') and len(text) >= 2:
            self.warn(
                "W306", item.value_loc, f"{p.keyword} value is quoted; the quotes are dropped"
            )
            text = text[1:-1]
        if (" " in text or "\t" in text) and p.type in _LABEL_TYPES:
            self.warn(
                "W305",
                item.value_loc,
                f"{p.keyword} '{text}' contains a blank; PAGENT may keep only '{text.split()[0]}'",
            )
        if p.maxlen is not None and len(text) > p.maxlen:
            self.warn(
                "E107", item.value_loc, f"{p.keyword} is {len(text)} characters; at most {p.maxlen}"
            )
            return None
        return text

    # --- per-statement rules ----------------------------------------------------------
    def check_statement(
        self, spec: StatementSpec, block: RawBlock, values: dict[str, Any], locs: dict[str, Any]
    ) -> None:
        groups, required = _shape(spec.keyword)
        for keywords in groups:
            coded = [k for k in keywords if k in locs]
            if len(coded) < 2:
                continue
            if _is_block_ref_pair(keywords):
                self.last_form_wins(spec, block, coded, values, locs)
                continue
            self.warn(
                "E115",
                locs[coded[-1]],
                f"{' and '.join(coded)} are alternatives in {spec.keyword}; code one",
            )
        for keyword in required:
            if keyword not in locs:
                self.warn("E114", block.loc, f"{_label(spec, block)} has no {keyword}")
        for keyword in _soft_required(spec.keyword):
            if keyword not in locs:
                self.warn(
                    "W324",
                    block.loc,
                    f"{_label(spec, block)} has no {keyword} (required by the reference, "
                    "unconfirmed)",
                )
        check = _EXTRA_CHECKS.get(spec.keyword)
        if check is not None:
            check(self, spec, block, values, locs)

    def last_form_wins(
        self,
        spec: StatementSpec,
        block: RawBlock,
        coded: list[str],
        values: dict[str, Any],
        locs: dict[str, Any],
    ) -> None:
        """An inline block and its *Ref both coded: the later one is used, whole (W325).

        The real z/OS 3.1 report shows it for a Ref followed by an inline block [PAS]
        (lang §1.7, docs/fidelity.md F-150); the reverse order follows the same rule,
        unconfirmed (F-151).
        """
        first, last = sorted(coded, key=lambda k: (locs[k].line, locs[k].col))
        block_kw, ref_kw = sorted(coded, key=len)

        def form(keyword: str, value: object) -> str:
            if keyword == ref_kw:
                return f"{ref_kw} {value}"
            return f"the inline {block_kw} block"

        loser = spec.param(first)
        winner = spec.param(last)
        assert loser is not None
        assert winner is not None
        earlier = form(first, values.pop(loser.field, None))
        dropped_loc = locs.pop(first)
        later = form(last, values.get(winner.field))
        how = (
            "as the real z/OS 3.1 report shows"
            if last == block_kw
            else "this order is unconfirmed: the same last-wins rule is assumed"
        )
        self.diag.append(
            Diagnostic.make(
                "W325",
                locs[last],
                f"{block_kw} and {ref_kw} are both coded in {_label(spec, block)}: PAGENT uses "
                f"the later, {later}, whole, and not {earlier} (no merging; {how})",
                [(dropped_loc, f"{earlier}, not used")],
            )
        )


def _is_block_ref_pair(keywords: tuple[str, ...]) -> bool:
    """True for a choice group of an inline block and its *Ref (``X``, ``XRef``)."""
    return len(keywords) == 2 and keywords[1] == keywords[0] + "Ref"


@cache
def _shape(keyword: str) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """A statement's choice groups (as keyword tuples) and required keywords."""
    spec = spec_of(keyword)
    groups: dict[str, list[str]] = {}
    for p in spec.params.values():
        if p.choice_group:
            groups.setdefault(p.choice_group, []).append(p.keyword)
    # An empty TTLSKeyringParms is W310's business, at the environment action; a
    # requirement the reference marks unconfirmed (PortRange's Port, §3.4) is W324.
    required = tuple(
        p.keyword
        for p in spec.params.values()
        if p.required is True and keyword != "TTLSKeyringParms" and p.required_source != "UNV"
    )
    return tuple(tuple(g) for g in groups.values() if len(g) > 1), required


@cache
def _soft_required(keyword: str) -> tuple[str, ...]:
    """Parameters the reference calls required without confirmation."""
    return tuple(
        p.keyword
        for p in spec_of(keyword).params.values()
        if p.required is True and keyword != "TTLSKeyringParms" and p.required_source == "UNV"
    )


def _label(spec: StatementSpec, block: RawBlock) -> str:
    name = split_values(block.name)[0] if block.name else ""
    return f"{spec.keyword} {name}" if name else f"inline {spec.keyword}"


def _hint(keyword: str, spec: StatementSpec | None = None) -> str:
    pool = (
        [p.keyword for p in spec.params.values()]
        if spec is not None
        else [s.keyword for s in statements().values()]
    )
    lowered = {k.lower(): k for k in pool}
    close = difflib.get_close_matches(keyword.lower(), list(lowered), n=1, cutoff=0.75)
    return f" (did you mean {lowered[close[0]]}?)" if close else ""


_MISSING = object()
_CLEAN_VALUES: dict[tuple[str, str, str], object] = {}
_CLEAN_VALUES_MAX = 200_000  # bounded: a long-running service checks many policies


# --- value parsers, by schema value type -------------------------------------------------
ciphers_types = frozenset(
    {"cipher_v2", "cipher_v3_2char", "cipher_v3_4char", "hex4_list", "hex4_list_or_Any"}
)
_Parser = Callable[[_Builder, ParamSpec, str, RawParam], object]


def _keyword(b: _Builder, p: ParamSpec, text: str, item: RawParam) -> str | None:
    canon = p.canonical_value(text)
    if canon is None:
        b.warn(
            "E107",
            item.value_loc,
            f"{p.keyword} '{text}' is not one of {', '.join(p.values)}",
        )
    return canon


def _integer(b: _Builder, p: ParamSpec, text: str, item: RawParam) -> int | None:
    if not is_decimal(text):
        b.warn("E108", item.value_loc, f"{p.keyword} '{text}' is not a decimal number")
        return None
    n = bounded_int(text, NUMERIC_CEILING)
    if n is None:
        b.warn("E109", item.value_loc, f"{p.keyword} {text} is above {NUMERIC_CEILING}")
        return None
    if p.range is not None and not p.range[0] <= n <= p.range[1]:
        lo, hi = p.range
        if p.range_source == "DOC":
            b.warn("E108", item.value_loc, f"{p.keyword} {n} is outside {lo}-{hi}")
            return None
        b.warn(
            "W307",
            item.value_loc,
            f"{p.keyword} {n} is outside {lo}-{hi} (range unconfirmed, {p.range_source})",
        )
    return n


def _addr_parser(fn: Callable[[str], object]) -> _Parser:
    def parse(b: _Builder, p: ParamSpec, text: str, item: RawParam) -> object:
        try:
            return fn(text)
        except FormError as exc:
            b.warn("E110", item.value_loc, f"{p.keyword}: {exc}", unconfirmed=exc.unconfirmed)
            return None

    return parse


def _port(b: _Builder, p: ParamSpec, text: str, item: RawParam) -> object:
    if text.strip().lower() == "all":
        b.warn("W312", item.value_loc, f"{p.keyword} All is undocumented for AT-TLS; read as 0")
        return ANY_PORT
    if text.startswith('"') and text.endswith('"'):
        b.warn("W306", item.value_loc, f"{p.keyword} value is quoted")
        text = text[1:-1]
    try:
        return parse_port_spec(text)
    except FormError as exc:
        b.warn("E111", item.value_loc, f"{p.keyword}: {exc}", unconfirmed=exc.unconfirmed)
        return None


def _name_pattern(b: _Builder, p: ParamSpec, text: str, item: RawParam) -> str:
    problems = []
    if len(text) > 8:
        problems.append("is longer than 8 characters")
    if text != text.upper():
        problems.append("is not in upper case (z/OS names are)")
    if "*" in text[:-1] or "%" in text:
        problems.append("uses a wildcard other than a trailing '*'")
    if "?" in text:
        problems.append("contains '?', which is matched literally")
    if problems:
        b.warn("W311", item.value_loc, f"{p.keyword} '{text}' {' and '.join(problems)}")
    return text


def _codes(b: _Builder, p: ParamSpec, text: str, item: RawParam) -> tuple[str, ...] | None:
    if p.type == "cipher_v2":
        result = ciphers.parse_v2_suites(text)
    elif p.type == "cipher_v3_2char":
        result = ciphers.parse_v3_suites(text)
    elif p.type == "cipher_v3_4char":
        result = ciphers.parse_v3_suites_4char(text)
    elif p.type == "hex4_list_or_Any":
        result = ciphers.parse_client_ecurves(text)
    else:
        kind: Literal["curve", "sigpair"] = "sigpair" if "Sig" in p.keyword else "curve"
        result = ciphers.parse_hex4_list(text, kind)
    failed = False
    for problem in result.problems:
        failed = failed or problem.kind == "error"
        b.warn(
            problem.code or ("E116" if problem.kind == "error" else "W308"),
            item.value_loc,
            f"{p.keyword}: {problem.message}",
        )
    return None if failed else result.codes


def _mask(b: _Builder, p: ParamSpec, text: str, item: RawParam) -> str:
    want = _MASK_LEN.get(p.keyword)
    if want is not None and (len(text) != want or set(text) - {"0", "1"}):
        b.warn("W321", item.value_loc, f"{p.keyword} should be {want} digits 0 or 1")
    return text


def _time(pattern: re.Pattern[str], form: str) -> _Parser:
    def parse(b: _Builder, p: ParamSpec, text: str, item: RawParam) -> str:
        if not pattern.match(item.value):
            b.warn("W321", item.value_loc, f"{p.keyword} '{item.value}' is not of the form {form}")
        return item.value

    return parse


def _plain(b: _Builder, p: ParamSpec, text: str, item: RawParam) -> str:
    return text


def _port_number(b: _Builder, p: ParamSpec, text: str, item: RawParam) -> int | None:
    return _integer(b, p, text, item)


_PARSERS: dict[str, _Parser] = {
    "keyword": _keyword,
    "integer": _integer,
    "name_ref": _plain,
    "ip_spec": _addr_parser(parse_ip_spec),
    "ip_addr": _addr_parser(parse_address),
    "ip_prefix": _addr_parser(parse_prefix),
    "ip_range": _addr_parser(parse_range),
    "port_spec": _port,
    "port": _port_number,
    "mvs_name_pattern": _name_pattern,
    "cipher_v2": _codes,
    "cipher_v3_2char": _codes,
    "cipher_v3_4char": _codes,
    "hex4_list": _codes,
    "hex4_list_or_Any": _codes,
    "bitmask_string": _mask,
    "time_range": _time(_TIME_RANGE, "yyyymmddhhmmss:yyyymmddhhmmss"),
    "tod_range": _time(_TOD, "hh:mm-hh:mm"),
}


# --- statement-specific rules --------------------------------------------------------------
_Check = Callable[[_Builder, StatementSpec, RawBlock, dict[str, Any], dict[str, Any]], None]


def _check_environment(
    b: _Builder, spec: StatementSpec, block: RawBlock, values: dict[str, Any], locs: dict[str, Any]
) -> None:
    if "TTLSKeyringParms" not in locs and "TTLSKeyringParmsRef" not in locs:
        b.warn(
            "W310",
            block.loc,
            f"{_label(spec, block)} has no TTLSKeyringParms: its handshakes will fail",
        )
    if values.get("suite_b_profile", "Off") != "Off" and (
        "TTLSCipherParms" in locs or "TTLSCipherParmsRef" in locs
    ):
        b.warn(
            "W315",
            locs.get("SuiteBProfile", block.loc),
            "SuiteBProfile is not Off: cipher parms are ignored",
        )


def _check_keyring(
    b: _Builder, spec: StatementSpec, block: RawBlock, values: dict[str, Any], locs: dict[str, Any]
) -> None:
    if "Keyring" not in locs:
        b.warn("W310", block.loc, f"{_label(spec, block)} has no Keyring: handshakes will fail")
    if "KeyringPw" in locs and "KeyringStashFile" in locs:
        b.warn(
            "W318", locs["KeyringStashFile"], "KeyringPw and KeyringStashFile: KeyringPw is used"
        )


def _check_advanced(
    b: _Builder, spec: StatementSpec, block: RawBlock, values: dict[str, Any], locs: dict[str, Any]
) -> None:
    pairs = (
        ("ClientMaxSSLFragment", ("ClientMaxSSLFragmentLength",)),
        ("ClientHandshakeSNI", ("ClientHandshakeSNIMatch", "ClientHandshakeSNIList")),
        ("ServerHandshakeSNI", ("ServerHandshakeSNIMatch", "ServerHandshakeSNIList")),
    )
    for switch, dependents in pairs:
        p = spec.param(switch)
        if p is None:
            continue
        on = values.get(p.field) in ("Required", "Optional")
        for dep in dependents:
            if dep in locs and not on:
                b.warn(
                    "W316",
                    locs[dep],
                    f"{dep} has no effect unless {switch} is Required or Optional",
                )


def _check_ldap(
    b: _Builder, spec: StatementSpec, block: RawBlock, values: dict[str, Any], locs: dict[str, Any]
) -> None:
    if ("GSK_LDAP_USER" in locs) != ("GSK_LDAP_USER_PW" in locs):
        b.warn("W319", block.loc, "GSK_LDAP_USER and GSK_LDAP_USER_PW are coded together")


def _check_group(
    b: _Builder, spec: StatementSpec, block: RawBlock, values: dict[str, Any], locs: dict[str, Any]
) -> None:
    if not any(p.keyword in locs for p in spec.params.values()):
        b.warn("E117", block.loc, f"{_label(spec, block)} has no member")


def _check_addr_set(
    b: _Builder, spec: StatementSpec, block: RawBlock, values: dict[str, Any], locs: dict[str, Any]
) -> None:
    if "Prefix" not in locs and "Range" not in locs:
        b.warn("E117", block.loc, f"{_label(spec, block)} has neither Prefix nor Range")


_EXTRA_CHECKS: dict[str, _Check] = {
    "TTLSEnvironmentAction": _check_environment,
    "TTLSKeyringParms": _check_keyring,
    "TTLSEnvironmentAdvancedParms": _check_advanced,
    "TTLSConnectionAdvancedParms": _check_advanced,
    "TTLSGskLdapParms": _check_ldap,
    "IpAddrGroup": _check_group,
    "PortGroup": _check_group,
    "IpAddrSet": _check_addr_set,
}


def build_file(raw: RawFile) -> BuiltFile:
    """Build every top-level statement of a nested file."""
    out = BuiltFile(path=raw.path, diagnostics=list(raw.diagnostics))
    b = _Builder(out)
    for stray in raw.strays:
        if statement(stray.keyword) is not None:
            b.warn("E103", stray.loc, f"{stray.keyword} {stray.value} has no '{{' block")
        else:
            b.warn("W314", stray.loc, f"'{stray.keyword}' outside any block is ignored")
    for block in raw.blocks:
        built = b.top_block(block)
        if built is not None:
            out.statements.append(built)
    if raw.strays and not raw.blocks:
        b.warn("W323", raw.strays[0].loc, "no AT-TLS statement in this file")
    return out


class BlockPart(NamedTuple):
    """What one top-level block contributed: its statements, diagnostics and inline names.

    A named tuple: a refresh that rebuilds 50,000 blocks makes one per block.
    """

    statements: tuple[Statement, ...]
    diagnostics: tuple[Diagnostic, ...]
    inline_names: tuple[tuple[str, str], ...]


def build_blocks(path: str, blocks: list[RawBlock]) -> list[BlockPart]:
    """Build top-level blocks each on its own account (for reuse across re-checks).

    One builder serves all blocks and each block's share is sliced off afterwards: making a
    builder per block costs 0.2 s on a 10,000-rule policy.
    """
    out = BuiltFile(path=path)
    b = _Builder(out)
    parts: list[BlockPart] = []
    diags = out.diagnostics
    inline = out.inline_names
    # Most blocks add one statement, no diagnostic and no inline name: they share the empty
    # tuples, so that a refresh that rebuilds every block costs no more than a full build
    # (issue 13 §1).
    empty_diags: tuple[Diagnostic, ...] = ()
    no_names: tuple[tuple[str, str], ...] = ()
    names_before: set[tuple[str, str]] = set()
    for block in blocks:
        n_diag = len(diags)
        built = b.top_block(block)
        names = no_names
        if len(inline) != len(names_before):
            names = tuple(inline - names_before)
            names_before = set(inline)
        parts.append(
            BlockPart(
                (built,) if built is not None else (),
                tuple(diags[n_diag:]) if len(diags) != n_diag else empty_diags,
                names,
            )
        )
    return parts
