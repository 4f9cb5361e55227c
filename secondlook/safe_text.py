"""User text as page text: what a person typed or imported is shown, never interpreted.

Streamlit draws `st.markdown`, `st.title`, `st.caption`, alerts, labels and tooltips as
GitHub-flavoured Markdown. A patient name `![x](https://host/p.png)` would make every viewer's
browser fetch that address, `[ref](https://host/phish)` would become a link, `:red[...]` a coloured
span. Every piece of user text (names, reference numbers, file names, call notes, imported cells)
that goes into such an element passes through `md()` (one line) or `md_lines()` (several lines)
first; plain-text elements (`st.text`, table cells, select options) need nothing.

Two steps make the text literal:
1. every ASCII punctuation character is backslash-escaped (CommonMark allows that for all of
   them), so no link, image, emphasis, heading, list, table, HTML tag, entity, LaTeX `$`, emoji
   or icon shortcode and no Streamlit colour directive can start;
2. GitHub's autolink extension turns bare `http://…`, `www.…` and `name@host.tld` into links even
   when escaped (it works on the text after escapes are resolved), so an invisible U+2060 WORD
   JOINER is put inside `://`, after `www` and after `@`. The text looks the same; it never links.

This module never imports streamlit (it sits below the pages).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WORD_JOINER = "\u2060"
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
# What GitHub's autolink literal extension looks for: a scheme's "://", "www." and e-mail "@".
_AUTOLINK = re.compile(r"(?i)(:)(?=//)|(www)(?=\.)|(@)")


def _unlink(text: str) -> str:
    return _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, text)


def _escape(text: str) -> str:
    return _PUNCTUATION.sub(r"\\\1", _unlink(text))


def md(value: object) -> str:
    """One line of user text, safe inside any Markdown Streamlit draws (whitespace collapsed)."""
    if value is None:
        return ""
    return _escape(" ".join(str(value).split()))


def md_lines(values: Iterable[object] | str | None) -> str:
    """Several lines of user text (a list, or text with line breaks) as Markdown hard breaks."""
    if values is None:
        return ""
    lines = values.splitlines() if isinstance(values, str) else [str(v) for v in values]
    return "  \n".join(md(line) for line in lines if line.strip())


def shown(markdown: str) -> str:
    """What a reader sees of text made by `md()`: the escapes and joiners taken out (for tests
    and for comparing with the typed value)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(WORD_JOINER, "")
