"""check_paths over a configuration chain: unreadable files are located C501s (issue 13 §4)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pagent.policy import check as check_module
from pagent.policy.check import CheckReport, check_paths
from pagent.policy.policy import load_policy
from pagent.policy.source import read_source

POLICY = """\
TTLSRule R1
{
  LocalPortRange 443
  TTLSGroupActionRef G
}
TTLSGroupAction G
{
  TTLSEnabled Off
}
"""


def _root(tmp_path: Path, main: str, **files: str | bytes) -> Path:
    etc = tmp_path / "etc"
    etc.mkdir(exist_ok=True)
    for name, text in files.items():
        data = text if isinstance(text, bytes) else text.encode()
        (etc / name).write_bytes(data)
    conf = etc / "pagent.conf"
    conf.write_text(main)
    return conf


def _check(conf: Path) -> CheckReport:
    result: list[CheckReport] = []
    worker = threading.Thread(
        target=lambda: result.append(check_paths([conf], conf.parent.parent)), daemon=True
    )
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "check_paths hung"
    return result[0]


def test_a_fifo_named_as_the_policy_file_is_c501_not_a_hang(tmp_path):
    conf = _root(tmp_path, "TTLSConfig /etc/p\n")
    os.mkfifo(tmp_path / "etc" / "p")
    report = _check(conf)
    [d] = report.diagnostics
    assert (d.code.id, d.loc.line, d.loc.col) == ("C501", 1, 12)
    assert "is a FIFO" in d.message
    assert report.exit_code() == 1


def test_a_binary_policy_file_is_c501_at_the_statement_that_names_it(tmp_path):
    conf = _root(tmp_path, "LogLevel 31\nTTLSConfig /etc/p\n", p=b"\x7fELF" + b"\0" * 5000)
    report = _check(conf)
    [d] = report.diagnostics
    assert (d.code.id, d.loc.path, d.loc.line, d.loc.col) == ("C501", str(conf), 2, 12)
    assert "is not a text file" in d.message


def test_a_policy_file_that_fails_when_read_is_c501_once(tmp_path, monkeypatch):
    """Readable when the chain looked, unreadable when read: still reported, once."""
    conf = _root(
        tmp_path,
        "TcpImage A /etc/img\nTcpImage B /etc/img\n",
        img="TTLSConfig /etc/p\n",
        p=POLICY,
    )

    real = read_source

    def deny(path, name=None):
        if Path(path).name == "p":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, name)

    monkeypatch.setattr(check_module, "read_source", deny)
    report = _check(conf)
    assert [(d.code.id, d.loc.line) for d in report.diagnostics] == [("C501", 1)]
    assert "cannot be read: Permission denied" in report.diagnostics[0].message


def test_images_that_share_their_files_are_built_once(tmp_path, monkeypatch):
    """n images naming one image file cost one policy build, not n (issue 13 §3)."""
    images = "".join(f"TcpImage T{i} /etc/img\n" for i in range(50))
    conf = _root(tmp_path, images, img="TTLSConfig /etc/p\n", p=POLICY)
    builds = 0
    real = load_policy

    def counted(sources):
        nonlocal builds
        builds += 1
        return real(sources)

    monkeypatch.setattr(check_module, "load_policy", counted)
    report = _check(conf)
    assert builds == 1
    assert [p.label for p in report.policies] == [f"T{i}" for i in range(50)]
    assert all(p.policy.rules for p in report.policies)


@pytest.mark.parametrize("kind", ["fifo", "dir", "binary"])
def test_a_top_level_path_that_is_not_a_regular_text_file_raises_oserror(tmp_path, kind):
    """The command turns it into one line and exit 2 (tests/commands/test_check.py)."""
    target = tmp_path / "x.policy"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dir":
        target.mkdir()
    else:
        target.write_bytes(b"\0" * 100)
    with pytest.raises(OSError, match=r"regular file|not a text file"):
        check_paths([target], None)


_CHAIN_WORDS = [
    "TcpImage", "TTLSConfig", "CommonTTLSConfig", "LogLevel", "FLUSH", "{", "}", "#",
    "//'A.B(C)'", "/etc/p", "/etc/img", "/etc/fifo", "/etc/loop", "/etc/dir", "..", "\0",
    "\x1b", "\xff", '"', "99999999999999999999999", "TCPIP", "\n", "\n", " ", "\t",
]  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.sampled_from(_CHAIN_WORDS), max_size=30),
    st.lists(st.sampled_from(_CHAIN_WORDS), max_size=30),
)
def test_any_chain_of_bad_paths_is_checked_without_an_exception(tmp_path_factory, main, image):
    """Fuzzed pagent.conf and image files naming FIFOs, loops, directories and NUL bytes give
    diagnostics, never an exception and never a hang (issue 13 §4: 10 inputs, 2 causes)."""
    root = tmp_path_factory.mktemp("root")
    etc = root / "etc"
    etc.mkdir()
    os.mkfifo(etc / "fifo")
    (etc / "loop").symlink_to(etc / "loop")
    (etc / "dir").mkdir()
    (etc / "p").write_text(POLICY)
    (etc / "img").write_bytes(" ".join(image).encode("utf-8", "surrogateescape"))
    conf = _root(root, "TcpImage TCPIP /etc/img\n" + " ".join(main))
    report = _check(conf)
    assert report.exit_code() in (0, 1)
