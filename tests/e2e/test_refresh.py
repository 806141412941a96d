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
