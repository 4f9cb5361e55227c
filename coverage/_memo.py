"""A small bounded cache for values derived from frozen models (a plan, the law book).

The models hold lists and dicts, so they cannot be hashed: entries are keyed by the objects'
identities instead. Each entry keeps its key objects alive, and CPython never gives two live
objects the same id, so a key's ids always name the very objects the value was made from.
Only use it for values that depend on nothing but the key (frozen models, dates, strings).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextlib import suppress
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class IdentityCache(Generic[V]):
    """`get(objs, extra, make)`: the cached `make()` for these objects (by identity) and `extra`."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._entries: dict[tuple, tuple[tuple[Any, ...], V]] = {}

    def get(self, objs: tuple[Any, ...], extra: Hashable, make: Callable[[], V]) -> V:
        key = (*map(id, objs), extra)
        entry = self._entries.get(key)
        if entry is not None:
            return entry[1]
        value = make()
        if len(self._entries) >= self.maxsize:
            # Drop the oldest entry (insertion order): bounded memory, not strict LRU.
            # (suppress: another thread may have changed the dict between the two steps)
            with suppress(KeyError, StopIteration, RuntimeError):
                del self._entries[next(iter(self._entries))]
        self._entries[key] = (objs, value)  # objs: keeps the key objects alive
        return value

    def clear(self) -> None:
        self._entries.clear()
