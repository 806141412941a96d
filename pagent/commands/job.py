"""``pagent job JOBNAME [--user USERID] -- COMMAND...``: run a program as a job of the image.

The program runs in the image's network namespace (docs/datapath.md), so that every TCP
connection it makes or accepts passes the TCP/IP stack, which maps it to the AT-TLS policy
with this job name and user id. They reach the stack as the z/OS UNIX variables
``_BPX_JOBNAME`` and ``_BPX_USERID`` (the way z/OS names a spawned job); a program that is
not started this way is named by its process name and Linux user (pagent.stack.owners).
The command's exit status is the job's. With a rootless service, the job joins the
service's own user, network and mount namespaces with ``nsenter``.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from pagent.commands._output import EXIT_USAGE
from pagent.service.netconf import OWN_NAMESPACE_ENV, read_system_conf
from pagent.service.pidfile import read_pid
from pagent.stack.netns import NETNS_DIR, namespace_name, netns_exec

_NAME = re.compile(r"[A-Z@#$][A-Z0-9@#$]{0,7}")  # a z/OS job name or user id
# A shell's exit codes for a command that is not there, or cannot be run (POSIX 2.8.2).
EXIT_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126


def program_problem(program: str) -> tuple[int, str] | None:
    """Why ``program`` cannot be started, with the shell's exit code; None when it can.

    Checked here so that pagent job says so itself (issue 9), not the env(1) it runs through.
    """
    if shutil.which(program) is not None:
        return None
    if "/" not in program:
        return EXIT_NOT_FOUND, f"{program}: command not found (not in PATH)"
    path = Path(program)
    if not path.exists():
        return EXIT_NOT_FOUND, f"{program}: No such file or directory"
    if path.is_dir():
        return EXIT_NOT_EXECUTABLE, f"{program}: Is a directory"
    return EXIT_NOT_EXECUTABLE, f"{program}: Permission denied (not executable)"


def job_argv(root: Path, jobname: str, userid: str, command: Sequence[str]) -> list[str] | None:
    """The command line that runs ``command`` as job ``jobname`` of ``root``'s image.

    The image is the named namespace of a service running as root, or the namespaces of
    a rootless service's own process (docs/datapath.md), which ``nsenter`` joins. None when
    the image has no network (no service, or a service without a data path).
    """
    sysname, _stacks = read_system_conf(root / "etc" / "system.conf")
    name = namespace_name(sysname, root)
    job = ["env", f"_BPX_JOBNAME={jobname}", f"_BPX_USERID={userid}", *command]
    if (NETNS_DIR / name).exists():
        return [*netns_exec(name), *job]
    pid = read_pid(root / "var" / "run" / "pagent.pid")
    if pid is None or not _own_namespaces(pid):
        return None
    return ["nsenter", f"--target={pid}", "--user", "--net", "--mount", "--", *job]


def _own_namespaces(pid: int) -> bool:
    """Whether the service ``pid`` runs in a network namespace other than ours (rootless)."""
    try:
        theirs = os.stat(f"/proc/{pid}/ns/net").st_ino
        ours = os.stat("/proc/self/ns/net").st_ino
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return theirs != ours and f"{OWN_NAMESPACE_ENV}=1".encode() in environ.split(b"\0")


def run_job(root: Path, jobname: str, userid: str | None, command: Sequence[str]) -> int:  # noqa: RET503 - execvp does not return
    """Replace this process by the job; an exit code only when it cannot start."""
    jobname = jobname.upper()
    user = (userid or os.environ.get("USER") or "PAGENT").upper()
    for what, value in (("job name", jobname), ("user id", user)):
        if not _NAME.fullmatch(value):
            print(f"pagent job: {value!r} is not a valid {what} (1-8 characters)", file=sys.stderr)
            return EXIT_USAGE
    if not command:
        print("pagent job: no command to run (pagent job NAME -- COMMAND ...)", file=sys.stderr)
        return EXIT_USAGE
    problem = program_problem(command[0])
    if problem is not None:
        print(f"pagent job: {problem[1]}", file=sys.stderr)
        return problem[0]
    argv = job_argv(root, jobname, user, command)
    if argv is None:
        print(
            f"pagent job: the image of {root} has no network: is its service running, "
            "with its data path on? (docs/datapath.md; its syslogall.log says why not)",
            file=sys.stderr,
        )
        return 3
    sys.stdout.flush()
    os.execvp(argv[0], argv)  # noqa: S606 - the job replaces this process, argv as given
