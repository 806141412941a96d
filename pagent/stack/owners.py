"""Who owns a TCP endpoint in the image: the process, its job name and its user id.

z/OS maps a connection with the job name and user id of the address space that owns the
socket (ttls-language.md, TTLSRule Jobname/Userid). On Linux the owner of a local TCP
endpoint is found the way ``ss -p`` does it (reference datapath-notes.md): the kernel
gives the socket's inode for its local and remote address and port
(:mod:`pagent.stack.sockdiag`, in the image's namespace), and the process holding that
inode has a ``socket:[inode]`` link under ``/proc/PID/fd``.

The job name is the process's ``_BPX_JOBNAME`` environment variable when it has one (z/OS
UNIX's own way of naming the job of a spawned process, which ``pagent job`` sets), else
its process name; the user id is ``_BPX_USERID`` when set, else the process's Linux user.
Both are upper-cased and cut to 8 characters, as z/OS names are. docs/fidelity.md lists
this choice.
"""

from __future__ import annotations

import os
import pwd
import time
from dataclasses import dataclass
from pathlib import Path

from pagent.stack.sockdiag import SockDiag


@dataclass(frozen=True, slots=True)
class Owner:
    """The process that owns an endpoint, as the stack names it."""

    pid: int
    jobname: str
    userid: str


UNKNOWN = Owner(0, "", "")  # no process of the image holds the socket (any more)


def pids_in_namespace(ns_inode: int, outside: dict[int, float] | None = None) -> list[int]:
    """The processes whose network namespace is the image's.

    ``outside`` remembers the processes found outside it (pid -> when, monotonic): they
    are not looked at again for OUTSIDE_FOR seconds. Each look is a stat of
    /proc/PID/ns/net, about 5 ms for a whole machine's processes, and every new program of
    the image makes the finder list them again; so only new processes are looked at (the
    finder looks at all of them before it says that nobody holds a socket).
    """
    pids: list[int] = []
    me = str(os.getpid())  # a rootless stack runs in the image itself: not a job of it
    now = time.monotonic()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or entry.name == me:
            continue
        pid = int(entry.name)
        if outside is not None and now - outside.get(pid, -OUTSIDE_FOR) < OUTSIDE_FOR:
            continue
        try:
            if os.stat(f"/proc/{pid}/ns/net").st_ino == ns_inode:
                pids.append(pid)
            elif outside is not None:
                outside[pid] = now
        except OSError:
            continue
    return pids


OUTSIDE_FOR = 2.0  # seconds a process found outside the image is not looked at again


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


PF_EXITING = 0x4  # the process has begun to exit (linux/sched.h), in /proc/PID/stat


