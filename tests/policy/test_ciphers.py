"""Cipher, curve and signature-pair tables and the value parsers of TTLSCipherParms and
TTLSSignatureParms (pagent.policy.ciphers), checked against the reference and a real report."""

from __future__ import annotations

import dataclasses
import json
import re
import ssl
from importlib import resources
from pathlib import Path

import pytest

from pagent.policy import ciphers
from pagent.policy.ciphers import (
    CLIENT_ECURVES_DEFAULT,
    CLIENT_ECURVES_TLS13_ADDED,
    CLIENT_KEY_SHARE_GROUPS_DEFAULT,
    CURVES,
    SERVER_KEX_ECURVES_DEFAULT,
    SERVER_KEY_SHARE_GROUPS_DEFAULT,
    SIGNATURE_PAIRS,
    SIGNATURE_PAIRS_DEFAULT,
    SIGNATURE_PAIRS_TLS13_ADDED,
    SUITES,
    SUITES_BY_CODE2,
    SUITES_BY_CODE4,
    SUITES_BY_NAME,
    V2_CIPHERS,
    CipherSuite,
    CodeList,
    Problem,
    concat_unique,
    curve_name,
    default_codes,
    lookup_suite,
    openssl_name,
    parse_client_ecurves,
    parse_hex4_list,
    parse_v2_suites,
    parse_v3_suites,
    parse_v3_suites_4char,
    sigpair_name,
    suite_name,
)

REPORT_NAME = "colinpaicemq-EasyATTLS-pasearch-t.report"
_CODE_LINE = re.compile(r"^\s+([0-9A-F]{4})\s{2}(\S+)\s*$")
_LIST_HEAD = re.compile(r"^\s+(\w+):\s*$")
_ANY_LINE = re.compile(r"^\s+(ClientECurves):\s+Any\s*$")
_TLS13 = re.compile(r"^\s+TLSv1\.3:\s+(On|Off)\b")


def kinds(result: CodeList) -> list[str]:
    return [p.kind for p in result.problems]


def no_problems(result: CodeList) -> bool:
    return result.problems == ()


# --- the real pasearch report ----------------------------------------------------------------
@dataclasses.dataclass
class ReportAction:
    """One 'TTLS Action:' block of the report: its TLSv1.3 switch and its code lists."""

    name: str
    tls13: str | None = None
    lists: dict[str, list[tuple[str, str]]] = dataclasses.field(default_factory=dict)


def read_report(path: Path) -> list[ReportAction]:
    actions: list[ReportAction] = []
    current: list[tuple[str, str]] | None = None
    for line in path.read_text("utf-8").splitlines():
        if line.lstrip().startswith("TTLS Action:"):
            actions.append(ReportAction(line.split(":", 1)[1].strip()))
            current = None
            continue
        if not actions:
            continue
        action = actions[-1]
        if m := _TLS13.match(line):
            action.tls13 = m.group(1)
        if m := _ANY_LINE.match(line):
            action.lists[m.group(1)] = [("Any", "Any")]
            current = None
        elif m := _LIST_HEAD.match(line):
            current = action.lists.setdefault(m.group(1), [])
        elif (m := _CODE_LINE.match(line)) and current is not None:
            current.append((m.group(1), m.group(2)))
        else:
            current = None
    return actions


@pytest.fixture(name="report_path")
def fixture_report_path(corpus: Path) -> Path:
    """The real z/OS 3.1 pasearch -t report of the corpus."""
    return corpus / "extras" / REPORT_NAME


@pytest.fixture(name="report")
def fixture_report(report_path: Path) -> list[ReportAction]:
    """The report's TTLS actions."""
    return read_report(report_path)


def report_pairs(report: list[ReportAction], *params: str) -> set[tuple[str, str]]:
    return {pair for a in report for p in params for pair in a.lists.get(p, [])}


