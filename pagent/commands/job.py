"""``pagent job JOBNAME [--user USERID] -- COMMAND...``: run a program as a job of the image.

The program runs in the image's network namespace (docs/datapath.md), so that every TCP
connection it makes or accepts passes the TCP/IP stack, which maps it to the AT-TLS policy
with this job name and user id. They reach the stack as the z/OS UNIX variables
``_BPX_JOBNAME`` and ``_BPX_USERID`` (the way z/OS names a spawned job); a program that is
not started this way is named by its process name and Linux user (pagent.stack.owners).
The command's exit status is the job's.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from pagent.commands._output import EXIT_USAGE
from pagent.service.system import read_system_conf
from pagent.stack.netns import NETNS_DIR, namespace_name

_NAME = re.compile(r"[A-Z@#$][A-Z0-9@#$]{0,7}")  # a z/OS job name or user id


def job_argv(root: Path, jobname: str, userid: str, command: Sequence[str]) -> list[str]:
    """The command line that runs ``command`` as job ``jobname`` of ``root``'s image."""
    sysname, _stacks = read_system_conf(root / "etc" / "system.conf")
    name = namespace_name(sysname, root)
    return [
        "ip",
        "netns",
        "exec",
        name,
        "env",
        f"_BPX_JOBNAME={jobname}",
        f"_BPX_USERID={userid}",
        *command,
    ]


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
    argv = job_argv(root, jobname, user, command)
    if not (NETNS_DIR / argv[3]).exists():
        print(
            f"pagent job: image network {argv[3]} is not active; is the service of {root} "
            "running, as root, with its data path on? (docs/datapath.md)",
            file=sys.stderr,
        )
        return 3
    sys.stdout.flush()
    os.execvp(argv[0], argv)  # noqa: S606 - the job replaces this process, argv as given
