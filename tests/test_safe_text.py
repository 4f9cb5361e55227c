"""secondlook.safe_text: user text becomes literal Markdown (the browser test shows it renders so)."""

from __future__ import annotations

import re

import pytest

from secondlook.safe_text import WORD_JOINER, md, md_lines

PAYLOADS = [
    "![x](http://127.0.0.1:9/p.png)",
    "[ref](https://host/phish)",
    "<img src=x onerror=alert(1)>",
    ":red[alarm] :material/home: :smile: $x^2$ **b** _i_ `c` ~~s~~",
    "# heading",
    "1. list",
    "- item",
    "| a | b |",
    "&copy; &#x41;",
    "\\[escaped\\]",
    "https://bare.example/x www.example.com name@example.com mailto:a@b.example",
]


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text).replace(WORD_JOINER, "")


@pytest.mark.parametrize("text", PAYLOADS)
def test_every_punctuation_is_escaped_and_nothing_is_lost(text):
    safe = md(text)
    assert unescape(safe) == " ".join(text.split())
    # Every ASCII punctuation character is preceded by a backslash.
    for match in re.finditer(r"[!-/:-@\[-`{-~]", safe):
        index = match.start()
        preceding = len(safe[:index]) - len(safe[:index].rstrip("\\"))
        escaped_itself = preceding % 2 == 1
        is_escape = match.group() == "\\" and index + 1 < len(safe)
        assert escaped_itself or is_escape, (safe, index)


def test_autolink_triggers_are_broken_by_an_invisible_joiner():
    safe = md("see https://host/x, www.example.com or a@b.example")
    plain = re.sub(r"\\(.)", r"\1", safe)
    assert "://" not in plain and "www." not in plain.lower() and "@b" not in plain
    assert plain.replace(WORD_JOINER, "") == "see https://host/x, www.example.com or a@b.example"


def test_ordinary_text_is_unchanged_apart_from_escapes():
    assert md("Dana Smith") == "Dana Smith"
    assert md("RS-0001") == "RS\\-0001"
    assert md("  two\n lines ") == "two lines"
    assert md(None) == ""
    assert md(42) == "42"


def test_lines_become_hard_breaks():
    assert md_lines(["1 Main St", "", "Springfield, MO"]) == "1 Main St  \nSpringfield\\, MO"
    assert md_lines("a\nb") == "a  \nb"
    assert md_lines(None) == ""
