"""Stored (uncompressed) ZIP archives written member by member, the same bytes for the same
members: fixed timestamps, fixed attributes, the order given. A .docx is already compressed, so
storing costs nothing in size and lets members be copied between archives byte for byte.

    with open(path, "wb") as handle:
        writer = StoredZip(handle)
        writer.add("letters/C1__appeal.docx", data)
        writer.close()                     # central directory (ZIP64 when it has to be)

    index = read_index(fd)                  # name -> where its bytes are, for `read_member`

ZIP64 records are written when the archive has 65,535 members or more, or passes 4 GiB; every
member stays below 4 GiB (a letter is tens of kilobytes).
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from letters.package import DOS_DATE, DOS_TIME, LOCAL_HEADER

_UTF8 = 0x0800  # names are UTF-8
_UNIX_FILE_0600 = (0o100600 << 16) & 0xFFFFFFFF  # a regular file readable by its owner only
_MADE_BY_UNIX = 3 << 8 | 45
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_U32 = 0xFFFFFFFF
_U16 = 0xFFFF


class DamagedArchive(Exception):
    """An archive this module wrote no longer reads back (truncated, overwritten)."""


class StoredZip:
    """Writes a stored ZIP to a binary handle, one member at a time."""

    def __init__(self, handle: BinaryIO):
        self.handle = handle
        self.offset = 0
        self.count = 0
        self.central = bytearray()

    def add(self, name: str, data: bytes, crc: int | None = None) -> None:
        encoded = name.encode("utf-8")
        size = len(data)
        if size >= _U32:
            raise ValueError("a member of 4 GiB or more")
        crc = zlib.crc32(data) if crc is None else crc
        head = (_UTF8, zipfile.ZIP_STORED, DOS_TIME, DOS_DATE, crc, size, size, len(encoded))
        self.handle.write(LOCAL_HEADER.pack(0x04034B50, 20, *head, 0))
        self.handle.write(encoded)
        self.handle.write(data)
        if self.offset < _U32:
            extra, offset, needs = b"", self.offset, 20
        else:  # the member starts beyond 4 GiB: its offset goes into a ZIP64 extra field
            extra, offset, needs = struct.pack("<HHQ", 1, 8, self.offset), _U32, 45
        self.central += _CENTRAL.pack(
            0x02014B50, _MADE_BY_UNIX, needs, *head, len(extra), 0, 0, 0, _UNIX_FILE_0600, offset
        )
        self.central += encoded + extra
        self.offset += LOCAL_HEADER.size + len(encoded) + size
        self.count += 1

    def close(self) -> None:
        """The central directory and the end records."""
        start, size = self.offset, len(self.central)
        self.handle.write(self.central)
        if self.count >= _U16 or start >= _U32 or size >= _U32:
            record = struct.pack(
                "<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, self.count, self.count, size, start
            )
            self.handle.write(record)
            self.handle.write(struct.pack("<IIQI", 0x07064B50, 0, start + size, 1))
        count = min(self.count, _U16)
        self.handle.write(
            struct.pack(
                "<IHHHHIIH", 0x06054B50, 0, 0, count, count, min(size, _U32), min(start, _U32), 0
            )
        )


def build(members: Iterable[tuple[str, bytes]]) -> bytes:
    """A whole stored ZIP in memory (a chunk of letters)."""
    out = io.BytesIO()
    writer = StoredZip(out)
    for name, data in members:
        writer.add(name, data)
    writer.close()
    return out.getvalue()


@dataclass(frozen=True)
class Entry:
    """Where a member's bytes are in its archive."""

    offset: int
    size: int
    crc: int


def read_index(fd: int) -> dict[str, Entry]:
    """name -> Entry for every member of the stored ZIP open as `fd` (the central directory
    read by zipfile; each local header checked). Raises DamagedArchive."""
    try:
        with open(fd, "rb", closefd=False) as handle, zipfile.ZipFile(handle) as archive:
            infos = archive.infolist()
        index = {}
        for info in infos:
            local = os.pread(fd, LOCAL_HEADER.size, info.header_offset)
            if len(local) != LOCAL_HEADER.size or local[:4] != b"PK\x03\x04":
                raise DamagedArchive(info.filename)
            name_length, extra_length = struct.unpack("<HH", local[26:30])
            start = info.header_offset + LOCAL_HEADER.size + name_length + extra_length
            if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
                raise DamagedArchive(info.filename)
            index[info.filename] = Entry(start, info.file_size, info.CRC)
        return index
    except (zipfile.BadZipFile, ValueError, struct.error, EOFError) as err:
        raise DamagedArchive(type(err).__name__) from None


def read_member(fd: int, entry: Entry) -> bytes:
    """A member's bytes, checked against its CRC. Raises DamagedArchive."""
    data = os.pread(fd, entry.size, entry.offset)
    if len(data) != entry.size or zlib.crc32(data) != entry.crc:
        raise DamagedArchive("a member does not match its checksum")
    return data
