"""Stop signals during start-up are caught before the service is imported (issue 13 §7)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Records SIGTERM's handler at the moment pagent.service.daemon is first imported, then
# runs `pagent serve` on a directory that is no system root (it ends at once, exit 2).
_PROBE = """
import importlib.abc, signal, sys
seen = []
class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "pagent.service.daemon" and not seen:
            seen.append(signal.getsignal(signal.SIGTERM))
        return None
sys.meta_path.insert(0, Watch())
from pagent.cli import main
code = main(["serve", "--root", sys.argv[1]])
print(code, "caught" if seen and seen[0] not in (signal.SIG_DFL, None) else "default")
"""


def test_serve_catches_stop_signals_before_it_imports_the_service(tmp_path: Path) -> None:
    """The import of the service takes a tenth of a second or more; a SIGTERM then used to
    get the default action (exit 143). The flag handler is in place before it starts."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.split() == ["2", "caught"], done.stderr


def test_a_stop_signal_before_the_loop_is_kept_for_the_service() -> None:
    """The early handler only sets a flag, which the service honours once its loop runs."""
    import os
    import signal

    from pagent.service.early import EarlyStop

    old = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        early = EarlyStop()
        early.install()
        os.kill(os.getpid(), signal.SIGTERM)
        assert early.requested
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
