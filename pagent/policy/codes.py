"""The diagnostic codes: every message the checker can give, with its meaning and effect.

A code's *effect* says what PAGENT itself does with the problem, which is what decides
whether a policy would be installed (reference ttls-language.md §1.1, §1.6):

* ``reject``: PAGENT logs an error and installs no new AT-TLS policy at all.
* ``discard``: PAGENT drops the statement (a rule whose action references dangle).
* ``ignore``: PAGENT accepts the file and silently ignores or overrides something.
* ``lint``: PAGENT is content; pagent thinks a person would want to know.

A code's *evidence* says how sure pagent is of that effect (issue 10 §2):

* ``documented``: IBM documents PAGENT's reaction (the citation says where);
* ``observed``: real z/OS output shows it (the pasearch report in corpus/extras);
* ``estimate``: IBM documents the rule at most, not the reaction; pagent chose it, and
  docs/fidelity.md has the entry that says why.

docs/diagnostics.md is generated from this table (tools/gen_docs.py) and a test keeps it in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(Enum):
    """How a diagnostic is shown: error (policy rejected or statement discarded) or warning."""

    ERROR = "error"
    WARNING = "warning"


class Effect(Enum):
    """What PAGENT does with the problem (see module docstring)."""

    REJECT = "reject"
    DISCARD = "discard"
    IGNORE = "ignore"
    LINT = "lint"


class Evidence(Enum):
    """How sure pagent is of a code's effect (see module docstring)."""

    DOCUMENTED = "documented"
    OBSERVED = "observed"
    ESTIMATE = "estimate"

    @property
    def certain(self) -> bool:
        """True when IBM's documentation or real output backs the effect."""
        return self is not Evidence.ESTIMATE


@dataclass(frozen=True, slots=True)
class Grade:
    """The evidence for one code's effect.

    ``basis`` is a short phrase for the verdict line (what is known, or what is not);
    ``source`` the citation (reference section, IBM sample, report) or the fidelity entry.
    """

    evidence: Evidence
    basis: str
    source: str


@dataclass(frozen=True, slots=True)
class Code:
    """One diagnostic code."""

    id: str
    effect: Effect
    title: str
    meaning: str

    @property
    def severity(self) -> Severity:
        """Errors for reject/discard, warnings otherwise."""
        if self.effect in (Effect.REJECT, Effect.DISCARD):
            return Severity.ERROR
        return Severity.WARNING

    @property
    def grade(self) -> Grade | None:
        """The evidence for the effect; None for lint (PAGENT is not involved)."""
        if self.effect is Effect.LINT:
            return None
        return GRADES.get(self.id, _UNGRADED)


_R, _D, _I, _L = Effect.REJECT, Effect.DISCARD, Effect.IGNORE, Effect.LINT

