"""The image's network at run time: its namespace and the stack's data path, if it can have one.

``ROOT/etc/system.conf`` says whether (``DATAPATH AUTO|ON|OFF``, default AUTO: on when the
service can build it) and which host names the image answers to inside its namespace
(``HOSTNAME name ...``, as the workshop's ``wg31.washington.ibm.com``). The first stack
of the system carries the data path (docs/datapath.md). Without it, everything else works:
the stack maps nothing live and ``pagent job`` says why.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pagent.saf.material import KeyringResolver
from pagent.service.netconf import (
    in_own_namespaces,
    read_network_conf,
    rootless_available,
    wants_rootless,
)
from pagent.stack import Stack
from pagent.stack.datapath import AtTlsLog, DataPath
from pagent.stack.netns import (
    ImageNamespace,
    NamespaceError,
    OwnNamespace,
    available,
    namespace_name,
)


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
        explain: Callable[[int, int, str], None] = lambda _connid, _rc, _reason: None,
    ) -> None:
        self.cert_user = cert_user
        self.explain = explain
        self.conf, self.errors = read_network_conf(root / "etc" / "system.conf")
        self.hosts_file = root / "var" / "run" / "hosts"  # the rootless image's /etc/hosts
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
        own = in_own_namespaces()  # re-executed under unshare: rootless
        if own:
            reason = None
        elif wants_rootless(self.conf):
            reason = rootless_available() or "the service could not enter its own namespaces"
        else:
            reason = available()
        reason = reason or ("" if self.stack is not None else "the image has no stack")
        if reason:
            self.why_off = reason
            if self.conf.mode in ("ON", "ROOTLESS"):
                raise NamespaceError(f"DATAPATH {self.conf.mode}, but {reason}")
            return f"data path off: {reason}"
        assert self.stack is not None
        namespace = (
            OwnNamespace(
                self.name, self.conf.hostnames, self.conf.address, hosts_file=self.hosts_file
            )
            if own
            else ImageNamespace(self.name, self.conf.hostnames, self.conf.address)
        )
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
                explain=self.explain,
            )
            self.port = await self.datapath.start()
        except (NamespaceError, OSError) as exc:
            namespace.delete()
            self.namespace = self.datapath = None
            self.why_off = str(exc)
            if self.conf.mode == "ON":
                raise
            return f"data path off: {exc}"
        mode = "rootless, in the service's own namespaces" if own else f"network {self.name}"
        return f"data path on: {mode}, stack {self.stack.name}"

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
