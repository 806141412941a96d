"""``pagent nca``: the Network Configuration Assistant, one workshop step per command.

Each command reads the backing store, makes one checked change and writes the store back
atomically; a bad value or a reference to something missing is an error naming the
argument (exit 2) and leaves the store as it was. ``install`` writes the stack's policy
file (exit 0), or refuses one that is incomplete or would not pass ``pagent check``
(exit 1). Without a subcommand, at a terminal, the full-screen application starts.

This module only builds the parser, with nothing heavy imported: every ``pagent`` command
builds it. The commands themselves are :mod:`pagent.nca.commands`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

KINDS = ("image", "stack", "descriptor", "level", "map", "group", "rule")
DEFAULT_STORE = "USER1"  # the workshop's backing store (step 5)


def _common() -> argparse.ArgumentParser:
    """--root, --store and --json, accepted before or after the subcommand."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--root", default=argparse.SUPPRESS, help="system root (default: cwd)")
    p.add_argument(
        "--store", default=argparse.SUPPRESS, help=f"backing store name (default {DEFAULT_STORE})"
    )
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="JSON output")
    return p


def _descriptor_options(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument("--local-port", required=required, metavar="PORT", help="N, L-U, ephemeral, all")
    p.add_argument(
        "--remote-port", required=required, metavar="PORT", help="N, L-U, ephemeral, all"
    )
    p.add_argument(
        "--direction", required=required, help="either, inbound or outbound (the connect direction)"
    )
    p.add_argument("--jobname", help="job name (1-8 characters, * and ? wildcards)")
    p.add_argument("--userid", help="user id")
    p.add_argument("--role", required=required, help="AT-TLS handshake role: server or client")
    p.add_argument("--keyring", help="key ring for this traffic (default: the image's)")
    p.add_argument("--certificate-label", help="certificate label for this traffic")
    p.add_argument("--description", default=None)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # noqa: ANN401 - argparse's private type
    """Add ``nca`` to the ``pagent`` subcommands."""
    common = _common()
    nca: argparse.ArgumentParser = subparsers.add_parser(
        "nca",
        parents=[common],
        help="the Network Configuration Assistant: author and install AT-TLS policy",
        description="The Network Configuration Assistant: author AT-TLS policy in the NCA's "
        "terms, one workshop step per command, and install it as the NCA does (docs/nca.md). "
        "Without a command, at a terminal: the full-screen assistant.",
    )
    sub = nca.add_subparsers(dest="nca_command", metavar="COMMAND")

    def verb(noun: str, name: str, help_text: str) -> argparse.ArgumentParser:
        group = nouns.get(noun)
        if group is None:
            parent = sub.add_parser(noun, help=f"{noun}s: add, modify")
            group = parent.add_subparsers(dest="verb", metavar="VERB", required=True)
            nouns[noun] = group
        p: argparse.ArgumentParser = group.add_parser(name, parents=[common], help=help_text)
        return p

    nouns: dict[str, Any] = {}
    for name in ("add", "modify"):
        p = verb("image", name, f"{name} a z/OS system image")
        p.add_argument("name", metavar="IMAGE")
        p.add_argument("--keyring", help="the default AT-TLS key ring (simple name)")
        p.add_argument("--trace", help="checked trace levels: 1,2,4 (or none)")
        p.add_argument("--release", help="z/OS release, e.g. V2R5 (default V2R3)")
        p.add_argument("--description", default=None)
        p = verb("stack", name, f"{name} a TCP/IP stack of an image")
        p.add_argument("image", metavar="IMAGE")
        p.add_argument("name", metavar="STACK")
        p.add_argument("--file", help="install file name (z/OS path; default the NCA's)")
        p.add_argument("--description", default=None)
        p = verb("descriptor", name, f"{name} a traffic descriptor (one TCP traffic type)")
        p.add_argument("name", metavar="NAME")
        _descriptor_options(p, required=name == "add")
        p = verb("level", name, f"{name} a security level")
        p.add_argument("name", metavar="NAME")
        p.add_argument("--protocols", required=name == "add", help="e.g. TLSv1.2,TLSv1.3")
        p.add_argument("--ciphers", help="V3 cipher suite names, in preferred order")
        p.add_argument("--client-auth", help="Required, PassThru, Full, SAFCheck or none")
        p.add_argument("--description", default=None)
        p = verb("map", name, f"{name} a requirement map")
        p.add_argument("name", metavar="NAME")
        p.add_argument("--descriptor", action="append", default=[], help="traffic descriptor")
        p.add_argument("--level", action="append", default=[], help="its security level")
        p.add_argument("--description", default=None)
        p = verb("group", name, f"{name} an IP address group")
        p.add_argument("name", metavar="NAME")
        p.add_argument("--address", action="append", default=[], help="address, a/n or a-b")
        p.add_argument("--description", default=None)
        p = verb("rule", name, f"{name} a connectivity rule on a stack")
        p.add_argument("stack", metavar="IMAGE/STACK")
        p.add_argument("name", metavar="NAME")
        p.add_argument("--map", required=name == "add", help="requirement map")
        p.add_argument("--local", help="local address group (default All_IPv4_Addresses)")
        p.add_argument("--remote", help="remote address group (default All_IPv4_Addresses)")
    inst = sub.add_parser("install", parents=[common], help="write a stack's policy file")
    inst.add_argument("stack", metavar="IMAGE/STACK")
    lst = sub.add_parser("list", parents=[common], help="list the objects (and their status)")
    lst.add_argument("kind", nargs="?", choices=(*KINDS[:-1], "system"), metavar="KIND")
    show = sub.add_parser("show", parents=[common], help="View Details of one object")
    show.add_argument("kind", metavar="KIND", choices=KINDS)
    show.add_argument("name", metavar="NAME", help="the name (IMAGE/STACK for a stack)")
    dele = sub.add_parser("delete", parents=[common], help="delete an object")
    dele.add_argument("kind", metavar="KIND", choices=KINDS)
    dele.add_argument("name", metavar="NAME", help="the name (IMAGE/STACK for a stack)")
    dele.add_argument("rule", nargs="?", metavar="RULE", help="for a rule: its name")
    imp = sub.add_parser("import", parents=[common], help="Policy Data Import of a policy file")
    imp.add_argument("policy", type=Path, metavar="POLICY")
    imp.add_argument("--image", required=True)
    imp.add_argument("--stack", required=True)
    return nca


def run(args: argparse.Namespace) -> int:
    """Run one ``pagent nca`` command; returns the exit code."""
    from pagent.nca.commands import run as run_command  # noqa: PLC0415

    return run_command(args)
