"""``pagent keyring OWNER/RING [--export DIR]``, called through its run() function."""

from __future__ import annotations

import argparse
import stat
from pathlib import Path

import pytest
from cryptography import x509

from pagent.commands import keyring
from pagent.saf.racdcert import execute
from pagent.saf.store import SafStore


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    keyring.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["keyring", *argv])


def test_it_lists_the_ring(workshop_root: Path, capsys: pytest.CaptureFixture[str]):
    code = keyring.run(parse("USER1/Liberty.KeyRing", "--root", str(workshop_root)))

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("Digital ring information for user USER1:\n")
    assert "  USER1                              ID(USER1)      PERSONAL     YES\n" in out


def test_export_writes_cert_key_and_ca(workshop_root: Path, tmp_path: Path):
    out = tmp_path / "pems"
    code = keyring.run(
        parse("LIBSERV/Liberty.KeyRing", "--root", str(workshop_root), "--export", str(out))
    )

    assert code == 0
    chain = x509.load_pem_x509_certificates((out / "cert.pem").read_bytes())
    assert [c.subject.rfc4514_string() for c in chain] == [
        "CN=wg31.washington.ibm.com,OU=ATS,O=IBM",
        "CN=Liberty CA,OU=ATS,O=IBM",
    ]
    assert (out / "key.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert len(x509.load_pem_x509_certificates((out / "ca.pem").read_bytes())) == 2


def test_the_exported_key_is_0600(workshop_root: Path, tmp_path: Path):
    out = tmp_path / "pems"
    keyring.run(parse("USER1/Liberty.KeyRing", "--root", str(workshop_root), "--export", str(out)))

    assert stat.S_IMODE((out / "key.pem").stat().st_mode) == 0o600


def test_a_ring_argument_without_owner_is_a_usage_error(
    workshop_root: Path, capsys: pytest.CaptureFixture[str]
):
    assert keyring.run(parse("Liberty.KeyRing", "--root", str(workshop_root))) == 2
    assert "OWNER/RING" in capsys.readouterr().err


def test_a_missing_ring_exits_1(workshop_root: Path, capsys: pytest.CaptureFixture[str]):
    assert keyring.run(parse("USER1/No.Ring", "--root", str(workshop_root))) == 1
    assert "does not exist" in capsys.readouterr().err


def test_export_of_a_ring_that_cannot_be_used_exits_1_with_the_rc(
    workshop_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    code = keyring.run(
        parse("LIBSERV/zCEE.KeyRing", "--root", str(workshop_root), "--export", str(tmp_path / "o"))
    )

    assert code == 1
    assert "RC 401" in capsys.readouterr().err


def test_export_of_a_ring_without_default_writes_only_ca(workshop_root: Path, tmp_path: Path):
    store = SafStore(workshop_root)
    assert execute(store, "RACDCERT ID(USER1) ADDRING(Trust.Only)").ok
    out = tmp_path / "o"

    assert (
        keyring.run(parse("USER1/Trust.Only", "--root", str(workshop_root), "--export", str(out)))
        == 0
    )
    assert sorted(p.name for p in out.iterdir()) == ["ca.pem"]
