"""``pagent serve`` as a real process on a fresh root, driven over its control socket.

Issue 3 §7: the workshop sequence, a broken edit that keeps the installed policy, kill -9
and a restart, log rotation while messages flow; and around them the other ways a running
service is used and abused (editor saves, unchanged edits, SIGHUP, the TcpImage interval,
SIGTERM with clients connected, a second service, two stacks, other users, garbage on the
socket).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from pagent.service.client import ControlClient, ServiceError
from tests.e2e.conftest import (
    POLICY,
    Launch,
    Service,
    collect_until,
    pagent,
)
from tests.processes import wait_until

pytestmark = pytest.mark.e2e

OBEY_TTLS = "V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)"
WORKSHOP_OBEY = [  # pagent-ops §0.1: the workshop's response, in this order
    "EZZ0060I PROCESSING COMMAND: VARY TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)",
    "EZZ0300I OPENED OBEYFILE FILE 'SYS1.TCPPARMS(TTLS)'",
    "EZZ0309I PROFILE PROCESSING BEGINNING FOR 'SYS1.TCPPARMS(TTLS)'",
    "EZZ0316I PROFILE PROCESSING COMPLETE FOR FILE 'SYS1.TCPPARMS(TTLS)'",
    "EZZ0053I COMMAND VARY OBEY COMPLETED SUCCESSFULLY",
]
WORKSHOP_START = [  # PAGENT's console messages after S PAGENT, in the workshop's order
    "EZZ8431I",
    "EZZ8432I",
    "EZD1579I",
    "EZZ8771I",
    "EZZ8771I",
    "EZD1586I",
]
PORT_LINE = "  Port                            9443\n"  # portR2 of the workshop policy
EZD1586I = "EZD1586I PAGENT HAS INSTALLED ALL LOCAL POLICIES FOR {}"
EZZ8438I = "EZZ8438I PAGENT POLICY DEFINITIONS CONTAIN ERRORS FOR {} : TTLS"


def search_t(root: Path) -> str:
    """``pagent search -t --root ROOT``: the installed policy, through the service."""
    done = pagent("search", "-t", "--root", str(root))
    assert done.returncode == 0, done.stderr
    return done.stdout


def remote_port(pasearch: str) -> int:
    """The RemotePortFrom of the (only) rule in a pasearch -t report."""
    found = re.findall(r"RemotePortFrom:\s+(\d+)", pasearch)
    assert len(found) == 1, pasearch
    return int(found[0])


def edit_policy(service: Service, old: str, new: str) -> None:
    """Change the policy file in place (open, truncate, write), as ``echo >`` would."""
    text = service.policy.read_text("utf-8")
    assert old in text
    service.policy.write_text(text.replace(old, new), "utf-8")


def running_pagent(service: Service) -> ControlClient:
    """A subscribed client of ``service``, with PAGENT started and its policy installed."""
    client = service.client()
    client.subscribe()
    service.start_pagent(client)
    return client


# --- the workshop ---------------------------------------------------------------------------
def test_workshop_sequence(service: Service) -> None:
    """S PAGENT, EZD1579I/EZD1586I, OBEY of TTLS, TTLS: YES, the log, an edit installed."""
    client = service.client()
    client.subscribe()

    reply = client.command("S PAGENT")
    assert reply.status == "ok"
    assert [line["msgid"] for line in reply.lines] == ["$HASP100", "$HASP373", "IEF403I"]
    messages = collect_until(client, "EZD1586I")
    assert [m["msgid"] for m in messages] == WORKSHOP_START
    assert messages[2]["text"] == "EZD1579I PAGENT POLICIES ARE NOT ENABLED FOR TCPIP1 : TTLS"
    assert messages[-1]["text"] == EZD1586I.format("TCPIP1")
    assert not {"EZD1579I", "EZD1586I"} & {line["msgid"] for line in reply.lines}

    reply = client.command(OBEY_TTLS)
    assert reply.status == "ok"
    assert reply.texts == WORKSHOP_OBEY

    reply = client.command("D TCPIP,,N,CONFIG")
    assert reply.status == "ok"
    assert any(re.match(r"TTLS:\s+YES\b", text) for text in reply.texts), reply.texts

    log = service.log_text()
    assert "main: EZZ8431I PAGENT STARTING" in log
    assert "Processing: 'TTLSRule" in log
    assert EZD1586I.format("TCPIP1") in log

    # An edit of the policy is installed on its own: the next EZD1586I, then pasearch.
    assert remote_port(search_t(service.root)) == 9443
    edit_policy(service, PORT_LINE, PORT_LINE.replace("9443", "9444"))
    collect_until(client, "EZD1586I")
    assert remote_port(search_t(service.root)) == 9444


def test_broken_edit_keeps_the_installed_policy(service: Service) -> None:
    """Direction Sideways: EZZ8438I, E107 in the log, and pasearch shows the old policy."""
    client = running_pagent(service)
    edit_policy(service, PORT_LINE, PORT_LINE.replace("9443", "9450"))
    collect_until(client, "EZD1586I")
    assert remote_port(search_t(service.root)) == 9450

    edit_policy(service, "Outbound", "Sideways")
    messages = collect_until(client, "EZZ8438I")
    assert messages[-1]["text"] == EZZ8438I.format("TCPIP1")
    assert "EZD1586I" not in [m["msgid"] for m in messages]
    assert service.wait_log("error E107: Direction 'Sideways'")
    assert service.wait_log("TTLS policy for TCPIP1 stays as installed")
    assert remote_port(search_t(service.root)) == 9450
    assert "Outbound" in search_t(service.root)


def test_editor_save_by_rename_is_noticed(service: Service) -> None:
    """An editor writes a temporary file beside the policy and renames it over the policy."""
    client = running_pagent(service)
    text = service.policy.read_text("utf-8").replace(PORT_LINE, PORT_LINE.replace("9443", "9445"))
    temporary = service.policy.with_name(f".{service.policy.name}.swp")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, service.policy)

    collect_until(client, "EZD1586I")
    assert remote_port("\n".join(client.pasearch().texts)) == 9445


def test_edit_that_changes_nothing_installs_nothing(service: Service) -> None:
    """A comment line on top (every statement moves down a line): the update says the
    policy is unchanged and installs nothing."""
    client = running_pagent(service)
    text = service.policy.read_text("utf-8")
    service.policy.write_text("# reviewed by the security team\n" + text, "utf-8")

    messages = collect_until(client, "EZZ8771I")  # processing complete, QOS then TTLS
    assert service.wait_log("_profile: TTLS policy for TCPIP1 is unchanged; nothing installed")
    update = service.log_text().split(EZD1586I.format("TCPIP1"))[1]
    assert "added" not in update  # no change summary: nothing was installed
    # Nothing installed, nothing announced (issue 13 §11): the start's EZD1586I only.
    assert client.wait_message("EZD1586I", 1.0) is None
    assert "EZD1586I" not in [m["msgid"] for m in messages]
    assert service.log_text().count(EZD1586I.format("TCPIP1")) == 1
    assert remote_port("\n".join(client.pasearch().texts)) == 9443


def test_sighup_refreshes(service: Service) -> None:
    """SIGHUP is F PAGENT,REFRESH: the policy is installed again (EZD1586I)."""
    client = running_pagent(service)
    os.kill(service.pid, signal.SIGHUP)

    collect_until(client, "EZD1586I")
    assert service.wait_log("refresh_requested reason='SIGHUP' update=False")
    assert service.wait_log_count(EZD1586I.format("TCPIP1"), 2)
    assert client.ping() == "ok"


def test_tcpimage_interval_refreshes(root: Path, launch: Launch) -> None:
    """A TcpImage interval of 1 s: PAGENT re-reads its files on its own, every second."""
    conf = root / "etc" / "pagent.conf"
    text = conf.read_text("utf-8")
    assert "FLUSH PURGE 1800" in text
    conf.write_text(text.replace("FLUSH PURGE 1800", "FLUSH PURGE 1"), "utf-8")
    service = launch()
    client = running_pagent(service)

    messages = collect_until(client, "EZZ8771I", timeout=5)  # the interval's processing
    assert service.wait_log("refresh_requested reason='interval' update=True")
    assert service.wait_log("_profile: TTLS policy for TCPIP1 is unchanged; nothing installed")
    assert "EZD1586I" not in [m["msgid"] for m in messages]  # nothing installed (F-241)


# --- stopping -------------------------------------------------------------------------------
def drain(client: ControlClient) -> list[str]:
    """The texts of the messages still to come, until the service closes the connection."""
    texts: list[str] = []
    while True:
        try:
            msg = client.receive(5)
        except ServiceError as exc:
            if "closed the connection" not in str(exc):
                raise
            return texts
        assert msg is not None, f"the connection stayed open after {texts}"
        texts.append(msg["text"])


def connected_at_sigterm(service: Service) -> tuple[ControlClient, int]:
    """PAGENT running, a subscribed and an idle client connected, then SIGTERM: the
    subscribed client and the exit code."""
    client = running_pagent(service)
    service.client().ping()  # a second connection, idle when the signal comes
    return client, service.terminate()


def test_sigterm_with_clients_connected_stops_in_order(service: Service) -> None:
    """SIGTERM: PAGENT's purge messages reach subscribers, then the connections close, the
    pid file and socket go, and the exit code is 0."""
    client, code = connected_at_sigterm(service)
    assert code == 0, service.stderr_text()
    texts = drain(client)
    assert texts == [
        "EZZ8773I PAGENT POLICIES PURGED FOR TCPIP1 : QOS",
        "EZZ8773I PAGENT POLICIES PURGED FOR TCPIP1 : TTLS",
        "EZZ8433I PAGENT ENDING",
    ]
    run = service.root / "var" / "run"
    assert not (run / "pagent.pid").exists()
    assert not (run / "pagent.sock").exists()


def test_sigterm_with_clients_connected_leaves_no_traceback(service: Service) -> None:
    """An orderly stop writes nothing alarming to standard error."""
    _client, code = connected_at_sigterm(service)
    assert code == 0
    assert "Traceback" not in service.stderr_text()


# --- one service per root -------------------------------------------------------------------
def test_restart_after_kill_9(launch: Launch) -> None:
    """kill -9 leaves the pid file and socket; the next service replaces them and answers."""
    first = launch()
    first.kill9()
    run = first.root / "var" / "run"
    assert (run / "pagent.pid").read_text("ascii").strip() == str(first.pid)
    assert (run / "pagent.sock").exists()

    second = launch()
    assert f"pid {first.pid}" in second.stderr_text()
    assert (run / "pagent.pid").read_text("ascii").strip() == str(second.pid)
    client = running_pagent(second)
    assert client.status()["pagent"] is True


def test_second_service_on_a_served_root_is_refused(service: Service) -> None:
    """A second ``pagent serve`` exits non-zero and names the process that runs."""
    done = pagent("serve", "--root", str(service.root), timeout=10)
    assert done.returncode != 0
    assert f"process {service.pid}" in done.stderr
    assert "already runs" in done.stderr
    assert service.answers()
    run = service.root / "var" / "run"
    assert (run / "pagent.pid").read_text("ascii").strip() == str(service.pid)


# --- syslogd --------------------------------------------------------------------------------
def test_log_rotation_while_messages_flow(service: Service) -> None:
    """Two renames and a SIGUSR1 during a stream of refreshes lose and repeat no record."""
    running_pagent(service)
    log = service.syslog
    refreshes = 0
    stop = threading.Event()
    failures: list[BaseException] = []

    def refresh_loop() -> None:
        nonlocal refreshes
        try:
            with ControlClient(service.socket, timeout=10) as client:
                while not stop.is_set():
                    reply = client.command("F PAGENT,REFRESH")
                    assert reply.status == "ok", reply.texts
                    refreshes += 1
        except (AssertionError, ServiceError, OSError) as exc:  # reported below
            failures.append(exc)

    def after(more: int) -> bool:
        goal = refreshes + more
        return wait_until(lambda: refreshes >= goal or bool(failures), 10)

    worker = threading.Thread(target=refresh_loop, daemon=True)
    worker.start()
    try:
        assert after(5)
        log.rename(log.with_name(log.name + ".1"))
        assert after(5)
        assert wait_until(log.exists, 5)
        log.rename(log.with_name(log.name + ".2"))
        assert after(5)
        os.kill(service.pid, signal.SIGUSR1)
        assert service.wait_log("syslogd_reopened reason='SIGUSR1'")
        assert after(5)
    finally:
        stop.set()
        worker.join(10)
    assert not failures, failures
    assert not worker.is_alive()

    files = [log.with_name(log.name + ".1"), log.with_name(log.name + ".2"), log]
    texts = [f.read_text("utf-8") for f in files]
    installed = EZD1586I.format("TCPIP1")
    counts = [text.count(installed) for text in texts]
    assert all(counts), counts  # records went to every generation of the file
    assert sum(counts) == 1 + refreshes  # S PAGENT's, then one per refresh: none lost or doubled
    summaries = sum(t.count("TTLS policy for TCPIP1: 0 added, 0 changed, 0 removed") for t in texts)
    assert summaries == refreshes
    assert sum(t.count("syslogd_reopened") for t in texts) == 1


# --- two stacks -----------------------------------------------------------------------------
def test_two_stacks(root: Path, launch: Launch) -> None:
    """TCPIP1 and TCPIP2: D TCPIP lists both, S PAGENT installs the policy in both."""
    with (root / "etc" / "system.conf").open("a", encoding="utf-8") as conf:
        conf.write("STACK     TCPIP2   SYS1.TCPPARMS(PROFILE)\n")
    image2 = root / "etc" / "cfgasst" / "v2r3" / "WG31" / "TCPIP2" / "pagent.TCPIP2.conf"
    image2.parent.mkdir(parents=True)
    image2.write_text(f"TTLSConfig      /{POLICY}   FLUSH PURGE\n", "utf-8")
    with (root / "etc" / "pagent.conf").open("a", encoding="utf-8") as conf:
        conf.write(f"TcpImage        TCPIP2   /{image2.relative_to(root)}   FLUSH PURGE 1800\n")
    service = launch()
    client = service.client()
    client.subscribe()

    reply = client.command("D TCPIP")
    rows = [text.split() for text in reply.texts if text.split()[:1] in (["1"], ["2"])]
    assert rows == [
        ["1", "TCPIP1", "CS", "V2R3", "ACTIVE"],
        ["2", "TCPIP2", "CS", "V2R3", "ACTIVE"],
    ]

    assert client.command("S PAGENT").status == "ok"
    seen = collect_until(client, "EZD1586I")
    if seen[-1]["text"] == EZD1586I.format("TCPIP1"):
        seen += collect_until(client, "EZD1586I")
    texts = [m["text"] for m in seen]
    for stack in ("TCPIP1", "TCPIP2"):
        assert EZD1586I.format(stack) in texts
        assert f"EZD1579I PAGENT POLICIES ARE NOT ENABLED FOR {stack} : TTLS" in texts
    for stack in ("TCPIP1", "TCPIP2"):
        report = "\n".join(client.pasearch(image=stack).texts)
        assert f"Image Name: {stack}" in report
        assert "zCEEClientRule~1" in report

    assert client.command("V TCPIP,TCPIP2,OBEY,SYS1.TCPPARMS(TTLS)").status == "ok"
    ttls = {s["name"]: s["ttls"] for s in client.status()["stacks"]}
    assert ttls == {"TCPIP1": False, "TCPIP2": True}


# --- other users ---------------------------------------------------------------------------
def ping_as(user: str, path: Path) -> str:
    """Connect to ``path`` as ``user`` (a forked child that drops root) and ping: the reply
    line, or the error that stopped it."""
    entry = pwd.getpwnam(user)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        outcome = b""
        try:
            os.setgid(entry.pw_gid)
            os.setuid(entry.pw_uid)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(5)
                sock.connect(str(path))
                sock.sendall(b'{"id": 1, "op": "ping"}\n')
                outcome = sock.recv(4096)
        except OSError as exc:
            outcome = f"OSError: {exc.strerror}".encode()
        finally:
            os.write(write_end, outcome or b"(nothing)")
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        outcome = pipe.read()
    os.waitpid(child, 0)
    return outcome.decode("utf-8", "replace")


needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="switching users needs root"
)


def open_to_others(root: Path) -> None:
    """Let other users reach ROOT/var/run (mkdtemp makes the base directory 0700)."""
    root.parent.chmod(0o755)


@needs_root
def test_other_user_is_refused(root: Path, launch: Launch) -> None:
    """Without a grant in etc/service.conf, another user's process gets no answer."""
    open_to_others(root)
    service = launch()
    outcome = ping_as("nobody", service.socket)
    assert '"status":"ok"' not in outcome, outcome
    assert service.answers()