def report_lists(report: list[ReportAction], param: str) -> list[tuple[ReportAction, list[str]]]:
    return [(a, [c for c, _ in a.lists[param]]) for a in report if param in a.lists]


def test_report_reader_finds_the_lists(report):
    """The report reader sees the cipher, curve and signature lists (guards the tests below)."""
    assert len(report_pairs(report, "v3CipherSuites")) == 8
    assert len(report_lists(report, "ServerKeyShareGroups")) == 12
    assert len(report_lists(report, "SignaturePairs")) == 18


# --- V3 suite table --------------------------------------------------------------------------
@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_code2_is_low_byte_of_00xx_suites(suite):
    """code2 is code4[2:] for 00xx suites and absent for all others (§7.2)."""
    expected = suite.code4[2:] if suite.code4.startswith("00") else None
    assert suite.code2 == expected


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_suite_codes_are_upper_case_hex(suite):
    """code4 is 4 upper-case hex digits."""
    assert re.fullmatch(r"[0-9A-F]{4}", suite.code4)


def test_suite_names_are_unique():
    """No two suites share a name."""
    assert len({s.name for s in SUITES}) == len(SUITES)


def test_suite_codes_are_unique():
    """No two suites share a 4-character code."""
    assert len({s.code4 for s in SUITES}) == len(SUITES)


def test_openssl_names_are_unique():
    """No two suites share an OpenSSL name."""
    names = [s.openssl for s in SUITES if s.openssl is not None]
    assert len(set(names)) == len(names)


def test_lookup_dicts_cover_the_table():
    """The name, code4 and code2 dictionaries index every suite (code2 only for 00xx)."""
    assert set(SUITES_BY_NAME.values()) == set(SUITES)
    assert set(SUITES_BY_CODE4.values()) == set(SUITES)
    assert set(SUITES_BY_CODE2.values()) == {s for s in SUITES if s.code2 is not None}


def test_suite_table_matches_the_schema():
    """Names, codes and confirmed flags equal the schema's _cipher_suites (src P = confirmed)."""
    text = resources.files("pagent.policy").joinpath("data/ttls-schema.json").read_text("utf-8")
    schema = json.loads(text)["_cipher_suites"]
    expected = [
        (s["code4"], s["code2"], s["name"], s["src"] == "P")
        for s in schema["V3CipherSuites"]["suites"]
    ]
    assert [(s.code4, s.code2, s.name, s.confirmed) for s in SUITES] == expected


def test_v2_constants_match_the_schema():
    """The V2 constants and codes equal the schema's (§7.1)."""
    text = resources.files("pagent.policy").joinpath("data/ttls-schema.json").read_text("utf-8")
    assert dict(V2_CIPHERS) == json.loads(text)["_cipher_suites"]["V2CipherSuites"]["constants"]


def test_report_suites_are_known_with_the_same_code(report):
    """Every suite the report prints is in the table under the code pasearch shows."""
    pairs = report_pairs(report, "v3CipherSuites")
    assert {(code, suite_name(code)) for code, _ in pairs} == pairs


def test_report_suites_are_confirmed(report):
    """Every suite the report prints is marked confirmed."""
    for code, _ in report_pairs(report, "v3CipherSuites"):
        assert SUITES_BY_CODE4[code].confirmed, code


def test_tls13_property_marks_13xx_suites():
    """The TLS 1.3 suites are exactly the 13xx ones."""
    assert {s.name for s in SUITES if s.tls13} == {
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
    }


def _local_openssl() -> dict[str, str]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    return {f"{c['id'] & 0xFFFF:04X}": c["name"] for c in ctx.get_ciphers()}


def test_openssl_names_agree_with_local_openssl():
    """Where the local OpenSSL has a suite of the table, its name is the table's."""
    local = _local_openssl()
    mismatched = {
        s.code4: (s.openssl, local[s.code4])
        for s in SUITES
        if local.get(s.code4, s.openssl) != s.openssl
    }
    assert mismatched == {}


