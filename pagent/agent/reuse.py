"""What a PAGENT refresh reuses of the one before it, so that it costs what changed.

A one-rule edit of a 50,000-rule policy gives a policy of 300,000 statements, all but one
of them the very objects of the previous load (:class:`pagent.policy.incremental.
PolicyCache` hands unchanged blocks over as they are, in their places). PAGENT's own part
of a refresh needs, for every statement, its place in file order (the ``Processing:``
lines), the text of its log lines, and whether it differs from the installed one. Done
statement by statement in Python, that took seconds at 50,000 rules (issue 13 §1).

Here it is done by identity, in calls that run in C over the whole policy (``map`` of
``operator.is_not`` over the old and the new list, ``list.count``, ``list.index``), and
only the statements that are new objects are looked at one by one:

* when the new list has the old one's length and differs in a few places (an edit that
  kept the number of lines), those places are all there is to do;
* otherwise statements are matched by ``id`` (sets and dicts of ints, still in C);
* a large edit (more than :data:`SMALL_EDIT` statements) is done from scratch, as at the
  first load.

No call runs in C over more than :data:`CHUNK` items at once (copies of a list aside, a
memcpy): it runs on PAGENT's worker thread, and a C call keeps the GIL from the service's
event loop until it returns (D TCPIP within 50 ms during a refresh, issue 13 §1). Sorting
is avoided for the same reason: the file order is made by placing each statement at its
line.

Every result is the one a computation from scratch gives (tests/agent/test_reuse.py
compares them). Identity is a safe key because every previous object compared with is
kept alive here: no live new object can have the id of a previous one.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import weakref
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from pagent.policy.policy import Policy
from pagent.policy.statements import Statement

T = TypeVar("T")

SMALL_EDIT = 256  # statements placed one by one; a larger edit is done from scratch
LINE_BITS = 32  # a statement's order key is (file number << LINE_BITS) + line
CHUNK = 16384  # items per C call: about a millisecond each (see above)


def _chunks(n: int) -> range:
    return range(0, n, CHUNK)


def all_printable(texts: Sequence[str]) -> bool:
    """Whether every text is printable (in C, a chunk at a time)."""
    return all(all(map(str.isprintable, texts[i : i + CHUNK])) for i in _chunks(len(texts)))


def replaced(old: Sequence[object], new: Sequence[object]) -> list[int] | None:
    """The places where two sequences of one length hold other objects, ascending; None
    when the lengths differ or more than SMALL_EDIT places differ."""
    if len(old) != len(new):
        return None
    places: list[int] = []
    for start in _chunks(len(old)):
        # True and False are shared objects: the flags allocate nothing but the list.
        differs = list(map(operator.is_not, old[start : start + CHUNK], new[start : start + CHUNK]))
        count = differs.count(True)
        if len(places) + count > SMALL_EDIT:
            return None
        at = -1
        for _ in range(count):
            at = differs.index(True, at + 1)
            places.append(start + at)
    return places


class Members:
    """A policy's statements, type by type, each table in its order; their ids on demand."""

    __slots__ = ("__weakref__", "_ids", "_idset", "_replaced", "policy", "statements")

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.statements: list[Statement] = []
        for table in policy.by_type.values():
            values = iter(table.values())
            while chunk := list(itertools.islice(values, CHUNK)):
                self.statements += chunk
        self._ids: list[int] | None = None
        self._idset: frozenset[int] | None = None
        # The last replaced_since: weakly, or each policy would keep the one before alive.
        self._replaced: tuple[weakref.ref[Members], list[int] | None] | None = None

    @property
    def ids(self) -> list[int]:
        """The id of each statement, in order."""
        if self._ids is None:
            ids: list[int] = []
            for i in _chunks(len(self.statements)):
                ids += map(id, self.statements[i : i + CHUNK])
            self._ids = ids
        return self._ids

    @property
    def idset(self) -> frozenset[int]:
        """The ids of the statements."""
        if self._idset is None:
            ids, every = self.ids, set[int]()
            for i in _chunks(len(ids)):
                every.update(ids[i : i + CHUNK])
            self._idset = frozenset(every)  # a copy of a set is a copy of its table
        return self._idset

    def only(self, ids: frozenset[int] | set[int]) -> list[Statement]:
        """The statements whose id is in ``ids``, in this policy's order."""
        found: list[Statement] = []
        own, statements = self.ids, self.statements
        for i in _chunks(len(own)):
            picked = map(ids.__contains__, own[i : i + CHUNK])
            found += itertools.compress(statements[i : i + CHUNK], picked)
        return found

    def replaced_since(self, last: Members) -> list[int] | None:
        """:func:`replaced` from ``last``'s statements to these (kept for the next ask:
        the file order and the diff of one refresh ask the same)."""
        memo = self._replaced
        if memo is not None and memo[0]() is last:
            return memo[1]
        places = replaced(last.statements, self.statements)
        self._replaced = (weakref.ref(last), places)
        return places

    def same_names(self, other: Members) -> list[int] | None:
        """The places where ``other`` holds another object under the same type and name,
        when that is all that differs between the two (else None)."""
        places = other.replaced_since(self)
        if places is None:
            return None
        for at in places:
            a, b = self.statements[at], other.statements[at]
            if a.KEYWORD != b.KEYWORD or a.name != b.name:
                return None
        return places


