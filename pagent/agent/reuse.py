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


def replaced(old: Sequence[object], new: Sequence[object]) -> list[int] | None:
    """The places where two sequences of one length hold other objects, ascending; None
    when the lengths differ or more than SMALL_EDIT places differ."""
    if len(old) != len(new):
        return None
    differs = list(map(operator.is_not, old, new))  # True and False are shared: no allocation
    count = differs.count(True)
    if count > SMALL_EDIT:
        return None
    places: list[int] = []
    at = -1
    for _ in range(count):
        at = differs.index(True, at + 1)
        places.append(at)
    return places


class Members:
    """A policy's statements, type by type, each table in its order; their ids on demand."""

    __slots__ = ("__weakref__", "_ids", "_idset", "_replaced", "policy", "statements")

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        tables = policy.by_type.values()
        self.statements: list[Statement] = list(
            itertools.chain.from_iterable(t.values() for t in tables)
        )
        self._ids: list[int] | None = None
        self._idset: frozenset[int] | None = None
        # The last replaced_since: weakly, or each policy would keep the one before alive.
        self._replaced: tuple[weakref.ref[Members], list[int] | None] | None = None

    @property
    def ids(self) -> list[int]:
        """The id of each statement, in order."""
        if self._ids is None:
            self._ids = list(map(id, self.statements))
        return self._ids

    @property
    def idset(self) -> frozenset[int]:
        """The ids of the statements."""
        if self._idset is None:
            self._idset = frozenset(self.ids)
        return self._idset

    def only(self, ids: frozenset[int] | set[int]) -> list[Statement]:
        """The statements whose id is in ``ids``, in this policy's order."""
        return list(itertools.compress(self.statements, map(ids.__contains__, self.ids)))

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


def file_order(members: Members) -> tuple[list[Statement], list[int], list[int]]:
    """Every statement in the order of the files and their lines, its order key, and for
    each statement of ``members`` its place in that order.

    Statements on one line keep the order of their types in the policy (a stable sort).
    """
    key = _order_key(members.policy)
    keys = list(map(key, members.statements))
    # Sorting indices by an int key: the comparisons are C calls on ints, and the tables
    # are runs in file order already, which the sort merges in linear time.
    places = sorted(range(len(keys)), key=keys.__getitem__)
    where = sorted(range(len(places)), key=places.__getitem__)  # the inverse permutation
    order = list(map(members.statements.__getitem__, places))
    return order, list(map(keys.__getitem__, places)), where


class FileOrder:
    """The statements of the last policy in file order, brought up to date by each load."""

    def __init__(self) -> None:
        self._members: Members | None = None  # keeps every statement compared with alive
        self._order: list[Statement] = []
        self._keys: list[int] = []  # of _order, ascending
        self._where: list[int] | None = None  # each of _members' statements' place in _order
        self._ties = False  # whether two statements share a place (then always sorted anew)

    def of(self, members: Members) -> list[Statement]:
        """Every statement of ``members`` in file order (as :func:`file_order` gives it)."""
        if not self._replace(members) and not self._patch(members):
            self._order, self._keys, self._where = file_order(members)
            self._ties = len(set(self._keys)) < len(self._keys)
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
        where = self._where
        if last is None or where is None:
            return False
        places = members.replaced_since(last)
        if places is None:
            return False
        key = _order_key(members.policy)
        if any(key(members.statements[at]) != self._keys[where[at]] for at in places):
            return False
        order = list(self._order)
        for at in places:
            order[where[at]] = members.statements[at]
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
        order, keys = list(self._order), list(self._keys)
        ids = list(map(id, order))
        for k in gone:
            at = ids.index(k)  # a C scan of ints
            del order[at], ids[at], keys[at]
        key = _order_key(members.policy)
        for s in members.only(new):
            place = key(s)
            at = bisect.bisect_left(keys, place)
            if at < len(keys) and keys[at] == place:
                return False  # shares a line with another statement: sort as a whole
            order.insert(at, s)
            ids.insert(at, id(s))
            keys.insert(at, place)
        self._order, self._keys, self._where = order, keys, None
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
                printable = all(map(str.isprintable, texts))
        else:
            known = dict(zip(map(id, self._items), self._texts, strict=True))
            texts = [t if (t := known.get(id(item))) is not None else self._make(item)
                     for item in items]  # fmt: skip
            printable = all(map(str.isprintable, texts))
        self._items, self._texts, self.printable = items, texts, printable
        return list(texts)


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