def test_suites_without_openssl_name_are_absent_from_local_openssl():
    """A suite marked as having no OpenSSL name is not implemented by the local OpenSSL."""
    local = _local_openssl()
    assert [s.code4 for s in SUITES if s.openssl is None and s.code4 in local] == []


def test_tables_are_immutable():
    """The tables cannot be changed by a caller."""
    with pytest.raises(TypeError):
        SUITES_BY_NAME["X"] = SUITES[0]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        SUITES[0].name = "X"  # type: ignore[misc]


# --- curves and signature pairs ------------------------------------------------------------
def test_report_curves_have_pasearch_names(report):
    """Every group/curve code in the report is named exactly as pasearch prints it."""
    params = ("ClientECurves", "ClientKeyShareGroups", "ServerKeyShareGroups", "ServerKexECurves")
    pairs = report_pairs(report, *params) - {("Any", "Any")}
    assert {(code, curve_name(code)) for code, _ in pairs} == pairs


def test_report_signature_pairs_have_pasearch_names(report):
    """Every signature pair code in the report is named exactly as pasearch prints it."""
    pairs = report_pairs(report, "SignaturePairs", "OcspRequestSigalg")
    assert {(code, sigpair_name(code)) for code, _ in pairs} == pairs


@pytest.mark.parametrize("code", sorted(CURVES), ids=str)
def test_curve_codes_are_four_decimal_digits(code):
    """Curve codes are IANA decimal group numbers written as 4 digits."""
    assert re.fullmatch(r"\d{4}", code)


@pytest.mark.parametrize("code", sorted(SIGNATURE_PAIRS), ids=str)
def test_sigpair_codes_are_four_upper_case_hex_digits(code):
    """Signature pair codes are hash byte + signature byte in upper-case hex."""
    assert re.fullmatch(r"[0-9A-F]{4}", code)


def test_brainpool_curves_are_the_unconfirmed_ones():
    """Only the brainpool codes are marked unconfirmed (§2.7 [UNV])."""
    assert {CURVES[c] for c in ciphers.CURVES_UNCONFIRMED} == {
        "brainpoolP256r1",
        "brainpoolP384r1",
        "brainpoolP512r1",
    }


# --- defaults ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("param", "default", "tls13_added"),
    [
        pytest.param(
            "ClientECurves", CLIENT_ECURVES_DEFAULT, CLIENT_ECURVES_TLS13_ADDED, id="ClientECurves"
        ),
        pytest.param(
            "ClientKeyShareGroups", CLIENT_KEY_SHARE_GROUPS_DEFAULT, (), id="ClientKeyShareGroups"
        ),
        pytest.param("ServerKexECurves", SERVER_KEX_ECURVES_DEFAULT, (), id="ServerKexECurves"),
        pytest.param(
            "ServerKeyShareGroups", SERVER_KEY_SHARE_GROUPS_DEFAULT, (), id="ServerKeyShareGroups"
        ),
        pytest.param(
            "SignaturePairs",
            SIGNATURE_PAIRS_DEFAULT,
            SIGNATURE_PAIRS_TLS13_ADDED,
            id="SignaturePairs",
        ),
    ],
)
def test_defaults_are_what_the_report_shows(report, param, default, tls13_added):
    """No action of the report codes these lists, so every list printed is the default
    (with the TLSv1.3 additions where the action has TLSv1.3 On)."""
    for action, codes in report_lists(report, param):
        if codes == ["Any"]:
            continue  # ClientECurves Any is coded
        expected = (*default, *tls13_added) if action.tls13 == "On" else default
        assert tuple(codes) == expected, action.name


