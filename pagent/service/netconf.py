"""``etc/system.conf`` (SYSNAME, STACK, DATAPATH, HOSTNAME, ADDRESS), and the rootless
re-execution.

Kept apart from :mod:`pagent.service.system` and :mod:`pagent.service.network` so that
``pagent serve`` can read it before it imports the service (it decides first whether to
re-execute itself rootless), and ``pagent job`` without importing the service at all.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SYSNAME = "WG31"
DEFAULT_PROFILE = "SYS1.TCPPARMS(PROFILE)"


def statements(path: Path) -> list[tuple[int, list[str]]]:
    """The statements of system.conf: (line number, words), ``#`` comments and blank lines
    left out; none when the file cannot be read."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError:
        return []
    found = [(number, raw.split("#", 1)[0].split()) for number, raw in enumerate(lines, 1)]
    return [(number, words) for number, words in found if words]


def read_system_conf(path: Path) -> tuple[str, list[tuple[str, str]]]:
    """(sysname, [(stack, profile)]) from system.conf; missing file: defaults, no stacks."""
    sysname: str = DEFAULT_SYSNAME
    stacks: list[tuple[str, str]] = []
    for _number, words in statements(path):
        key = words[0].upper()
        if key == "SYSNAME" and len(words) == 2:
            sysname = words[1].upper()
        elif key == "STACK" and len(words) in (2, 3):
            stacks.append((words[1].upper(), words[2] if len(words) == 3 else DEFAULT_PROFILE))
    return sysname, stacks


# AUTO: a data path when the service can have one; ON: must have one; OFF: none;
# ROOTLESS: in the service's own namespaces even as root (what a non-root service gets).
MODES = ("AUTO", "ON", "OFF", "ROOTLESS")


@dataclass(frozen=True, slots=True)
class NetworkConf:
    """The DATAPATH, HOSTNAME and ADDRESS statements of system.conf."""

    mode: str = "AUTO"
    hostnames: tuple[str, ...] = ()
    address: str = "127.0.0.1"  # the image's home address in its namespace (ADDRESS)


def read_network_conf(path: Path) -> tuple[NetworkConf, list[str]]:
    """The network statements of system.conf, and one error line per bad statement."""
    mode = "AUTO"
    hostnames: list[str] = []
    address = "127.0.0.1"
    errors: list[str] = []
    for number, words in statements(path):
        key = words[0].upper()
        if key == "DATAPATH":
            if len(words) != 2 or words[1].upper() not in MODES:
                errors.append(f"{path}:{number}: DATAPATH takes AUTO, ON, OFF or ROOTLESS")
                continue
            mode = words[1].upper()
        elif key == "HOSTNAME":
            hostnames += [w.lower() for w in words[1:]]
        elif key == "ADDRESS":
            try:
                address = str(ipaddress.ip_address(words[1])) if len(words) == 2 else ""
            except ValueError:
                address = ""
            if not address:
                errors.append(f"{path}:{number}: ADDRESS takes one IP address (192.168.17.201)")
                address = "127.0.0.1"
    return NetworkConf(mode, tuple(hostnames), address), errors


OWN_NAMESPACE_ENV = "PAGENT_OWN_NETNS"  # set by the re-exec under unshare (rootless mode)


def in_own_namespaces() -> bool:
    """Whether this process is the service re-executed in namespaces of its own."""
    return os.environ.get(OWN_NAMESPACE_ENV) == "1"


def wants_rootless(conf: NetworkConf) -> bool:
    """Whether the data path is to live in the service's own namespaces: DATAPATH
    ROOTLESS, or any mode but OFF when the service is not root."""
    return conf.mode == "ROOTLESS" or (conf.mode != "OFF" and os.geteuid() != 0)


def rootless_available() -> str | None:
    """None if this (non-root) process can give itself a user, network and mount namespace
    with nftables in it (``unshare -Urnm``), else why not."""
    for tool in ("unshare", "ip", "nft"):
        if shutil.which(tool) is None:
            return f"the data path needs the {tool!r} command (util-linux, iproute2, nftables)"
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--net", "--mount", "true"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return f"unprivileged user namespaces are not allowed here: {probe.stderr.strip()}"
    return None


def rootless_argv(argv: list[str]) -> list[str]:
    """The command line that runs ``argv`` in a user, network and mount namespace of its
    own, as root inside it (the rootless data path, docs/datapath.md)."""
    return ["unshare", "--user", "--map-root-user", "--net", "--mount", "--", *argv]
