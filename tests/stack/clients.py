"""A client of the image: a socket made inside its namespace, connected through the stack."""

from __future__ import annotations

import asyncio
import resource
import socket
import ssl
from collections.abc import Callable
from typing import Protocol, TypeVar

import pytest

from pagent.service.daemon import raise_file_limit

_T = TypeVar("_T")


def need_open_files(count: int) -> None:
    """Open files up to the hard limit; skip the test when even that is below ``count``.

    A test of a thousand connections in one process needs about four descriptors each; on
    a machine whose hard limit is 1,024 it cannot run, which is the machine's limit, not a
    fault of the data path.
    """
    raise_file_limit()
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < count:
        pytest.skip(
            f"needs {count:,} open files; the hard limit is {soft:,} (ulimit -Hn; raise it "
            "in /etc/security/limits.conf or with prlimit)"
        )


class Image(Protocol):
    """What of an image a client needs: running a function inside its namespace."""

    def call(self, fn: Callable[[], _T]) -> _T: ...


async def connect_in(
    image: Image, port: int, context: ssl.SSLContext | None, timeout: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to 127.0.0.1:port from inside the image (redirected to the stack).

    With ``context``, TLS from the client's side; the socket is closed if either step fails.
    """

    def make() -> socket.socket:
        sock = socket.socket()
        sock.setblocking(False)
        return sock

    sock = image.call(make)
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.sock_connect(sock, ("127.0.0.1", port)), timeout)
        return await asyncio.wait_for(
            asyncio.open_connection(
                sock=sock, ssl=context, server_hostname="" if context else None
            ),
            timeout,
        )
    except BaseException:
        sock.close()
        raise