def test_report_shows_a_tls13_default(report_path):
    """The TLSv1.3 additions are observed, not assumed: DEFAULTTNCA13 has TLSv1.3 On."""
    text = report_path.read_text("utf-8")
    block = text.split("TTLS Action:                  DEFAULTTNCA13")[1].split("TTLS Action:")[0]
    assert "TLSv1.3:                   On" in block
    assert "0029  X25519" in block
    assert "0804  TLS_SIGALG_SHA256_WITH_RSASSA_PSS" in block


@pytest.mark.parametrize(
    ("param", "schema_key"),
    [
        pytest.param("ClientECurves", "ClientECurves", id="ClientECurves"),
        pytest.param("ClientKeyShareGroups", "ClientKeyShareGroups", id="ClientKeyShareGroups"),
        pytest.param("ServerKexECurves", "ServerKexECurves", id="ServerKexECurves"),
        pytest.param("ServerKeyShareGroups", "ServerKeyShareGroups", id="ServerKeyShareGroups"),
        pytest.param("SignaturePairs", "SignaturePairs", id="SignaturePairs"),
    ],
)
def test_defaults_match_the_schema(param, schema_key):
    """The defaults equal the schema's TTLSSignatureParms defaults."""
    text = resources.files("pagent.policy").joinpath("data/ttls-schema.json").read_text("utf-8")
    schema = json.loads(text)["TTLSSignatureParms"]["params"]
    assert list(default_codes(param) or ()) == schema[schema_key]["default"]


@pytest.mark.parametrize(
    ("keyword", "tls13", "expected"),
    [
        pytest.param("clientecurves", True, (*CLIENT_ECURVES_DEFAULT, "0029"), id="any-case"),
        pytest.param("SignaturePairs", False, SIGNATURE_PAIRS_DEFAULT, id="tls13-off"),
        pytest.param("ClientKeyShareGroups", True, ("0023",), id="no-tls13-addition"),
        pytest.param("SignaturePairsCert", False, None, id="no-default"),
    ],
)
def test_default_codes(keyword, tls13, expected):
    """default_codes gives a parameter's default list, TLSv1.3 additions on request."""
    assert default_codes(keyword, tls13=tls13) == expected


# --- parse_v2_suites -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "codes"),
    [
        pytest.param("13", ("1", "3"), id="codes"),
        pytest.param("  7621  ", ("7", "6", "2", "1"), id="blanks-around"),
        pytest.param("TLS_RC4_128_WITH_MD5", ("1",), id="constant"),
        pytest.param("tls_des_192_ede3_cbc_with_md5", ("7",), id="constant-lower-case"),
        pytest.param("1234671234", ("1", "2", "3", "4", "6", "7"), id="ten-ciphers"),
    ],
)
def test_v2_good_values(value, codes):
    """Good V2CipherSuites values give their codes in order."""
    assert parse_v2_suites(value).codes == codes


def test_v2_good_value_without_duplicates_has_no_problems():
    """A plain string of known codes is clean."""
    assert no_problems(parse_v2_suites("1367"))


def test_v2_duplicates_are_dropped_with_a_warning():
    """A repeated code keeps its first place and is reported."""
    result = parse_v2_suites("13171")
    assert result.codes == ("1", "3", "7")
    assert kinds(result) == ["warning"]


def test_v2_unknown_digit_is_a_warning_and_kept():
    """A digit with no known V2 cipher is kept with a warning."""
    result = parse_v2_suites("15")
    assert result.codes == ("1", "5")
    assert kinds(result) == ["warning"]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("12345671234", id="eleven-ciphers"),
        pytest.param("TLS_RC4_WITH_NOTHING", id="unknown-constant"),
        pytest.param("1A", id="letter"),
        pytest.param("1 3", id="inner-blank"),
        pytest.param("", id="empty"),
        pytest.param("TLS_RSA_WITH_AES_128_CBC_SHA", id="v3-name"),
    ],
)
def test_v2_bad_values_are_errors(value):
    """Bad V2CipherSuites values give no codes and one error."""
    result = parse_v2_suites(value)
    assert (result.codes, kinds(result)) == ((), ["error"])