def _exiting(pid: int) -> bool:
    """Whether process ``pid`` has begun to exit, or is gone (its stat's flags field)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text("latin-1")
        flags = int(stat.rsplit(")", 1)[1].split()[6])  # after "pid (comm)": field 9
    except (OSError, IndexError, ValueError):
        return True
    return bool(flags & PF_EXITING)


def describe(pid: int) -> Owner:
    """The job name and user id of process ``pid`` (UNKNOWN if it has gone, or is going).

    A process that exits releases its memory, and with it its environment, before it
    closes its files: its socket is still found while /proc/PID/environ reads empty, and
    its process name would stand in for its _BPX_JOBNAME, mapping a connection the rule
    names by job as NO POLICY, in clear (issue 11). So the environment is read first and
    the process's exit flag after it: set, the environment may be gone, and the owner is
    unknown (the data path then fails closed). The flag is set before the memory goes.
    """
    try:
        comm = Path(f"/proc/{pid}/comm").read_text("latin-1").strip()
        uid = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return UNKNOWN
    env = _environ(pid)
    if _exiting(pid):
        return UNKNOWN
    jobname = env.get("_BPX_JOBNAME") or comm
    userid = env.get("_BPX_USERID") or user_name(uid)
    return Owner(pid, jobname.upper()[:8], userid.upper()[:8])


def _fd_of(pid: int, target: str) -> str | None:
    """The descriptor of process ``pid`` whose link is ``target`` (``socket:[inode]``)."""
    try:
        fds = os.scandir(f"/proc/{pid}/fd")
    except OSError:
        return None
    with fds:
        for fd in fds:
            try:
                if os.readlink(fd.path) == target:
                    return fd.name
            except OSError:
                continue
    return None


def _still_holds(pid: int, fd: str, target: str) -> bool:
    """Whether descriptor ``fd`` of process ``pid`` is still ``target``: one readlink, where
    :func:`_fd_of` reads every descriptor (a server with a thousand connections has a
    thousand, and every new connection to it looks its listener up)."""
    try:
        return os.readlink(f"/proc/{pid}/fd/{fd}") == target
    except OSError:
        return False


def user_name(uid: int) -> str:
    """A Linux user as a z/OS user id: upper case, at most 8 characters."""
    try:
        return pwd.getpwuid(uid).pw_name.upper()[:8]
    except KeyError:
        return str(uid)[:8]


class OwnerFinder:
    """Owners of the image's endpoints, found through sock_diag and remembered processes.

    The image's processes are listed once and again only when a socket is held by none of
    them; the process that made the last connection is searched first, as connections
    come in runs from the same program. Listening sockets and described processes are
    remembered (a process for a short while, in case its pid is reused). All lookups run on
    the event loop's thread.
    """

    DESCRIBED_FOR = 2.0  # seconds a process's job name and user id are reused
    KEEP = 4096  # remembered listening sockets at most

    def __init__(self, diag: SockDiag, ns_inode: int) -> None:
        self._diag = diag
        self._ns_inode = ns_inode
        self._pids: list[int] = []
        self._listeners: dict[int, tuple[int, str]] = {}  # inode -> (pid, its fd)
        self._described: dict[int, tuple[float, Owner]] = {}
        self._outside: dict[int, float] = {}  # pids found outside the image, and when
        # The process and descriptor that held the last connection: a program that makes
        # one connection after another closes the last before it opens the next, and gets
        # the same descriptor again. One readlink confirms it, where a search reads every
        # descriptor of the process (issue 11 item 6: handshakes per second).
        self._last: tuple[int, str] | None = None

    def _search(self, target: str) -> tuple[int, str] | None:
        """The process of ``self._pids`` holding ``target``, and the descriptor."""
        for pid in self._pids:
            fd = _fd_of(pid, target)
            if fd is not None:
                return pid, fd
        return None

    def _pid_of(self, inode: int, listening: bool) -> int | None:
        target = f"socket:[{inode}]"
        if listening:
            known = self._listeners.get(inode)
        else:  # the last connection's process, if still among the image's (as _search)
            known = self._last if self._last is not None and self._last[0] in self._pids else None
        if known is not None and _still_holds(*known, target):
            return known[0]
        found = self._search(target)
        if found is None:
            if len(self._outside) >= self.KEEP:
                self._outside.clear()
            self._pids = pids_in_namespace(self._ns_inode, self._outside)
            found = self._search(target)
            if found is None and self._outside:
                # A process seen outside may have entered the image since (``ip netns
                # exec`` forks first, then joins): look at every one before giving up.
                self._outside.clear()
                self._pids = pids_in_namespace(self._ns_inode, self._outside)
                found = self._search(target)
        if found is None:
            return None
        pid = found[0]
        if listening:
            if len(self._listeners) >= self.KEEP:
                self._listeners.clear()
            self._listeners[inode] = found
        else:
            self._last = found
            self._pids.remove(pid)
            self._pids.insert(0, pid)  # the next connection is likely the same program's
        return pid

    def _describe(self, pid: int) -> Owner:
        now = time.monotonic()
        known = self._described.get(pid)
        if known is not None and now - known[0] < self.DESCRIBED_FOR:
            return known[1]
        described = describe(pid)
        if len(self._described) >= self.KEEP:
            self._described.clear()
        self._described[pid] = (now, described)
        return described

    def owner_of(
        self, local: tuple[str, int], remote: tuple[str, int], *, listening: bool = False
    ) -> Owner:
        """The owner of socket local->remote, or with ``listening`` of the one listening on
        ``local``; UNKNOWN when no process of the image holds it.

        The kernel answers an exact lookup with the connected socket, or failing that with
        a listener on the local port, so the kind of socket found is checked: a listener
        is never the owner of a program's connection, nor a connection of a listener. A
        socket that no process holds any more (its program ended or closed it) has no
        owner: its uid alone says nothing of the job name or of ``_BPX_USERID``.
        """
        found = self._diag.find(local, remote)
        if found is None or found.listening != listening or not found.inode:
            return UNKNOWN
        pid = self._pid_of(found.inode, found.listening)
        return self._describe(pid) if pid is not None else UNKNOWN
