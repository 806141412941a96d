"""pagent.stack.netns: the image's namespace, its redirect, and sockets made inside it."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pagent.stack import netns

needs_root = pytest.mark.skipif(netns.available() is not None, reason=str(netns.available()))


def test_namespace_name_differs_per_root(tmp_path: Path):
    a = netns.namespace_name("WG31", tmp_path / "a")
    b = netns.namespace_name("WG31", tmp_path / "b")
    assert a != b
    assert a.startswith("pagent-wg31-")


def test_nft_rules_redirect_tcp_but_not_the_stack_s_own_connections():
    rules = netns.nft_rules(15001)
    assert "meta mark 0x5041 return" in rules
    assert "redirect to :15001" in rules
    assert rules.count("type nat hook output") == 2  # IPv4 and IPv6


@pytest.fixture(name="image")
def fixture_image(tmp_path: Path) -> Iterator[netns.ImageNamespace]:
    if netns.available() is not None:
        pytest.skip(str(netns.available()))
    ns = netns.ImageNamespace(netns.namespace_name("TEST", tmp_path), ("wg31.example",))
    ns.create()
    try:
        yield ns
    finally:
        ns.delete()


def test_delete_removes_the_namespace_and_its_hosts_file(tmp_path: Path):
    if netns.available() is not None:
        pytest.skip(str(netns.available()))
    ns = netns.ImageNamespace(netns.namespace_name("TEST", tmp_path), ("wg31.example",))
    ns.create()
    assert ns.path.exists()
    assert (netns.ETC_NETNS / ns.name / "hosts").is_file()
    ns.delete()
    assert not ns.path.exists()
    assert not (netns.ETC_NETNS / ns.name).exists()


@needs_root
def test_a_program_in_the_image_is_redirected_and_its_destination_known(
    image: netns.ImageNamespace,
):
    listener = image.listener(socket.AF_INET)
    try:
        image.redirect_to(listener.getsockname()[1])
        listener.setblocking(True)
        listener.settimeout(10)
        code = (
            "import socket; s = socket.create_connection(('wg31.example', 9443)); s.sendall(b'hi')"
        )
        with subprocess.Popen([*image.exec_argv(), sys.executable, "-c", code]) as child:
            conn, _address = listener.accept()
            with conn:
                assert netns.original_destination(conn) == ("127.0.0.1", 9443)
                assert conn.recv(2) == b"hi"
            assert child.wait(10) == 0
    finally:
        listener.close()


@needs_root
def test_the_stack_s_own_sockets_are_not_redirected(image: netns.ImageNamespace):
    listener = image.listener(socket.AF_INET)
    server = image.call(lambda: socket.create_server(("127.0.0.1", 0)))
    try:
        image.redirect_to(listener.getsockname()[1])
        out = image.outbound(socket.AF_INET)
        with out:
            out.setblocking(True)
            out.settimeout(10)
            out.connect(server.getsockname())
            server.settimeout(10)
            conn, _ = server.accept()  # reached the server itself, not the stack
            conn.close()
    finally:
        listener.close()
        server.close()


def test_hosts_text_puts_the_host_names_on_the_image_s_home_address():
    text = netns.hosts_text(("wg31.washington.ibm.com", "wg31"), "192.168.17.201")
    assert text.splitlines()[0] == "192.168.17.201\twg31.washington.ibm.com wg31"
    assert "127.0.0.1\tlocalhost" in text


def test_the_workshop_address_exists_only_inside_the_image_and_its_names_resolve_there(
    tmp_path: Path,
):
    if netns.available() is not None:
        pytest.skip(str(netns.available()))
    image = netns.ImageNamespace(
        netns.namespace_name("ADDR", tmp_path), ("wg31.washington.ibm.com",), "192.168.17.201"
    )
    image.create()
    try:
        inside = subprocess.run(
            [*image.exec_argv(), "getent", "hosts", "wg31.washington.ibm.com"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert inside.stdout.split()[0] == "192.168.17.201"
        listener = image.call(lambda: socket.create_server(("192.168.17.201", 0)))
        with listener:
            port = listener.getsockname()[1]
            client = image.call(lambda: socket.create_connection(("192.168.17.201", port), 5))
            with client:
                assert client.getsockname()[0] == "192.168.17.201"
    finally:
        image.delete()
    here = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True, check=False)
    assert "192.168.17.201" not in here.stdout  # never on the machine's own network