def _order_key(policy: Policy) -> Callable[[Statement], int]:
    """A statement's place: its file's number in the policy, then its line."""
    number = {path: i for i, path in enumerate(policy.files)}

    def key(s: Statement) -> int:
        return (number.get(s.loc.path, 0) << LINE_BITS) + s.loc.line

    return key


def file_order(members: Members) -> tuple[list[Statement], bool]:
    """Every statement in the order of the files and their lines, and whether two
    statements share a line (they keep the order of their types: a stable sort)."""
    number = {path: i for i, path in enumerate(members.policy.files)}
    highest = [0] * (max(number.values(), default=0) + 1)
    for s in members.statements:
        f = number.get(s.loc.path, 0)
        highest[f] = max(highest[f], s.loc.line)
    # One slot per line of each file; each statement goes to its line's. No sort: a sort
    # of 300,000 statements is one C call of tens of milliseconds. Nothing is kept per
    # statement on the way either: freeing 300,000 objects at once is one such call too.
    slots: list[list[Statement | None]] = [[None] * (n + 1) for n in highest]
    for s in members.statements:
        lines, line = slots[number.get(s.loc.path, 0)], s.loc.line
        if lines[line] is not None:  # two statements on one line: sort, stably
            return sorted(members.statements, key=_order_key(members.policy)), True
        lines[line] = s
    order: list[Statement] = []
    for lines in slots:
        for i in _chunks(len(lines)):
            order += filter(None, lines[i : i + CHUNK])  # a statement is always true
    return order, False


