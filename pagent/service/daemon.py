"""``pagent serve``: the long-running process of one system root.

It takes the root (one service per root, :mod:`pagent.service.pidfile`), starts the stacks
and syslogd, serves the control socket, and runs until SIGTERM or SIGINT (at any moment,
start-up included: :class:`EarlyStop`), then stops in order (PAGENT's purge processing,
the socket, syslogd's files) and exits 0. SIGHUP is ``F PAGENT,REFRESH`` (pagent-ops
§2.5), SIGUSR1 makes syslogd reopen its files (log rotation). File changes in the
configuration chain (watchdog, debounced) and PAGENT's refresh interval request
``F PAGENT,UPDATE``. All work runs on the event loop: signal handlers and the watcher only
schedule it.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import resource
import shutil
import signal
import sys
import sysconfig
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pagent.service.early import STOP_SIGNALS, EarlyStop
from pagent.service.pidfile import AlreadyRunningError, RunFileError, acquire

# The rest of the service is imported once the root is ours (serve): a second service
# started at the same moment must meet the lock while the first one still holds it, not
# after a third of a second of imports (tests/console/test_session.py, two consoles).
if TYPE_CHECKING:
    from pagent.service.system import System
    from pagent.service.watch import ChainWatcher
    from pagent.syslogd import Syslogd

SERVICE_JOBNAME = "PAGENTSV"  # pagent's own events in syslogd: the service, not a z/OS task

CHECKOUT_ROOT = Path(__file__).resolve().parents[2]  # etc/ and var/: the embedded default


def local_clock() -> datetime:
    """The wall clock, with the local time zone (what syslogd and the console show)."""
    return datetime.now().astimezone()


class Service:
    """The running service: system, control server, watcher, timers."""

    def __init__(
        self,
        root: Path,
        *,
        clock: Callable[[], datetime] = local_clock,
        early_stop: EarlyStop | None = None,
    ) -> None:
        import structlog  # noqa: PLC0415 - see the note on imports above

        from pagent.service.client import socket_path  # noqa: PLC0415
        from pagent.service.control import ControlServer, allowed_uids  # noqa: PLC0415
        from pagent.service.system import System  # noqa: PLC0415

        self.root = root
        self.clock = clock
        self.early_stop = early_stop or EarlyStop()
        self.stopping = asyncio.Event()
        self.system: System = System(root, clock=clock)
        self.server = ControlServer(
            socket_path(root),
            self.system,
            clock=clock,
            allowed=lambda: allowed_uids(root / "etc" / "service.conf"),
        )
        self.system.broadcast = self.server.broadcast
        self.watcher: ChainWatcher | None = None
        self._interval: asyncio.TimerHandle | None = None
        configure_logging(self.system.syslogd)
        self.log = structlog.get_logger("pagent.service")

    async def run(self) -> None:
        """Serve until asked to stop."""
        loop = asyncio.get_running_loop()
        # A stop signal during start-up stops the service in order too: from now on the
        # loop's handlers take it; one that came before them left its flag.
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, self.stopping.set)
        if self.early_stop.requested:
            self.stopping.set()
        for line in self.system.start():
            self.server.broadcast(line)
        # The image's network comes first: once the socket answers, jobs can run in it.
        network = await self.system.network.start()
        try:
            await self.server.start()
        except BaseException:
            await self.system.network.stop()
            raise
        self.log.info("service_started", root=str(self.root), image=self.system.sysname)
        self.log.info("data_path", state=network)
        from pagent.service.watch import ChainWatcher  # noqa: PLC0415

        self.watcher = ChainWatcher(loop, self._file_changed)
        self.system.on_pagent_files = self._aim
        loop.add_signal_handler(signal.SIGHUP, self._refresh)
        loop.add_signal_handler(signal.SIGUSR1, self._reopen)
        try:
            await self.stopping.wait()
        finally:
            self.log.info("service_stopping")
            ignore_signals(loop)
            if self._interval is not None:
                self._interval.cancel()
            self.watcher.stop()
            await self.system.network.stop()
            self.system.close()
            await self.server.close()

    def _aim(self) -> None:
        """After PAGENT (re)read its chain: watch its files, and re-arm its interval."""
        if self.watcher is not None and self.system.agent.active:
            self.watcher.watch(self.system.agent.files)
        if self._interval is not None:
            self._interval.cancel()
            self._interval = None
        if self.system.agent.active:
            loop = asyncio.get_running_loop()
            self._interval = loop.call_later(self.system.agent.refresh_interval, self._tick)

    def _file_changed(self) -> None:
        self.log.info("refresh_requested", reason="file_changed", update=True)
        self.system.refresh(update=True)

    def _tick(self) -> None:
        self._interval = None
        self.log.info("refresh_requested", reason="interval", update=True)
        self.system.refresh(update=True)

    def _refresh(self) -> None:
        self.log.info("refresh_requested", reason="SIGHUP", update=False)
        self.system.refresh(update=False)

    def _reopen(self) -> None:
        self.system.syslogd.reopen()
        self.log.info("syslogd_reopened", reason="SIGUSR1")


SERVICE_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1)


def ignore_signals(loop: asyncio.AbstractEventLoop) -> None:
    """From now on the service is stopping: its signals change nothing.

    Removing a loop's signal handler restores the default action, which for all four ends
    the process: a second SIGTERM 20 ms after the first killed the service with exit 143
    and left its pid file and socket (issue 13 §7). The signals are blocked while the
    handlers change, so none lands in between; one that came meanwhile is then ignored.
    """
    old = signal.pthread_sigmask(signal.SIG_BLOCK, SERVICE_SIGNALS)
    try:
        for sig in SERVICE_SIGNALS:
            loop.remove_signal_handler(sig)
            signal.signal(sig, signal.SIG_IGN)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def configure_logging(syslogd: Syslogd) -> None:
    """structlog for the service's own events: rendered into syslogd records."""
    import structlog  # noqa: PLC0415 - see the note on imports above

    from pagent.syslogd import SyslogdLoggerFactory, SyslogdRenderer  # noqa: PLC0415

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            SyslogdRenderer(jobname=SERVICE_JOBNAME, userid=_user(), pid=os.getpid()),
        ],
        logger_factory=SyslogdLoggerFactory(syslogd),
        cache_logger_on_first_use=False,
    )


