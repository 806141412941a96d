"""pagent.stack.sockdiag: socket lookups by address through netlink sock_diag."""

from __future__ import annotations

import os
import socket

from pagent.stack.sockdiag import SockDiag, parse, request


def test_a_connected_socket_is_found_with_its_inode_and_uid():
    diag = SockDiag.make()
    try:
        with socket.create_server(("127.0.0.1", 0)) as server:
            port = server.getsockname()[1]
            with socket.create_connection(("127.0.0.1", port)) as client:
                found = diag.find(client.getsockname(), ("127.0.0.1", port))
                assert found is not None
                assert found.inode == os.fstat(client.fileno()).st_ino
                assert found.uid == os.getuid()
                assert not found.listening
    finally:
        diag.close()


def test_a_listening_socket_answers_for_any_remote_end():
    diag = SockDiag.make()
    try:
        with socket.create_server(("127.0.0.1", 0)) as server:
            found = diag.find(server.getsockname(), ("127.0.0.1", 12345))
            assert found is not None
            assert found.inode == os.fstat(server.fileno()).st_ino
            assert found.listening
    finally:
        diag.close()


def test_an_ipv6_listener_is_found():
    diag = SockDiag.make()
    try:
        with socket.create_server(("::1", 0), family=socket.AF_INET6) as server:
            found = diag.find(server.getsockname()[:2], ("::1", 1))
            assert found is not None
            assert found.inode == os.fstat(server.fileno()).st_ino
    finally:
        diag.close()


def test_no_socket_is_none():
    diag = SockDiag.make()
    try:
        assert diag.find(("127.0.0.1", 1), ("127.0.0.1", 2)) is None
    finally:
        diag.close()


def test_the_request_is_a_72_byte_sock_diag_message():
    raw = request(7, ("127.0.0.1", 9443), ("127.0.0.1", 40000))
    assert len(raw) == 72
    assert int.from_bytes(raw[:4], "little") == 72


def test_a_short_or_error_reply_is_none():
    assert parse(b"") is None
    assert parse(b"\x24\x00\x00\x00\x02\x00" + b"\x00" * 30) is None
