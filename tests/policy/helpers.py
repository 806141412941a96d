"""Test helpers: build a policy from text, list its diagnostics compactly."""

from __future__ import annotations

import textwrap

from hypothesis import strategies as st

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


# The policy files of the published corpus (tests/conftest.py), by name, so
# that tests can be parametrised over them whether or not the corpus is present: where it
# is absent, each is skipped with the corpus suite's one reason. test_corpus checks that
# this list is exactly the corpus' *.policy files.
CORPUS_POLICIES = (
    "aididican-MFNET-md-PROC.policy",
    "colinpaicemq-ADCD-PAGENTCO-common-empty.policy",
    "colinpaicemq-ADCD-PAGENTTN-v1.policy",
    "colinpaicemq-ADCD-PAGENTTN-v2.policy",
    "colinpaicemq-EasyATTLS-generated.policy",
    "ibm-debug-for-zos-17.0-attls_policy.policy",
    "ibm-debugtool-14.2-attls_policy.policy",
    "ibm-mfa-zma210-attls-policy-example-truncated.policy",
    "ibm-wsc-zcee-db2-nca-generated.policy",
    "pj892031-attls-example.policy",
    "seed-appendix-WG31-TCPIP1.policy",
    "spinovation-LegacyTel-DEPLOYMENT-indented.policy",
    "zeditor01-Z25A-ShopZ_Usage-shopz.policy",
    "zowe-api-layer-issue1135-comment-quoted-placeholders-truncated.policy",
    "zowe-docs-site-configuring-at-tls-for-zowe-server-full-example.policy",
    "zowe-docs-site-zss-attls-rule-sample-v1x-trailing-ws.policy",
    "zowe-docs-site-zss-attls-rule-sample.policy",
    "zowe-zlux-server-framework-fixture-attls-good-complete.policy",
    "zowe-zlux-server-framework-fixture-attls-good-portref.policy",
)


# --- Random edits of a file (property tests: the checker never raises) ----------------------
_MUTATIONS = st.sampled_from(["delete", "insert", "replace", "duplicate-line", "drop-line"])
_JUNK = st.sampled_from(
    ["{", "}", "#", '"', " ", "\t", "\n", "\r\n", "\ufeff", "\xb8", "TTLSRule", "Ref", "0", "-",
     ":", "/", "*", "?", "[", "]", "On", "All", "Priority", "x" * 40]
)  # fmt: skip
EDITS = st.lists(
    st.tuples(_MUTATIONS, st.floats(0, 1, exclude_max=True), _JUNK), min_size=1, max_size=6
)


def mutate(data: bytes, edits: list[tuple[str, float, str]]) -> bytes:
    """The file's bytes with the edits applied, and a byte that is not UTF-8 at the end."""
    text = data.decode("utf-8", errors="replace")
    for kind, where, junk in edits:
        if kind in ("duplicate-line", "drop-line"):
            lines = text.split("\n")
            i = int(where * len(lines))
            lines[i : i + 1] = [lines[i], lines[i]] if kind == "duplicate-line" else []
            text = "\n".join(lines)
            continue
        i = int(where * (len(text) + 1))
        if kind == "delete":
            text = text[:i] + text[i + 1 :]
        elif kind == "insert":
            text = text[:i] + junk + text[i:]
        else:
            text = text[:i] + junk + text[i + len(junk) :]
    return text.encode("utf-8", errors="surrogateescape") + b"\xff"


def assert_only_diagnostics(data: bytes, name: str) -> None:
    """Loading the bytes raises nothing, and every diagnostic has a line and a headline."""
    policy = load_policy([decode(data, name)])
    for d in policy.diagnostics:
        assert d.loc.line >= 1
        assert d.headline()
