"""Imported by the worker pool's forkserver (`executors._WORKER_MODULES`) before it forks any
worker: the plan catalog, the law book and the default letter renderer with every template
compiled are loaded there once, and each worker forked from it starts with them (shared
copy-on-write) instead of loading them itself at its first rows, on every run. If anything fails
here, each worker loads what it needs as before and reports problems row by row."""

from __future__ import annotations

import contextlib


def warm() -> None:
    from letters.types import LETTER_TYPES
    from secondlook import service
    from secondlook.batch.renderers import DEFAULT_RENDERER, renderer_for

    service.catalog()
    service.lawbook()
    compiled = getattr(renderer_for(DEFAULT_RENDERER), "_renderer", None)
    for letter_type in LETTER_TYPES if compiled is not None else ():
        compiled.template(letter_type)


with contextlib.suppress(Exception):
    warm()
