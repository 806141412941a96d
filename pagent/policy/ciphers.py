"""Cipher, curve and signature-pair codes: the tables and the value parsers.

This module owns every code that a TTLSCipherParms or TTLSSignatureParms value can carry:

* the SSL 2.0 cipher constants and their 1-character codes (ttls-language.md §7.1);
* the V3 cipher suites with their 4- and 2-character codes and OpenSSL names (§7.2, §2.6);
* the key-exchange groups / elliptic curves and the signature/hash pairs, spelled exactly
  as a real z/OS 3.1 ``pasearch -t`` report prints them (§2.7; corpus file
  ``extras/colinpaicemq-EasyATTLS-pasearch-t.report``);
* the defaults PAGENT stores when TTLSSignatureParms parameters are not coded (§2.7 and the
  report; schema ``TTLSSignatureParms``);
* the parsers that turn one coded value into a list of codes plus the problems found.

The parsers never raise on bad input: a policy checker must report every problem of a file,
so each one returns a :class:`CodeList` whose ``problems`` say what is wrong. An ``error``
means PAGENT would reject the value (and with it the whole AT-TLS policy, §1.1); a
``warning`` means the value loads but may not do what was meant (an unknown code is
release-dependent, §7.2 "Parser guidance"). The caller decides how to report them.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

__all__ = [
    "CLIENT_ECURVES_DEFAULT",
    "CLIENT_ECURVES_TLS13_ADDED",
    "CLIENT_KEY_SHARE_GROUPS_DEFAULT",
    "CURVES",
    "CURVES_UNCONFIRMED",
    "NOT_INSTALLED",
    "SERVER_KEX_ECURVES_DEFAULT",
    "SERVER_KEY_SHARE_GROUPS_DEFAULT",
    "SIGNATURE_PAIRS",
    "SIGNATURE_PAIRS_DEFAULT",
    "SIGNATURE_PAIRS_TLS13_ADDED",
    "SUITES",
    "SUITES_BY_CODE2",
    "SUITES_BY_CODE4",
    "SUITES_BY_NAME",
    "SUITES_BY_OPENSSL",
    "V2_CIPHERS",
    "V2_CIPHERS_BY_CODE",
    "V2_MAX_CIPHERS",
    "CipherSuite",
    "CodeList",
    "Problem",
    "code_of_openssl",
    "concat_unique",
    "curve_name",
    "default_codes",
    "lookup_suite",
    "openssl_name",
    "parse_client_ecurves",
    "parse_hex4_list",
    "parse_v2_suites",
    "parse_v3_suites",
    "parse_v3_suites_4char",
    "sigpair_name",
    "suite_name",
]


# --- results ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a coded value: ``error`` = PAGENT rejects it, ``warning`` = it loads."""

    kind: Literal["error", "warning"]
    message: str
    code: str | None = None  # the diagnostic code, where it is not E116/W308


@dataclass(frozen=True, slots=True)
class CodeList:
    """What a parser made of one value: the codes, in order, and the problems found."""

    codes: tuple[str, ...]
    problems: tuple[Problem, ...] = ()

    @property
    def has_errors(self) -> bool:
        """True when some problem is an error (the value would not load)."""
        return any(p.kind == "error" for p in self.problems)


def _error(message: str) -> CodeList:
    return CodeList((), (Problem("error", message),))


# --- V2 (SSL 2.0) ciphers, §7.1 ------------------------------------------------------------
V2_CIPHERS: Mapping[str, str] = MappingProxyType(
    {
        "TLS_RC4_128_WITH_MD5": "1",
        "TLS_RC4_128_EXPORT40_WITH_MD5": "2",
        "TLS_RC2_CBC_128_CBC_WITH_MD5": "3",
        "TLS_RC2_CBC_128_CBC_EXPORT40_WITH_MD5": "4",
        "TLS_DES_64_CBC_WITH_MD5": "6",
        "TLS_DES_192_EDE3_CBC_WITH_MD5": "7",
    }
)
"""V2CipherSuites constant name -> 1-character code (GSK_V2_CIPHER_SPECS)."""

V2_CIPHERS_BY_CODE: Mapping[str, str] = MappingProxyType({c: n for n, c in V2_CIPHERS.items()})
"""1-character V2 code -> constant name."""

V2_MAX_CIPHERS = 10
"""§2.6: a V2CipherSuites value holds at most 10 ciphers."""


