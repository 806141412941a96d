"""The ``pagent`` command: thin entry points that parse arguments and call the layers.

Exit codes (issue 2): ``check`` 0 when PAGENT would install everything, 1 when it would
reject the policy or discard a statement, 2 for usage errors and unreadable files;
``match`` 0 when a rule matches, 1 when none does, 2 when no policy can be read (a broken
chain's errors are shown); ``search`` 0, 1 when PAGENT would reject the policy or ``--rule``
names no rule, 2 when it cannot read; ``job`` 127 when the program does not exist, 126
when it cannot be run (issue 9);
``diff`` 0 when the policies are equal in effect, 1 when they differ, 2 for usage errors.
``console`` (issue 4 §3, scripted sessions): 0 every command succeeded, 1 a command was
rejected or failed, 2 a WAIT timed out (or a usage error), 3 no service could be reached.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pagent import __version__
from pagent.commands._output import EXIT_USAGE, err

if TYPE_CHECKING:
    from pagent.service.early import EarlyStop

DESCRIPTION = (
    "pagent: the z/OS Policy Agent and AT-TLS, off the mainframe. Check AT-TLS policies as "
    "PAGENT would (check, search, match), and run a system image with its operator console "
    "(init, serve, console, keyring, job)."
)
# The --root help of the commands that read z/OS paths from files, and of the others.
ROOT_FOR_PATHS_HELP = (
    "system root that z/OS paths resolve under (default: the root whose etc/ holds PATH, "
    "else the current directory when it has etc/pagent.conf)"
)
ROOT_HELP = "system root (default: the current directory)"
PATH_HELP = "a policy file, or a pagent.conf whose whole chain is read"


class _Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and the program name on every error (argparse's default)."""


def _root(value: str | None) -> Path | None:
    if value is not None:
        return Path(value)
    cwd = Path.cwd()
    return cwd if (cwd / "etc" / "pagent.conf").is_file() else None


def _root_of(path: Path) -> Path | None:
    """The system root a file sits in: ROOT for ROOT/etc/FILE (issue 9), else None."""
    parent = path.absolute().parent
    return parent.parent if parent.name == "etc" else None


def _root_for(value: str | None, paths: Sequence[Path]) -> Path | None:
    """--root, else the one system root the PATHs sit in, else the current directory's.

    Several PATHs in different roots cannot share one root: ValueError names them.
    """
    if value is not None:
        return Path(value)
    roots = sorted({r for r in map(_root_of, paths) if r is not None})
    if len(roots) > 1:
        raise ValueError(
            f"the PATHs sit in different system roots ({', '.join(map(str, roots))}): "
            "check them one root at a time, or give --root"
        )
    return roots[0] if roots else _root(None)


