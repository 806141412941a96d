"""Test helpers: build a policy from text, list its diagnostics compactly."""

from __future__ import annotations

import textwrap

from pagent.policy.policy import Policy, load_policy
from pagent.policy.source import decode

GOOD_RULE = """\
TTLSRule R1
{
  LocalPortRange 8443
  Direction Inbound
  TTLSGroupActionRef G
  TTLSEnvironmentActionRef E
}
TTLSGroupAction G
{
  TTLSEnabled On
}
TTLSEnvironmentAction E
{
  HandshakeRole Server
  TTLSKeyringParms
  {
    Keyring SRV/RING
  }
}
"""


def policy_of(*texts: str) -> Policy:
    """Build a policy from dedented texts (several texts = several files, first is common)."""
    return load_policy(
        decode(textwrap.dedent(t).encode(), f"f{i}.policy") for i, t in enumerate(texts)
    )


def codes(policy: Policy) -> list[tuple[str, int]]:
    """(code, line) of every diagnostic, in order."""
    return [(d.code.id, d.loc.line) for d in policy.diagnostics]