# --- V3 cipher suites, §7.2 --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CipherSuite:
    """One row of §7.2.

    ``code4`` is the IANA 16-bit value in upper-case hex; ``code2`` its low byte, which exists
    only for ``00xx`` suites (the V3CipherSuites string form). ``confirmed`` is True when the
    name is shown accepted by AT-TLS (pasearch output or an IBM note, "P" in §7.2); the other
    rows come from the IANA registry. ``openssl`` is the OpenSSL name, None where OpenSSL 1.1+
    has no such suite (static DH/ECDH, export, single DES, the NULL-NULL placeholder).
    """

    code4: str
    code2: str | None
    name: str
    confirmed: bool
    openssl: str | None

    @property
    def tls13(self) -> bool:
        """True for the TLS 1.3 suites (13xx), which only TLSv1.3 connections use."""
        return self.code4.startswith("13")


def _s(code4: str, name: str, confirmed: bool, openssl: str | None) -> CipherSuite:
    # code2 is derived, not typed in, so the two columns cannot drift apart.
    code2 = code4[2:] if code4.startswith("00") else None
    return CipherSuite(code4, code2, name, confirmed, openssl)


_P, _U = True, False  # §7.2 column "src": P = confirmed for AT-TLS, U = IANA-derived

# OpenSSL names are those of its cipher table (openssl-ciphers(1), "CIPHER SUITE NAMES").
# RC4 and 3DES suites are there only in builds configured with enable-weak-ssl-ciphers, which
# OpenSSL 3 distributions usually are not; the name is still the right one to report.
SUITES: tuple[CipherSuite, ...] = (
    _s("0000", "TLS_NULL_WITH_NULL_NULL", _U, None),
    _s("0001", "TLS_RSA_WITH_NULL_MD5", _U, "NULL-MD5"),
    _s("0002", "TLS_RSA_WITH_NULL_SHA", _U, "NULL-SHA"),
    _s("0003", "TLS_RSA_EXPORT_WITH_RC4_40_MD5", _U, None),
    _s("0004", "TLS_RSA_WITH_RC4_128_MD5", _U, "RC4-MD5"),
    _s("0005", "TLS_RSA_WITH_RC4_128_SHA", _U, "RC4-SHA"),
    _s("0006", "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", _U, None),
    _s("0009", "TLS_RSA_WITH_DES_CBC_SHA", _U, None),
    _s("000A", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", _P, "DES-CBC3-SHA"),
    _s("000C", "TLS_DH_DSS_WITH_DES_CBC_SHA", _U, None),
    _s("000D", "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA", _U, None),
    _s("000F", "TLS_DH_RSA_WITH_DES_CBC_SHA", _U, None),
    _s("0010", "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA", _U, None),
    _s("0012", "TLS_DHE_DSS_WITH_DES_CBC_SHA", _U, None),
    _s("0013", "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", _U, "DHE-DSS-DES-CBC3-SHA"),
    _s("0015", "TLS_DHE_RSA_WITH_DES_CBC_SHA", _U, None),
    _s("0016", "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", _U, "DHE-RSA-DES-CBC3-SHA"),
    _s("002F", "TLS_RSA_WITH_AES_128_CBC_SHA", _P, "AES128-SHA"),
    _s("0030", "TLS_DH_DSS_WITH_AES_128_CBC_SHA", _U, None),
    _s("0031", "TLS_DH_RSA_WITH_AES_128_CBC_SHA", _U, None),
    _s("0032", "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", _U, "DHE-DSS-AES128-SHA"),
    _s("0033", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", _U, "DHE-RSA-AES128-SHA"),
    _s("0035", "TLS_RSA_WITH_AES_256_CBC_SHA", _U, "AES256-SHA"),
    _s("0036", "TLS_DH_DSS_WITH_AES_256_CBC_SHA", _U, None),
    _s("0037", "TLS_DH_RSA_WITH_AES_256_CBC_SHA", _U, None),
    _s("0038", "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", _U, "DHE-DSS-AES256-SHA"),
    _s("0039", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", _U, "DHE-RSA-AES256-SHA"),
    _s("003B", "TLS_RSA_WITH_NULL_SHA256", _U, "NULL-SHA256"),
    _s("003C", "TLS_RSA_WITH_AES_128_CBC_SHA256", _P, "AES128-SHA256"),
    _s("003D", "TLS_RSA_WITH_AES_256_CBC_SHA256", _P, "AES256-SHA256"),
    _s("003E", "TLS_DH_DSS_WITH_AES_128_CBC_SHA256", _U, None),
    _s("003F", "TLS_DH_RSA_WITH_AES_128_CBC_SHA256", _U, None),
    _s("0040", "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", _U, "DHE-DSS-AES128-SHA256"),
    _s("0067", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", _U, "DHE-RSA-AES128-SHA256"),
    _s("0068", "TLS_DH_DSS_WITH_AES_256_CBC_SHA256", _U, None),
    _s("0069", "TLS_DH_RSA_WITH_AES_256_CBC_SHA256", _U, None),
    _s("006A", "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", _U, "DHE-DSS-AES256-SHA256"),
    _s("006B", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", _U, "DHE-RSA-AES256-SHA256"),
    _s("009C", "TLS_RSA_WITH_AES_128_GCM_SHA256", _P, "AES128-GCM-SHA256"),
    _s("009D", "TLS_RSA_WITH_AES_256_GCM_SHA384", _P, "AES256-GCM-SHA384"),
    _s("009E", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", _U, "DHE-RSA-AES128-GCM-SHA256"),
    _s("009F", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", _U, "DHE-RSA-AES256-GCM-SHA384"),
    _s("00A0", "TLS_DH_RSA_WITH_AES_128_GCM_SHA256", _U, None),
    _s("00A1", "TLS_DH_RSA_WITH_AES_256_GCM_SHA384", _U, None),
    _s("00A2", "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", _U, "DHE-DSS-AES128-GCM-SHA256"),
    _s("00A3", "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", _U, "DHE-DSS-AES256-GCM-SHA384"),
    _s("00A4", "TLS_DH_DSS_WITH_AES_128_GCM_SHA256", _U, None),
    _s("00A5", "TLS_DH_DSS_WITH_AES_256_GCM_SHA384", _U, None),
    # TLS 1.3: OpenSSL calls these by their IANA names. §7.2 marks them U (names seen in
    # published policies that load, [EX]), not P.
    _s("1301", "TLS_AES_128_GCM_SHA256", _U, "TLS_AES_128_GCM_SHA256"),
    _s("1302", "TLS_AES_256_GCM_SHA384", _U, "TLS_AES_256_GCM_SHA384"),
    _s("1303", "TLS_CHACHA20_POLY1305_SHA256", _U, "TLS_CHACHA20_POLY1305_SHA256"),
    _s("C001", "TLS_ECDH_ECDSA_WITH_NULL_SHA", _U, None),
    _s("C002", "TLS_ECDH_ECDSA_WITH_RC4_128_SHA", _U, None),
    _s("C003", "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA", _U, None),
    _s("C004", "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", _U, None),
    _s("C005", "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA", _U, None),
    _s("C006", "TLS_ECDHE_ECDSA_WITH_NULL_SHA", _U, "ECDHE-ECDSA-NULL-SHA"),
    _s("C007", "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", _U, "ECDHE-ECDSA-RC4-SHA"),
    _s("C008", "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", _U, "ECDHE-ECDSA-DES-CBC3-SHA"),
    _s("C009", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", _U, "ECDHE-ECDSA-AES128-SHA"),
    _s("C00A", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", _U, "ECDHE-ECDSA-AES256-SHA"),
    _s("C00B", "TLS_ECDH_RSA_WITH_NULL_SHA", _U, None),
    _s("C00C", "TLS_ECDH_RSA_WITH_RC4_128_SHA", _U, None),
    _s("C00D", "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA", _U, None),
    _s("C00E", "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", _U, None),
    _s("C00F", "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA", _U, None),
    _s("C010", "TLS_ECDHE_RSA_WITH_NULL_SHA", _U, "ECDHE-RSA-NULL-SHA"),
    _s("C011", "TLS_ECDHE_RSA_WITH_RC4_128_SHA", _U, "ECDHE-RSA-RC4-SHA"),
    _s("C012", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", _U, "ECDHE-RSA-DES-CBC3-SHA"),
    _s("C013", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", _U, "ECDHE-RSA-AES128-SHA"),
    _s("C014", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", _U, "ECDHE-RSA-AES256-SHA"),
    _s("C023", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", _P, "ECDHE-ECDSA-AES128-SHA256"),
    _s("C024", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", _P, "ECDHE-ECDSA-AES256-SHA384"),
    _s("C025", "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256", _U, None),
    _s("C026", "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384", _U, None),
    _s("C027", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", _P, "ECDHE-RSA-AES128-SHA256"),
    _s("C028", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", _P, "ECDHE-RSA-AES256-SHA384"),
    _s("C029", "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256", _U, None),
    _s("C02A", "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384", _U, None),
    _s("C02B", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", _P, "ECDHE-ECDSA-AES128-GCM-SHA256"),
    _s("C02C", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", _P, "ECDHE-ECDSA-AES256-GCM-SHA384"),
    _s("C02D", "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", _U, None),
    _s("C02E", "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384", _U, None),
    _s("C02F", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", _P, "ECDHE-RSA-AES128-GCM-SHA256"),
    _s("C030", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", _P, "ECDHE-RSA-AES256-GCM-SHA384"),
    _s("C031", "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", _U, None),
    _s("C032", "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", _U, None),
)
"""Every V3 cipher suite of §7.2, in table order."""

# Names are upper case in the table; the keys stay upper case so lookups can fold the input.
SUITES_BY_NAME: Mapping[str, CipherSuite] = MappingProxyType({s.name: s for s in SUITES})
SUITES_BY_CODE4: Mapping[str, CipherSuite] = MappingProxyType({s.code4: s for s in SUITES})
SUITES_BY_OPENSSL: Mapping[str, CipherSuite] = MappingProxyType(
    {s.openssl: s for s in SUITES if s.openssl is not None}
)
SUITES_BY_CODE2: Mapping[str, CipherSuite] = MappingProxyType(
    {s.code2: s for s in SUITES if s.code2 is not None}
)


# --- groups / curves and signature pairs, §2.7 -------------------------------------------
# The codes are the IANA *decimal* group numbers written as four digits. Names are spelled as
# pasearch prints them: the report writes "X25519" and "X448" in upper case although §2.7
# (and the schema) write x25519 / x448 - the report wins.
CURVES: Mapping[str, str] = MappingProxyType(
    {
        "0019": "secp192r1",
        "0021": "secp224r1",
        "0023": "secp256r1",
        "0024": "secp384r1",
        "0025": "secp521r1",
        # Brainpool: §2.7 [UNV]; the report never prints them, so the spelling is the IANA
        # one, not a confirmed pasearch one.
        "0026": "brainpoolP256r1",
        "0027": "brainpoolP384r1",
        "0028": "brainpoolP512r1",
        "0029": "X25519",
        "0030": "X448",
    }
)
"""4-digit group / curve code -> name (ClientECurves, *KeyShareGroups, ServerKexECurves)."""

CURVES_UNCONFIRMED: frozenset[str] = frozenset({"0026", "0027", "0028"})
"""Codes of :data:`CURVES` that no pasearch output confirms (§2.7 [UNV])."""

# Hash byte + signature byte in hex; the names carry the TLS_SIGALG_ prefix pasearch prints
# (the doc writes "SHA256-RSA", the schema "SHA256_WITH_RSA"). Only the pairs the report
# shows are listed: others (0807 Ed25519, 0809-080B PSS-PSS) are [UNV] and so stay unknown,
# which the parser reports as a warning.
SIGNATURE_PAIRS: Mapping[str, str] = MappingProxyType(
    {
        "0201": "TLS_SIGALG_SHA1_WITH_RSA",
        "0202": "TLS_SIGALG_SHA1_WITH_DSA",
        "0203": "TLS_SIGALG_SHA1_WITH_ECDSA",
        "0301": "TLS_SIGALG_SHA224_WITH_RSA",
        "0302": "TLS_SIGALG_SHA224_WITH_DSA",
        "0303": "TLS_SIGALG_SHA224_WITH_ECDSA",
        "0401": "TLS_SIGALG_SHA256_WITH_RSA",
        "0402": "TLS_SIGALG_SHA256_WITH_DSA",
        "0403": "TLS_SIGALG_SHA256_WITH_ECDSA",
        "0501": "TLS_SIGALG_SHA384_WITH_RSA",
        "0503": "TLS_SIGALG_SHA384_WITH_ECDSA",
        "0601": "TLS_SIGALG_SHA512_WITH_RSA",
        "0603": "TLS_SIGALG_SHA512_WITH_ECDSA",
        "0804": "TLS_SIGALG_SHA256_WITH_RSASSA_PSS",
        "0805": "TLS_SIGALG_SHA384_WITH_RSASSA_PSS",
        "0806": "TLS_SIGALG_SHA512_WITH_RSASSA_PSS",
    }
)
"""4-hex signature/hash pair code -> name (SignaturePairs, SignaturePairsCert)."""


# --- defaults, §2.7 and the report ------------------------------------------------------------
# All of these are what the report shows for actions whose policy does not code the parameter.
CLIENT_ECURVES_DEFAULT: tuple[str, ...] = ("0021", "0023", "0024", "0025", "0019")
CLIENT_ECURVES_TLS13_ADDED: tuple[str, ...] = ("0029",)
"""Appended to the ClientECurves default when TLSv1.3 is On (report: DEFAULTTNCA13)."""

# Stays 0023 alone even with TLSv1.3 On (report: DEFAULTTNCA13).
CLIENT_KEY_SHARE_GROUPS_DEFAULT: tuple[str, ...] = ("0023",)
SERVER_KEX_ECURVES_DEFAULT: tuple[str, ...] = ("0023", "0024", "0025", "0021", "0019")
# Doc and report disagree: the 2.5 syntax diagram's default string reads
# 0021002300240025001900290030, the report prints 0023 0024 0025 0029 0030 for every
# environment action. PAGENT's stored value is what matters, so the report wins. No
# environment action of the report has TLSv1.3 On, so a TLSv1.3 variant is not known.
SERVER_KEY_SHARE_GROUPS_DEFAULT: tuple[str, ...] = ("0023", "0024", "0025", "0029", "0030")
SIGNATURE_PAIRS_DEFAULT: tuple[str, ...] = (
    "0601",
    "0603",
    "0501",
    "0503",
    "0401",
    "0403",
    "0402",
    "0301",
    "0303",
    "0302",
    "0201",
    "0203",
    "0202",
)
SIGNATURE_PAIRS_TLS13_ADDED: tuple[str, ...] = ("0806", "0805", "0804")
"""Appended to the SignaturePairs default when TLSv1.3 is On (report: DEFAULTTNCA13)."""

# No default V3 cipher list: actions without TTLSCipherParms print no cipher section at all in
# the report, so it does not show what System SSL's default list is, and none is given here.

_DEFAULTS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = MappingProxyType(
    {
        "clientecurves": (CLIENT_ECURVES_DEFAULT, CLIENT_ECURVES_TLS13_ADDED),
        "clientkeysharegroups": (CLIENT_KEY_SHARE_GROUPS_DEFAULT, ()),
        "serverkexecurves": (SERVER_KEX_ECURVES_DEFAULT, ()),
        "serverkeysharegroups": (SERVER_KEY_SHARE_GROUPS_DEFAULT, ()),
        "signaturepairs": (SIGNATURE_PAIRS_DEFAULT, SIGNATURE_PAIRS_TLS13_ADDED),
    }
)


def default_codes(keyword: str, tls13: bool = False) -> tuple[str, ...] | None:
    """The default list of a TTLSSignatureParms parameter, None when it has none.

    ``keyword`` is matched case-insensitively (keywords are not case-sensitive, §1.4);
    ``tls13`` adds what PAGENT appends when TLSv1.3 is On.
    """
    entry = _DEFAULTS.get(keyword.lower())
    if entry is None:
        return None
    base, added = entry
    return (*base, *added) if tls13 else base


# --- lookups -----------------------------------------------------------------------------------
def lookup_suite(name: str) -> CipherSuite | None:
    """The V3 suite called ``name``, in any case (cipher constants are not case-sensitive)."""
    return SUITES_BY_NAME.get(name.strip().upper())


def suite_name(code4: str) -> str | None:
    """The name of the V3 suite with this 4-character code, None when unknown."""
    suite = SUITES_BY_CODE4.get(code4.upper())
    return suite.name if suite else None


def openssl_name(code4: str) -> str | None:
    """The OpenSSL name of the V3 suite with this 4-character code, None when there is none."""
    suite = SUITES_BY_CODE4.get(code4.upper())
    return suite.openssl if suite else None


def code_of_openssl(name: str) -> str | None:
    """The 4-character code of the V3 suite OpenSSL calls ``name`` (what a handshake
    negotiated), None when the table has no such suite."""
    suite = SUITES_BY_OPENSSL.get(name)
    return suite.code4 if suite else None


def curve_name(code: str) -> str | None:
    """The pasearch name of a 4-digit group / curve code, None when unknown."""
    return CURVES.get(code)


def sigpair_name(code: str) -> str | None:
    """The pasearch name of a 4-hex signature pair code, None when unknown."""
    return SIGNATURE_PAIRS.get(code.upper())


def concat_unique(*lists: Iterable[str]) -> tuple[str, ...]:
    """The lists one after the other, later duplicates dropped.

    This is how repeated V3CipherSuites / V3CipherSuites4Char lines (and the other repeatable
    list parameters) combine: concatenated in order, the first instance kept (§2.6, §1.6).
    """
    seen: set[str] = set()
    out: list[str] = []
    for codes in lists:
        for code in codes:
            if code not in seen:
                seen.add(code)
                out.append(code)
    return tuple(out)


# --- parsers -------------------------------------------------------------------------------------
_HEX = frozenset(string.hexdigits)
_DIGITS = frozenset(string.digits)


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _looks_like_name(text: str) -> bool:
    # Constant names all contain an underscore; "FOO" and "C02G" are just malformed codes.
    return "_" in text


def _dedupe(codes: Sequence[str], problems: list[Problem]) -> tuple[str, ...]:
    """Drop later duplicates, as PAGENT does (§2.6), and say so: a repeat is usually a slip."""
    out = concat_unique(codes)
    problems.extend(
        Problem("warning", f"{code} is coded more than once; the first is used")
        for code in out
        if codes.count(code) > 1
    )
    return out


def parse_v2_suites(value: str) -> CodeList:
    """Parse a V2CipherSuites value: 1-character codes without blanks, or one constant name.

    More than :data:`V2_MAX_CIPHERS` ciphers is an error; they are counted as coded, because
    the documented limit is on the value. A digit that is no known code is a warning.
    """
    text = value.strip()
    if not text:
        return _error("no V2 cipher given")
    by_name = V2_CIPHERS.get(text.upper())
    if by_name is not None:
        return CodeList((by_name,))
    if not set(text) <= _DIGITS:
        if _looks_like_name(text):
            return _error(f"'{text}' is not a V2 cipher constant")
        return _error(f"'{text}' is not a string of 1-character V2 cipher codes (digits)")
    if len(text) > V2_MAX_CIPHERS:
        return _error(f"'{text}' has {len(text)} V2 ciphers; at most {V2_MAX_CIPHERS}")
    problems: list[Problem] = [
        Problem("warning", f"{code} is not a known V2 cipher code")
        for code in dict.fromkeys(text)
        if code not in V2_CIPHERS_BY_CODE
    ]
    codes = _dedupe(text, problems)
    return CodeList(codes, tuple(problems))


NOT_INSTALLED: Mapping[str, str] = MappingProxyType(
    {"1303": "z/OS 3.1"},
)
"""Suites that PAGENT leaves out of the list it installs, by code, with the release seen.

The real z/OS 3.1 report (corpus/extras) shows an action whose cipher parms code
``V3CipherSuites TLS_CHACHA20_POLY1305_SHA256`` among seven other suites with only the seven
installed, and an action whose only suite it is with no cipher section at all [PAS]
(lang §2.6; docs/fidelity.md F-154).
"""


def _not_installed(suite: CipherSuite) -> Problem:
    return Problem(
        "warning",
        f"{suite.name} ({suite.code4}) is not installed by PAGENT on "
        f"{NOT_INSTALLED[suite.code4]} (the real pasearch report leaves it out); "
        "it is left out of the list",
        "W327",
    )


def _name_on_4char(name: str, suite: CipherSuite | None) -> Problem:
    known = f"; code {suite.code4} here, or the name on V3CipherSuites" if suite is not None else ""
    return Problem(
        "warning",
        f"cipher name {name} on V3CipherSuites4Char is ignored by PAGENT (IBM: names make "
        f"the entries ineffective; the real pasearch report leaves them out){known}",
        "W326",
    )


def parse_v3_suites(value: str) -> CodeList:
    """Parse a V3CipherSuites value into 4-character codes.

    The value is exactly one known cipher name (any case; 4-char-only and TLS 1.3 suites
    included, §2.6) or an even-length hex string of 2-character codes. A 2-character code
    that is not in §7.2 is a warning and is kept (support is release-dependent).
    """
    text = value.strip()
    if not text:
        return _error("no V3 cipher given")
    suite = lookup_suite(text)
    if suite is not None:
        if suite.code4 in NOT_INSTALLED:
            return CodeList((), (_not_installed(suite),))
        return CodeList((suite.code4,))
    if not set(text) <= _HEX:
        if _looks_like_name(text):
            return _error(f"'{text}' is not a known cipher suite name")
        return _error(f"'{text}' is neither a cipher suite name nor a hex string")
    if len(text) % 2:
        return _error(f"'{text}' has an odd number of hex digits; codes are 2 characters")
    chunks = [c.upper() for c in _chunks(text, 2)]
    problems: list[Problem] = []
    unknown = [c for c in dict.fromkeys(chunks) if c not in SUITES_BY_CODE2]
    if unknown:
        hint = ""
        four = [c.upper() for c in _chunks(text, 4)] if len(text) % 4 == 0 else []
        if four and all(c in SUITES_BY_CODE4 for c in four):
            # The usual slip: 4-character codes (C02F...) on the 2-character parameter.
            hint = "; the value reads as 4-character codes: code them on V3CipherSuites4Char"
        problems.extend(
            Problem("warning", f"{c} is not a known 2-character cipher code{hint}") for c in unknown
        )
    codes = tuple("00" + c for c in _dedupe(chunks, problems))
    return CodeList(codes, tuple(problems))


def parse_v3_suites_4char(value: str) -> CodeList:
    """Parse a V3CipherSuites4Char value: 4-character hex codes without blanks.

    A cipher name here is ignored with a warning (W326): IBM's support note says names on
    this parameter make the entries ineffective, and the real report shows them left out
    while the policy is installed (§2.6 [PAS]). An unknown code is a warning and is kept.
    """
    text = value.strip()
    if not text:
        return _error("no V3 cipher given")
    suite = lookup_suite(text)
    if suite is not None or _looks_like_name(text):
        return CodeList((), (_name_on_4char(text, suite),))
    if not set(text) <= _HEX:
        return _error(f"'{text}' is not a hex string of 4-character cipher codes")
    if len(text) % 4:
        return _error(f"'{text}' is {len(text)} hex digits, not a multiple of 4")
    chunks = [c.upper() for c in _chunks(text, 4)]
    problems: list[Problem] = [
        Problem("warning", f"{c} is not a known 4-character cipher code")
        for c in dict.fromkeys(chunks)
        if c not in SUITES_BY_CODE4
    ]
    problems.extend(
        _not_installed(SUITES_BY_CODE4[c]) for c in dict.fromkeys(chunks) if c in NOT_INSTALLED
    )
    codes = _dedupe([c for c in chunks if c not in NOT_INSTALLED], problems)
    return CodeList(codes, tuple(problems))


def parse_hex4_list(value: str, kind: Literal["curve", "sigpair"]) -> CodeList:
    """Parse a string of 4-character codes without blanks.

    ``curve`` codes (ClientECurves, ClientKeyShareGroups, ServerKexECurves,
    ServerKeyShareGroups) are 4 decimal digits; ``sigpair`` codes (SignaturePairs,
    SignaturePairsCert) are 4 hex digits. Unknown codes are warnings and kept; a malformed
    value is an error.
    """
    what = "group/curve" if kind == "curve" else "signature pair"
    table = CURVES if kind == "curve" else SIGNATURE_PAIRS
    alphabet = _DIGITS if kind == "curve" else _HEX
    text = value.strip()
    if not text:
        return _error(f"no {what} code given")
    if text.lower() == "any":
        return _error("'Any' is accepted only by ClientECurves")
    if not set(text) <= alphabet:
        digits = "decimal digits" if kind == "curve" else "hex digits"
        return _error(f"'{text}' is not a string of 4-character {what} codes ({digits})")
    if len(text) % 4:
        return _error(f"'{text}' is {len(text)} digits, not a multiple of 4")
    chunks = [c.upper() for c in _chunks(text, 4)]
    problems: list[Problem] = [
        Problem("warning", f"{c} is not a known {what} code")
        for c in dict.fromkeys(chunks)
        if c not in table
    ]
    codes = _dedupe(chunks, problems)
    return CodeList(codes, tuple(problems))


def parse_client_ecurves(value: str) -> CodeList:
    """Parse a ClientECurves value: ``Any`` (any case) or a string of 4-digit curve codes.

    ``Any`` is returned as the single code ``'Any'``; that it must not be combined with
    explicit curves (§2.7, schema S1) is for the caller, which sees the concatenated lines.
    """
    text = value.strip()
    if text.lower() == "any":
        return CodeList(("Any",))
    return parse_hex4_list(text, "curve")
