"""A small bounded cache for values derived from frozen models (a plan, the law book).

The models hold lists and dicts, so they cannot be hashed: entries are keyed by the objects'
identities instead. Each entry keeps its key objects alive, and CPython never gives two live
objects the same id, so a key's ids always name the very objects the value was made from.
Only use it for values that depend on nothing but the key (frozen models, dates, strings).
"""

from __future__ import annotations

from collections.abc import Hashable
from contextlib import suppress
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class IdentityCache(Generic[V]):
    """Values by a key made of the ids of some objects plus other hashable parts:

    key = (id(law), id(plan), as_of)
    value = cache.get(key)
    if value is None:
        value = cache.put(key, (law, plan), make_value(law, plan, as_of))
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._entries: dict[Hashable, tuple[V, tuple[Any, ...]]] = {}

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def put(self, key: Hashable, objs: tuple[Any, ...], value: V) -> V:
        """Store `value` under `key`; `objs` are the objects whose ids the key holds."""
        if len(self._entries) >= self.maxsize:
            # Drop the oldest entry (insertion order): bounded memory, not strict LRU.
            # (suppress: another thread may have changed the dict between the two steps)
            with suppress(KeyError, StopIteration, RuntimeError):
                del self._entries[next(iter(self._entries))]
        self._entries[key] = (value, objs)  # objs: keeps the key's objects alive
        return value

    def clear(self) -> None:
        self._entries.clear()
