"""A running service under large policies and bad files: refreshes never block it (issue 13).

Each test runs a real ``pagent serve`` (tests/e2e/conftest.py). The policies are made here:
the workshop policy with extra rules that reuse its actions, as an operator's copy-and-edit
makes them.
"""

from __future__ import annotations

import re

import pytest

from pagent.service.client import ControlClient
from tests.e2e.conftest import Service, pagent

pytestmark = pytest.mark.e2e

EZD1586I = "EZD1586I PAGENT HAS INSTALLED ALL LOCAL POLICIES FOR TCPIP1"
EZZ8438I = "EZZ8438I PAGENT POLICY DEFINITIONS CONTAIN ERRORS FOR TCPIP1 : TTLS"


def extra_rules(count: int, *, first: int = 1) -> str:
    """``count`` rules that reuse the workshop policy's actions, each on its own port."""
    return "".join(
        f"""TTLSRule                          Extra{i:05d}
{{
  LocalAddrSetRef                 addr1
  RemoteAddrSetRef                addr1
  LocalPortRangeRef               portR1
  RemotePortRange                 {20000 + i % 40000}
  Jobname                         JOB{i % 1000:03d}
  Direction                       Outbound
  Priority                        {1 + i % 250}
  TTLSGroupActionRef              gAct1~zCEEClient
  TTLSEnvironmentActionRef        eAct1~zCEEClient
  TTLSConnectionActionRef         cAct1~zCEEClient
}}
"""
        for i in range(first, first + count)
    )


def grow_policy(service: Service, count: int) -> str:
    """Append ``count`` extra rules to the root's workshop policy; the new text."""
    text = service.policy.read_text("utf-8") + extra_rules(count)
    service.policy.write_text(text, "utf-8")
    return text


def subscribed(service: Service, timeout: float = 60.0) -> ControlClient:
    """A new client of ``service`` that receives unsolicited messages."""
    client = service.client(timeout=timeout)
    client.subscribe()
    return client


def test_search_shows_a_policy_of_a_thousand_rules_through_the_service(service):
    """pasearch of 1,001 installed rules comes back whole: the reply is paced, not cut."""
    grow_policy(service, 1000)
    service.start_pagent(subscribed(service))
    done = pagent("search", "-t", "--root", str(service.root), timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(re.findall(r"^policyRule:", done.stdout, re.M)) == 1001


# --- Item 1: PAGENT's work never blocks the service ------------------------------------------
def test_d_tcpip_is_answered_while_pagent_installs_a_large_policy(service):
    """D TCPIP from another client is answered before the start's EZD1586I, not after it."""
    grow_policy(service, 5000)
    watcher = subscribed(service, timeout=120)
    assert watcher.command("S PAGENT").status == "ok"
    other = service.client()
    answered = other.command("D TCPIP")
    installed = watcher.wait_message("EZD1586I", 120)
    assert installed is not None
    # Both times are the service's clock: the reply was made while PAGENT worked.
    assert answered.lines[0]["time"] < installed["time"]


def test_sigterm_is_acted_on_during_a_long_start(service):
    """SIGTERM while PAGENT installs 20,000 rules ends the service at once, exit 0."""
    grow_policy(service, 20_000)
    client = subscribed(service)
    assert client.command("S PAGENT").status == "ok"
    assert client.wait_message("EZZ8431I", 10) is not None
    assert service.terminate() == 0
    # It did not wait for the install to finish first.
    assert EZD1586I not in service.log_text()
    assert not service.socket.exists()
