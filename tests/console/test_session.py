"""Reaching the service (issue 4 §1): connect, start one in the background and say so, or
refuse with --no-start; and the CLI's choice between a scripted and an interactive session."""

from __future__ import annotations

import fcntl
import io
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from console.session import ConsoleClient, NoServiceError, connect
from pagent.cli import build_parser
from pagent.service.client import socket_path
from pagent.service.pidfile import read_pid
from tests.console.conftest import CONSOLE, Service, answers, console, stop_by_pid_file
from tests.service.test_control import Running

pytestmark = pytest.mark.e2e

STARTED = re.compile(r"^pagent console: started a pagent service for (\S+) \(pid (\d+)\)$")


def test_connects_to_a_running_service(service: Service):
    err = io.StringIO()
    client, started = connect(service.root, no_start=True, err=err)
    with client:
        assert isinstance(client, ConsoleClient)
        assert started is False
        assert client.ping() == "ok"
        assert client.command("D TCPIP").status == "ok"
    assert err.getvalue() == ""  # nothing to say


def test_no_start_refuses_naming_the_root(root: Path):
    with pytest.raises(NoServiceError, match=re.escape(str(root))):
        connect(root, no_start=True)
    assert not answers(root)


def test_a_directory_that_is_no_root_is_no_service(tmp_path: Path):
    with pytest.raises(NoServiceError, match="no system root"):
        connect(tmp_path)


def test_starts_a_service_and_says_so(root: Path):
    err = io.StringIO()
    client, started = connect(root, err=err)
    try:
        with client:
            assert started is True
            assert client.command("D TCPIP").status == "ok"
        match = STARTED.match(err.getvalue().strip())
        assert match is not None, err.getvalue()
        assert Path(match[1]) == root
        assert int(match[2]) == read_pid(root / "var" / "run" / "pagent.pid")
        assert "pagent serve: image WG31" in (root / "var" / "run" / "pagent.out").read_text()
    finally:
        stop_by_pid_file(root)


def test_console_cli_starts_a_service_that_outlives_it(root: Path):
    """No service, no --no-start: the console starts one, says so on stderr, and the service
    keeps running after the console exits (stopped here through its pid file)."""
    done = console(root, "-c", "D TCPIP")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "D TCPIP"
    match = STARTED.match(done.stderr.strip())
    assert match is not None, done.stderr
    assert int(match[2]) == read_pid(root / "var" / "run" / "pagent.pid")
    assert answers(root)
    again = console(root, "-c", "D TCPIP")  # the second console finds it running
    assert again.returncode == 0
    assert again.stderr == ""
    stop_by_pid_file(root)
    assert not answers(root)


def test_a_stale_socket_does_not_stop_the_start(root: Path):
    """A socket file left by a killed service: nothing listens, so one is started."""
    path = socket_path(root)
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(str(path))
    leftover.close()
    assert path.exists()
    client, started = connect(root, err=io.StringIO())
    try:
        with client:
            assert started is True
    finally:
        stop_by_pid_file(root)


def test_a_service_that_cannot_start_is_reported(root: Path):
    """The root's lock is held (a service half-way up): the one started ends at once with
    serve's own reason, and the console says so rather than waiting 10 s."""
    fd = os.open(root / "var" / "run" / "pagent.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(NoServiceError, match=r"ended at once: pagent serve: .*already runs"):
            connect(root, err=io.StringIO())
    finally:
        os.close(fd)


def test_two_consoles_starting_at_once_share_one_service(root: Path):
    procs = [
        subprocess.Popen(
            [*CONSOLE, "--root", str(root), "-c", "D TCPIP"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for proc in procs:
        with proc:
            out, err = proc.communicate(timeout=30)
            results.append((proc.returncode, out, err))
    try:
        assert [code for code, _out, _err in results] == [0, 0], results
        said = [err for _code, _out, err in results if "started a pagent service" in err]
        assert len(said) <= 1  # only the console whose service answers says it started it
    finally:
        stop_by_pid_file(root)


# --- the CLI --------------------------------------------------------------------------------------


def test_cli_options():
    args = build_parser().parse_args(
        ["console", "--root", "/r", "--no-start", "-c", "S PAGENT", "-c", "WAIT EZD1586I", "--json"]
    )
    assert (args.root, args.no_start, args.commands, args.script, args.json) == (
        "/r",
        True,
        ["S PAGENT", "WAIT EZD1586I"],
        None,
        True,
    )
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["console", "-c", "D TCPIP", "--script", "f"])
    assert exc.value.code == 2


def test_json_at_a_terminal_is_a_usage_error(root: Path, monkeypatch, capsys):
    """--json is for scripted sessions; at a terminal without -c it is refused (exit 2)."""
    import sys

    from console import main as console_main

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    args = build_parser().parse_args(["console", "--root", str(root), "--json"])
    assert console_main.main(args) == 2
    assert "--json needs" in capsys.readouterr().err


def test_drain_hands_over_every_message_that_arrived_in_one_chunk(tmp_path: Path):
    """Three messages read in one chunk: receive_all takes one and drain the rest, though
    the socket has nothing more to read (the client keeps complete lines apart from its
    byte buffer; a piped session waited for EZD1586I for ever when drain looked only at
    the socket)."""
    sock_dir = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    running = Running(sock_dir / "pagent.sock")
    try:
        client = ConsoleClient(running.path, timeout=5)
        try:
            client.subscribe()
            for n in range(3):
                running.broadcast(f"EZZ000{n}I MESSAGE {n}")
            time.sleep(0.3)  # all three are in the socket before the client reads
            texts = [m["text"] for m in client.receive_all(5)]
        finally:
            client.close()
        assert texts == [f"EZZ000{n}I MESSAGE {n}" for n in range(3)]
    finally:
        running.stop()
        shutil.rmtree(sock_dir, ignore_errors=True)
