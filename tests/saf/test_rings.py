"""Resolving key rings as AT-TLS does: owner qualification, permits, return codes, handshakes."""

from __future__ import annotations

import socket
import ssl
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from pagent.saf.material import RingError, RingMaterial
from pagent.saf.racdcert import execute
from pagent.saf.rings import resolver, split_ring, user_of_certificate
from pagent.saf.store import SafStore

from .conftest import Clock


def ok(store: SafStore, command: str) -> None:
    result = execute(store, command)
    assert result.ok, result.lines


def rc_of(store: SafStore, ring: str, user: str, label: str | None = None) -> int:
    with pytest.raises(RingError) as info:
        resolver(store)(ring, user, label)
    return info.value.rc


def test_a_bare_ring_name_is_the_job_user_s_ring():
    assert split_ring("Liberty.KeyRing", "user1") == ("USER1", "Liberty.KeyRing")
    assert split_ring("libserv/Liberty.KeyRing", "USER1") == ("LIBSERV", "Liberty.KeyRing")


def test_user1_gets_its_default_certificate_and_the_ca(store: SafStore):
    material = resolver(store)("Liberty.KeyRing", "USER1", None)

    assert (material.owner, material.ring, material.label) == ("USER1", "Liberty.KeyRing", "USER1")
    assert material.cert_file is not None
    assert material.key_file is not None
    assert material.ca_pem.count("BEGIN CERTIFICATE") == 1
    assert material.not_after == datetime(2035, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_the_cert_file_holds_the_certificate_then_its_issuer(store: SafStore):
    material = resolver(store)("Liberty.KeyRing", "USER1", None)
    assert material.cert_file is not None

    assert material.cert_file.read_text().count("BEGIN CERTIFICATE") == 2


def test_material_files_are_private(store: SafStore):
    material = resolver(store)("Liberty.KeyRing", "USER1", None)
    assert material.cert_file is not None
    assert material.key_file is not None

    assert stat.S_IMODE(material.cert_file.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(material.cert_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(material.key_file.stat().st_mode) == 0o600


def test_certificate_label_chooses_the_certificate(store: SafStore):
    ok(
        store,
        "RACDCERT ID(USER1) GENCERT WITHLABEL('Second') SIGNWITH(CERTAUTH LABEL('Liberty CA'))",
    )
    ok(store, "RACDCERT ID(USER1) CONNECT(LABEL('Second') RING(Liberty.KeyRing))")

    assert resolver(store)("Liberty.KeyRing", "USER1", "Second").label == "Second"


def test_a_ring_without_default_resolves_without_certificate(store: SafStore):
    ok(store, "RACDCERT ID(USER1) ADDRING(Trust.Only)")
    ok(store, "RACDCERT ID(USER1) CONNECT(CERTAUTH LABEL('Liberty CA') RING(Trust.Only))")
    material = resolver(store)("Trust.Only", "USER1", None)

    assert (material.label, material.cert_file, material.key_file) == (None, None, None)
    assert "BEGIN CERTIFICATE" in material.ca_pem


def test_rc_202_when_the_ring_does_not_exist(store: SafStore):
    assert rc_of(store, "No.Such.Ring", "USER1") == 202


def test_rc_202_without_read_to_irr_digtcert_listring(store: SafStore):
    ok(store, "PERMIT IRR.DIGTCERT.LISTRING CLASS(FACILITY) ID(USER1) DELETE")

    assert rc_of(store, "Liberty.KeyRing", "USER1") == 202


def test_rc_202_for_another_user_s_ring_with_only_read(store: SafStore):
    assert rc_of(store, "LIBSERV/Liberty.KeyRing", "USER1") == 202


def test_another_user_s_ring_opens_with_update_and_control(store: SafStore):
    ok(store, "PERMIT IRR.DIGTCERT.LISTRING CLASS(FACILITY) ID(USER1) ACCESS(UPDATE)")
    ok(store, "PERMIT IRR.DIGTCERT.LIST CLASS(FACILITY) ID(USER1) ACCESS(CONTROL)")

    assert resolver(store)("LIBSERV/Liberty.KeyRing", "USER1", None).owner == "LIBSERV"


def test_rc_202_without_read_to_irr_digtcert_list_for_the_private_key(store: SafStore):
    ok(store, "PERMIT IRR.DIGTCERT.LIST CLASS(FACILITY) ID(USER1) DELETE")

    assert rc_of(store, "Liberty.KeyRing", "USER1") == 202


def test_rc_407_when_the_label_is_not_connected(store: SafStore):
    assert rc_of(store, "Liberty.KeyRing", "USER1", "zCEE CA") == 407


def test_rc_428_when_the_personal_certificate_has_no_private_key(store: SafStore):
    source = store.certificate("USER1", "USER1")
    assert source is not None
    store.add_certificate("USER1", "Public only", store.x509_of(source), None)
    ok(store, "RACDCERT ID(USER1) CONNECT(LABEL('Public only') RING(Liberty.KeyRing) DEFAULT)")

    assert rc_of(store, "Liberty.KeyRing", "USER1") == 428


def test_rc_401_when_the_certificate_has_expired(store: SafStore):
    # ZCEETLSC's zCEE Client Cert ends 2022/12/31; the store's clock says 2025.
    assert rc_of(store, "LIBSERV/zCEE.KeyRing", "LIBSERV") == 401


def test_rc_401_when_the_certificate_is_not_yet_valid(store: SafStore, clock: Clock):
    clock.now = datetime(2019, 6, 1, tzinfo=UTC)

    assert rc_of(store, "Liberty.KeyRing", "USER1") == 401


def test_a_certificate_maps_to_its_owner(store: SafStore):
    cert = store.certificate("USER1", "USER1")
    assert cert is not None
    der = store.x509_of(cert).public_bytes(serialization.Encoding.DER)

    assert user_of_certificate(store, der) == "USER1"


def test_a_ca_certificate_or_garbage_maps_to_no_user(store: SafStore):
    cert = store.certificate("CERTAUTH", "Liberty CA")
    assert cert is not None
    der = store.x509_of(cert).public_bytes(serialization.Encoding.DER)

    assert user_of_certificate(store, der) is None
    assert user_of_certificate(store, b"not a certificate") is None


# --- the material in a real TLS handshake -------------------------------------------------


def _context(material: RingMaterial, side: int) -> ssl.SSLContext:
    context = ssl.SSLContext(side)
    assert material.cert_file is not None
    assert material.key_file is not None
    context.load_cert_chain(material.cert_file, material.key_file)
    context.load_verify_locations(cadata=material.ca_pem)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def test_libserv_server_and_user1_client_complete_a_mutual_handshake(store: SafStore):
    resolve = resolver(store)
    server_ctx = _context(resolve("Liberty.KeyRing", "LIBSERV", None), ssl.PROTOCOL_TLS_SERVER)
    client_ctx = _context(resolve("Liberty.KeyRing", "USER1", None), ssl.PROTOCOL_TLS_CLIENT)
    left, right = socket.socketpair()
    seen: dict[str, object] = {}

    def serve() -> None:
        with server_ctx.wrap_socket(left, server_side=True) as tls:
            seen["client"] = tls.getpeercert()
            tls.sendall(tls.recv(5))

    thread = threading.Thread(target=serve)
    thread.start()
    with client_ctx.wrap_socket(right, server_side=False) as tls:
        tls.sendall(b"hello")
        echoed = tls.recv(5)
        server_cert = tls.getpeercert()
    thread.join(timeout=10)

    assert echoed == b"hello"
    assert server_cert is not None
    assert ((("commonName", "wg31.washington.ibm.com"),)) in server_cert["subject"]
    client = seen["client"]
    assert isinstance(client, dict)
    assert (("commonName", "USER1"),) in client["subject"]


def test_the_resolver_sees_commands_run_by_another_store_object(store: SafStore, tmp_path: Path):
    resolve = resolver(store)
    other = SafStore(store.root, store.now)
    ok(other, "PERMIT IRR.DIGTCERT.LISTRING CLASS(FACILITY) ID(USER1) DELETE")

    with pytest.raises(RingError):
        resolve("Liberty.KeyRing", "USER1", None)


def test_a_damaged_index_fails_the_ring_closed(store: SafStore):
    """An index damaged while the service runs: the ring cannot be opened (RC 202), the
    error says why, and no material is handed out (issue 13 §7)."""
    resolve = resolver(store)
    store.index.write_text("{ damaged", "utf-8")
    with pytest.raises(RingError) as caught:
        resolve("USER1/Liberty.KeyRing", "USER1", None)
    assert caught.value.rc == 202
    assert "saf.json" in str(caught.value)


def test_racdcert_on_a_damaged_index_fails_with_the_reason(store: SafStore):
    """A RACF command on a damaged index fails with one line naming the file."""
    store.index.write_text("{ damaged", "utf-8")
    result = execute(store, "RACDCERT ID(USER1) LISTRING(*)")
    assert not result.ok
    assert "saf.json" in result.lines[0]