def _user() -> str:
    try:
        return getpass.getuser().upper()[:8]
    except (KeyError, OSError):
        return str(os.getuid())


def serve(root: Path, early_stop: EarlyStop | None = None) -> int:
    """Run the service of ``root`` in the foreground; the process's exit code.

    ``early_stop``: the stop signals' flag, installed by the caller before it imported
    this module (:mod:`pagent.service.early`); installed here when not given.
    """
    if early_stop is None:
        early_stop = EarlyStop()
        early_stop.install()  # first: a stop signal at any moment of start-up stops in order
    if not (root / "etc" / "pagent.conf").is_file():
        print(f"pagent serve: {root} is no system root (no etc/pagent.conf)", file=sys.stderr)
        return 2
    go_rootless(root)  # returns only when the service stays as it is
    try:
        lock = acquire(root / "var" / "run")
    except (AlreadyRunningError, RunFileError) as exc:
        print(f"pagent serve: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"pagent serve: cannot take {root}: {_os_error(exc)}", file=sys.stderr)
        return 1
    try:
        if lock.stale_pid is not None:
            print(
                f"pagent serve: replaced the pid file and socket of a service that ended "
                f"without cleaning up (pid {lock.stale_pid})",
                file=sys.stderr,
            )
        from pagent.saf.store import SafIndexError  # noqa: PLC0415 - see the note above
        from pagent.stack.netns import NamespaceError  # noqa: PLC0415

        raise_file_limit()
        # PAGENT's refresh runs on a worker thread that holds the GIL for seconds: the
        # event loop gets it back every switch interval, and a request needs it several
        # times. 1 ms instead of 5 keeps D TCPIP answered during a refresh.
        sys.setswitchinterval(0.001)
        try:
            service = Service(root, early_stop=early_stop)
            print(f"pagent serve: image {service.system.sysname} on {root}", file=sys.stderr)
            with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
                runner.run(service.run())
        except (NamespaceError, SafIndexError) as exc:  # no data path for ON; a damaged index
            print(f"pagent serve: {exc}", file=sys.stderr)
            return 1
        except OSError as exc:  # the root's files (issue 13 §7): one line, not a traceback
            print(f"pagent serve: {_os_error(exc)}", file=sys.stderr)
            return 1
    finally:
        lock.release()
    return 0


def _os_error(exc: OSError) -> str:
    """An OSError as one line: the file, then what is wrong with it."""
    if exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    return exc.strerror or str(exc)


def go_rootless(root: Path) -> None:
    """Without root, re-execute in namespaces of the service's own (docs/datapath.md).

    A service that is not root cannot make a named network namespace. When its DATAPATH
    is not OFF (or is ROOTLESS, even for root) and user namespaces are allowed, it runs itself again
    under ``unshare --user --map-root-user --net --mount`` (the same pid: unshare execs in
    place), where it is root of its own namespaces and the data path can be built. When
    they are not allowed, it goes on without a data path, and says why at start.
    """
    from pagent.service import netconf  # noqa: PLC0415 - light, see the note on imports

    if netconf.in_own_namespaces():
        return
    conf, _errors = netconf.read_network_conf(root / "etc" / "system.conf")
    if not netconf.wants_rootless(conf):
        return
    if netconf.rootless_available() is not None:
        return  # ImageNetwork.start says why, or fails for ON and ROOTLESS
    argv = netconf.rootless_argv([sys.executable, "-m", "pagent", "serve", "--root", str(root)])
    os.environ[netconf.OWN_NAMESPACE_ENV] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    # The handlers end at exec, the mask of blocked signals does not: a stop signal from
    # here on waits for the new image's EarlyStop.install (a pending one is delivered).
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        os.execvp(argv[0], argv)  # noqa: S606 - the service itself, in its own namespaces
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The service's event loop: uvloop's where it is installed, else asyncio's own.

    The data path runs on this loop, and a connection takes 7 to 9 of its turns: uvloop's
    cut pagent's CPU per full handshake from 1.19 to 1.12 ms and brought handshakes per
    second from 0.97 to 1.01 of stunnel's (issue 11 §6, benchmarks/bench_datapath.py).
    Nothing depends on it: without it (a platform with no wheel) the service runs as well.
    """
    try:
        import uvloop  # noqa: PLC0415 - optional: the service runs without it
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def raise_file_limit() -> None:
    """Open files up to the hard limit: each relayed connection holds two or three sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def default_etc_candidates() -> list[Path]:
    """Where the embedded default root's etc/ may be, in the order looked at: the checkout
    pagent runs from, then where a wheel installs it (pyproject's data-files), for this
    interpreter's scheme and for a ``--user`` install."""
    schemes = [sysconfig.get_path("data")]
    with contextlib.suppress(KeyError):
        schemes.append(sysconfig.get_path("data", f"{os.name}_user"))
    return [CHECKOUT_ROOT / "etc", *(Path(base) / "share" / "pagent" / "etc" for base in schemes)]


def default_etc() -> Path | None:
    """The embedded default root's etc/, or None when it is not installed."""
    return next((p for p in default_etc_candidates() if (p / "pagent.conf").is_file()), None)


def init(target: Path) -> int:
    """``pagent init DIR``: lay out a fresh root with the embedded defaults."""
    source = default_etc()
    if source is None:
        looked = ", ".join(str(p) for p in default_etc_candidates())
        print(
            f"pagent init: the embedded default root (etc/) is not installed; looked in {looked}",
            file=sys.stderr,
        )
        return 2
    if target.exists() and not target.is_dir():
        print(f"pagent init: {target} exists and is not a directory", file=sys.stderr)
        return 2
    if (target / "etc").exists():
        print(f"pagent init: {target / 'etc'} exists; not overwriting it", file=sys.stderr)
        return 1
    try:
        shutil.copytree(source, target / "etc")
        for sub in ("syslogd", "run"):
            (target / "var" / sub).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        # A parent that is no directory, /proc, a read-only or full file system (issue 9).
        where = exc.filename or target
        print(f"pagent init: cannot create {where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"pagent init: new system root at {target} (image WG31, stack TCPIP1)")
    return 0
