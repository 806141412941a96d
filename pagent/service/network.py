"""The image's network at run time: its namespace and the stack's data path, if it can have one.

``ROOT/etc/system.conf`` says whether (``DATAPATH AUTO|ON|OFF``, default AUTO: on when the
service can build it) and which host names the image answers to inside its namespace
(``HOSTNAME name ...``, as the workshop's ``wg31.washington.ibm.com``). The first stack
of the system carries the data path (docs/datapath.md). Without it, everything else works:
the stack maps nothing live and ``pagent job`` says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pagent.saf.material import KeyringResolver
from pagent.stack import Stack
from pagent.stack.datapath import AtTlsLog, DataPath
from pagent.stack.netns import ImageNamespace, NamespaceError, available, namespace_name


@dataclass(frozen=True, slots=True)
class NetworkConf:
    """The DATAPATH and HOSTNAME statements of system.conf."""

    mode: str = "AUTO"
    hostnames: tuple[str, ...] = ()


def read_network_conf(path: Path) -> tuple[NetworkConf, list[str]]:
    """The network statements of system.conf, and one error line per bad statement."""
    mode = "AUTO"
    hostnames: list[str] = []
    errors: list[str] = []
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError:
        return NetworkConf(), errors
    for number, raw in enumerate(lines, 1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        key = words[0].upper()
        if key == "DATAPATH":
            if len(words) != 2 or words[1].upper() not in ("AUTO", "ON", "OFF"):
                errors.append(f"{path}:{number}: DATAPATH takes AUTO, ON or OFF")
                continue
            mode = words[1].upper()
        elif key == "HOSTNAME":
            hostnames += [w.lower() for w in words[1:]]
    return NetworkConf(mode, tuple(hostnames)), errors


class ImageNetwork:
    """Start and stop the data path of one image."""

    def __init__(
        self,
        root: Path,
        sysname: str,
        stack: Stack | None,
        *,
        resolver: KeyringResolver,
        log: AtTlsLog,
        clock: Callable[[], datetime],
        cert_user: Callable[[bytes], str | None] = lambda _der: None,
    ) -> None:
        self.cert_user = cert_user
        self.conf, self.errors = read_network_conf(root / "etc" / "system.conf")
        self.name = namespace_name(sysname, root)
        self.stack = stack
        self.resolver = resolver
        self.log = log
        self.clock = clock
        self.namespace: ImageNamespace | None = None
        self.datapath: DataPath | None = None
        self.why_off = ""
        self.port = 0

    async def start(self) -> str:
        """Bring the data path up; a line saying what happened."""
        if self.conf.mode == "OFF":
            self.why_off = "DATAPATH OFF in etc/system.conf"
            return f"data path off: {self.why_off}"
        reason = available() or ("" if self.stack is not None else "the image has no stack")
        if reason:
            self.why_off = reason
            if self.conf.mode == "ON":
                raise NamespaceError(f"DATAPATH ON, but {reason}")
            return f"data path off: {reason}"
        assert self.stack is not None
        namespace = ImageNamespace(self.name, self.conf.hostnames)
        try:
            namespace.create()
            self.namespace = namespace
            self.datapath = DataPath(
                self.stack,
                namespace,
                resolver=self.resolver,
                log=self.log,
                clock=self.clock,
                cert_user=self.cert_user,
            )
            self.port = await self.datapath.start()
        except (NamespaceError, OSError) as exc:
            namespace.delete()
            self.namespace = self.datapath = None
            self.why_off = str(exc)
            if self.conf.mode == "ON":
                raise
            return f"data path off: {exc}"
        return f"data path on: network {self.name}, stack {self.stack.name}"

    async def stop(self) -> None:
        """End the connections and remove the namespace."""
        if self.datapath is not None:
            await self.datapath.stop()
            self.datapath = None
        if self.namespace is not None:
            self.namespace.delete()
            self.namespace = None

    def key_rings_changed(self) -> None:
        """RACDCERT changed the store: new connections build their environments afresh."""
        if self.datapath is not None:
            self.datapath.forget_environments()