# --- parse_v3_suites -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "codes"),
    [
        pytest.param("TLS_RSA_WITH_AES_256_CBC_SHA256", ("003D",), id="2char-suite-name"),
        pytest.param(
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", ("C02C",), id="4char-only-suite-name"
        ),
        pytest.param("TLS_AES_256_GCM_SHA384", ("1302",), id="tls13-suite-name"),
        pytest.param("tls_aes_128_gcm_sha256", ("1301",), id="name-lower-case"),
        pytest.param("353C2F", ("0035", "003C", "002F"), id="hex-codes"),
        pytest.param("0a9c", ("000A", "009C"), id="hex-lower-case"),
    ],
)
def test_v3_good_values(value, codes):
    """Good V3CipherSuites values give 4-character codes, without problems."""
    result = parse_v3_suites(value)
    assert (result.codes, result.problems) == (codes, ())


def test_v3_unknown_2char_code_is_a_warning_and_kept():
    """An unknown 2-character code is kept (as 00xx) with a warning."""
    result = parse_v3_suites("2F0B")
    assert result.codes == ("002F", "000B")
    assert kinds(result) == ["warning"]


def test_v3_4char_codes_on_2char_parameter_get_a_hint():
    """4-character codes coded on V3CipherSuites are pointed to V3CipherSuites4Char."""
    result = parse_v3_suites("C02F")
    assert result.codes == ("00C0", "002F")
    assert "V3CipherSuites4Char" in result.problems[0].message


def test_v3_duplicates_are_dropped_with_a_warning():
    """A repeated 2-character code keeps its first place and is reported."""
    result = parse_v3_suites("2F3C2F")
    assert result.codes == ("002F", "003C")
    assert kinds(result) == ["warning"]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("TLS_RSA_WITH_AES_512_CBC_SHA", id="unknown-name"),
        pytest.param("2F3", id="odd-length"),
        pytest.param("2G", id="non-hex"),
        pytest.param("2F 3C", id="inner-blank"),
        pytest.param("", id="empty"),
    ],
)
def test_v3_bad_values_are_errors(value):
    """Bad V3CipherSuites values give no codes and one error."""
    result = parse_v3_suites(value)
    assert (result.codes, kinds(result)) == ((), ["error"])


# --- parse_v3_suites_4char -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "codes"),
    [
        pytest.param("C02F", ("C02F",), id="one"),
        pytest.param("C02Fc030003D1301", ("C02F", "C030", "003D", "1301"), id="several-any-case"),
    ],
)
def test_v3_4char_good_values(value, codes):
    """Good V3CipherSuites4Char values give upper-case 4-character codes, without problems."""
    result = parse_v3_suites_4char(value)
    assert (result.codes, result.problems) == (codes, ())


def test_v3_4char_unknown_code_is_a_warning_and_kept():
    """An unknown 4-character code is kept with a warning."""
    result = parse_v3_suites_4char("C02FCCA8")
    assert result.codes == ("C02F", "CCA8")
    assert kinds(result) == ["warning"]


def test_v3_4char_duplicates_are_dropped_with_a_warning():
    """A repeated 4-character code keeps its first place and is reported."""
    result = parse_v3_suites_4char("C02FC030C02F")
    assert result.codes == ("C02F", "C030")
    assert kinds(result) == ["warning"]


