"""pagent.stack.owners: who owns a TCP endpoint (datapath-notes.md)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pagent.stack import owners
from pagent.stack.sockdiag import SockDiag


@pytest.fixture(name="diag")
def fixture_diag() -> Iterator[SockDiag]:
    diag = SockDiag.make()
    yield diag
    diag.close()


def _here() -> int:
    return os.stat("/proc/self/ns/net").st_ino


LISTEN = (
    "import socket, sys\n"
    "s = socket.create_server(('127.0.0.1', 0))\n"
    "print(s.getsockname()[1], flush=True)\n"
    "sys.stdin.read()\n"
)
CONNECT = (
    "import socket, sys\n"
    "c = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
    "print(c.getsockname()[1], flush=True)\n"
    "sys.stdin.read()\n"
)


def _child(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "_BPX_JOBNAME": "OWNTEST"},
    )


def _end(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None
    child.stdin.close()
    child.wait(10)
    assert child.stdout is not None
    child.stdout.close()


def test_finder_names_the_process_holding_a_connected_socket(diag: SockDiag):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        child = _child(CONNECT, str(port))
        try:
            assert child.stdout is not None
            local = int(child.stdout.readline())
            finder = owners.OwnerFinder(diag, _here())
            found = finder.owner_of(("127.0.0.1", local), ("127.0.0.1", port))
        finally:
            _end(child)
    assert (found.pid, found.jobname) == (child.pid, "OWNTEST")


def test_finder_names_the_listener_when_no_connection_has_that_address(diag: SockDiag):
    child = _child(LISTEN)
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        finder = owners.OwnerFinder(diag, _here())
        found = finder.owner_of(("127.0.0.1", port), ("127.0.0.1", 40000), listening=True)
    finally:
        _end(child)
    assert (found.pid, found.jobname) == (child.pid, "OWNTEST")


BUSY_LISTEN = (
    "import socket, sys\n"
    "s = socket.create_server(('127.0.0.1', 0))\n"
    "held = [socket.socket() for _ in range(300)]\n"  # a server with many descriptors
    "print(s.getsockname()[1], flush=True)\n"
    "sys.stdin.read()\n"
)


def test_a_known_listener_is_found_again_with_one_read_however_many_fds_its_server_has(
    diag: SockDiag, monkeypatch: pytest.MonkeyPatch
):
    # Every connection to a server looks its listener up: reading all of a busy server's
    # descriptors each time made the lookup grow with its connections (issue 11 item 6).
    child = _child(BUSY_LISTEN)
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        finder = owners.OwnerFinder(diag, _here())
        first = finder.owner_of(("127.0.0.1", port), ("127.0.0.1", 40000), listening=True)
        reads: list[str] = []
        real_readlink = os.readlink

        def counted(path: str) -> str:
            reads.append(path)
            return real_readlink(path)

        monkeypatch.setattr(os, "readlink", counted)
        again = finder.owner_of(("127.0.0.1", port), ("127.0.0.1", 40001), listening=True)
    finally:
        _end(child)
    assert first.pid == again.pid == child.pid
    assert len(reads) == 1


def test_the_service_s_own_sockets_are_never_a_job_s(diag: SockDiag):
    with socket.create_server(("127.0.0.1", 0)) as server:
        finder = owners.OwnerFinder(diag, _here())
        found = finder.owner_of(server.getsockname(), ("127.0.0.1", 40000), listening=True)
    assert found.pid == 0  # a rootless stack is in the image itself: it is no job of it


def test_finder_says_unknown_when_no_socket_matches(diag: SockDiag):
    finder = owners.OwnerFinder(diag, _here())
    assert finder.owner_of(("127.0.0.1", 1), ("127.0.0.1", 2)) == owners.UNKNOWN


def test_a_socket_no_process_of_the_image_holds_has_no_owner_not_even_its_uid(diag: SockDiag):
    # Issue 11: the socket's uid says nothing of _BPX_USERID; an owner is all or nothing.
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        finder = owners.OwnerFinder(diag, ns_inode=0)  # no process has it
        found = finder.owner_of(("127.0.0.1", port), ("127.0.0.1", 40000), listening=True)
    assert found == owners.UNKNOWN


def test_a_listener_is_never_taken_for_a_program_s_connection(diag: SockDiag):
    # The kernel falls back to the listener on the local port: not the connection's owner.
    child = _child(LISTEN)
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        finder = owners.OwnerFinder(diag, _here())
        found = finder.owner_of(("127.0.0.1", port), ("127.0.0.1", 40000))
    finally:
        _end(child)
    assert found == owners.UNKNOWN


def test_describe_takes_the_job_name_and_user_id_from_bpx_variables():
    code = "import sys; sys.stdin.read()"
    env = {**os.environ, "_BPX_JOBNAME": "user1get", "_BPX_USERID": "user1"}
    with subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, env=env) as child:
        try:
            described = owners.describe(child.pid)
        finally:
            assert child.stdin is not None
            child.stdin.close()
    assert (described.jobname, described.userid) == ("USER1GET", "USER1")


def test_describe_falls_back_to_process_name_and_linux_user():
    described = owners.describe(os.getpid())
    comm = Path("/proc/self/comm").read_text().strip()
    assert described.jobname == comm.upper()[:8]
    assert described.userid  # the Linux user, upper-cased
    assert len(described.jobname) <= 8
    assert len(described.userid) <= 8


def test_describe_of_a_gone_process_is_unknown():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert owners.describe(child.pid) == owners.UNKNOWN


def test_describe_of_an_exiting_process_is_unknown_not_its_process_name():
    # A process in exit has released its memory (so /proc/PID/environ reads empty) before
    # it closes its files: its socket is still found, but its _BPX_JOBNAME is not. Taking
    # the process name then mapped a covered connection as NO POLICY, in clear (issue 11:
    # the exit test). A zombie (exited, not reaped: its environ cannot be read, its name
    # can) is that state, held still.
    env = {**os.environ, "_BPX_JOBNAME": "user1get", "_BPX_USERID": "user1"}
    child = subprocess.Popen([sys.executable, "-c", "pass"], env=env)
    try:
        stat = Path(f"/proc/{child.pid}/stat")
        deadline = time.monotonic() + 10
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline, "the child never became a zombie"
            time.sleep(0.01)
        described = owners.describe(child.pid)
    finally:
        child.wait()
    assert described == owners.UNKNOWN


def test_describe_of_a_process_with_an_empty_environment_takes_its_process_name():
    code = "import sys; sys.stdin.read()"
    with subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, env={}) as child:
        try:
            described = owners.describe(child.pid)
        finally:
            assert child.stdin is not None
            child.stdin.close()
    assert described.pid == child.pid
    assert described.jobname.startswith("PYTHON")


def test_a_process_seen_outside_the_image_is_still_found_once_it_holds_the_socket(
    diag: SockDiag,
):
    # The finder skips processes it saw outside the image, but never says "nobody" before
    # it has looked at every process again: one that joined since is found.
    finder = owners.OwnerFinder(diag, _here())
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        child = _child(CONNECT, str(port))
        try:
            assert child.stdout is not None
            local = int(child.stdout.readline())
            finder._outside[child.pid] = time.monotonic()  # as if seen outside
            found = finder.owner_of(("127.0.0.1", local), ("127.0.0.1", port))
        finally:
            _end(child)
    assert (found.pid, found.jobname) == (child.pid, "OWNTEST")


RECONNECT = (
    "import socket, sys\n"
    "port = int(sys.argv[1])\n"
    "for _line in iter(sys.stdin.readline, ''):\n"
    "    c = socket.create_connection(('127.0.0.1', port))\n"
    "    print(c.fileno(), c.getsockname()[1], flush=True)\n"
    "    sys.stdin.readline()\n"
    "    c.close()\n"
)


def test_the_last_connection_s_descriptor_is_a_hint_never_an_answer(diag: SockDiag):
    """The descriptor that held the last connection is read first; another program's
    connection, and the same program's next one on the same descriptor, are still each
    their own program's."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = str(server.getsockname()[1])
        one, other = _child(RECONNECT, port), _child(CONNECT, port)
        try:
            assert one.stdin is not None
            assert one.stdout is not None
            assert other.stdout is not None
            finder = owners.OwnerFinder(diag, _here())
            one.stdin.write("connect\n")
            one.stdin.flush()
            fd, local = one.stdout.readline().split()
            first = finder.owner_of(("127.0.0.1", int(local)), ("127.0.0.1", int(port)))
            one.stdin.write("close\nconnect\n")  # the same descriptor, a new socket
            one.stdin.flush()
            fd_again, local_again = one.stdout.readline().split()
            again = finder.owner_of(("127.0.0.1", int(local_again)), ("127.0.0.1", int(port)))
            other_local = int(other.stdout.readline())  # the hint is one's, not other's
            theirs = finder.owner_of(("127.0.0.1", other_local), ("127.0.0.1", int(port)))
        finally:
            _end(one)
            _end(other)
    assert fd_again == fd
    assert [first.pid, again.pid, theirs.pid] == [one.pid, one.pid, other.pid]
