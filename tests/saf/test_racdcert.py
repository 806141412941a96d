"""RACDCERT, PERMIT, SETROPTS and CONNECT: the workshop's jobs and the commands one by one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pagent.policy.chain import dataset_path
from pagent.saf.racdcert import execute, join_continuations
from pagent.saf.store import SafStore

from .conftest import CNTL, NOW, Clock, run_member

USER1_RING = [
    "Digital ring information for user USER1:",
    "",
    "  Ring:",
    "       >Liberty.KeyRing<",
    "  Certificate Label Name             Cert Owner     USAGE      DEFAULT",
    "  --------------------------------   ------------   --------   -------",
    "  Liberty CA                         CERTAUTH       CERTAUTH     NO",
    "  USER1                              ID(USER1)      PERSONAL     YES",
    "",
]


def ok(store: SafStore, command: str) -> list[str]:
    result = execute(store, command)
    assert result.ok, result.lines
    return list(result.lines)


def x509_of(store: SafStore, owner: str, label: str) -> x509.Certificate:
    cert = store.certificate(owner, label)
    assert cert is not None
    return store.x509_of(cert)


# --- join_continuations ---------------------------------------------------------------------


def test_plus_continues_a_command_on_the_next_line():
    text = "RACDCERT ID(USER1) CONNECT(LABEL('USER1') +\nRING(Liberty.KeyRing) DEFAULT)\n"

    assert join_continuations(text) == [
        "RACDCERT ID(USER1) CONNECT(LABEL('USER1') RING(Liberty.KeyRing) DEFAULT)"
    ]


def test_leading_blanks_of_a_continuation_shrink_to_one():
    assert join_continuations("a(b) -\n        c(d)") == ["a(b)  c(d)"]


def test_comments_and_blank_lines_are_dropped():
    text = "/* one */\n\n  /* two\n  lines */\nSETR RACLIST(X) REFRESH /* tail */\n   \n"

    assert join_continuations(text) == ["SETR RACLIST(X) REFRESH"]


# --- the workshop's members -----------------------------------------------------------------


@pytest.mark.parametrize("member", ["ZCEETLSS", "MVSTLS", "ZCEETLSC"])
def test_every_member_is_in_the_data_set(member: str):
    assert (CNTL / member).is_file()
    assert dataset_path(f"USER1.ZCEE30.CNTL({member})", CNTL.parents[2]) == CNTL / member


def test_the_members_run_in_order_give_user1_s_ring_of_the_workshop(store: SafStore):
    assert ok(store, "RACDCERT ID(USER1) LISTRING(Liberty.KeyRing)") == USER1_RING


def test_zceetlsc_lists_its_new_ring_with_the_client_certificate_as_default(
    tmp_path: Path, clock: Clock
):
    store = SafStore(tmp_path, clock)
    run_member(store, "ZCEETLSS")
    results = run_member(store, "ZCEETLSC")
    listring = next(r for r in results if "listring" in r[0])

    assert all(r[1] for r in results)
    assert "  zCEE Client Cert                   ID(LIBSERV)    PERSONAL     YES" in listring[2]
    assert "  zCEE CA                            CERTAUTH       CERTAUTH     NO" in listring[2]


def test_zceetlsc_creates_its_certificate_although_it_expired_in_2022(store: SafStore):
    cx = x509_of(store, "LIBSERV", "zCEE Client Cert")

    assert cx.not_valid_after_utc == datetime(2022, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert cx.not_valid_before_utc < cx.not_valid_after_utc


def test_zceetlsc_connects_libserv_to_its_groups(store: SafStore):
    assert store.groups("LIBSERV") == ("ZCEEUSRS", "GMINVOKE")


def test_mvstls_permits_user1_read_to_both_profiles(store: SafStore):
    assert store.access("IRR.DIGTCERT.LISTRING", "USER1") == "READ"
    assert store.access("IRR.DIGTCERT.LIST", "USER1") == "READ"


# --- GENCERT --------------------------------------------------------------------------------


def test_certauth_certificates_are_ca_certificates(store: SafStore):
    cx = x509_of(store, "CERTAUTH", "Liberty CA")
    constraints = cx.extensions.get_extension_for_class(x509.BasicConstraints).value

    assert constraints.ca
    assert cx.issuer == cx.subject


def test_a_certificate_signed_by_a_ca_chains_to_it(store: SafStore):
    ca = x509_of(store, "CERTAUTH", "Liberty CA")
    user = x509_of(store, "USER1", "USER1")
    aki = user.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value

    assert user.issuer == ca.subject
    assert aki.key_identifier == ski.digest
    user.verify_directly_issued_by(ca)


def test_the_subject_is_built_from_subjectsdn(store: SafStore):
    cx = x509_of(store, "USER1", "USER1")

    assert cx.subject.rfc4514_string() == "CN=USER1,OU=ATS,O=IBM"


def test_gencert_without_dates_is_valid_one_year_from_now(empty_store: SafStore):
    ok(empty_store, "RACDCERT ID(USER2) GENCERT SUBJECTSDN(CN('U2')) WITHLABEL('U2')")
    cx = x509_of(empty_store, "USER2", "U2")

    assert cx.not_valid_before_utc == NOW
    assert cx.not_valid_after_utc == NOW.replace(year=NOW.year + 1)
    assert cx.issuer == cx.subject


def test_gencert_owner_defaults_to_the_issuer(empty_store: SafStore):
    execute(empty_store, "RACDCERT GENCERT WITHLABEL('Mine')", issuer="user9")

    assert empty_store.certificate("USER9", "Mine") is not None


def test_gencert_makes_p256_keys_by_default_and_rsa_2048_when_asked(empty_store: SafStore):
    ok(empty_store, "RACDCERT ID(A) GENCERT WITHLABEL('ec')")
    ok(empty_store, "RACDCERT ID(A) GENCERT WITHLABEL('rsa') RSA")

    ec_key = x509_of(empty_store, "A", "ec").public_key()
    rsa_key = x509_of(empty_store, "A", "rsa").public_key()
    assert isinstance(ec_key, ec.EllipticCurvePublicKey)
    assert ec_key.curve.name == "secp256r1"
    assert isinstance(rsa_key, rsa.RSAPublicKey)
    assert rsa_key.key_size == 2048


def test_gencert_altname_domain_becomes_a_dns_name(store: SafStore):
    cx = x509_of(store, "LIBSERV", "Liberty Server Cert")
    san = cx.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    assert san.get_values_for_type(x509.DNSName) == ["wg31.washington.ibm.com"]


def test_gencert_says_the_profile_needs_a_refresh(empty_store: SafStore):
    lines = ok(empty_store, "RACDCERT CERTAUTH GENCERT WITHLABEL('X')")

    assert lines[0].startswith("IRRD175I ")


# --- rings ----------------------------------------------------------------------------------


def test_connect_default_moves_the_default_flag(store: SafStore):
    ok(store, "RACDCERT ID(USER1) CONNECT(CERTAUTH LABEL('zCEE CA') RING(Liberty.KeyRing) DEFAULT)")
    ring = store.ring("USER1", "Liberty.KeyRing")

    assert ring is not None
    assert [(c.label, c.default) for c in ring.connections if c.default] == [("zCEE CA", True)]


def test_connect_usage_defaults_to_the_certificate_s_kind(store: SafStore):
    ring = store.ring("USER1", "Liberty.KeyRing")

    assert ring is not None
    assert {c.label: c.usage for c in ring.connections} == {
        "USER1": "PERSONAL",
        "Liberty CA": "CERTAUTH",
    }


def test_remove_disconnects_a_certificate(store: SafStore):
    ok(store, "RACDCERT ID(USER1) REMOVE(CERTAUTH LABEL('Liberty CA') RING(Liberty.KeyRing))")
    ring = store.ring("USER1", "Liberty.KeyRing")

    assert ring is not None
    assert [c.label for c in ring.connections] == ["USER1"]


def test_delring_deletes_the_ring(store: SafStore):
    ok(store, "RACDCERT ID(USER1) DELRING(Liberty.KeyRing)")

    assert store.ring("USER1", "Liberty.KeyRing") is None


def test_listring_of_an_empty_ring_says_so(store: SafStore):
    ok(store, "RACDCERT ID(USER1) ADDRING(Empty.Ring)")

    assert "  *** No certificates connected ***" in ok(
        store, "RACDCERT ID(USER1) LISTRING(Empty.Ring)"
    )


def test_listring_star_lists_every_ring_of_the_user(store: SafStore):
    lines = ok(store, "RACDCERT ID(LIBSERV) LISTRING(*)")

    assert [line for line in lines if line.startswith("       >")] == [
        "       >Liberty.KeyRing<",
        "       >zCEE.KeyRing<",
    ]


# --- LIST, DELETE, EXPORT -------------------------------------------------------------------


def test_list_label_shows_the_certificate_as_racf_does(store: SafStore):
    lines = ok(store, "RACDCERT ID(USER1) LIST(LABEL('USER1'))")

    assert lines[0] == "Digital certificate information for user USER1:"
    assert "  Label: USER1" in lines
    assert "  Status: TRUST" in lines
    assert "  End Date:   2035/12/31 23:59:59" in lines
    assert lines[lines.index("  Issuer's Name:") + 1] == "       >CN=Liberty CA.OU=ATS.O=IBM<"
    assert lines[lines.index("  Subject's Name:") + 1] == "       >CN=USER1.OU=ATS.O=IBM<"
    assert "  Private Key Type: NISTECC" in lines
    assert "  Private Key Size: 256" in lines
    assert lines[lines.index("  Ring Associations:") + 1 :][:3] == [
        "    Ring Owner: USER1",
        "    Ring:",
        "       >Liberty.KeyRing<",
    ]


def test_list_certauth_lists_both_cas(store: SafStore):
    lines = ok(store, "RACDCERT CERTAUTH LIST")

    assert lines[0] == "Digital certificate information for CERTAUTH:"
    assert [line for line in lines if line.startswith("  Label:")] == [
        "  Label: Liberty CA",
        "  Label: zCEE CA",
    ]


def test_delete_removes_the_certificate(store: SafStore):
    ok(store, "RACDCERT ID(USER1) DELETE(LABEL('USER1'))")

    assert store.certificate("USER1", "USER1") is None


def test_export_writes_the_pem_to_the_data_set(store: SafStore):
    ok(
        store,
        "RACDCERT CERTAUTH EXPORT(LABEL('Liberty CA')) DSN('USER1.LIBERTY.PEM') FORMAT(CERTB64)",
    )
    target = dataset_path("'USER1.LIBERTY.PEM'", store.root)

    assert x509.load_pem_x509_certificate(target.read_bytes()) == x509_of(
        store, "CERTAUTH", "Liberty CA"
    )


# --- PERMIT, SETROPTS, CONNECT --------------------------------------------------------------


def test_permit_access_defaults_to_read(empty_store: SafStore):
    ok(empty_store, "PERMIT IRR.DIGTCERT.LISTRING CLASS(FACILITY) ID(USER2)")

    assert empty_store.access("IRR.DIGTCERT.LISTRING", "USER2") == "READ"


def test_permit_delete_removes_the_permit(store: SafStore):
    ok(store, "PERMIT IRR.DIGTCERT.LIST CLASS(FACILITY) ID(USER1) DELETE")

    assert store.access("IRR.DIGTCERT.LIST", "USER1") == "NONE"


def test_setropts_refresh_is_accepted_without_output(empty_store: SafStore):
    assert ok(empty_store, "SETROPTS RACLIST(FACILITY) REFRESH") == []


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "first_line"),
    [
        ("LISTUSER USER1", "IKJ56500I COMMAND LISTUSER NOT FOUND"),
        ("RACDCERT ID(USER1) FROBNICATE", "IKJ56701I MISSING RACDCERT FUNCTION"),
        ("RACDCERT ID(USER1) LIST COLOUR(RED)", "IKJ56712I INVALID KEYWORD, COLOUR"),
        ("RACDCERT ID(USER1) GENCERT", "IKJ56701I MISSING WITHLABEL"),
        ("RACDCERT ID(USER1) ADDRING(Liberty.KeyRing)", "IRRD118I Ring already exists."),
        ("RACDCERT ID(USER1) LISTRING(No.Such.Ring)", "IRRD114I Ring does not exist."),
        ("RACDCERT ID(USER1) DELRING(No.Such.Ring)", "IRRD114I Ring does not exist."),
        ("RACDCERT ID(USER1) LIST(LABEL('nope'))", "IRRD107I The certificate cannot be found."),
        ("RACDCERT ID(USER1) CONNECT(LABEL('nope') RING(Liberty.KeyRing))", "IRRD107I"),
        ("RACDCERT ID(USER1) CONNECT(LABEL('USER1'))", "IKJ56701I MISSING RING"),
        (
            "RACDCERT ID(USER1) CONNECT(LABEL('USER1') RING(Liberty.KeyRing) USAGE(OWN))",
            "IKJ56702I INVALID USAGE, OWN",
        ),
        (
            "RACDCERT ID(USER1) GENCERT WITHLABEL('USER1')",
            "IRRD109I The certificate cannot be added. Label USER1 is already in use.",
        ),
        (
            "RACDCERT ID(USER1) GENCERT WITHLABEL('x') SIGNWITH(CERTAUTH LABEL('No CA'))",
            "IRRD107I",
        ),
        (
            "RACDCERT ID(U) GENCERT WITHLABEL('x') NOTBEFORE(DATE(2030/01/01)) "
            "NOTAFTER(DATE(2029/01/01))",
            "NOTAFTER 2029/01/01 23:59:59 is not after NOTBEFORE",
        ),
        ("RACDCERT ID(U) GENCERT WITHLABEL('x') NOTAFTER(DATE(2030/13/01))", "IKJ56702I"),
        ("RACDCERT ID(U) GENCERT WITHLABEL('x') SUBJECTSDN(C('USA'))", "IKJ56702I INVALID C"),
        ("RACDCERT ID(U) GENCERT WITHLABEL('x') SIZE(999) NISTECC", "IKJ56702I"),
        ("RACDCERT CERTAUTH ADDRING(Ring)", "IKJ56702I INVALID RING OWNER, CERTAUTH"),
        ("RACDCERT ID(USER1) LIST(LABEL('unclosed)", "Command syntax error: unmatched quote"),
        ("RACDCERT ID(USER1 LIST", "Command syntax error: unmatched '('"),
        ("PERMIT IRR.X CLASS(FACILITY) ID(USER1) ACCESS(WRITE)", "IKJ56702I INVALID ACCESS"),
        ("PERMIT IRR.X ID(USER1)", "IKJ56701I MISSING CLASS"),
        ("SETR BOGUS", "IKJ56712I INVALID KEYWORD, BOGUS"),
        ("CONNECT USER1", "IKJ56701I MISSING GROUP"),
        ("", "IKJ56701I MISSING COMMAND"),
    ],
)
def test_a_bad_command_fails_with_a_message(store: SafStore, command: str, first_line: str):
    result = execute(store, command)

    assert not result.ok
    assert result.lines[0].startswith(first_line)


def test_a_missing_certificate_message_names_it(store: SafStore):
    result = execute(store, "RACDCERT ID(USER1) CONNECT(LABEL('nope') RING(Liberty.KeyRing))")

    assert result.lines[1] == "  (LABEL('nope') of ID(USER1))"


def test_a_failed_command_changes_nothing(store: SafStore):
    before = store.rings()
    execute(store, "RACDCERT ID(USER1) CONNECT(LABEL('nope') RING(Liberty.KeyRing) DEFAULT)")

    assert store.rings() == before


@pytest.mark.parametrize(
    ("command", "first_line"),
    [
        ("RACDCERT ID(USER1) GENCERT WITHLABEL('\ud800')", "IKJ56702I INVALID WITHLABEL, '\\ud800"),
        ("RACDCERT ID(USER1) GENCERT WITHLABEL('a\x00b')", "IKJ56702I INVALID WITHLABEL, 'a\\x00b"),
        ("RACDCERT ID(USER1) ADDRING(R\udcff)", "IKJ56702I INVALID RING NAME, 'R\\udcff'"),
        ("RACDCERT ID(US\ud800) LIST", "IKJ56702I INVALID ID, 'US\\ud800'"),
        ("RACDCERT ID(USER1) LIST(LABEL('\ud800'))", "IKJ56702I INVALID LABEL, '\\ud800'"),
        ("PERMIT IRR.\ud800 CLASS(FACILITY) ID(USER1)", "IKJ56702I INVALID PROFILE NAME,"),
        ("CONNECT U\udc80 GROUP(G)", "IKJ56702I INVALID USERID, 'U\\udc80'"),
    ],
    ids=["label-surrogate", "label-nul", "ring-surrogate", "id", "list-label", "permit", "connect"],
)
def test_a_name_the_store_cannot_hold_is_refused(store: SafStore, command: str, first_line: str):
    """Issue 13 §6: a lone surrogate (JSON's \\ud800, or a non-UTF-8 byte of argv) or a
    control character in a name is refused with IKJ56702I, shown escaped, and nothing
    changes."""
    before = (store.certificates(), store.rings(), store.permits())
    result = execute(store, command)

    assert not result.ok
    assert result.lines[0].startswith(first_line), result.lines
    assert all(line.encode("utf-8") for line in result.lines)  # printable, whatever came in
    assert (store.certificates(), store.rings(), store.permits()) == before
