"""One system image: its TCP/IP stacks, syslogd and the PAGENT task, behind operator commands.

This is what the control socket fronts (:class:`pagent.service.control.Handler`). An
operator command is parsed by :mod:`pagent.mvs`; its solicited response is returned, and
everything the system says on its own (PAGENT's start messages after ``S PAGENT``, the
stack's EZZ4250I ...) is handed to ``broadcast``. PAGENT's log lines go to syslogd under job
name PAGENT, as ``-l SYSLOGD`` does (pagent-ops §1.5, §7).

The system's shape comes from ``ROOT/etc/system.conf`` (``SYSNAME name`` and one
``STACK name [profile]`` line per stack); without it, the image is WG31 and there is one
stack per TcpImage of pagent.conf, each with profile ``SYS1.TCPPARMS(PROFILE)``.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import traceback
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from pagent import mvs
from pagent.agent import Output, PolicyAgent
from pagent.agent.loglevel import LogLevel
from pagent.messages import format_message
from pagent.policy.chain import load_chain, resolve_zos_path
from pagent.policy.pasearch import render_ttls
from pagent.policy.policy import merge
from pagent.saf import racdcert
from pagent.saf.rings import resolver, user_of_certificate
from pagent.saf.store import SafStore
from pagent.service.control import CommandResult
from pagent.service.netconf import DEFAULT_PROFILE, read_system_conf
from pagent.service.network import ImageNetwork
from pagent.service.release import release_in_thread
from pagent.service.worker import (
    LoopStack,
    ServiceClosingError,
    in_thread,
    in_worker,
    on_loop,
)
from pagent.stack import Stack
from pagent.syslogd import Syslogd

PAGENT_USERID = "PAGENT"  # the started task's user id (IEF695I's ASSIGNED TO USER) [UNV]
ABNORMAL_RC = 1  # $HASP395 RC of a PAGENT that ended with EZZ8434I [UNV] (F-240)
LOG_BLOCK = 5000  # PAGENT log lines written (and stamped) at once, issue 13 §1
TCPIP_USERID = "TCPIP"  # the stack's user id in its syslogd records (pagent-ops §7.3 example)
RACF_ISSUER = "IBMUSER"  # who issues RACF commands at this console [UNV]

HELP = [
    "S PAGENT                          start the Policy Agent",
    "P PAGENT                          stop it (PURGE/NOPURGE processing)",
    "C PAGENT                          cancel it (no purge processing)",
    "F PAGENT,REFRESH | UPDATE         re-read the configuration and policies",
    "F PAGENT,LOGLEVEL,LEVEL=n         set the LogLevel (also DEBUG, TRACE)",
    "F PAGENT,QUERY                    show LogLevel, debug and trace levels",
    "D TCPIP                           the stacks (EZAOP50I)",
    "D TCPIP,[stack],N,CONFIG          the stack's configuration: TTLS: YES|NO",
    "D TCPIP,[stack],N,TTLS            AT-TLS connections (EZD0101I)",
    "V TCPIP,[stack],OBEY,dsn          process an OBEY data set, e.g. SYS1.TCPPARMS(TTLS)",
    "D TCPIP,[stack],N,TTLS,GROUP      the active AT-TLS groups",
    "D TCPIP,[stack],N,TTLS,CONN,id,DETAIL  one connection in full",
    "F SYSLOGD,RESTART                 syslogd re-reads etc/syslog.conf",
    "RACDCERT ID(user) GENCERT|ADDRING|CONNECT|LISTRING|LIST|REMOVE|DELRING ...",
    "PERMIT IRR.DIGTCERT.LISTRING CLASS(FACILITY) ID(user) ACCESS(READ)",
    "HELP                              this list",
]


@dataclass(slots=True)
class _Run:
    """PAGENT log lines of one priority and category, waiting to be written."""

    severe: bool
    head: str  # the category head of each record (record_head)
    texts: list[str]
    printable: bool  # known to be printable: syslogd need not look


class System:
    """The emulated image."""

    def __init__(
        self,
        root: Path,
        *,
        clock: Callable[[], datetime],
        broadcast: Callable[[str], None] = lambda _text: None,
    ) -> None:
        self.root = root
        self.clock = clock
        self.broadcast = broadcast
        self.sysname, stack_defs = read_system_conf(root / "etc" / "system.conf")
        if not stack_defs:
            stack_defs = [(name, DEFAULT_PROFILE) for name in self._tcpimage_names()]
        self.syslogd = Syslogd(root / "etc" / "syslog.conf", root, clock, self.sysname)
        self.stacks: dict[str, Stack] = {
            name: Stack(name, root=root, profile=profile, clock=clock, emit=self._unsolicited)
            for name, profile in stack_defs
        }
        self._loop: asyncio.AbstractEventLoop | None = None  # set when PAGENT's work starts
        ports = {name: LoopStack(stack, lambda: self._loop) for name, stack in self.stacks.items()}
        self.agent = PolicyAgent(
            root=root,
            stacks=ports,
            out=self._pagent_out,
            clock=clock,
            out_block=self._log_block,
            files_read=self._files_read,
            discard=release_in_thread,
        )
        self.saf = SafStore(root, clock)
        self.network = ImageNetwork(
            root,
            self.sysname,
            next(iter(self.stacks.values()), None),
            resolver=resolver(self.saf),
            log=self._ttls_log,
            clock=clock,
            cert_user=lambda der: user_of_certificate(self.saf, der),
            explain=self._ttls_reason,
        )
        self._numbers = itertools.cycle(range(1, 10000))  # the console's rolling number
        self._asid = 0x3F  # the last ASID given to an address space
        self._pagent_asid = 0  # the running PAGENT's
        self.pagent_pid = 0
        self.on_pagent_files: Callable[[], None] = lambda: None  # the watcher re-aims itself
        self.lock = asyncio.Lock()
        # PAGENT's own work (start, refresh, stop) runs one at a time under pagent_lock, the
        # heavy part on a worker thread; commands for others need only ``lock`` and are
        # answered meanwhile (issue 13 §1).
        self.pagent_lock = asyncio.Lock()
        self._queued_refresh: bool | None = None  # a refresh waiting: update (True) or not
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending: list[_Run] = []  # PAGENT's log lines to write
        self._pending_count = 0
        self._capture: list[str] | None = None
        self.closing = False

    def _tcpimage_names(self) -> list[str]:
        try:
            chain = load_chain(resolve_zos_path("/etc/pagent.conf", self.root), self.root)
        except (OSError, ValueError):
            return ["TCPIP1"]
        if chain.main is None or not chain.main.images:
            return ["TCPIP1"]
        return [image.image.name.upper() for image in chain.main.images]

    # --- output ---------------------------------------------------------------------------
    def _unsolicited(self, lines: list[str]) -> None:
        for line in lines:
            self._say(line)

    def _pagent_out(self, out: Output) -> None:
        if out.shown_in_log:
            self._log_block([out.text], out.category, out.text.isprintable())
        if out.console:
            # Log first: a client reacting to a broadcast message may read syslogall.log.
            self._flush_log()
            text = out.text.removeprefix("main: ")
            if self._capture is not None:
                self._capture.append(text)  # part of the running command's response
            else:
                self._say(text)

    def _log_block(self, texts: list[str], category: LogLevel, printable: bool = False) -> None:
        """PAGENT log lines to write: kept, in runs of one priority and category, until the
        next flush. A record's category head is added as the block is written
        (:meth:`Syslogd.log_many`'s ``prefix``, in C), and a run whose texts are known to
        be printable is not scanned again (issue 13 §1)."""
        severe = category in (LogLevel.SYSERR, LogLevel.OBJERR, LogLevel.PROTERR)
        head = record_head(category)
        last = self._pending[-1] if self._pending else None
        if last is not None and last.severe == severe and last.head == head:
            last.texts.extend(texts)
            last.printable = last.printable and printable
        else:
            self._pending.append(_Run(severe, head, list(texts), printable))
        self._pending_count += len(texts)
        if self._pending_count >= LOG_BLOCK:
            self._flush_log()

    def _flush_log(self) -> None:
        """Write PAGENT's pending log lines, a block of at most LOG_BLOCK lines at a time
        (each block is stamped with the clock when written)."""
        pending, self._pending, self._pending_count = self._pending, [], 0
        for run in pending:
            for start in range(0, len(run.texts), LOG_BLOCK):
                self.syslogd.log_many(
                    "daemon",
                    "err" if run.severe else "info",
                    "PAGENT",
                    PAGENT_USERID,
                    self.pagent_pid,
                    run.texts[start : start + LOG_BLOCK],
                    prefix=run.head,
                    printable=run.printable,
                )

    def _files_read(self) -> None:
        """PAGENT read its chain: aim the watcher now, on the loop, before it announces."""
        loop = self._loop
        if loop is None or not in_worker():
            self.on_pagent_files()
        else:
            on_loop(loop, self.on_pagent_files)

    def _say(self, text: str) -> None:
        """Broadcast, from the loop or from PAGENT's worker thread (in order, on the loop)."""
        loop = self._loop
        if loop is None or not in_worker():
            self.broadcast(text)
            return
        try:
            loop.call_soon_threadsafe(self.broadcast, text)
        except RuntimeError:  # the loop has closed: the service stopped under this work
            raise ServiceClosingError("the service stopped") from None

    def _ttls_log(self, facility: str, priority: str, text: str) -> None:
        """AT-TLS runtime messages: the stack writes them to syslogd, tag TTLS (§5.1, §7.3)."""
        stack = self.network.stack
        name = stack.name if stack is not None else "TCPIP"
        self.syslogd.log(facility, priority, name, TCPIP_USERID, os.getpid(), text, tag="TTLS")

    def _ttls_reason(self, connid: int, rc: int, reason: str) -> None:
        """Why an AT-TLS connection failed, in words, in pagent's own log (PAGENTSV)."""
        structlog.get_logger("pagent.ttls").warning(
            "ttls_connection_failed", connid=f"{connid:08X}", rc=rc, reason=reason
        )

    def start(self) -> list[str]:
        """Start the stacks (their profiles); the lines they write."""
        lines: list[str] = []
        for stack in self.stacks.values():
            lines.extend(stack.start())
        return lines

    def close(self) -> None:
        """Orderly end: PAGENT stops with purge processing, syslogd closes its files.

        A refresh still running on its worker is abandoned: what it would install is not
        swapped in (the loop no longer runs), and what it would log is dropped.
        """
        self.closing = True
        for task in self._tasks:
            task.cancel()
        if self.agent.active:
            self.agent.stop()
            self._flush_log()
        self.syslogd.close()

    # --- PAGENT's work ----------------------------------------------------------------------
    def _spawn(self, work: Coroutine[object, object, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait until PAGENT's background work (start, refreshes) is done."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _pagent_work(self, fn: Callable[[], object]) -> object:
        """Run PAGENT's ``fn`` on a worker thread (the caller holds pagent_lock)."""
        self._loop = asyncio.get_running_loop()

        def job() -> object:
            try:
                return fn()
            finally:
                self._flush_log()

        # No cyclic collection while PAGENT builds: a full one walks every object of two
        # 50,000-rule policies and holds the GIL for most of a second, and the loop waits
        # (D TCPIP within 50 ms, issue 13 §1). Afterwards what survived is frozen: the
        # installed policy is acyclic (its statements refer to each other by name), so it
        # is freed by reference counting when replaced, and later collections skip it.
        gc.disable()
        try:
            return await in_thread(job, name="pagent-refresh")
        except ServiceClosingError:
            raise
        except Exception as exc:  # noqa: BLE001 - logged with where it came from, below
            # Issue 13 §4: whatever the policy layer raises, the service goes on serving and
            # watching; the installed policies stay. PAGENT says EZZ8438I, pagent's own log
            # (PAGENTSV) says what and where, so that the bug can be found and fixed.
            where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            structlog.get_logger("pagent.service").error(
                "pagent_work_failed",
                error="".join(traceback.format_exception_only(exc)).strip(),
                at=f"{where.filename}:{where.lineno}" if where is not None else "?",
            )
            main = self.agent.main
            for image in main.images if main is not None else ():
                self._pagent_out(
                    Output(
                        format_message("EZZ8438I", image=image.image.name, type="TTLS"),
                        console=True,
                        category=LogLevel.EVENT,
                        shown_in_log=True,
                    )
                )
            return None
        finally:
            gc.freeze()
            gc.enable()

    # --- operator commands ----------------------------------------------------------------
    async def command(self, text: str) -> CommandResult:
        """Run one operator command; its solicited response."""
        async with self.lock:  # one command at a time, as one console would
            words = text.split(maxsplit=1)
            if words and words[0].upper() in mvs.RACF_COMMANDS:
                return self._racf(text)
            parsed = mvs.parse(text)
            if isinstance(parsed, mvs.CommandError):
                if parsed.rejected_by == "PAGENT" and not self.agent.active:
                    return CommandResult([format_message("IEE341I", jobname="PAGENT")], "rejected")
                return CommandResult(list(parsed.lines), "rejected")
            if not _for_pagent(parsed):
                return self._run(parsed)
        return await self._pagent_command(parsed)

    async def _pagent_command(self, cmd: mvs.Command) -> CommandResult:
        """S, P, C or F PAGENT: after PAGENT's running work, and with its heavy part off
        the loop, so that other commands are answered meanwhile."""
        await self.pagent_lock.acquire()
        handed_over = False
        try:
            if isinstance(cmd, mvs.ModifyCommand) and cmd.action.upper() in ("REFRESH", "UPDATE"):
                if not self.agent.active:
                    return CommandResult([format_message("IEE341I", jobname="PAGENT")], "rejected")
                action, level = cmd.action, cmd.level
                try:
                    lines = await self._pagent_work(lambda: self.agent.modify(action, level))
                finally:
                    self.on_pagent_files()  # aimed even after a failure: a fix is seen
                if not isinstance(lines, list):
                    return CommandResult([format_message("EZZ8443I")], "failed")
                return CommandResult(lines, "ok")
            result = self._run(cmd)
            self._flush_log()
            if isinstance(cmd, mvs.StartCommand) and result.status == "ok":
                # PAGENT's start follows the command's response, and releases the lock.
                self._spawn(self._pagent_start())
                handed_over = True
            return result
        finally:
            if not handed_over:
                self.pagent_lock.release()

    def _run(self, cmd: mvs.Command) -> CommandResult:
        if isinstance(cmd, mvs.Help):
            if cmd.topic is None:
                return CommandResult(list(HELP), "ok")
            short = mvs.ABBREVIATIONS.get(cmd.topic, cmd.topic)
            lines = [line for line in HELP if line.split()[0] in (short, cmd.topic)]
            return CommandResult(lines or list(HELP), "ok")
        if isinstance(cmd, mvs.StartCommand):
            return self._start_task(cmd.task)
        if isinstance(cmd, mvs.StopCommand | mvs.CancelCommand):
            return self._stop_task(cmd.task, cancel=isinstance(cmd, mvs.CancelCommand))
        if isinstance(cmd, mvs.ModifyCommand):
            return self._modify(cmd)
        if isinstance(cmd, mvs.DisplayTcpip):
            return self._display(cmd)
        return self._vary(cmd)

    def _jes_started(self, task: str) -> list[str]:
        self._asid += 1
        now = self.clock()
        return [
            format_message("$HASP100", jobname=task),
            format_message("$HASP373", jobname=task),
            format_message(
                "IEF403I",
                jobname=task,
                time=now.strftime("%H.%M.%S"),
                asid=self._asid,
                sysname=self.sysname,
            ),
        ]

    def _jes_ended(self, task: str, *, asid: int | None = None, rc: int = 0) -> list[str]:
        """IEF404I and $HASP395 of a task: its own ASID (the running PAGENT's by default)."""
        now = self.clock()
        return [
            format_message(
                "IEF404I",
                jobname=task,
                time=now.strftime("%H.%M.%S"),
                asid=self._pagent_asid if asid is None else asid,
                sysname=self.sysname,
            ),
            format_message("$HASP395", jobname=task, rc=rc),
        ]

    def _start_task(self, task: str) -> CommandResult:
        if task != "PAGENT":
            return CommandResult([format_message("IEE535I", verb="START")], "rejected")
        lines = self._jes_started(task)
        if self.agent.active:
            # The second copy refuses to run (pagent-ops §1.5: single instance by ENQ). It
            # is an address space of its own (its ASID), and it ends abnormally (F-240).
            for msg in ("EZZ8431I", "PAGENT.LOG.MAIN.ALREADY_ACTIVE", "EZZ8434I"):
                text = format_message(msg)
                if msg.startswith("PAGENT."):
                    logged = record_head(LogLevel.SYSERR) + text
                else:
                    logged = f"{record_head(LogLevel.EVENT)}main: {text}"  # F-101
                self.syslogd.log("daemon", "err", "PAGENT", PAGENT_USERID, os.getpid(), logged)
                if not msg.startswith("PAGENT."):
                    lines.append(text)
            lines.extend(self._jes_ended(task, asid=self._asid, rc=ABNORMAL_RC))
            return CommandResult(lines, "failed")
        self._pagent_asid = self._asid
        self.pagent_pid = os.getpid()
        return CommandResult(lines, "ok")  # its messages follow the command, unsolicited

    async def _pagent_start(self) -> None:
        """PAGENT's start on its worker; the caller acquired pagent_lock for it."""
        try:
            if not await self._pagent_work(self.agent.start) and not self.agent.active:
                for line in self._jes_ended("PAGENT", rc=ABNORMAL_RC):
                    self.broadcast(line)
            self.on_pagent_files()
        finally:
            self.pagent_lock.release()

    def _stop_task(self, task: str, *, cancel: bool) -> CommandResult:
        if task != "PAGENT" or not self.agent.active:
            return CommandResult([format_message("IEE341I", jobname=task)], "rejected")
        captured: list[str] = []
        self._capture = captured  # PAGENT's stop messages are the command's response
        try:
            self.agent.stop(cancel=cancel)
        finally:
            self._capture = None
        return CommandResult([*captured, *self._jes_ended(task)], "ok")

    def _modify(self, cmd: mvs.ModifyCommand) -> CommandResult:
        if cmd.task in self.stacks or cmd.task == "TCPIP":
            return CommandResult([format_message("EZZ3250I")], "rejected")
        if cmd.task == "SYSLOGD":
            return self._modify_syslogd(cmd)
        if cmd.task != "PAGENT" or not self.agent.active:
            return CommandResult([format_message("IEE341I", jobname=cmd.task)], "rejected")
        lines = self.agent.modify(cmd.action, cmd.level)
        self.on_pagent_files()
        ok = not lines[0].startswith("EZZ8444I")
        return CommandResult(lines, "ok" if ok else "rejected")

    def _modify_syslogd(self, cmd: mvs.ModifyCommand) -> CommandResult:
        """F SYSLOGD,RESTART re-reads syslog.conf (pagent-ops §7.1); ARCHIVE is not emulated."""
        if cmd.action != "RESTART" or cmd.parameters:
            return CommandResult([format_message("FSUM1253")], "rejected")
        lines = [format_message("FSUM1254")]
        errors = self.syslogd.reload()
        if errors:  # the old rules stay in force; say why, as a person needs to know
            return CommandResult([*lines, *(str(e) for e in errors)], "failed")
        return CommandResult([*lines, format_message("FSUM1252")], "ok")

    def refresh(self, *, update: bool) -> None:
        """A refresh not typed by the operator (file change, interval, SIGHUP).

        It runs in the background, after PAGENT's running work. Requests that come while
        one waits join it (a REFRESH outweighs an UPDATE): it reads the files as they are
        when it starts.
        """
        if not self.agent.active or self.closing:
            return
        if self._queued_refresh is not None:
            self._queued_refresh = self._queued_refresh and update
            return
        self._queued_refresh = update
        self._spawn(self._background_refresh())

    async def _background_refresh(self) -> None:
        async with self.pagent_lock:
            update, self._queued_refresh = bool(self._queued_refresh), None
            if self.agent.active and not self.closing:
                try:
                    await self._pagent_work(lambda: self.agent.refresh(update=update))
                finally:
                    self.on_pagent_files()

    def _stack(self, name: str | None) -> Stack | None:
        if not name:
            return next(iter(self.stacks.values()), None)
        return self.stacks.get(name.upper())

    def _display(self, cmd: mvs.DisplayTcpip) -> CommandResult:
        number = next(self._numbers)
        if cmd.report is None:
            return CommandResult(Stack.display_tcpip(number, self.stacks.values()), "ok")
        stack = self._stack(cmd.stack)
        if stack is None:
            return CommandResult([format_message("IEE341I", jobname=cmd.stack)], "rejected")
        if cmd.report == "CONFIG":
            return CommandResult(stack.netstat_config(number), "ok")
        lines = stack.netstat_ttls(number, group=cmd.group, conn_id=cmd.conn_id, detail=cmd.detail)
        return CommandResult(lines, "ok")

    def _vary(self, cmd: mvs.VaryObey) -> CommandResult:
        stack = self._stack(cmd.stack)
        if stack is None:
            return CommandResult([format_message("IEE341I", jobname=cmd.stack)], "rejected")
        ok, lines = stack.obey(cmd.dataset, cmd.echo())
        return CommandResult(lines, "ok" if ok else "failed")

    def _racf(self, text: str) -> CommandResult:
        """A RACF command (RACDCERT, PERMIT, SETROPTS, CONNECT) against the SAF store."""
        done = racdcert.execute(self.saf, text.strip(), issuer=RACF_ISSUER)
        self.network.key_rings_changed()
        return CommandResult(list(done.lines), "ok" if done.ok else "failed")

    # --- other requests -------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Image, PAGENT and stacks, for the console's status bar."""
        return {
            "image": self.sysname,
            "pagent": self.agent.active,
            "stacks": [{"name": s.name, "ttls": s.ttls} for s in self.stacks.values()],
        }

    async def pasearch(self, image: str | None, rule: str | None) -> CommandResult:
        """The installed AT-TLS policy of an image in pasearch -t layout.

        The report of a large policy takes seconds to render: that runs in a worker thread,
        on the policy installed when the request came (policies are immutable).
        """
        stack = self._stack(image)
        if stack is None:
            return CommandResult([f"pasearch: no image {image}"], "failed")
        policy = self.agent.installed(stack.name) if self.agent.active else None
        now = self.clock()
        if policy is None:
            policy = merge([])  # nothing installed: pasearch says "No policies retrieved"
        text = await asyncio.to_thread(
            render_ttls,
            policy,
            image=stack.name,
            now=now,
            instance_id=int(now.timestamp()),
            rule=rule,
        )
        return CommandResult(text.splitlines(), "ok")


def record_head(category: LogLevel) -> str:
    """What PAGENT's log records start with: the LogLevel category, padded to 8, and the
    thread number, as in ``EVENT   :001: main: EZZ8431I PAGENT STARTING`` (pagent-ops §7.3,
    §8 [UNV]; every line is thread 001 here, F-244)."""
    return f"{category.name or 'EVENT':<8}:001: "


def _for_pagent(cmd: mvs.Command) -> bool:
    """Whether a command is S, P, C or F of PAGENT (PAGENT's work, under pagent_lock)."""
    if isinstance(cmd, mvs.StartCommand | mvs.StopCommand | mvs.CancelCommand):
        return cmd.task == "PAGENT"
    return isinstance(cmd, mvs.ModifyCommand) and cmd.task == "PAGENT"
