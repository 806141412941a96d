"""Watching the configuration chain: file events -> one debounced refresh request.

watchdog reports events on a thread; this module only notes them and, once no event has
come for ``debounce`` seconds, calls ``request`` once on the event loop. It watches the
directories that hold the chain's files, so that an editor's save-to-temporary-and-rename
(a create or a move *onto* the watched name) is seen as well as an in-place write, and a
file that does not exist yet is noticed when it appears.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

_CHANGES = frozenset({"modified", "created", "moved", "deleted", "closed"})


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: ChainWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        # Reading a file is an event too (opened, closed_no_write): PAGENT's own reads
        # must not look like changes, or every refresh would request the next one.
        if event.event_type not in _CHANGES:
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        names = {os.fsdecode(p) for p in paths if p}
        if names & self.watcher.targets:
            self.watcher.loop.call_soon_threadsafe(self.watcher.poke)


class ChainWatcher:
    """Calls ``request`` once per burst of changes to the watched files."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        request: Callable[[], None],
        *,
        debounce: float = 0.2,
    ) -> None:
        self.loop = loop
        self.request = request
        self.debounce = debounce
        self.targets: set[str] = set()
        self._observer: BaseObserver | None = None
        self._dirs: set[str] = set()
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, files: Iterable[Path]) -> None:
        """(Re)point the watcher at these files (the chain may name new ones)."""
        targets = {t for f in files if (t := _watched_name(Path(f))) is not None}
        dirs = {str(Path(t).parent) for t in targets}
        self.targets = targets
        if dirs == self._dirs and self._observer is not None:
            return
        self.stop()
        observer = Observer()
        handler = _Handler(self)
        for d in sorted(dirs):
            if Path(d).is_dir():
                try:
                    observer.schedule(handler, d, recursive=False)
                except OSError:  # gone since, or not readable: the next refresh re-aims
                    continue
        observer.daemon = True
        observer.start()
        self._observer = observer
        self._dirs = dirs

    def poke(self) -> None:
        """An event arrived (on the loop): restart the quiet-period timer."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.loop.call_later(self.debounce, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self.request()

    def stop(self) -> None:
        """Stop watching."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
            self._dirs = set()


def _watched_name(path: Path) -> str | None:
    """The absolute name to watch for ``path``: resolved through symlinks when it can be.

    A symlink loop (RuntimeError) or an unreadable directory (OSError) is watched under its
    own absolute name, so that its repair is seen (issue 13 §4); a name with a NUL byte
    (ValueError) can never be a file, and is not watched.
    """
    try:
        return str(path.resolve())
    except (RuntimeError, OSError):
        return os.path.abspath(path)
    except ValueError:
        return None
