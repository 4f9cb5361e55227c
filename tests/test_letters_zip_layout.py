"""A letter's zip: its template's members, in the template's order, laid out byte for byte as a
plain zip writer lays them out, whether a member was laid out once for every letter (the parts
no letter changes) or deflated for this letter (the rendered parts)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from letters_support import GOLDEN_CASES, TODAY, scenario

import letters
from letters.package import Member, deflate, write_zip
from letters.renderer import TEMPLATES_DIR, Renderer


def reference_zip(members: list[Member]) -> bytes:
    """The zip written member by member (local header, data; then the central directory),
    as the renderer wrote every letter before shared members were laid out once."""
    out, central = bytearray(), bytearray()
    for member in members:
        offset = len(out)
        head = (20, 0x0800, zipfile.ZIP_DEFLATED, 0, (2000 - 1980) << 9 | 1 << 5 | 1, member.crc)
        sizes = (len(member.data), member.size, len(member.name))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, *head, *sizes, 0) + member.name
        out += member.data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *head, *sizes, 0, 0, 0, 0, 0, offset
        )
        central += member.name
    start = len(out)
    out += central
    out += struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), start, 0
    )
    return bytes(out)


def stored_data(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """A member's data as it lies in the zip (deflated)."""
    name_length, extra_length = struct.unpack(
        "<HH", data[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_length + extra_length
    return data[start : start + info.compress_size]


@pytest.mark.parametrize(("name", "letter_type"), GOLDEN_CASES[:8], ids=lambda v: v)
def test_a_letter_is_its_members_laid_out_as_a_plain_zip_writer_does(name, letter_type):
    renderer = Renderer()
    case, plan, determination = scenario(name)
    context = letters.build_context(letter_type, case, plan, determination, today=TODAY)
    context = context.model_dump()
    ours = renderer.render_context(letter_type, context)

    compiled = renderer.template(letter_type)
    rendered = compiled.render_parts(context)
    source = (TEMPLATES_DIR / letters.LETTER_TYPES[letter_type].template).read_bytes()
    with zipfile.ZipFile(io.BytesIO(source)) as template:
        order = template.namelist()
        members = [
            deflate(n, rendered[n], 1) if n in rendered else deflate(n, template.read(n))
            for n in order
        ]
        originals = {n: template.read(n) for n in order}
    assert ours == reference_zip(members)
    assert write_zip(members) == ours

    with zipfile.ZipFile(io.BytesIO(ours)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == order
        for info in archive.infolist():
            content = archive.read(info.filename)
            assert content == rendered.get(info.filename, originals[info.filename])
            if info.filename not in rendered:  # the template's own bytes, deflated once
                packer = zlib.compressobj(6, zlib.DEFLATED, -15)
                expected = packer.compress(content) + packer.flush()
                assert stored_data(ours, info) == expected, info.filename
    assert "word/document.xml" in rendered  # the body is rendered, not copied


def test_a_replaced_member_is_laid_out_for_that_letter_only():
    renderer = Renderer()
    case, plan, determination = scenario("commercial-denied")
    context = letters.build_context("appeal", case, plan, determination, today=TODAY)
    context = context.model_dump()
    compiled = renderer.template("appeal")
    before = compiled.render(context)
    compiled.replace_zipname("docProps/app.xml", io.BytesIO(b"<Properties/>"))
    try:
        replaced = compiled.render(context)
    finally:
        compiled.reset_replacements()
    with zipfile.ZipFile(io.BytesIO(replaced)) as archive:
        assert archive.read("docProps/app.xml") == b"<Properties/>"
        assert archive.testzip() is None
    assert compiled.render(context) == before
