"""Who owns a TCP endpoint in the image: the process, its job name and its user id.

z/OS maps a connection with the job name and user id of the address space that owns the
socket (ttls-language.md, TTLSRule Jobname/Userid). On Linux the owner of a local TCP
endpoint is found the way ``ss -p`` and psutil do it (reference datapath-notes.md): the
socket's inode is in ``/proc/.../net/tcp`` (or tcp6) as the namespace sees it, keyed by the
local and remote address and port, and the process holding that inode has a
``socket:[inode]`` link under ``/proc/PID/fd``.

The job name is the process's ``_BPX_JOBNAME`` environment variable when it has one (z/OS
UNIX's own way of naming the job of a spawned process, which ``pagent job`` sets), else
its process name; the user id is ``_BPX_USERID`` when set, else the process's Linux user.
Both are upper-cased and cut to 8 characters, as z/OS names are. docs/fidelity.md lists
this choice.
"""

from __future__ import annotations

import os
import pwd
import socket
from dataclasses import dataclass
from pathlib import Path

LISTEN = "0A"  # the TCP_LISTEN state in /proc/net/tcp


@dataclass(frozen=True, slots=True)
class Owner:
    """The process that owns an endpoint, as the stack names it."""

    pid: int
    jobname: str
    userid: str


UNKNOWN = Owner(0, "", "")  # the process ended before the stack looked


def _hex_address(address: str, port: int) -> str:
    """An address and port as /proc/net/tcp spells them (host byte order per 32-bit word)."""
    if ":" in address:
        packed = socket.inet_pton(socket.AF_INET6, address)
        words = [packed[i : i + 4][::-1] for i in range(0, 16, 4)]
        text = b"".join(words).hex().upper()
    else:
        text = socket.inet_aton(address)[::-1].hex().upper()
    return f"{text}:{port:04X}"


def _mapped(address: str) -> str:
    """The IPv4-mapped IPv6 form of an IPv4 address, as tcp6 lists a dual-stack socket."""
    return address if ":" in address else f"::ffff:{address}"


def _rows(path: Path) -> list[list[str]]:
    try:
        lines = path.read_text("ascii").splitlines()[1:]
    except OSError:
        return []
    return [line.split() for line in lines]


def endpoint_inode(net: Path, local: tuple[str, int], remote: tuple[str, int]) -> int | None:
    """The inode of the connected socket local->remote, from the namespace's net dir."""
    wanted = [
        ("tcp", _hex_address(*local), _hex_address(*remote)),
        (
            "tcp6",
            _hex_address(_mapped(local[0]), local[1]),
            _hex_address(_mapped(remote[0]), remote[1]),
        ),
    ]
    for table, loc, rem in wanted:
        for row in _rows(net / table):
            if len(row) > 9 and row[1] == loc and row[2] == rem and row[9] != "0":
                return int(row[9])
    return None


def listener_inode(net: Path, address: str, port: int) -> int | None:
    """The inode of the socket listening on ``address:port`` (or on any address)."""
    suffix = f":{port:04X}"
    exact = {_hex_address(address, port), _hex_address(_mapped(address), port)}
    fallback: int | None = None
    for table in ("tcp", "tcp6"):
        for row in _rows(net / table):
            if len(row) > 9 and row[3] == LISTEN and row[1].endswith(suffix):
                if row[1] in exact:
                    return int(row[9])
                fallback = fallback or int(row[9])  # a wildcard (0.0.0.0 or ::) listener
    return fallback


def pids_in_namespace(ns_inode: int) -> list[int]:
    """The processes whose network namespace is the image's."""
    pids: list[int] = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry.name}/ns/net").st_ino == ns_inode:
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def pid_of_inode(inode: int, pids: list[int]) -> int | None:
    """The first of ``pids`` that holds socket ``inode``."""
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = os.scandir(f"/proc/{pid}/fd")
        except OSError:
            continue
        with fds:
            for fd in fds:
                try:
                    if os.readlink(fd.path) == target:
                        return pid
                except OSError:
                    continue
    return None


def _environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    out: dict[str, str] = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep and key in (b"_BPX_JOBNAME", b"_BPX_USERID"):
            out[key.decode()] = value.decode("latin-1")
    return out


def describe(pid: int) -> Owner:
    """The job name and user id of process ``pid`` (UNKNOWN if it has gone)."""
    try:
        comm = Path(f"/proc/{pid}/comm").read_text("latin-1").strip()
        uid = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return UNKNOWN
    env = _environ(pid)
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    jobname = env.get("_BPX_JOBNAME") or comm
    userid = env.get("_BPX_USERID") or user
    return Owner(pid, jobname.upper()[:8], userid.upper()[:8])


def owner(inode: int | None, ns_inode: int) -> Owner:
    """The owner of socket ``inode`` among the image's processes."""
    if inode is None:
        return UNKNOWN
    pid = pid_of_inode(inode, pids_in_namespace(ns_inode))
    return UNKNOWN if pid is None else describe(pid)