class FileOrder:
    """The statements of the last policy in file order, brought up to date by each load."""

    def __init__(self) -> None:
        self._members: Members | None = None  # keeps every statement compared with alive
        self._order: list[Statement] = []
        self._ties = False  # whether two statements share a place (then always made anew)

    def of(self, members: Members) -> list[Statement]:
        """Every statement of ``members`` in file order (as :func:`file_order` gives it)."""
        if not self._replace(members) and not self._patch(members):
            self._order, self._ties = file_order(members)
        self._members = members
        return list(self._order)

    def _usable(self, members: Members) -> Members | None:
        last = self._members
        if last is None or self._ties or last.policy.files != members.policy.files:
            return None
        return last

    def _replace(self, members: Members) -> bool:
        """Statements replaced in their places by ones on the same lines: swapped in."""
        last = self._usable(members)
        if last is None:
            return False
        places = members.replaced_since(last)
        if places is None:
            return False
        key = _order_key(members.policy)
        order = list(self._order)
        for at in places:
            was, now = last.statements[at], members.statements[at]
            place = key(now)
            if key(was) != place:
                return False
            i = bisect.bisect_left(order, place, key=key)
            if order[i] is not was:
                return False
            order[i] = now
        self._order = order
        return True

    def _patch(self, members: Members) -> bool:
        """The statements that left taken out of the last order, the new ones placed by
        their keys; False when a full sort is the way (a large edit, shared places)."""
        last = self._usable(members)
        if last is None:
            return False
        gone = last.idset - members.idset
        new = members.idset - last.idset
        if len(gone) + len(new) > SMALL_EDIT:
            return False
        order = list(self._order)
        key = _order_key(members.policy)
        for s in last.only(gone):
            i = bisect.bisect_left(order, key(s), key=key)
            if i == len(order) or order[i] is not s:
                return False
            del order[i]
        for s in members.only(new):
            place = key(s)
            i = bisect.bisect_left(order, place, key=key)
            if i < len(order) and key(order[i]) == place:
                return False  # shares a line with another statement: sort as a whole
            order.insert(i, s)
        self._order = order
        return True


class LineTexts(Generic[T]):
    """The text of one log line per item, remembered from the last call by identity."""

    def __init__(self, make: Callable[[T], str]) -> None:
        self._make = make
        self._items: Sequence[T] = ()  # keeps every item compared with alive
        self._texts: list[str] = []
        self.printable = True  # whether every text of the last call is printable

    def texts(self, items: Sequence[T]) -> list[str]:
        """One text per item, in order: made for new items, reused for the others."""
        places = replaced(self._items, items)
        if places is not None:
            texts = list(self._texts)
            printable = self.printable
            for at in places:
                texts[at] = self._make(items[at])
                printable = printable and texts[at].isprintable()
            if not printable:
                printable = all_printable(texts)
        else:
            known: dict[int, str] = {}
            for i in _chunks(len(self._items)):
                part = self._items[i : i + CHUNK]
                known.update(zip(map(id, part), self._texts[i : i + CHUNK], strict=True))
            texts = [t if (t := known.get(id(item))) is not None else self._make(item)
                     for item in items]  # fmt: skip
            _let_go(known)
            printable = all_printable(texts)
        self._items, self._texts, self.printable = items, texts, printable
        return list(texts)


def _let_go(table: dict[int, str]) -> None:
    """Empty a dict a little at a time: dropped whole, the ints of its 300,000 keys are
    freed in one C call, as long as the loop waits for the GIL."""
    while len(table) > CHUNK:
        for _ in range(CHUNK):
            table.popitem()
    table.clear()


def differences(old: Members, new: Members) -> tuple[int, int, int]:
    """Statements (by type and name) added, changed and removed from ``old`` to ``new``.

    A statement that is the same object in both is unchanged; a new object under a name
    that ``old`` has is changed unless it compares equal to the old one.
    """
    places = old.same_names(new)
    if places is not None:
        return 0, sum(old.statements[at] != new.statements[at] for at in places), 0
    added = changed = 0
    tables = old.policy.by_type
    for s in new.only(new.idset - old.idset):
        was = tables.get(s.KEYWORD, {}).get(s.name) if s.name is not None else None
        if was is None:
            added += 1
        elif was != s:
            changed += 1
    removed = len(old.statements) - (len(new.statements) - added)
    return added, changed, removed


def left(installed: Members, new: Members) -> list[Statement]:
    """The installed statements whose type and name the new policy no longer has (NOFLUSH
    keeps them, pagent-ops §1.4), in the installed policy's order."""
    if installed.same_names(new) is not None:
        return []
    tables = new.policy.by_type
    return [
        s
        for s in installed.only(installed.idset - new.idset)
        if s.name is None or tables.get(s.KEYWORD, {}).get(s.name) is None
    ]
