"""Generate large AT-TLS policies for the benchmarks (issue 2 §9).

Each rule has its own group, environment and connection actions, key ring and advanced
parms, about 36 lines a rule, as a Configuration Assistant export of a large site would.
Ports are distinct per rule so that matching has real work to do; every tenth rule is an
outbound client rule, and every 50th uses a port range.
"""

from __future__ import annotations

import sys
from pathlib import Path


def rule_text(i: int, *, port_base: int = 10000) -> str:
    """The statements of rule number ``i``."""
    outbound = i % 10 == 0
    port = port_base + i
    ports = f"{port}-{port + 4}" if i % 50 == 0 else str(port)
    a, b = (i >> 8) & 255, i & 255
    side = "RemotePortRange" if outbound else "LocalPortRange"
    return f"""TTLSRule                          Rule{i:05d}
{{
  LocalAddr                       All
  RemoteAddr                      10.{a}.{b}.0/24
  {side:<31} {ports}
  Jobname                         JOB{i % 1000:03d}*
  Direction                       {"Outbound" if outbound else "Inbound"}
  Priority                        {1 + i % 250}
  TTLSGroupActionRef              gAct{i:05d}
  TTLSEnvironmentActionRef        eAct{i:05d}
  TTLSConnectionActionRef         cAct{i:05d}
}}
TTLSGroupAction                   gAct{i:05d}
{{
  TTLSEnabled                     On
  Trace                           2
}}
TTLSEnvironmentAction             eAct{i:05d}
{{
  HandshakeRole                   {"Client" if outbound else "Server"}
  TTLSKeyringParmsRef             keyR{i:05d}
  TTLSEnvironmentAdvancedParmsRef eAdv{i:05d}
}}
TTLSConnectionAction              cAct{i:05d}
{{
  HandshakeRole                   {"Client" if outbound else "ServerWithClientAuth"}
  CtraceClearText                 Off
}}
TTLSKeyringParms                  keyR{i:05d}
{{
  Keyring                         USER{i % 100:02d}/Ring{i:05d}
}}
TTLSEnvironmentAdvancedParms      eAdv{i:05d}
{{
  TLSv1                           Off
  TLSv1.1                         Off
  TLSv1.2                         On
  TLSv1.3                         On
  HandshakeTimeout                10
}}
"""


def policy_text(rules: int) -> str:
    """A whole policy of ``rules`` rules."""
    head = f"## Generated benchmark policy: {rules} rules\n"
    return head + "".join(rule_text(i) for i in range(rules))


def main() -> int:
    """``python -m benchmarks.gen_policy N FILE``."""
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    out.write_text(policy_text(n), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