CODES: dict[str, Code] = {
    c.id: c
    for c in (
        # --- E1xx: syntax and values; PAGENT installs no new policy (ttls-language §1.1, §1.6).
        Code(
            "E100",
            _R,
            "syntax error",
            "The line does not have the form of a comment, a brace, or a keyword and its "
            "values (for example an unclosed double quote, or text after a brace).",
        ),
        Code("E101", _R, "unexpected closing brace", "A '}' closes no open block."),
        Code(
            "E102",
            _R,
            "unclosed block",
            "The file ends inside a block: a '}' is missing. PAGENT rejects the policy.",
        ),
        Code(
            "E103",
            _R,
            "brace without statement",
            "A '{' follows no statement or block parameter keyword.",
        ),
        Code(
            "E104",
            _R,
            "unknown statement",
            "A top-level block is opened by a keyword that is no AT-TLS statement. (An "
            "unknown block inside a statement is W328: PAGENT ignores unknown attributes.)",
        ),
        Code(
            "E105",
            _R,
            "missing statement name",
            "A global statement has no name (names are optional only on inline blocks).",
        ),
        Code(
            "E106",
            _R,
            "name too long",
            "Statement names are 1-32 characters; PAGENT reports longer AT-TLS names as an "
            "error and does not truncate them (EZAPAGCO general rules).",
        ),
        Code(
            "E107",
            _R,
            "invalid value",
            "The value is not one of the parameter's documented values.",
        ),
        Code(
            "E108",
            _R,
            "invalid number",
            "The value is not a decimal integer in the parameter's documented range.",
        ),
        Code(
            "E109",
            _R,
            "number above ceiling",
            "The value is above 4294967295, the ceiling for every Policy Agent number.",
        ),
        Code(
            "E110",
            _R,
            "invalid address",
            "The value is not an IP address, prefix or range of the form the parameter takes, "
            "or is an IPv4-mapped or ::/96 IPv6 address, which AT-TLS forbids. (A range "
            "that mixes families or runs backwards is graded estimate.)",
        ),
        Code(
            "E111",
            _R,
            "invalid port",
            "The value is not a port (0-65535) or a range n-m, n m or n:m with low <= high "
            "and one kind of delimiter. (A port over 65535 or a range that runs backwards is "
            "graded estimate: those limits are unconfirmed.)",
        ),
        Code(
            "E113",
            _R,
            "misplaced block",
            "An inline block is written where the parameter takes no block, or a statement "
            "that must be global is written inline (actions are referenced only by *Ref).",
        ),
        Code(
            "E114",
            _R,
            "missing required parameter",
            "A parameter the statement requires is not coded.",
        ),
        Code(
            "E115",
            _R,
            "conflicting alternatives",
            "Two forms of one address or port condition are coded (LocalAddr and "
            "LocalAddrRef, LocalPortRange and LocalPortGroupRef, ...), or an IpAddrSet codes "
            "both Prefix and Range. (An inline block and its *Ref is W325.)",
        ),
        Code(
            "E116",
            _R,
            "invalid cipher or code list",
            "A cipher, curve or signature list is malformed (odd length, not hexadecimal, an "
            "unknown cipher name, 'Any' mixed with curves, more than 10 SSLv2 ciphers). (A "
            "cipher name on V3CipherSuites4Char is W326.)",
        ),
        Code(
            "E117",
            _R,
            "empty group",
            "An IpAddrGroup or PortGroup has no member, or an IpAddrSet has neither Prefix "
            "nor Range.",
        ),
        # --- E2xx: references; PAGENT discards the rule (EZAPAGCO general rules, C22).
        Code(
            "E201",
            _D,
            "unresolved reference",
            "A *Ref names no global statement of its type (names are case-sensitive); "
            "the rule that uses it is discarded.",
        ),
        Code(
            "E202",
            _D,
            "reference to inline name",
            "A *Ref names a statement that is only defined inline; inline names get a "
            "system-generated suffix and cannot be referenced.",
        ),
        Code(
            "E203",
            _D,
            "environment action missing",
            "The rule's group action has TTLSEnabled On but the rule has no "
            "TTLSEnvironmentActionRef.",
        ),
        Code(
            "E204",
            _D,
            "rule without condition",
            "A rule specifies none of LocalAddr, RemoteAddr, LocalPortRange, RemotePortRange, "
            "Jobname, Userid (or their *Ref forms).",
        ),
        # --- W3xx: PAGENT accepts the file but ignores or overrides something.
        Code(
            "W301",
            _I,
            "unknown parameter ignored",
            "PAGENT ignores parameters it does not know, so a misspelling silently falls "
            "back to the default.",
        ),
        Code(
            "W302",
            _I,
            "duplicate statement name",
            "Two statements of one type share a name; PAGENT keeps the last one.",
        ),
        Code(
            "W303",
            _I,
            "parameter repeated",
            "A single-valued parameter is coded more than once in a block; PAGENT uses the "
            "last value without a message (APAR PI40723).",
        ),
        Code(
            "W304",
            _I,
            "text after value ignored",
            "PAGENT ignores text after a parameter's value; it may be a slip.",
        ),
        Code(
            "W305",
            _I,
            "blank in value",
            "A label, key ring or path value contains a blank; PAGENT may keep only the "
            "first word. Check with pasearch.",
        ),
        Code(
            "W306",
            _I,
            "quoted value",
            "The value is in double quotes; quotes are not documented for AT-TLS values.",
        ),
        Code(
            "W307",
            _I,
            "value outside usual range",
            "The number is within the Policy Agent ceiling but outside the range the "
            "reference gives as unconfirmed.",
        ),
        Code(
            "W308",
            _I,
            "unknown cipher or code",
            "The cipher suite, curve or signature code is not in pagent's tables; support "
            "depends on the z/OS release.",
        ),
        Code(
            "W309",
            _I,
            "brace on statement line",
            "IBM's syntax puts braces and parameters on separate lines; pagent accepts "
            "'Statement name {' (a '}' on the same line is E100), but PAGENT's behaviour is "
            "unconfirmed.",
        ),
        Code(
            "W310",
            _I,
            "environment without key ring",
            "A TTLSEnvironmentAction has no TTLSKeyringParms: PAGENT installs it, but its "
            "handshakes will fail.",
        ),
        Code(
            "W311",
            _I,
            "job name or user id pattern",
            "A Jobname or Userid is longer than 8 characters, in lower case, or uses a "
            "wildcard other than a trailing '*'; AT-TLS behaviour is unconfirmed.",
        ),
        Code(
            "W312",
            _I,
            "undocumented 'All' port",
            "'All' is not in IBM's AT-TLS port syntax (0 means all ports); pagent reads it as 0.",
        ),
        Code(
            "W313",
            _I,
            "non-UTF-8 bytes",
            "The file holds bytes that are not UTF-8; they were read as Latin-1. Reported "
            "once per file, at the first line that holds one.",
        ),
        Code(
            "W314",
            _I,
            "stray text ignored",
            "A word outside any block that opens no block; PAGENT ignores it.",
        ),
        Code(
            "W315",
            _I,
            "cipher parms ignored",
            "SuiteBProfile is not Off, so TTLSCipherParms are ignored.",
        ),
        Code(
            "W316",
            _I,
            "dependent parameter without effect",
            "A parameter that only applies when another is Required/Optional "
            "(ClientMaxSSLFragmentLength, *SNIMatch, *SNIList) is coded without it.",
        ),
        Code(
            "W317",
            _I,
            "older placement",
            "TTLSGskLdapParms inside TTLSEnvironmentAction is the V2R1 form; current "
            "releases expect it in TTLSGskAdvancedParms.",
        ),
        Code(
            "W318",
            _I,
            "both password and stash file",
            "KeyringPw and KeyringStashFile are both coded; KeyringPw is used.",
        ),
        Code(
            "W319",
            _I,
            "LDAP user without password",
            "GSK_LDAP_USER and GSK_LDAP_USER_PW are coded together or not at all.",
        ),
        Code(
            "W320",
            _I,
            "two parameters on one line",
            "Only one parameter is allowed per line; PAGENT loses the second one.",
        ),
        Code(
            "W321",
            _I,
            "unusual time condition",
            "An IpTimeCondition value does not have the form of the documented QoS "
            "equivalent; the AT-TLS forms are unconfirmed.",
        ),
        Code(
            "W322",
            _I,
            "parameter without value",
            "The keyword has no value; PAGENT treats the parameter as not coded (Zowe's "
            "samples write 'CertificateLabel' alone on purpose).",
        ),
        Code(
            "W323",
            _I,
            "no statement in file",
            "The file holds text but no AT-TLS statement, so it contributes nothing; it may "
            "not be a policy file (a pasearch report, an image file).",
        ),
        Code(
            "W324",
            _I,
            "missing parameter (unconfirmed)",
            "A parameter the reference calls required, without confirmation, is not coded "
            "(PortRange without Port).",
        ),
        Code(
            "W325",
            _I,
            "inline block and *Ref both coded",
            "A parameter is coded both as an inline block and by its *Ref: PAGENT installs the "
            "policy and uses the form coded later, whole, without merging the two.",
        ),
        Code(
            "W326",
            _I,
            "cipher name on V3CipherSuites4Char",
            "V3CipherSuites4Char takes 4-character codes; a cipher name there is ignored (IBM: "
            "names make the entries ineffective). Code the name on V3CipherSuites.",
        ),
        Code(
            "W327",
            _I,
            "cipher suite not installed",
            "The suite is left out of the list PAGENT installs on the release pagent "
            "emulates (TLS_CHACHA20_POLY1305_SHA256 on z/OS 3.1). An action whose list ends "
            "up empty uses System SSL's default list.",
        ),
        Code(
            "W328",
            _I,
            "unknown block ignored",
            "A block inside a statement is opened by a keyword that is no parameter of it; "
            "PAGENT ignores unknown attributes, and the block with them.",
        ),
        # W340-W349: issue 13.
        Code(
            "W340",
            _I,
            "empty policy file",
            "The policy file holds no statement (it is empty, or only comments): PAGENT "
            "installs what it holds, so an image's own file that is empty removes its rules, "
            "and a policy with no statement removes every AT-TLS rule. A file truncated by a "
            "failed copy looks like this. An empty CommonTTLSConfig file before an image "
            "file with statements is not reported (ADCD ships one as a placeholder).",
        ),
        # --- L4xx: lint beyond PAGENT.
        Code(
            "L401",
            _L,
            "rule never matches",
            "A higher-priority rule (or an earlier one of the same priority, by name order) "
            "covers every connection this rule could match.",
        ),
        Code(
            "L402",
            _L,
            "unused statement",
            "A global statement is referenced by no rule, directly or indirectly.",
        ),
        Code(
            "L403",
            _L,
            "only old TLS enabled",
            "The effective protocols of this environment are TLSv1 and/or TLSv1.1 only "
            "(TLSv1.2 and TLSv1.3 default to Off).",
        ),
        Code(
            "L404",
            _L,
            "template placeholder",
            "A value looks like a placeholder left from a template (?port?, [name], "
            "<name>, or quoted prose).",
        ),
        Code(
            "L405",
            _L,
            "rule matches everything",
            "The rule's conditions match every connection of its direction.",
        ),
        Code(
            "L406",
            _L,
            "same-priority overlap",
            "Two rules of the same priority can match the same connection; the one whose "
            "name sorts first wins, and the collation is unconfirmed.",
        ),
        # --- C5xx: the configuration chain (pagent.conf, image files).
        Code(
            "C501",
            _R,
            "file not found",
            "A file named in the configuration chain does not exist under the root.",
        ),
        Code(
            "C502",
            _I,
            "unknown configuration statement",
            "pagent.conf or an image file holds a statement PAGENT does not know.",
        ),
        Code(
            "C503",
            _I,
            "statement in the wrong file",
            "TTLSConfig belongs in an image file and CommonTTLSConfig in the main file; "
            "PAGENT ignores them elsewhere.",
        ),
        Code(
            "C504",
            _I,
            "image file without statements",
            "The image file holds no recognizable statement (PAGENT's WARNING:005); it may "
            "be the policy file itself.",
        ),
        Code(
            "C505",
            _I,
            "common policy without TTLSConfig",
            "The image has no TTLSConfig statement, so the CommonTTLSConfig file is never "
            "parsed for it.",
        ),
        Code(
            "C506",
            _R,
            "invalid configuration value",
            "A pagent.conf operand is malformed (FLUSH/NOFLUSH, PURGE/NOPURGE, interval, "
            "LogLevel).",
        ),
        Code(
            "C507",
            _I,
            "statement repeated",
            "A configuration statement that is used once is coded again; the last one is used.",
        ),
        Code(
            "C508",
            _I,
            "unsupported code page",
            "The Codepage statement names a page PAGENT does not support; it warns and reads "
            "the files as IBM-1047.",
        ),
    )
}


