"""docs/limits.md states the limits the code enforces (a changed limit must change the page)."""

from __future__ import annotations

from pathlib import Path

from coverage import loader
from secondlook.batch import columns, limits

DOC = (Path(__file__).resolve().parents[1] / "docs" / "limits.md").read_text(encoding="utf-8")
MB = 2**20


def test_every_limit_appears_on_the_page_with_its_value():
    stated = {
        "rows": f"| {limits.MAX_ROWS:,} |",
        "header cells": f"| {limits.MAX_HEADER_COLUMNS:,} |",
        "cell text": f"| {columns.MAX_TEXT} characters (notes, denial reason: "
        f"{columns.MAX_LONG_TEXT:,})",
        "CSV size": f"| {limits.MAX_CSV_BYTES // MB:,} MB |",
        "CSV line": f"| {limits.MAX_CSV_LINE_CHARACTERS:,} characters |",
        "XLSX size": f"| {limits.MAX_XLSX_BYTES // MB:,} MB |",
        "small parts": f"| {limits.MAX_XLSX_SMALL_PART_BYTES // MB:,} MB each |",
        "strings part": f"| {limits.MAX_XLSX_STRINGS_PART_BYTES // MB:,} MB |",
        "sheet part": f"| {limits.MAX_XLSX_SHEET_BYTES // MB:,} MB |",
        "shared strings": f"| {limits.MAX_XLSX_SHARED_STRINGS:,} |",
        "string characters": f"| {limits.MAX_XLSX_STRING_CHARACTERS:,} |",
        "styles": f"| {limits.MAX_XLSX_STYLES:,} |",
        "parts listed": f"| {limits.MAX_XLSX_RELATIONSHIPS:,} |",
        "elements": f"| {limits.MAX_XLSX_ELEMENTS_PER_RECORD:,} |",
        "CPU": f"| {limits.XLSX_PARTS_CPU_SECONDS:.0f} s |",
        "sheet rows": f"1 to {limits.MAX_SHEET_ROW:,}, increasing",
        "YAML size": f"| {loader.MAX_YAML_BYTES:,} bytes |",
        "YAML values": f"| {loader.MAX_YAML_VALUES:,} |",
    }
    missing = [name for name, text in stated.items() if text not in DOC]
    assert missing == []


def test_the_case_page_limits_appear_with_their_values():
    from navigator import cases

    assert (
        f"at most {cases.MAX_TEXT:,} characters, who was called and for which office "
        f"{cases.MAX_LINE}, a\ncall's reference number {cases.MAX_REFERENCE}." in DOC
    )
