"""``pagent nca`` at a terminal: the NCA's AT-TLS perspective as a full-screen application.

Tabs Systems, Traffic Descriptors, Security Levels, Requirement Maps and Address Groups
(Left/Right or 1-5); a row per object (Up/Down); the Actions menu (``a`` or Enter) with New,
Modify, Delete, View Details, Rules and Install, also on their first letters. New and
Modify open a form whose fields take the values of the scripted commands; OK runs exactly
the change ``pagent nca`` would run (:mod:`pagent.nca.cli`), and the store is saved after
each change, or the error is shown in the form and nothing changes. Rules on a stack lists
its connectivity rules, where New, Delete and Escape work the same way. ``q`` leaves.

The model lives in the package; this module only drives it.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from prompt_toolkit.application import Application
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.layout import (
    ConditionalContainer,
    Float,
    FloatContainer,
    HSplit,
    Layout,
    Window,
)
from prompt_toolkit.layout.controls import FormattedTextControl
from prompt_toolkit.output import Output
from prompt_toolkit.styles import Style
from prompt_toolkit.widgets import Button, Dialog, Label, TextArea

from pagent.nca import commands, edit, status, views
from pagent.nca.install import install
from pagent.nca.model import NcaError, Store
from pagent.nca.store import StoreError, load, save, store_path

TABS = (
    ("system", "Systems"),
    ("descriptor", "Traffic Descriptors"),
    ("level", "Security Levels"),
    ("map", "Requirement Maps"),
    ("group", "Address Groups"),
)
ACTIONS = ("New", "Modify", "Delete", "View Details", "Rules", "Install")

# The form of each kind: (label, option of the scripted command). "name" is positional.
FORMS: dict[str, tuple[tuple[str, str], ...]] = {
    "system": (
        ("Image name", "image"),
        ("TCP/IP stack (optional)", "stack"),
        ("Default key ring", "keyring"),
        ("Trace levels (1,2,4)", "trace"),
        ("z/OS release", "release"),
    ),
    "stack": (("Install file name", "file"),),
    "descriptor": (
        ("Name", "name"),
        ("Local port (N, L-U, ephemeral, all)", "local_port"),
        ("Remote port (N, L-U, ephemeral, all)", "remote_port"),
        ("Direction (either, inbound, outbound)", "direction"),
        ("Job name", "jobname"),
        ("User ID", "userid"),
        ("Handshake role (server, client)", "role"),
        ("Key ring (empty: the image's)", "keyring"),
    ),
    "level": (
        ("Name", "name"),
        ("Protocols (e.g. TLSv1.2,TLSv1.3)", "protocols"),
        ("Ciphers (empty: System SSL defaults)", "ciphers"),
        ("Client authentication (none, Required ...)", "client_auth"),
    ),
    "map": (("Name", "name"), ("Rows (descriptor:level, ...)", "rows")),
    "group": (("Name", "name"), ("Addresses (comma-separated)", "address")),
    "rule": (
        ("Connectivity rule name", "name"),
        ("Requirement map", "map"),
        ("Local address group", "local"),
        ("Remote address group", "remote"),
    ),
}


@dataclass
class _Row:
    """One line of the current list, and what it stands for."""

    kind: str  # image, stack, descriptor, level, map, group, rule
    name: str  # for a stack 'IMAGE/STACK', for a rule its name
    text: str
    supplied: bool = False


@dataclass
class _Form:
    """An open New/Modify form."""

    kind: str
    modify: bool
    fields: list[tuple[str, TextArea]]
    error: str = ""


@dataclass
class _State:
    tab: int = 0
    selected: int = 0
    rules_of: str | None = None  # 'IMAGE/STACK' while the Rules list is shown
    menu: int | None = None  # the highlighted Actions item while the menu is open
    form: _Form | None = None
    details: list[str] | None = None
    message: str = ""
    notes: list[str] = field(default_factory=list)


class NcaApp:
    """The application around one backing store of one root."""

    def __init__(
        self,
        root: Path,
        name: str,
        clock: Callable[[], datetime],
        *,
        input: Input | None = None,
        output: Output | None = None,
    ) -> None:
        self.root = root
        self.name = name
        self.clock = clock
        self.path = store_path(root, name)
        self.store = load(self.path, name)
        self.state = _State()
        self.form_body = HSplit([])
        self.dialog = Dialog(
            title="",
            body=self.form_body,
            buttons=[Button("OK", handler=self._submit), Button("Cancel", handler=self._close)],
            with_background=False,
        )
        self.app: Application[int] = Application(
            layout=Layout(self._container()),
            key_bindings=self._bindings(),
            full_screen=True,
            input=input,
            output=output,
            style=Style.from_dict(
                {
                    "tab": "reverse",
                    "tab.current": "bold",
                    "row.selected": "reverse",
                    "status.incomplete": "fg:ansired",
                    "message": "bold",
                    "menu": "bg:ansiblue fg:ansiwhite",
                    "menu.selected": "reverse",
                }
            ),
        )

    # --- Layout. ---------------------------------------------------------------------
    def _container(self) -> FloatContainer:
        self.list_window = Window(FormattedTextControl(self._rows, focusable=True))
        body = HSplit(
            [
                Window(FormattedTextControl(self._title), height=1),
                Window(FormattedTextControl(self._tabs), height=1),
                self.list_window,
                Window(FormattedTextControl(self._footer), height=2),
            ]
        )
        menu = Window(FormattedTextControl(self._menu), width=18, height=len(ACTIONS))
        details = Window(FormattedTextControl(self._details))
        return FloatContainer(
            content=body,
            floats=[
                Float(
                    ConditionalContainer(menu, Condition(lambda: self.state.menu is not None)),
                    top=3,
                    left=2,
                ),
                Float(
                    ConditionalContainer(
                        self.dialog, Condition(lambda: self.state.form is not None)
                    ),
                    top=2,
                ),
                Float(
                    ConditionalContainer(
                        details, Condition(lambda: self.state.details is not None)
                    ),
                    top=3,
                    left=4,
                ),
            ],
        )

    def _title(self) -> StyleAndTextTuples:
        release = self.store.images[0].release if self.store.images else "V2R3"
        return [("bold", f"{release} Current Backing Store is {self.name}   (AT-TLS)")]

    def _tabs(self) -> StyleAndTextTuples:
        out: StyleAndTextTuples = []
        for n, (_, label) in enumerate(TABS):
            style = "class:tab.current" if n == self.state.tab else "class:tab"
            out.append((style, f" {n + 1} {label} "))
            out.append(("", " "))
        return out

    def rows(self) -> list[_Row]:
        """The lines of the current list."""
        if self.state.rules_of is not None:
            image_name, _, stack_name = self.state.rules_of.partition("/")
            try:
                _, stk = edit.stack_of(self.store, image_name, stack_name)
            except NcaError:
                return []
            return [
                _Row("rule", r.name, f"{n}. {r.name:<24} {r.map:<24} {r.local} -> {r.remote}")
                for n, r in enumerate(stk.rules, start=1)
            ]
        kind = TABS[self.state.tab][0]
        if kind == "system":
            out = []
            for image in self.store.images:
                st = status.status(status.image_problems(self.store, image))
                out.append(_Row("image", image.name, f"{image.name:<30} {st:<11} {image.release}"))
                for stack in image.stacks:
                    st = status.status(status.stack_problems(self.store, image, stack))
                    inst = f"Installed {stack.history[0]}" if stack.history else "Never installed"
                    out.append(
                        _Row(
                            "stack",
                            f"{image.name}/{stack.name}",
                            f"  {stack.name:<28} {st:<11} {inst}",
                        )
                    )
            return out
        return [
            _Row(kind, o.name, f"{o.name:<32} {'IBM supplied' if o.supplied else ''}", o.supplied)
            for o in edit.objects(self.store, kind)  # type: ignore[arg-type]
        ]

    def _rows(self) -> StyleAndTextTuples:
        rows = self.rows()
        head = (
            f"Connectivity rules of {self.state.rules_of} (Escape: back)"
            if self.state.rules_of
            else TABS[self.state.tab][1]
        )
        out: StyleAndTextTuples = [("bold", head + "\n")]
        if not rows:
            out.append(("", "  (none: Actions > New)\n"))
        for n, row in enumerate(rows):
            style = "class:row.selected" if n == self.state.selected else ""
            if "Incomplete" in row.text and style == "":
                style = "class:status.incomplete"
            out.append((style, f"  {row.text}\n"))
        return out

    def _footer(self) -> StyleAndTextTuples:
        keys = "a Actions  n New  m Modify  d Delete  v View  r Rules  i Install  q Quit"
        return [("", keys + "\n"), ("class:message", self.state.message)]

    def _menu(self) -> StyleAndTextTuples:
        return [
            ("class:menu.selected" if n == self.state.menu else "class:menu", f" {a:<16}\n")
            for n, a in enumerate(ACTIONS)
        ]

    def _details(self) -> StyleAndTextTuples:
        lines = self.state.details or []
        return [("bg:ansiwhite fg:ansiblack", "\n".join([*lines, "", "(Escape: close)"]))]

    # --- Keys. -----------------------------------------------------------------------
    def _bindings(self) -> KeyBindings:
        kb = KeyBindings()
        main = Condition(
            lambda: (
                self.state.form is None and self.state.menu is None and self.state.details is None
            )
        )
        menu = Condition(lambda: self.state.menu is not None)
        form = Condition(lambda: self.state.form is not None)
        details = Condition(lambda: self.state.details is not None)

        @kb.add("q", filter=main)
        @kb.add("c-c")
        def _quit(event: KeyPressEvent) -> None:
            event.app.exit(result=0)

        @kb.add("right", filter=main)
        def _next(event: KeyPressEvent) -> None:
            self.switch((self.state.tab + 1) % len(TABS))

        @kb.add("left", filter=main)
        def _prev(event: KeyPressEvent) -> None:
            self.switch((self.state.tab - 1) % len(TABS))

        for n in range(len(TABS)):

            @kb.add(str(n + 1), filter=main)
            def _tab(event: KeyPressEvent, n: int = n) -> None:
                self.switch(n)

        @kb.add("down", filter=main)
        def _down(event: KeyPressEvent) -> None:
            self.state.selected = min(self.state.selected + 1, max(len(self.rows()) - 1, 0))

        @kb.add("up", filter=main)
        def _up(event: KeyPressEvent) -> None:
            self.state.selected = max(self.state.selected - 1, 0)

        @kb.add("a", filter=main)
        @kb.add("enter", filter=main)
        def _open_menu(event: KeyPressEvent) -> None:
            self.state.menu = 0

        @kb.add("escape", filter=main)
        def _back(event: KeyPressEvent) -> None:
            if self.state.rules_of is not None:
                self.state.rules_of = None
                self.state.selected = 0

        for key, action in (("n", 0), ("m", 1), ("d", 2), ("v", 3), ("r", 4), ("i", 5)):

            @kb.add(key, filter=main)
            def _act(event: KeyPressEvent, action: int = action) -> None:
                self.act(ACTIONS[action])

        @kb.add("down", filter=menu)
        def _menu_down(event: KeyPressEvent) -> None:
            self.state.menu = ((self.state.menu or 0) + 1) % len(ACTIONS)

        @kb.add("up", filter=menu)
        def _menu_up(event: KeyPressEvent) -> None:
            self.state.menu = ((self.state.menu or 0) - 1) % len(ACTIONS)

        @kb.add("enter", filter=menu)
        def _menu_pick(event: KeyPressEvent) -> None:
            picked = ACTIONS[self.state.menu or 0]
            self.state.menu = None
            self.act(picked)

        @kb.add("escape", filter=menu)
        def _menu_close(event: KeyPressEvent) -> None:
            self.state.menu = None

        @kb.add("escape", filter=details)
        @kb.add("enter", filter=details)
        @kb.add("q", filter=details)
        def _details_close(event: KeyPressEvent) -> None:
            self.state.details = None

        @kb.add("tab", filter=form)
        def _focus_next(event: KeyPressEvent) -> None:
            event.app.layout.focus_next()

        @kb.add("s-tab", filter=form)
        def _focus_prev(event: KeyPressEvent) -> None:
            event.app.layout.focus_previous()

        @kb.add("escape", filter=form)
        def _form_cancel(event: KeyPressEvent) -> None:
            self._close()

        return kb

    # --- Actions. --------------------------------------------------------------------
    def switch(self, tab: int) -> None:
        """Show another tab."""
        self.state.tab, self.state.selected, self.state.rules_of = tab, 0, None

    def current(self) -> _Row | None:
        """The selected row."""
        rows = self.rows()
        if not rows:
            return None
        self.state.selected = min(self.state.selected, len(rows) - 1)
        return rows[self.state.selected]

    def act(self, action: str) -> None:
        """Run one Actions menu item on the selected row."""
        self.state.message = ""
        row = self.current()
        kind = "rule" if self.state.rules_of else TABS[self.state.tab][0]
        try:
            if action == "New":
                self.open_form(kind, None)
            elif row is None:
                self.state.message = f"{action}: nothing selected"
            elif action == "Modify":
                if row.supplied:
                    raise NcaError(f"{row.name} is IBM supplied; it cannot be changed")
                self.open_form(row.kind, row)
            elif action == "Delete":
                self.delete(row)
            elif action == "View Details":
                self.view(row)
            elif action == "Rules":
                if row.kind != "stack":
                    raise NcaError("Rules: select a TCP/IP stack on the Systems tab")
                self.state.rules_of, self.state.selected = row.name, 0
            elif action == "Install":
                self.install(row)
        except (NcaError, StoreError) as exc:
            self.state.message = str(exc)

    def view(self, row: _Row) -> None:
        """View Details."""
        if row.kind == "rule":
            self.state.details = views.details(self.store, "stack", self.state.rules_of or "")
        else:
            self.state.details = views.details(self.store, row.kind, row.name)

    def delete(self, row: _Row) -> None:
        """Delete the selected object."""
        if row.kind == "image":
            new = edit.delete_image(self.store, row.name)
        elif row.kind == "stack":
            new = edit.delete_stack(self.store, *row.name.split("/", 1))
        elif row.kind == "rule":
            image, stack = (self.state.rules_of or "/").split("/", 1)
            new = edit.delete_rule(self.store, image, stack, row.name)
        else:
            new = edit.delete(self.store, row.kind, row.name)  # type: ignore[arg-type]
        self.commit(new, f"deleted {row.name}")

    def install(self, row: _Row) -> None:
        """Install the selected stack (or the only stack of the selected image)."""
        target = row.name
        if row.kind == "image":
            image = self.store.image(row.name)
            if image is None or len(image.stacks) != 1:
                raise NcaError("Install: select a TCP/IP stack")
            target = f"{row.name}/{image.stacks[0].name}"
        elif row.kind != "stack":
            raise NcaError("Install: select a TCP/IP stack on the Systems tab")
        image_name, stack_name = target.split("/", 1)
        done = install(self.root, self.store, image_name, stack_name, self.clock)
        self.commit(done.store, " ".join(done.notes[:1]))
        self.state.notes.extend(done.notes)

    def commit(self, new: Store, message: str) -> None:
        """Save a changed store and say what was done."""
        save(self.path, new)
        self.store = new
        self.state.message = message

    # --- Forms. ----------------------------------------------------------------------
    def open_form(self, kind: str, row: _Row | None) -> None:
        """Open the New (row None) or Modify form of a kind."""
        if kind == "image" and row is not None:
            kind = "system"
        values = self._values(kind, row)
        fields = [
            (option, TextArea(text=values.get(option, ""), multiline=False, width=40))
            for _, option in FORMS[kind]
        ]
        for n, (_, area) in enumerate(fields):
            area.accept_handler = self._accept(n, len(fields))
            area.buffer.cursor_position = len(area.text)  # typing appends, as in a form
        self.state.form = _Form(kind, row is not None, fields)
        verb = "Modify" if row is not None else "New"
        what = {"system": "z/OS system image"}.get(kind, edit.WHAT.get(kind, kind))
        self.dialog.title = f"{verb} {what}"
        labels = [label for label, _ in FORMS[kind]]
        self.form_body.children = [
            *(
                HSplit([Label(text=label), area])
                for label, (_, area) in zip(labels, fields, strict=True)
            ),
            Window(FormattedTextControl(lambda: [("fg:ansired", self._form_error())]), height=2),
        ]
        self.app.layout.focus(fields[0][1])

    def _form_error(self) -> str:
        return self.state.form.error if self.state.form else ""

    def _accept(self, n: int, count: int) -> Callable[[object], bool]:
        def accept(_buffer: object) -> bool:
            if n + 1 < count:
                self.app.layout.focus_next()
            else:
                self._submit()
            return True  # keep the text

        return accept

    def _values(self, kind: str, row: _Row | None) -> dict[str, str]:
        if row is None:
            return {}
        if kind == "system":
            image = self.store.image(row.name)
            if image is None:
                return {}
            return {
                "image": image.name,
                "keyring": image.keyring or "",
                "trace": ",".join(str(t) for t in image.trace),
                "release": image.release,
            }
        if kind == "stack":
            image, stack = edit.stack_of(self.store, *row.name.split("/", 1))
            return {"file": stack.install_file or ""}
        if kind == "rule":
            image, stack = edit.stack_of(self.store, *(self.state.rules_of or "/").split("/", 1))
            rule = next(r for r in stack.rules if r.name == row.name)
            return {"name": rule.name, "map": rule.map, "local": rule.local, "remote": rule.remote}
        doc = views.as_dict(self.store, edit.find(self.store, kind, row.name))  # type: ignore[arg-type]
        if kind == "descriptor":
            t = doc["types"][0]
            return {
                "name": row.name,
                **{k: str(t[k] or "") for k in ("local_port", "remote_port", "jobname", "userid")},
                "direction": t["direction"].lower(),
                "role": t["role"].lower(),
                "keyring": t["keyring"] or "",
            }
        if kind == "level":
            return {
                "name": row.name,
                "protocols": ",".join(doc["protocols"]),
                "ciphers": ",".join(doc["ciphers"]),
                "client_auth": doc["client_auth"] or "none",
            }
        if kind == "map":
            rows = ", ".join(f"{r['descriptor']}:{r['level']}" for r in doc["rows"])
            return {"name": row.name, "rows": rows}
        return {"name": row.name, "address": ", ".join(doc["addresses"])}

    def _close(self) -> None:
        self.state.form = None
        self.app.layout.focus(self.list_window)

    def _submit(self) -> None:
        form = self.state.form
        if form is None:
            return
        values = {option: area.text.strip() for option, area in form.fields}
        try:
            new, what = self.change(form.kind, form.modify, values)
        except (NcaError, StoreError) as exc:
            form.error = str(exc)
            return
        self.commit(new, f"{'modified' if form.modify else 'added'} {what}")
        self._close()

    def change(self, kind: str, modify: bool, v: dict[str, str]) -> tuple[Store, str]:
        """Run the scripted command's change with the form's values."""

        def opt(key: str) -> str | None:
            return v.get(key) or None

        if kind == "system":
            store, what = self.store, ""
            image = v.get("image", "")
            if modify or store.image(image) is None:
                args = argparse.Namespace(
                    name=image,
                    keyring=opt("keyring"),
                    trace=v.get("trace") if modify else opt("trace"),
                    release=opt("release"),
                    description=None,
                )
                store, what = commands.CHANGES["image"](store, args, modify)
            if v.get("stack"):
                args = argparse.Namespace(image=image, name=v["stack"], file=None, description=None)
                store, stack_what = commands.CHANGES["stack"](store, args, False)
                what = f"{what} and {stack_what}" if what else stack_what
            if not what:
                raise NcaError(f"system image {image} exists already: name a new TCP/IP stack")
            return store, what
        if kind == "stack":
            image, _, name = (self.current() or _Row("", "/", "")).name.partition("/")
            args = argparse.Namespace(image=image, name=name, file=opt("file"), description=None)
            return commands.CHANGES["stack"](self.store, args, True)
        if kind == "rule":
            args = argparse.Namespace(
                stack=self.state.rules_of,
                name=v.get("name", ""),
                map=opt("map"),
                local=opt("local"),
                remote=opt("remote"),
            )
            return commands.CHANGES["rule"](self.store, args, modify)
        args = argparse.Namespace(name=v.get("name", ""), description=None)
        if kind == "descriptor":
            for key in ("local_port", "remote_port", "direction", "role"):
                setattr(args, key, opt(key))
            for key in ("jobname", "userid", "keyring"):
                setattr(args, key, v.get(key, "") if modify else opt(key))
            args.certificate_label = None
            if not modify:
                for key, flag in (
                    ("local_port", "--local-port"),
                    ("remote_port", "--remote-port"),
                    ("direction", "--direction"),
                    ("role", "--role"),
                ):
                    if getattr(args, key) is None:
                        raise NcaError("a value is needed", flag)
        elif kind == "level":
            args.protocols = opt("protocols")
            args.ciphers = v.get("ciphers", "") if modify else opt("ciphers")
            args.client_auth = opt("client_auth")
            if not modify and args.protocols is None:
                raise NcaError("a value is needed", "--protocols")
        elif kind == "map":
            pairs = [p.strip() for p in v.get("rows", "").split(",") if p.strip()]
            args.descriptor, args.level = [], []
            for pair in pairs:
                desc, sep, lvl = pair.partition(":")
                if not sep:
                    raise NcaError(f"'{pair}' is not descriptor:level", "--descriptor")
                args.descriptor.append(desc.strip())
                args.level.append(lvl.strip())
        elif kind == "group":
            args.address = [a.strip() for a in v.get("address", "").split(",") if a.strip()]
        return commands.CHANGES[kind](self.store, args, modify)

    async def run_async(self) -> int:
        """Run until the user leaves."""
        return await self.app.run_async() or 0


def run_app(
    root: Path,
    name: str,
    clock: Callable[[], datetime] = datetime.now,
    *,
    input: Input | None = None,
    output: Output | None = None,
) -> int:
    """Run the application on a store; ``input``/``output`` replace the terminal (tests)."""
    app = NcaApp(root, name, clock, input=input, output=output)
    code = asyncio.run(app.run_async())
    for note in app.state.notes:
        print(note)
    return code
