"""Install: the file where the NCA puts it, checked first, named by the image's configuration."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pagent.nca import edit
from pagent.nca.install import install
from pagent.nca.model import NcaError, SecurityLevel
from pagent.policy.check import check_paths
from tests.nca.conftest import REPO, SEED, at, sysa_store, workshop_store

TLSPOL = Path("etc/cfgasst/v2r3/WG31/TCPIP1/tlsPol")
IMAGE_FILE = Path("etc/cfgasst/v2r3/WG31/TCPIP1/pagent.TCPIP1.conf")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "etc", tmp_path / "etc")
    return tmp_path


def test_install_writes_the_file_at_the_ncas_path_with_the_clocks_date(root: Path):
    done = install(
        root, workshop_store(), "WG31", "TCPIP1", clock=lambda: at("2026-05-04 03:02:01")
    )
    assert done.path == root / TLSPOL
    text = (root / TLSPOL).read_text()
    assert "## 2026-05-04 03:02:01 : Save To Disk\n##\n## End of" in text
    assert (
        text.split("## End of Network Configuration Assistant information\n")[1]
        == (SEED.read_text().split("## End of Network Configuration Assistant information\n")[1])
    )
    _, stack = edit.stack_of(done.store, "WG31", "TCPIP1")
    assert stack.history == ("2026-05-04 03:02:01",)


def test_each_install_adds_to_the_history_newest_first(root: Path):
    store = workshop_store()
    clocks = iter([at("2020-06-12 13:15:40"), at("2020-06-12 13:29:32")])
    for _ in range(2):
        store = install(root, store, "WG31", "TCPIP1", clock=lambda: next(clocks)).store
    head = (root / TLSPOL).read_text().split("\n")[9:11]
    assert head == [
        "## 2020-06-12 13:29:32 : Save To Disk",
        "## 2020-06-12 13:15:40 : Save To Disk",
    ]


def test_the_image_configuration_is_made_to_name_the_installed_file(root: Path):
    install(root, workshop_store(), "WG31", "TCPIP1", clock=lambda: at("2026-01-01 00:00:00"))
    assert (
        "TTLSConfig      /etc/cfgasst/v2r3/WG31/TCPIP1/tlsPol   FLUSH PURGE"
        in (root / IMAGE_FILE).read_text()
    )
    report = check_paths([root / "etc" / "pagent.conf"], root)
    assert report.diagnostics == []
    assert report.exit_code() == 0
    (checked,) = report.policies
    assert [r.name for r in checked.policy.rules] == ["zCEEClientRule~1"]


def test_an_image_configuration_already_naming_the_file_is_left_alone(root: Path):
    text = (root / IMAGE_FILE).read_text().replace("TTLS.policy", "tlsPol")
    (root / IMAGE_FILE).write_text(text)
    done = install(
        root, workshop_store(), "WG31", "TCPIP1", clock=lambda: at("2026-01-01 00:00:00")
    )
    assert (root / IMAGE_FILE).read_text() == text
    assert len(done.notes) == 1


def test_an_incomplete_stack_is_not_installed_and_nothing_is_written(root: Path):
    with pytest.raises(NcaError, match="Incomplete: stack TCPIP1 has no connectivity rules"):
        install(root, workshop_store(rules=False), "WG31", "TCPIP1")
    assert not (root / TLSPOL).exists()


def test_a_generated_file_that_fails_the_check_is_not_installed(root: Path, monkeypatch):
    import pagent.nca.install as mod

    monkeypatch.setattr(mod, "generate", lambda *a, **k: "TTLSRule r\n{\n  Priority 300\n}\n")
    with pytest.raises(NcaError, match="does not pass pagent check"):
        install(root, workshop_store(), "WG31", "TCPIP1")
    assert not (root / TLSPOL).exists()


def test_a_v2r5_image_installs_under_v2r5(root: Path):
    done = install(root, sysa_store(), "SYSA", "TCPIP", clock=lambda: at("2026-01-01 00:00:00"))
    assert done.path == root / "etc/cfgasst/v2r5/SYSA/TCPIP/tlsPol"
    assert any("no TcpImage TCPIP" in n for n in done.notes)


def test_a_level_change_reaches_the_installed_file(root: Path):
    s = workshop_store()
    s = edit.put(s, "level", SecurityLevel("zCEESecurity", ("TLSv1.1", "TLSv1.2")), modify=True)
    install(root, s, "WG31", "TCPIP1", clock=lambda: at("2026-01-01 00:00:00"))
    assert "  TLSv1.1                         On\n" in (root / TLSPOL).read_text()


def test_the_workshops_file_is_no_estimate(root: Path):
    done = install(
        root, workshop_store(), "WG31", "TCPIP1", clock=lambda: at("2026-01-01 00:00:00")
    )
    assert not any("estimate" in n for n in done.notes)


def test_a_file_with_unconfirmed_forms_says_it_is_an_estimate(root: Path):
    done = install(root, sysa_store(), "SYSA", "TCPIP", clock=lambda: at("2026-01-01 00:00:00"))
    (note,) = [n for n in done.notes if n.startswith("estimate")]
    assert note.endswith("(docs/fidelity.md F-202, F-204, F-205, F-206, F-207, F-209)")
