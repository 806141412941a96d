"""The ``pagent`` command: thin entry points that parse arguments and call the layers.

Exit codes (issue 2): ``check`` 0 when PAGENT would install everything, 1 when it would
reject the policy or discard a statement, 2 for usage errors and unreadable files;
``match`` 0 when a rule matches, 1 when none does; ``search`` 0, or 2 when it cannot read.
``console`` (issue 4 §3, scripted sessions): 0 every command succeeded, 1 a command was
rejected or failed, 2 a WAIT timed out (or a usage error), 3 no service could be reached.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence
from pathlib import Path

from pagent.commands._output import EXIT_USAGE


class _Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and the program name on every error (argparse's default)."""


def _root(value: str | None) -> Path | None:
    if value is not None:
        return Path(value)
    cwd = Path.cwd()
    return cwd if (cwd / "etc" / "pagent.conf").is_file() else None


def _endpoint(text: str) -> tuple[str, int]:
    """``IP:PORT`` or ``[IPv6]:PORT``."""
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
        if ":" in host:  # '::1:443' is ambiguous: IPv6 takes brackets
            raise argparse.ArgumentTypeError(f"'{text}': write an IPv6 endpoint as [addr]:port")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not IP:PORT (IPv6 as [addr]:port)")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{host}' is not an IP address") from None
    return host, int(port)


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = _Parser(prog="pagent", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="check policy files or a pagent.conf chain")
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    check.add_argument("--json", action="store_true", help="one JSON document on stdout")
    check.add_argument("--strict", action="store_true", help="warnings fail the check too")
    check.add_argument(
        "--root", help="system root for z/OS paths (default: cwd if it has etc/pagent.conf)"
    )

    search = sub.add_parser("search", help="show the policy as pasearch -t would")
    search.add_argument(
        "-t", dest="ttls", action="store_true", required=True, help="AT-TLS policies"
    )
    search.add_argument("--rule", help="only this rule")
    search.add_argument("--root", help="system root (default: cwd if it has etc/pagent.conf)")
    search.add_argument("path", nargs="?", type=Path, metavar="PATH")

    match = sub.add_parser("match", help="which rule a connection maps to")
    match.add_argument("path", type=Path, metavar="PATH")
    match.add_argument("--direction", required=True, choices=["inbound", "outbound"])
    match.add_argument("--local", required=True, type=_endpoint, metavar="IP:PORT")
    match.add_argument("--remote", required=True, type=_endpoint, metavar="IP:PORT")
    match.add_argument("--jobname", default="")
    match.add_argument("--userid", default="")
    match.add_argument("--json", action="store_true")
    match.add_argument("--root", help="system root for a pagent.conf PATH")
    match.add_argument("--image", help="the image (stack) whose policy to use, for a pagent.conf")
    serve = sub.add_parser("serve", help="run the system image's service in the foreground")
    serve.add_argument("--root", help="system root (default: cwd if it has etc/pagent.conf)")

    init = sub.add_parser("init", help="lay out a fresh system root with the defaults")
    init.add_argument("dir", type=Path, metavar="DIR")
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
    console.add_argument(
        "--root", metavar="DIR", help="system root (default: the current directory)"
    )
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
    job.add_argument("--root", help="system root (default: cwd if it has etc/pagent.conf)")
    job.add_argument(
        "argv", nargs="*", metavar="-- COMMAND", help="the program and its arguments, after --"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one pagent command."""
    words = list(sys.argv[1:] if argv is None else argv)
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
        return _run(args)
    except BrokenPipeError:
        # `pagent check --json ... | head`: the reader left; say nothing more.
        sys.stderr.close()
        return 0


def _run(args: argparse.Namespace) -> int:
    if args.command == "check":
        from pagent.commands.check import run_check

        return run_check(args.paths, _root(args.root), as_json=args.json, strict=args.strict)
    if args.command == "search":
        from pagent.commands.search import run_search

        return run_search(args.path, _root(args.root), rule=args.rule)
    if args.command == "match":
        from pagent.commands.match import run_match

        return run_match(args, _root(args.root))
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
        return serve(root.resolve())
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