_D_, _O_, _E_ = Evidence.DOCUMENTED, Evidence.OBSERVED, Evidence.ESTIMATE
_UNGRADED = Grade(_E_, "the reaction is not documented", "docs/fidelity.md F-038")

GRADES: dict[str, Grade] = {
    # Rejecting and discarding codes: each one decided (issue 10 §2).
    "E100": Grade(
        _E_,
        "IBM documents that a parse error rejects the policy, not which lines are one",
        "fidelity F-155; lang §1.1, §1.6",
    ),
    "E101": Grade(
        _D_,
        "malformed braces are parse errors, and a parse error installs no new AT-TLS policy",
        "lang §1.6 [DOC], §1.1 [DOC] (EZAPAGCO)",
    ),
    "E102": Grade(
        _D_,
        "malformed braces are parse errors, and a parse error installs no new AT-TLS policy",
        "lang §1.6 [DOC], §1.1 [DOC] (EZAPAGCO)",
    ),
    "E103": Grade(
        _E_,
        "IBM documents that braces follow a statement, not the reaction to a lone one",
        "fidelity F-012",
    ),
    "E104": Grade(
        _D_,
        "unknown statement types are parse errors, and a parse error installs no new policy",
        "lang §1.6 [DOC], §1.1 [DOC] (EZAPAGCO)",
    ),
    "E105": Grade(
        _E_,
        "IBM documents that a global statement needs a name, not the reaction",
        "fidelity F-156; lang §1.5",
    ),
    "E106": Grade(
        _D_,
        "IBM: a name over 32 characters is an error (not truncated) for AT-TLS",
        "lang §1.5 [DOC] (EZAPAGCO)",
    ),
    "E107": Grade(
        _D_,
        "invalid values are parse errors, and a parse error installs no new AT-TLS policy",
        "lang §1.6 [DOC], §1.1 [DOC]",
    ),
    "E108": Grade(
        _E_,
        "IBM documents the range but not the reaction",
        "fidelity F-157; lang §2, C8",
    ),
    "E109": Grade(
        _E_,
        "IBM documents 4294967295 as the largest value, not the reaction to a larger one",
        "fidelity F-158; lang §1.6 (EZAPAGCO)",
    ),
    "E110": Grade(
        _D_,
        "IBM: an IPv4-mapped or ::/96 address is an error; a malformed one is an invalid value",
        "lang §2.1 [DOC], §1.6 [DOC]",
    ),
    "E111": Grade(
        _D_,
        "IBM: a range may not mix delimiters; a malformed port is an invalid value",
        "lang §2.1 [DOC], C23 [DOC] (EZAPAGCO), §1.6 [DOC]",
    ),
    "E113": Grade(
        _E_,
        "IBM documents where blocks go, not the reaction to a misplaced one",
        "fidelity F-160; lang §1.7",
    ),
    "E114": Grade(
        _E_,
        "IBM documents the parameter as required, not the reaction to its absence",
        "fidelity F-161; lang §2, C1, C4",
    ),
    "E115": Grade(
        _E_,
        "IBM's diagram makes the forms alternatives, but does not document the reaction",
        "fidelity F-162; lang §1.7, C6",
    ),
    "E116": Grade(
        _E_,
        "IBM documents the list forms, not the reaction to a malformed one",
        "fidelity F-163; lang §2.6, §2.7, C10-C12",
    ),
    "E117": Grade(
        _E_,
        "IBM documents at least one member, not the reaction to none",
        "fidelity F-023; lang §3.3, §3.5",
    ),
    "E201": Grade(
        _D_,
        "IBM: a rule referring to an action that does not exist is discarded",
        "lang §1.1 [DOC] (EZAPAGCO), C22",
    ),
    "E202": Grade(
        _D_,
        "IBM: inline names cannot be referenced, and such a rule is discarded",
        "lang §1.5 [DOC] (EZAPAGCO), C21, C22",
    ),
    "E203": Grade(
        _E_,
        "IBM documents the environment action as required, not the reaction",
        "fidelity F-164; lang §2.3, C3",
    ),
    "E204": Grade(
        _E_,
        "IBM documents that a rule needs a condition, not the reaction",
        "fidelity F-165; lang §2.1, C2",
    ),
    "C501": Grade(
        _E_,
        "what PAGENT does with a missing file is not documented",
        "fidelity F-076",
    ),
    "C506": Grade(
        _E_,
        "what PAGENT does with a malformed operand is not documented",
        "fidelity F-076, F-062",
    ),
    # Warnings: what PAGENT ignores or overrides.
    "W301": Grade(_D_, "IBM: PAGENT ignores unknown attributes", "lang §1.6 [DOC]"),
    "W302": Grade(_D_, "IBM: AT-TLS keeps the last duplicate, a warning", "lang §1.6 (EZAPAGCO)"),
    "W303": Grade(
        _D_, "IBM: the last instance is used, no message", "lang §1.6 (EZAPAGCO), APAR PI40723"
    ),
    "W304": Grade(_D_, "IBM: text after the value is ignored", "lang §1.2 (EZAPAGCO)"),
    "W315": Grade(_D_, "IBM: SuiteBProfile not Off ignores the cipher parms", "lang §2.3 [DOC]"),
    "W318": Grade(_D_, "IBM: KeyringPw is used when both are coded", "lang §2.5 [DOC]"),
    "W325": Grade(
        _O_,
        "the real z/OS 3.1 report shows the later form used, whole",
        "lang §1.7 [PAS]; fidelity F-150, F-151",
    ),
    "W326": Grade(
        _O_,
        "the real z/OS 3.1 report leaves such names out and installs the policy",
        "lang §2.6 [PAS]; IBM support note 6135129; fidelity F-153",
    ),
    "W327": Grade(
        _O_,
        "the real z/OS 3.1 report leaves the suite out",
        "lang §2.6 [PAS]; fidelity F-154",
    ),
    "W328": Grade(
        _E_,
        "IBM documents that unknown attributes are ignored, not unknown blocks",
        "fidelity F-152; lang §1.6",
    ),
    "C503": Grade(_D_, "IBM: ignored outside its file", "lang §1.1 [DOC] (EZAPAGCO)"),
    "C505": Grade(
        _D_, "IBM: without TTLSConfig the common file is not parsed", "lang §1.1 [DOC] (EZAPAGCO)"
    ),
    "C507": Grade(_D_, "IBM: the last occurrence is used", "lang §1.1 [DOC] (EZAPAGCO)"),
    "C508": Grade(_D_, "IBM: a warning, and IBM-1047 is used", "lang §1.1 [DOC] (EZAPAGCO)"),
}
"""The evidence for each code's effect; warnings not listed are estimates (``_UNGRADED``)."""

RANGE_ESTIMATE: dict[str, Grade] = {
    "E110": Grade(
        _E_,
        "IBM documents the range form, not that it must be one family and run upwards",
        "fidelity F-027; lang C9",
    ),
    "E111": Grade(
        _E_,
        "IBM documents the range forms, not the port space or order, nor the reaction",
        "fidelity F-159, F-026; lang §2.1",
    ),
}
"""The weaker evidence of the E110/E111 findings whose rule is [UNV] (family, order, 65535)."""


def code(code_id: str) -> Code:
    """Look up a code; an unknown id is a programming error."""
    return CODES[code_id]
