"""pagent.stack.owners: who owns a TCP endpoint (datapath-notes.md)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from pagent.stack import owners

HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
    "   uid  timeout inode\n"
)


def _row(local: str, remote: str, state: str, inode: int) -> str:
    queues = "00000000:00000000 00:00000000 00000000"
    return f"   0: {local} {remote} {state} {queues}     0        0 {inode} 1\n"


def test_hex_address_is_host_order_as_proc_net_tcp_spells_it():
    assert owners._hex_address("127.0.0.1", 9443) == "0100007F:24E3"


def test_hex_address_of_ipv6_loopback():
    assert owners._hex_address("::1", 80) == "00000000000000000000000001000000:0050"


def test_endpoint_inode_finds_the_connected_socket(tmp_path: Path):
    (tmp_path / "tcp").write_text(
        HEADER
        + _row("0100007F:24E3", "00000000:0000", "0A", 11)
        + _row("0100007F:A0B0", "0100007F:24E3", "01", 22)
    )
    assert owners.endpoint_inode(tmp_path, ("127.0.0.1", 0xA0B0), ("127.0.0.1", 9443)) == 22


def test_endpoint_inode_is_none_when_the_socket_is_gone(tmp_path: Path):
    (tmp_path / "tcp").write_text(HEADER)
    assert owners.endpoint_inode(tmp_path, ("127.0.0.1", 1), ("127.0.0.1", 2)) is None


def test_listener_inode_prefers_the_exact_address_over_a_wildcard(tmp_path: Path):
    (tmp_path / "tcp").write_text(
        HEADER
        + _row("00000000:24E3", "00000000:0000", "0A", 11)
        + _row("0100007F:24E3", "00000000:0000", "0A", 12)
    )
    assert owners.listener_inode(tmp_path, "127.0.0.1", 9443) == 12


def test_listener_inode_takes_a_wildcard_listener(tmp_path: Path):
    (tmp_path / "tcp").write_text(HEADER + _row("00000000:24E3", "00000000:0000", "0A", 11))
    assert owners.listener_inode(tmp_path, "127.0.0.1", 9443) == 11


def test_listener_inode_ignores_connected_sockets_on_the_port(tmp_path: Path):
    (tmp_path / "tcp").write_text(HEADER + _row("0100007F:24E3", "0100007F:A0B0", "01", 11))
    assert owners.listener_inode(tmp_path, "127.0.0.1", 9443) is None


def test_real_listener_is_owned_by_this_process():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        net = Path(f"/proc/{os.getpid()}/net")
        inode = owners.listener_inode(net, "127.0.0.1", port)
        assert inode is not None
        ns = os.stat("/proc/self/ns/net").st_ino
        assert owners.owner(inode, ns).pid == os.getpid()


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