def test_v3_4char_cipher_name_is_ignored_with_a_warning_naming_the_code():
    """A cipher name on V3CipherSuites4Char is ignored (W326, [PAS]) and names the code."""
    result = parse_v3_suites_4char("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    assert (result.codes, kinds(result)) == ((), ["warning"])
    assert result.problems[0].code == "W326"
    assert "C02F" in result.problems[0].message


def test_v3_4char_unknown_name_is_ignored_too():
    """An unknown name there is as ineffective as a known one: W326, no code."""
    result = parse_v3_suites_4char("TLS_NO_SUCH_SUITE")
    assert (result.codes, [p.code for p in result.problems]) == ((), ["W326"])


@pytest.mark.parametrize(
    ("parse", "value"),
    [
        pytest.param(parse_v3_suites, "TLS_CHACHA20_POLY1305_SHA256", id="name"),
        pytest.param(parse_v3_suites_4char, "1303", id="4char-code"),
    ],
)
def test_chacha20_is_left_out_with_a_warning(parse, value):
    """1303 is not installed on z/OS 3.1 (the real report leaves it out): W327, no code."""
    result = parse(value)
    assert (result.codes, [p.code for p in result.problems]) == ((), ["W327"])


def test_chacha20_among_4char_codes_leaves_the_others():
    """Only 1303 is left out of a 4-character list."""
    result = parse_v3_suites_4char("C02F1303C030")
    assert result.codes == ("C02F", "C030")
    assert [p.code for p in result.problems] == ["W327"]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("C02FC0", id="not-multiple-of-4"),
        pytest.param("C02X", id="non-hex"),
        pytest.param("", id="empty"),
    ],
)
def test_v3_4char_bad_values_are_errors(value):
    """Bad V3CipherSuites4Char values give no codes and one error."""
    result = parse_v3_suites_4char(value)
    assert (result.codes, kinds(result)) == ((), ["error"])


# --- parse_hex4_list / parse_client_ecurves -----------------------------------------------
@pytest.mark.parametrize(
    ("value", "kind", "codes"),
    [
        pytest.param("00230024", "curve", ("0023", "0024"), id="curves"),
        pytest.param("00290030", "curve", ("0029", "0030"), id="x25519-x448"),
        pytest.param("0026", "curve", ("0026",), id="brainpool"),
        pytest.param("04010806", "sigpair", ("0401", "0806"), id="sigpairs"),
        pytest.param("0601", "sigpair", ("0601",), id="one-sigpair"),
    ],
)
def test_hex4_good_values(value, kind, codes):
    """Good 4-character lists give their codes in order, without problems."""
    result = parse_hex4_list(value, kind)
    assert (result.codes, result.problems) == (codes, ())


@pytest.mark.parametrize(
    ("value", "kind", "codes"),
    [
        pytest.param("00230022", "curve", ("0023", "0022"), id="unknown-curve"),
        pytest.param("0401080a", "sigpair", ("0401", "080A"), id="unknown-sigpair-upper-cased"),
        pytest.param("00230023", "curve", ("0023",), id="duplicate-curve"),
    ],
)
def test_hex4_unknown_or_repeated_code_is_a_warning(value, kind, codes):
    """Unknown codes are kept and repeats dropped, each with one warning."""
    result = parse_hex4_list(value, kind)
    assert (result.codes, kinds(result)) == (codes, ["warning"])


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        pytest.param("002", "curve", id="curve-short"),
        pytest.param("001D", "curve", id="curve-hex-digit"),
        pytest.param("0023 0024", "curve", id="curve-inner-blank"),
        pytest.param("Any", "curve", id="any-outside-ClientECurves"),
        pytest.param("04010", "sigpair", id="sigpair-not-multiple-of-4"),
        pytest.param("04G1", "sigpair", id="sigpair-non-hex"),
        pytest.param("", "sigpair", id="empty"),
    ],
)
def test_hex4_malformed_values_are_errors(value, kind):
    """Malformed 4-character lists give no codes and one error."""
    result = parse_hex4_list(value, kind)
    assert (result.codes, kinds(result)) == ((), ["error"])


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        pytest.param("Any", ("Any",), id="Any"),
        pytest.param("ANY", ("Any",), id="ANY"),
        pytest.param("any", ("Any",), id="any"),
        pytest.param("00230024", ("0023", "0024"), id="curves"),
    ],
)
def test_client_ecurves_good_values(value, codes):
    """ClientECurves takes Any in any case (canonical 'Any') or a curve list."""
    result = parse_client_ecurves(value)
    assert (result.codes, result.problems) == (codes, ())


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("All", id="All"),
        pytest.param("0023Any", id="any-glued-to-curve"),
        pytest.param("", id="empty"),
    ],
)
def test_client_ecurves_bad_values_are_errors(value):
    """ClientECurves values other than Any or a curve list are errors."""
    result = parse_client_ecurves(value)
    assert (result.codes, kinds(result)) == ((), ["error"])


