"""The console's bottom toolbar: the system at a glance, from the service's status reply.

Issue 4 §1: "a status bar (image, stacks, TTLS on or off, PAGENT active or not)". The
status is the ``status`` reply of the control protocol (docs/protocol.md):
``{"image": "WG31", "pagent": true, "stacks": [{"name": "TCPIP1", "ttls": false}]}``.
:func:`toolbar_fragments` renders it as style/text pairs, as pgcli's ``pgtoolbar.py``
yields them (style-anchors A2 §1); the app calls it again whenever it redraws, and
refreshes the status after each command and each unsolicited message.
:func:`toolbar_text` is the same without styles.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from prompt_toolkit.formatted_text import StyleAndTextTuples

__all__ = ["KEYS", "STYLE", "toolbar_fragments", "toolbar_text"]

KEYS: Final = "Tab completes · F1 help · F2 log · Ctrl-D leaves"
"""The key reminder at the toolbar's end."""

STYLE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "bottom-toolbar": "noreverse bg:#303030 #d0d0d0",
        "toolbar.image": "bold #ffffff",
        "toolbar.stack": "#d0d0d0",
        "toolbar.on": "bold #5fd75f",
        "toolbar.off": "bold #ffaf00",
        "toolbar.active": "bold #5fd75f",
        "toolbar.inactive": "bold #ff5f5f",
        "toolbar.lost": "bold bg:#d70000 #ffffff",
        "toolbar.keys": "#8a8a8a",
        "toolbar.sep": "#8a8a8a",
    }
)
"""Style class → style string for the toolbar."""

_SEP: Final = ("class:toolbar.sep", " │ ")


def toolbar_fragments(
    status: Mapping[str, Any] | None, *, lost: str | None = None, keys: str = KEYS
) -> StyleAndTextTuples:
    """The toolbar for ``status`` (None: not known yet); ``lost`` says why the service is gone."""
    out: StyleAndTextTuples = [("", " ")]
    if lost is not None:
        out.append(("class:toolbar.lost", f" SERVICE LOST: {lost} "))
    elif status is None:
        out.append(("class:toolbar.inactive", "no status yet"))
    else:
        out.append(("class:toolbar.image", str(status.get("image") or "?")))
        out.append(_SEP)
        stacks = status.get("stacks") or []
        if not stacks:
            out.append(("class:toolbar.stack", "no stacks"))
        for index, stack in enumerate(stacks):
            if index:
                out.append(("", "  "))
            on = bool(stack.get("ttls"))
            out.append(("class:toolbar.stack", f"{stack.get('name', '?')} TTLS "))
            out.append(("class:toolbar.on" if on else "class:toolbar.off", "ON" if on else "OFF"))
        out.append(_SEP)
        if status.get("pagent"):
            out.append(("class:toolbar.active", "PAGENT ACTIVE"))
        else:
            out.append(("class:toolbar.inactive", "PAGENT NOT ACTIVE"))
    if keys:
        out.extend([_SEP, ("class:toolbar.keys", keys)])
    return out


def toolbar_text(
    status: Mapping[str, Any] | None, *, lost: str | None = None, keys: str = KEYS
) -> str:
    """The toolbar's text, without styles."""
    return "".join(text for _style, text, *_ in toolbar_fragments(status, lost=lost, keys=keys))
