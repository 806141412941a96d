"""``pagent console``: choose the scripted session or the interactive console, and run it.

Issue 4 §3: with ``-c``, ``--script`` or standard input that is not a terminal, the session
is scripted (:mod:`console.script`: no prompt, no escape codes, exit codes 0-3); otherwise
it is the prompt-toolkit application of :mod:`console.app`, imported only then so that a
scripted session does not pay for prompt-toolkit. Either way the service of the root is
reached through :func:`console.session.connect` (started when none runs, unless
``--no-start``).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from console.script import (
    EXIT_NO_SERVICE,
    EXIT_USAGE,
    Runner,
    ScriptError,
    Step,
    iter_steps,
    parse_script,
    read_lines,
)
from console.session import ConsoleClient, NoServiceError, connect

EXIT_INTERRUPTED = 130  # the shell's code for a session ended by Ctrl-C (128 + SIGINT)


def main(args: argparse.Namespace) -> int:
    """Run ``pagent console`` with the parsed options; the exit code.

    ``args`` holds ``root`` (str or None: the current directory), ``no_start``,
    ``commands`` (the ``-c`` options, or None), ``script`` (a path, ``-`` for standard
    input, or None) and ``json``.
    """
    root = Path(args.root or ".").resolve()
    from_stdin = args.script == "-" or (not args.commands and args.script is None)
    scripted = bool(args.commands) or args.script is not None or not sys.stdin.isatty()
    try:
        steps = None if from_stdin else _steps(args)
    except ScriptError as exc:
        return _fail(str(exc), EXIT_USAGE)
    if not scripted:
        if args.json:
            return _fail("--json needs -c, --script or commands on standard input", EXIT_USAGE)
        if importlib.util.find_spec("console.app") is None:
            return _fail(
                "the interactive console (console/app.py) is not installed; "
                "run a scripted session with -c, --script or commands on standard input",
                EXIT_USAGE,
            )
    try:
        client, started = connect(root, no_start=args.no_start)
    except NoServiceError as exc:
        return _fail(str(exc), EXIT_NO_SERVICE)
    try:
        with client:
            if not scripted:
                # Loaded by name, and only here: prompt-toolkit is not imported by scripts.
                app = importlib.import_module("console.app")
                code: int = app.run_app(root, client, started=started)
                return code
            return _run_script(client, steps, as_json=args.json)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _steps(args: argparse.Namespace) -> list[Step]:
    """The steps of ``-c`` or ``--script FILE``, checked whole before anything runs."""
    if args.commands:
        return parse_script(args.commands, "-c")
    path = Path(args.script)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"cannot read the script {path}: {exc}") from None
    return parse_script(text.splitlines(), str(path))


def _run_script(client: ConsoleClient, steps: list[Step] | None, *, as_json: bool) -> int:
    runner = Runner(client, out=sys.stdout, err=sys.stderr, as_json=as_json)
    if steps is not None:
        return runner.run(steps)
    lines = read_lines(sys.stdin.fileno(), client, runner.idle)
    return runner.run(iter_steps(lines, "<stdin>"))


def _fail(message: str, code: int) -> int:
    print(f"pagent console: {message}", file=sys.stderr)
    return code