# --- concat_unique and the name helpers --------------------------------------------------------
@pytest.mark.parametrize(
    ("lists", "expected"),
    [
        pytest.param((("C02F", "C030"), ("003D",)), ("C02F", "C030", "003D"), id="concatenates"),
        pytest.param((("C02F",), ("C030", "C02F")), ("C02F", "C030"), id="first-wins"),
        pytest.param((("1", "3", "1"),), ("1", "3"), id="within-one-list"),
        pytest.param((), (), id="nothing"),
        pytest.param(((), ("0023",)), ("0023",), id="empty-first"),
    ],
)
def test_concat_unique(lists, expected):
    """Lists are joined in order and later duplicates dropped (§2.6)."""
    assert concat_unique(*lists) == expected


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        pytest.param(
            lambda: suite_name("c02f"), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", id="suite"
        ),
        pytest.param(lambda: suite_name("FFFF"), None, id="suite-unknown"),
        pytest.param(lambda: openssl_name("C02F"), "ECDHE-RSA-AES128-GCM-SHA256", id="openssl"),
        pytest.param(lambda: openssl_name("1302"), "TLS_AES_256_GCM_SHA384", id="openssl-tls13"),
        pytest.param(lambda: openssl_name("000C"), None, id="openssl-none"),
        pytest.param(lambda: openssl_name("FFFF"), None, id="openssl-unknown"),
        pytest.param(lambda: curve_name("0021"), "secp224r1", id="curve"),
        pytest.param(lambda: curve_name("0029"), "X25519", id="curve-pasearch-case"),
        pytest.param(lambda: curve_name("0022"), None, id="curve-unknown"),
        pytest.param(lambda: sigpair_name("0401"), "TLS_SIGALG_SHA256_WITH_RSA", id="sigpair"),
        pytest.param(lambda: sigpair_name("0807"), None, id="sigpair-unconfirmed"),
    ],
)
def test_name_helpers(call, expected):
    """The helpers give the pasearch / OpenSSL name of a code, None when there is none."""
    assert call() == expected


@pytest.mark.parametrize(
    ("name", "code4"),
    [
        pytest.param("TLS_RSA_WITH_AES_128_CBC_SHA", "002F", id="exact"),
        pytest.param(" tls_ecdhe_rsa_with_aes_256_gcm_sha384 ", "C030", id="any-case-blanks"),
    ],
)
def test_lookup_suite_ignores_case(name, code4):
    """lookup_suite finds a suite by name in any case."""
    suite = lookup_suite(name)
    assert isinstance(suite, CipherSuite)
    assert suite.code4 == code4


def test_lookup_suite_unknown_name_is_none():
    """lookup_suite returns None for an unknown name."""
    assert lookup_suite("TLS_NOPE") is None


def test_code_list_has_errors():
    """CodeList.has_errors is True only when some problem is an error."""
    assert CodeList((), (Problem("error", "x"),)).has_errors
    assert not CodeList(("1",), (Problem("warning", "x"),)).has_errors


def test_code_of_openssl_names_the_suite_a_handshake_negotiated() -> None:
    assert ciphers.code_of_openssl("ECDHE-ECDSA-AES256-GCM-SHA384") == "C02C"
    assert ciphers.code_of_openssl("TLS_AES_256_GCM_SHA384") == "1302"
    assert ciphers.code_of_openssl("NO-SUCH-SUITE") is None
