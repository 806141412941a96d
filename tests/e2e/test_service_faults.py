"""A real ``pagent serve`` under the bad requests, signals and stale state of issue 13.

§6: every request on the control socket gets a reply, and the connection stays open.
§7: extra stop signals, a damaged SAF index or run directory, a client that never reads.
§8: a user the service does not serve is told so, with the remedy.
"""

from __future__ import annotations

import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pagent.saf.store import SafStore
from tests.e2e.conftest import PAGENT, Launch, Service, pagent
from tests.e2e.test_service import exchange, running_pagent

pytestmark = pytest.mark.e2e


def strict(line: bytes) -> dict[str, Any]:
    """One reply line as RFC 8259 JSON: NaN and Infinity are refused."""

    def refuse(name: str) -> object:
        raise AssertionError(f"non-standard JSON constant {name} in {line[:200]!r}")

    obj = json.loads(line, parse_constant=refuse)
    assert isinstance(obj, dict)
    return obj


ISSUE_13_REQUESTS = [  # issue 13 §6, as reported
    ("op a list", b'{"id":1,"op":["ping"]}\n'),
    ("op unhashable", b'{"id":1,"op":{"a":1}}\n'),
    ("id of 5,000 digits", b'{"id":' + b"7" * 5000 + b',"op":"ping"}\n'),
    ("id nested 980 deep", b'{"id":' + b"[" * 980 + b"]" * 980 + b',"op":"ping"}\n'),
    ("id NaN", b'{"id":NaN,"op":"ping"}\n'),
    ("id Infinity", b'{"id":Infinity,"op":"ping"}\n'),
    (
        "RACDCERT with a lone surrogate",
        b'{"id":1,"op":"command","text":"RACDCERT ID(USER1) GENCERT '
        b"SUBJECTSDN(CN('x')) WITHLABEL('\\ud800')\"}\n",
    ),
]


@pytest.mark.parametrize(
    "data", [d for _, d in ISSUE_13_REQUESTS], ids=[w for w, _ in ISSUE_13_REQUESTS]
)
def test_issue_13_request_gets_an_error_reply_and_the_connection_stays(
    service: Service, data: bytes
) -> None:
    """Each reproduction: one standard-JSON error reply, the same connection answers a
    ping afterwards, and nothing is written to standard error."""
    lines, closed, usable = exchange(service.socket, data)
    assert lines, "no reply at all"
    reply = strict(lines[0])
    assert reply["type"] == "error", reply
    assert usable
    assert not closed
    stderr = service.stderr_text()
    assert "Unhandled exception" not in stderr
    assert "Traceback" not in stderr


def test_racdcert_with_a_lone_surrogate_creates_nothing(service: Service) -> None:
    """The refused GENCERT leaves no certificate behind, and the console still works."""
    exchange(service.socket, ISSUE_13_REQUESTS[-1][1])
    assert SafStore(service.root).certificates() == ()
    assert service.client().command("D TCPIP").status == "ok"


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)
OPS = st.sampled_from(["ping", "status", "pasearch", "command", "subscribe", "unsubscribe"])
REQUESTS = JSON | st.fixed_dictionaries(
    {"id": JSON, "op": OPS | JSON},
    optional={"text": JSON | st.text(max_size=30), "image": JSON, "rule": JSON},
)


def test_every_json_value_sent_as_a_request_is_answered(service: Service) -> None:
    """Arbitrary JSON values (NaN and Infinity as Python writes them included), one per line
    on one connection: each gets a reply before the ping that follows it, every reply is
    standard JSON, and the service writes no traceback."""
    sock = exchange_socket(service)
    buf = [b""]

    def line() -> bytes:
        while b"\n" not in buf[0]:
            chunk = sock.recv(65536)
            assert chunk, "the service closed the connection"
            buf[0] += chunk
        first, _, buf[0] = buf[0].partition(b"\n")
        return first

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(request=REQUESTS)
    def answered(request: object) -> None:
        sock.sendall(json.dumps(request).encode() + b'\n{"id":"sync","op":"ping"}\n')
        replies: list[dict[str, Any]] = []
        while True:
            obj = strict(line())
            if obj.get("id") == "sync" and obj.get("type") == "end":
                break
            if obj.get("type") != "message":
                replies.append(obj)
        assert replies, request

    try:
        answered()
    finally:
        sock.close()
    assert "Traceback" not in service.stderr_text()
    assert service.answers()


def exchange_socket(service: Service) -> socket.socket:
    """A raw connection to the service, 10 s timeout."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(service.socket))
    sock.settimeout(10)
    return sock


# --- §7: signals, stale state, stuck clients ------------------------------------------------
def burst(pid: int, seconds: float = 3.0) -> None:
    """SIGTERM, then SIGTERM and SIGINT every 2 ms until ``pid`` is gone (or ``seconds``):
    some land while the service is stopping, whatever that takes."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.002)
        try:
            os.kill(pid, signal.SIGINT if int(time.monotonic() * 1000) % 2 else signal.SIGTERM)
        except ProcessLookupError:
            return


