"""``pagent init --at workshop-start``: the root as the workshop's AT-TLS section finds it."""

from __future__ import annotations

from pathlib import Path

from pagent.cli import main
from pagent.nca.model import Store
from pagent.nca.store import load


def test_workshop_start_has_no_policy_an_image_file_naming_tlspol_and_an_empty_store(
    tmp_path: Path, capsys
):
    root = tmp_path / "r"
    assert main(["init", "--at", "workshop-start", str(root)]) == 0
    image_dir = root / "etc/cfgasst/v2r3/WG31/TCPIP1"
    assert sorted(p.name for p in image_dir.iterdir()) == ["pagent.TCPIP1.conf"]
    assert (
        "TTLSConfig      /etc/cfgasst/v2r3/WG31/TCPIP1/tlsPol   FLUSH PURGE"
        in (image_dir / "pagent.TCPIP1.conf").read_text()
    )
    assert load(root / "var/nca/USER1.json", "USER1") == Store("USER1")
    for member in ("ZCEETLSS", "MVSTLS", "ZCEETLSC"):
        assert (root / "etc/datasets/USER1.ZCEE30.CNTL" / member).is_file()
    assert "no AT-TLS policy is installed yet" in capsys.readouterr().out


def test_the_default_root_keeps_the_embedded_policy(tmp_path: Path):
    assert main(["init", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r/etc/cfgasst/v2r3/WG31/TCPIP1/TTLS.policy").is_file()
    assert not (tmp_path / "r/var/nca").exists()