@needs_root
def test_user_granted_by_service_conf_is_served(root: Path, launch: Launch) -> None:
    """``allow-user nobody`` in etc/service.conf lets nobody's processes use the service."""
    open_to_others(root)
    (root / "etc" / "service.conf").write_text("allow-user nobody\n", "utf-8")
    service = launch()
    outcome = ping_as("nobody", service.socket)
    assert '"type":"end","status":"ok"' in outcome, outcome


# --- the socket under abuse -----------------------------------------------------------------
def exchange(path: Path, data: bytes, *, timeout: float = 5.0) -> tuple[list[bytes], bool, bool]:
    """Send ``data`` on a new connection; (reply lines, closed by the service, still usable).

    After the first reply (or when none comes) it sends a ping on the same connection:
    ``usable`` tells whether its answer came back.
    """
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(path))
        sock.settimeout(timeout)
        with contextlib.suppress(OSError):  # closed on us half-way (the oversized case)
            sock.sendall(data)
        buf = b""
        closed = False
        deadline = time.monotonic() + timeout
        while b"\n" not in buf and time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            except ConnectionError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            buf += chunk
        usable = False
        if not closed:
            try:
                sock.sendall(b'{"id": "after", "op": "ping"}\n')
                while b'"after"' not in buf:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                usable = b'"id":"after","type":"end","status":"ok"' in buf
            except OSError:
                usable = False
        lines = [line for line in buf.split(b"\n") if line and b'"after"' not in line]
        return lines, closed, usable