def test_more_stop_signals_while_stopping_are_ignored(service: Service) -> None:
    """A burst of SIGTERM and SIGINT: the service stops in order once, exits 0, and leaves
    neither its pid file nor its socket."""
    running_pagent(service)
    service.killed = True  # this test stops it
    burst(service.pid)
    code = service.process.wait(10)
    assert code == 0, service.stderr_text()
    run = service.root / "var" / "run"
    assert not (run / "pagent.pid").exists()
    assert not (run / "pagent.sock").exists()
    assert "Traceback" not in service.stderr_text()
    assert service.log_text().count("service_stopping") == 1


def test_sigterm_with_a_client_that_never_reads_stops_promptly(service: Service) -> None:
    """A client that sends requests and reads none of the replies (the service's send
    buffer full, its task waiting for the client) does not hold up SIGTERM: exit 0 within
    2 s, no traceback."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(service.socket))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        request = b'{"id": 1, "op": "command", "text": "HELP"}\n'
        sock.sendall(request * 400)  # about 800 KB of replies, past every buffer, under 1 MiB
        time.sleep(0.5)  # the service has answered what it could and waits on the client
        assert service.answers()
        start = time.monotonic()
        code = service.terminate()
        took = time.monotonic() - start
    assert code == 0, service.stderr_text()
    assert took < 2.0, f"{took:.1f} s from SIGTERM to exit"
    assert "Traceback" not in service.stderr_text()
    assert "CancelledError" not in service.stderr_text()


def _catches(pid: int, sig: signal.Signals) -> bool:
    """Whether process ``pid`` has a handler for ``sig`` (SigCgt of /proc/PID/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) >> (sig - 1) & 1)


STARTUP_POINTS: dict[str, Callable[[Service], bool]] = {
    # The earliest: serve's first step, its flag handler, is in place.
    "handler": lambda s: _catches(s.pid, signal.SIGTERM),
    "pid file": lambda s: (s.root / "var" / "run" / "pagent.pid").exists(),
    "system built": lambda s: "pagent serve: image" in s.stderr_text(),
    "socket": lambda s: s.socket.exists(),
    "answering": lambda s: s.answers(),
}


