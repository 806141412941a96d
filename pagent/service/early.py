"""The stop signals during start-up, caught before the service is imported (issue 13 §7).

``pagent serve`` takes a tenth to a third of a second to import the service and build its
system before the event loop handles signals. A SIGTERM or SIGINT meanwhile got the default
action (exit 143, the pid file and socket left behind). This module imports nothing but
:mod:`signal`, so that ``pagent serve`` can install :class:`EarlyStop` as its first step,
before the imports (pagent/cli.py); what is left is Python's own start and the import of
the command-line module, before pagent has made any file.
"""

from __future__ import annotations

import signal

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class EarlyStop:
    """A stop signal that comes before the event loop handles signals.

    :meth:`install` sets a flag instead of the default action; the service honours it once
    its loop handles the signals itself (``Service.run``), and stops in order with exit 0.
    """

    def __init__(self) -> None:
        self.requested = False

    def install(self) -> None:
        """Catch the stop signals from now on (and let through those held back across a
        re-execution, ``go_rootless``)."""
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._set)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    def _set(self, _signum: int, _frame: object) -> None:
        self.requested = True