BIG = 70 * 1024  # past the 64 KiB limit of a request line

BAD_REQUESTS: list[tuple[str, bytes, bool]] = [  # (what, bytes sent, connection stays open)
    ("not JSON", b"hello, service\n", True),
    ("not an object", b"[1, 2, 3]\n", True),
    ("unknown op", b'{"id": 1, "op": "format-disk"}\n', True),
    ("command without text", b'{"id": 2, "op": "command"}\n', True),
    ("command text not a string", b'{"id": 3, "op": "command", "text": 42}\n', True),
    ("binary, not UTF-8", bytes(range(128, 256)) + b"\n", True),
    ("binary with NULs", b"\x00\x01\x02\xfe\xff\x00\n", True),
    ("oversized line", b"x" * BIG + b"\n", False),
    ("oversized JSON", b'{"id": 4, "op": "command", "text": "' + b"D" * BIG + b'"}\n', False),
    ("oversized, no line end", b"y" * BIG, False),
]


def test_bad_requests_leave_the_service_serving(service: Service) -> None:
    """Each bad request gets an error reply (past 64 KiB, and the connection is closed);
    half a request, a hang-up, a client that never reads: the service answers after each."""
    client = running_pagent(service)
    for what, data, stays_open in BAD_REQUESTS:
        lines, closed, usable = exchange(service.socket, data)
        assert lines, f"{what}: no reply at all"
        assert b'"type":"error"' in lines[0], (what, lines[0][:200])
        if stays_open:
            assert usable, f"{what}: the connection did not stay usable"
            assert not closed, what
        else:
            assert not usable, f"{what}: the connection stayed open"
        assert service.answers(), f"{what}: the service stopped answering"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(service.socket))
        sock.sendall(b'{"id": 1, "op": "comm')  # and hang up
    assert service.answers()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(service.socket))
        sock.sendall(b'{"id": 1, "op": "command", "text": "D TCPIP"}\n')  # never read
    assert service.answers()
    assert client.command("D TCPIP,,N,CONFIG").status == "ok"
    assert "Traceback" not in service.stderr_text()


def test_deeply_nested_request_gets_an_error_reply(service: Service) -> None:
    """60,000 bytes of nested brackets are valid JSON but no object: an error, and stay open."""
    lines, closed, usable = exchange(service.socket, b"[" * 30000 + b"]" * 30000 + b"\n")
    assert service.answers()
    assert lines
    assert b'"type":"error"' in lines[0]
    assert usable
    assert not closed
    assert "Traceback" not in service.stderr_text()
