"""``pagent keyring OWNER/RING``: list a SAF key ring and export its PEMs for an ordinary program.

Liberty reads ``safkeyring://LIBSERV/Liberty.KeyRing`` through RACF; a stand-in TLS server
off the mainframe reads files instead. ``--export DIR`` writes what the ring gives its owner,
under the same rules as AT-TLS (pagent.saf.rings): ``cert.pem`` (the default personal
certificate and its issuers in the ring), ``key.pem`` (mode 0600) and ``ca.pem`` (the
ring's CERTAUTH certificates). Exit 0, 1 when the ring cannot be used (System SSL return
code shown), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pagent.commands._output import EXIT_USAGE, err


def add_parser(subparsers: Any) -> argparse.ArgumentParser:  # noqa: ANN401 - argparse's private type
    """Add ``keyring`` to the ``pagent`` subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "keyring",
        help="list a SAF key ring; --export writes its PEM files",
        description="List a SAF key ring of the system root; with --export, write the PEM "
        "files an ordinary program reads in its stead: cert.pem (the default certificate and "
        "its issuers), key.pem (mode 0600) and ca.pem (the ring's CA certificates).",
    )
    parser.add_argument("ring", metavar="OWNER/RING", help="the ring, e.g. LIBSERV/Liberty.KeyRing")
    parser.add_argument(
        "--root", metavar="DIR", help="system root (default: the current directory)"
    )
    parser.add_argument(
        "--export", metavar="DIR", type=Path, help="write cert.pem, key.pem and ca.pem to DIR"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """List the ring; with --export write its PEM files. Returns the exit code."""
    # Imported here: cli.py builds every subcommand's parser, and cryptography (about 90 ms)
    # should load only when this command runs.
    from pagent.saf.material import RingError  # noqa: PLC0415
    from pagent.saf.racdcert import listring_lines  # noqa: PLC0415
    from pagent.saf.rings import resolve_ring, split_ring  # noqa: PLC0415
    from pagent.saf.store import SafStore, write_atomic  # noqa: PLC0415

    owner, _, name = str(args.ring).partition("/")
    if not owner or not name:
        err(f"'{args.ring}' is not OWNER/RING")
        return EXIT_USAGE
    root = Path(args.root) if args.root else Path.cwd()
    store = SafStore(root)
    owner, name = split_ring(args.ring, owner)
    if store.ring(owner, name) is None:
        err(f"key ring {name} of {owner} does not exist in {root / 'var' / 'saf'}")
        return 1
    sys.stdout.write("\n".join(listring_lines(store, owner, name)) + "\n")
    if args.export is None:
        return 0
    try:
        # The ring is opened as its owner would open it (Liberty runs under LIBSERV).
        material = resolve_ring(store, f"{owner}/{name}", owner, None)
    except RingError as error:
        err(f"key ring {owner}/{name} cannot be used: RC {error.rc} {error.reason}")
        return 1
    out: Path = args.export
    out.mkdir(parents=True, exist_ok=True, mode=0o700)  # an existing DIR keeps its mode
    write_atomic(out / "ca.pem", material.ca_pem.encode("ascii"), 0o644)
    if material.cert_file is None or material.key_file is None:
        print(f"{out}: ca.pem (the ring has no DEFAULT personal certificate)")
        return 0
    write_atomic(out / "cert.pem", material.cert_file.read_bytes(), 0o644)
    write_atomic(out / "key.pem", material.key_file.read_bytes(), 0o600)
    print(f"{out}: cert.pem ({material.label}), key.pem, ca.pem")
    return 0