@pytest.mark.parametrize(
    ("point", "sig"),
    [*((point, signal.SIGTERM) for point in STARTUP_POINTS), ("handler", signal.SIGINT),
     ("system built", signal.SIGINT)],
)  # fmt: skip
def test_a_stop_signal_at_any_point_of_start_up_stops_in_order(
    root: Path, point: str, sig: signal.Signals
) -> None:
    """SIGTERM or SIGINT at each point of start-up, from serve's first step to the first
    answer: exit 0, no pid file and no socket left, no traceback (issue 13 §7)."""
    err = root.parent / "serve.err"
    with err.open("wb") as stderr:
        process = subprocess.Popen(
            [*PAGENT, "serve", "--root", str(root)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    service = Service(root, process, root.parent / "serve.out", err, killed=True)
    try:
        reached = STARTUP_POINTS[point]
        deadline = time.monotonic() + 20
        while not reached(service) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        assert process.poll() is None, service.stderr_text()
        os.kill(process.pid, sig)
        code = process.wait(20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert code == 0, f"{point}: exit {code}; stderr:\n{service.stderr_text()}"
    run = root / "var" / "run"
    assert not (run / "pagent.pid").exists()
    assert not (run / "pagent.sock").exists()
    assert "Traceback" not in service.stderr_text()


def serve_fails(root: Path) -> subprocess.CompletedProcess[str]:
    """``pagent serve --root ROOT`` that must end by itself at once."""
    return pagent("serve", "--root", str(root), timeout=30)


BAD_SAF_INDEXES = [
    ("not JSON", "{ this is not json"),
    ("not an object", "[1, 2, 3]\n"),
    ("unknown format", '{"format": 99}\n'),
    ("a certificate without its fields", '{"format": 1, "certificates": [{"owner": "U"}]}\n'),
    ("wrong types", '{"format": 1, "rings": 5}\n'),
    ("binary", "\udcff\udcfe"),
]


@pytest.mark.parametrize(
    "text", [t for _, t in BAD_SAF_INDEXES], ids=[w for w, _ in BAD_SAF_INDEXES]
)
def test_a_damaged_saf_index_is_a_one_line_error(root: Path, text: str) -> None:
    """An invalid var/saf/saf.json: exit 1, one line naming the file and the remedy, and no
    pid file or socket left."""
    index = root / "var" / "saf" / "saf.json"
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_bytes(text.encode("utf-8", "surrogateescape"))
    done = serve_fails(root)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("pagent serve: "), lines
    assert str(index) in lines[0]
    assert "Traceback" not in done.stderr
    assert not (root / "var" / "run" / "pagent.pid").exists()
    assert not (root / "var" / "run" / "pagent.sock").exists()


@pytest.mark.parametrize("name", ["pagent.pid", "pagent.sock", "pagent.lock"])
def test_a_directory_in_place_of_a_run_file_is_a_one_line_error(root: Path, name: str) -> None:
    """A directory where var/run/pagent.pid, pagent.sock or pagent.lock should be: exit 1
    and one line naming it; the directory is left alone."""
    (root / "var" / "run" / name).mkdir(parents=True)
    done = serve_fails(root)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert str(root / "var" / "run" / name) in lines[0]
    assert "Traceback" not in done.stderr
    assert (root / "var" / "run" / name).is_dir()


# --- §8: a user the service does not serve ---------------------------------------------------
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")


@dataclass
class Outcome:
    """What a pagent command run as another user did."""

    code: int
    stdout: str
    stderr: str


def pagent_as(user: str, *args: str) -> Outcome:
    """``pagent ARGS`` run as ``user`` in a forked child that drops root.

    The interpreter itself may be out of the user's reach (a pyenv under /root), so the
    child runs the CLI in the test's own process image, every module it needs imported
    before the fork.
    """
    import console.main
    import console.script  # noqa: F401
    import pagent.commands.search  # noqa: F401
    from pagent import cli

    entry = pwd.getpwnam(user)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            code = 99
            try:
                os.setgroups([])
                os.setgid(entry.pw_gid)
                os.setuid(entry.pw_uid)
                os.chdir("/")
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
                sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
                code = cli.main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 98
            except BaseException:  # noqa: BLE001 - shown to the test as a traceback
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(child, 0)
        out.seek(0)
        err.seek(0)
        return Outcome(
            os.waitstatus_to_exitcode(status),
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )


def assert_told_about_access(outcome: Outcome, root: Path) -> None:
    """The message says what happened and how to grant access, and nothing else."""
    text = outcome.stderr
    assert "Traceback" not in text, text
    assert "no pagent service" not in text, text
    assert "no running pagent service" not in text, text
    assert "nobody" in text, text
    assert "allow-user nobody" in text, text
    assert str(root / "etc" / "service.conf") in text, text
    assert len(text.strip().splitlines()) == 1, text


@needs_root
@pytest.mark.parametrize("no_start", [True, False], ids=["no-start", "may-start"])
def test_console_of_a_user_without_access_is_told_why_and_starts_nothing(
    root: Path, launch: Launch, no_start: bool
) -> None:
    """Socket mode 0600 (no grant): the console says access is denied, with the remedy,
    exits 3, and never starts a second service (it tried, as nobody, and failed with
    "Permission denied: '/usr/bin/python3'")."""
    root.parent.chmod(0o755)
    service = launch()
    options = ["--no-start"] if no_start else []
    outcome = pagent_as("nobody", "console", "--root", str(root), *options, "-c", "D TCPIP")
    assert outcome.code == 3, outcome
    assert_told_about_access(outcome, root)
    assert "started" not in outcome.stderr
    assert (root / "var" / "run" / "pagent.pid").read_text("ascii").strip() == str(service.pid)
    assert service.answers()


@needs_root
def test_console_refused_by_the_service_is_told_why(root: Path, launch: Launch) -> None:
    """A grant for another user opens the socket (0666): nobody connects and the service
    refuses it. The console says so, with the remedy, and starts nothing."""
    root.parent.chmod(0o755)
    (root / "etc" / "service.conf").write_text("allow-user daemon\n", "utf-8")
    service = launch()
    outcome = pagent_as("nobody", "console", "--root", str(root), "-c", "D TCPIP")
    assert outcome.code == 3, outcome
    assert_told_about_access(outcome, root)
    assert "not allowed" in outcome.stderr
    assert service.wait_log("control_client_refused")


@needs_root
@pytest.mark.parametrize("grant_other", [False, True], ids=["socket-0600", "refused"])
def test_search_of_a_user_without_access_is_told_why(
    root: Path, launch: Launch, grant_other: bool
) -> None:
    """``pagent search -t`` as a user the service does not serve: the reason and the
    remedy, exit 2, not "no running pagent service"."""
    root.parent.chmod(0o755)
    if grant_other:
        (root / "etc" / "service.conf").write_text("allow-user daemon\n", "utf-8")
    launch()
    outcome = pagent_as("nobody", "search", "-t", "--root", str(root))
    assert outcome.code == 2, outcome
    assert_told_about_access(outcome, root)
