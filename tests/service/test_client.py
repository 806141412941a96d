"""The client library: how it reports a service that does not serve this user (issue 13 §8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pagent.service.client import AccessDeniedError, ControlClient, grant_remedy, user_name
from tests.service.test_control import (  # noqa: F401 - fixtures used by name
    Running,
    fixture_sock_dir,
)


def test_a_refusal_is_an_access_error_however_the_race_goes(sock_dir):
    """The service refuses and closes at once: whether the client's request meets the
    closed socket (EPIPE) or the refusal is read first, the client reports the refusal,
    with the remedy, never a lost service."""
    running = Running(sock_dir / "var" / "run" / "pagent.sock", allowed=set())
    try:
        for _ in range(30):
            with (
                pytest.raises(AccessDeniedError, match="not allowed") as caught,
                ControlClient(running.path, timeout=5) as client,
            ):
                client.ping()
            assert f"'allow-user {user_name()}'" in str(caught.value)
            assert str(sock_dir / "etc" / "service.conf") in str(caught.value)
    finally:
        running.stop()


def test_the_remedy_names_the_root_s_service_conf():
    """For ROOT/var/run/pagent.sock the remedy is ROOT/etc/service.conf; for another
    socket path it names the file generically."""
    remedy = grant_remedy(Path("/srv/pagent/var/run/pagent.sock"), "alice", restart=True)
    assert remedy == (
        "the service's owner can grant access with the line 'allow-user alice' in "
        "/srv/pagent/etc/service.conf and restart the service"
    )
    assert "the root's etc/service.conf" in grant_remedy(Path("x.sock"), "bob", restart=False)