def _endpoint(text: str) -> tuple[str, int]:
    """``IP:PORT`` or ``[IPv6]:PORT``."""
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
        if ":" in host:  # '::1:443' is ambiguous: IPv6 takes brackets
            raise argparse.ArgumentTypeError(f"'{text}': write an IPv6 endpoint as [addr]:port")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not IP:PORT (IPv6 as [addr]:port)")
    if int(port) > 65535:
        raise argparse.ArgumentTypeError(f"'{text}': port {port} is out of range (0-65535)")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{host}' is not an IP address") from None
    return host, int(port)


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = _Parser(prog="pagent", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"pagent {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="check policy files or a pagent.conf chain")
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH", help=PATH_HELP)
    check.add_argument("--json", action="store_true", help="one JSON document on stdout")
    check.add_argument("--strict", action="store_true", help="warnings fail the check too")
    check.add_argument(
        "--expect",
        type=Path,
        metavar="FILE",
        help="a TOML file of connections that must be protected (or stay clear)",
    )
    check.add_argument("--root", metavar="DIR", help=ROOT_FOR_PATHS_HELP)

    search = sub.add_parser("search", help="show the policy as pasearch -t would")
    search.add_argument(
        "-t", dest="ttls", action="store_true", required=True, help="AT-TLS policies"
    )
    search.add_argument("--rule", metavar="NAME", help="only this rule")
    search.add_argument("--root", metavar="DIR", help=ROOT_FOR_PATHS_HELP)
    search.add_argument(
        "path",
        nargs="?",
        type=Path,
        metavar="PATH",
        help=PATH_HELP + " (none: ask the root's running service)",
    )

    match = sub.add_parser("match", help="which rule a connection maps to")
    match.add_argument("path", type=Path, metavar="PATH", help=PATH_HELP)
    match.add_argument(
        "--direction",
        required=True,
        choices=["inbound", "outbound"],
        help="the side of the connection, as the stack sees it",
    )
    match.add_argument(
        "--local", required=True, type=_endpoint, metavar="IP:PORT", help="the local end"
    )
    match.add_argument(
        "--remote", required=True, type=_endpoint, metavar="IP:PORT", help="the remote end"
    )
    match.add_argument("--jobname", default="", help="the job name of the connection's owner")
    match.add_argument("--userid", default="", help="the user id of the connection's owner")
    match.add_argument("--json", action="store_true", help="one JSON document on stdout")
    match.add_argument("--root", metavar="DIR", help=ROOT_FOR_PATHS_HELP)
    match.add_argument("--image", help="the image (stack) whose policy to use, for a pagent.conf")
    diff = sub.add_parser(
        "diff",
        help="what a policy change does: rules, actions and connections that change",
        description="Compare two policy files or pagent.conf chains in effect. Exit 0 when "
        "they are equal, 1 when they differ, 2 for usage errors.",
    )
    diff.add_argument("old", type=Path, metavar="OLD")
    diff.add_argument("new", type=Path, metavar="NEW")
    diff.add_argument("--json", action="store_true", help="one JSON document on stdout")
    diff.add_argument(
        "--root",
        help="system root for both chains (default: for each, the directory above its etc/)",
    )
    serve = sub.add_parser("serve", help="run the system image's service in the foreground")
    serve.add_argument("--root", metavar="DIR", help=ROOT_HELP)

    init = sub.add_parser("init", help="lay out a fresh system root with the defaults")
    init.add_argument(
        "dir", type=Path, metavar="DIR", help="the new root's directory (created if missing)"
    )
    init.add_argument(
        "--at",
        choices=["default", "workshop-start"],
        default="default",
        help="workshop-start: no AT-TLS policy yet and an empty NCA backing store (issue 12)",
    )

    console = sub.add_parser(
        "console",
        help="the MVS operator console of the service (interactive, or scripted)",
        description="The MVS operator console of a root's service, started if none runs. "
        "At a terminal it is interactive; with -c, --script or piped standard input it runs "
        "the commands (and 'WAIT msgid [seconds]' lines) and exits 0 (all succeeded), "
        "1 (a command was rejected or failed), 2 (a WAIT timed out) or 3 (no service).",
    )
    console.add_argument("--root", metavar="DIR", help=ROOT_HELP)
    console.add_argument(
        "--no-start", action="store_true", help="do not start a service when none runs (exit 3)"
    )
    source = console.add_mutually_exclusive_group()
    source.add_argument(
        "-c",
        dest="commands",
        action="append",
        metavar="CMD",
        help="run this command, or 'WAIT msgid [seconds]' (repeatable, in order)",
    )
    source.add_argument(
        "--script", metavar="FILE", help="run the lines of FILE ('-': standard input)"
    )
    console.add_argument(
        "--json", action="store_true", help="one JSON object per command on stdout, nothing else"
    )
    from pagent.commands.keyring import add_parser as add_keyring_parser

    add_keyring_parser(sub)
    from pagent.nca.cli import add_parser as add_nca_parser  # issue 12

    add_nca_parser(sub)
    job = sub.add_parser(
        "job",
        help="run a program as a job of the image: its connections pass the stack's AT-TLS",
    )
    job.add_argument("jobname", metavar="JOBNAME", help="the job name (1-8 characters)")
    job.add_argument("--user", metavar="USERID", help="the job's user id (default: $USER)")
    job.add_argument("--root", metavar="DIR", help=ROOT_HELP)
    job.add_argument(
        "argv", nargs="*", metavar="-- COMMAND", help="the program and its arguments, after --"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one pagent command."""
    words = list(sys.argv[1:] if argv is None else argv)
    early_stop = None
    if words[:1] == ["serve"]:
        # Before anything else: a stop signal during start-up stops in order (issue 13 §7).
        from pagent.service.early import EarlyStop

        early_stop = EarlyStop()
        early_stop.install()
    command: list[str] = []
    if words[:1] == ["job"] and "--" in words:
        # Everything after '--' is the job's own command line, options included; argparse
        # would take them as pagent's (or refuse them after a positional).
        cut = words.index("--")
        words, command = words[:cut], words[cut + 1 :]
    args = build_parser().parse_args(words)
    if command:
        args.argv = [*args.argv, *command]
    try:
        return _run(args, early_stop)
    except BrokenPipeError:
        # `pagent check --json ... | head`: the reader left; say nothing more.
        sys.stderr.close()
        return 0


def _run(args: argparse.Namespace, early_stop: EarlyStop | None = None) -> int:
    if args.command in ("check", "search", "match"):
        paths = args.paths if args.command == "check" else [args.path] if args.path else []
        try:
            root = _root_for(args.root, paths)
        except ValueError as exc:
            err(str(exc))
            return EXIT_USAGE
    if args.command == "check":
        from pagent.commands.check import run_check

        return run_check(
            args.paths, root, as_json=args.json, strict=args.strict, expect=args.expect
        )
    if args.command == "search":
        from pagent.commands.search import run_search

        return run_search(args.path, root, rule=args.rule)
    if args.command == "match":
        from pagent.commands.match import run_match

        return run_match(args, root)
    if args.command == "diff":
        from pagent.commands.diff import run_diff

        root = Path(args.root) if args.root else None  # else each side's own (commands.diff)
        return run_diff(args.old, args.new, root, as_json=args.json)
    if args.command == "keyring":
        from pagent.commands.keyring import run as run_keyring

        return run_keyring(args)
    if args.command == "job":
        from pagent.commands.job import run_job

        root = (_root(args.root) or Path.cwd()).resolve()
        return run_job(root, args.jobname, args.user, args.argv)
    if args.command == "serve":
        from pagent.service.daemon import serve

        root = _root(args.root) or Path.cwd()
        return serve(root.resolve(), early_stop)
    if args.command == "init":
        from pagent.service.daemon import init

        code = init(args.dir)
        if code == 0 and args.at == "workshop-start":
            from pagent.nca.start import workshop_start

            for line in workshop_start(args.dir):
                print(f"pagent init: {line}")
        return code
    if args.command == "nca":
        from pagent.nca.cli import run as run_nca

        return run_nca(args)
    if args.command == "console":
        from console.main import main as console_main

        return console_main(args)
    return EXIT_USAGE  # pragma: no cover - argparse requires a command
