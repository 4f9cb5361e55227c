"""How much a batch input file may hold. docs/limits.md lists every limit with the message a
user sees; a file over a limit is refused with that message, never half read."""

from __future__ import annotations

MAX_ROWS = 1_000_000  # data rows in one file (split a larger batch)
MAX_HEADER_COLUMNS = 1024  # cells in the header row (the format has about 110 columns)

# CSV
MAX_CSV_BYTES = 1024 * 2**20  # 1 GiB: a million full rows
MAX_CSV_LINE_CHARACTERS = 1_000_000  # one physical line

# XLSX: the file and the parts inside it (uncompressed sizes, read as streams)
MAX_XLSX_BYTES = 256 * 2**20
MAX_XLSX_SMALL_PART_BYTES = 16 * 2**20  # workbook, relationships, styles
MAX_XLSX_STRINGS_PART_BYTES = 512 * 2**20  # the shared strings
MAX_XLSX_SHEET_BYTES = 4 * 2**30  # the sheet: a million full rows
MAX_XLSX_SHARED_STRINGS = 2_000_000
MAX_XLSX_STRING_CHARACTERS = 100_000_000  # all shared strings together
MAX_XLSX_STYLES = 65_536  # cell formats (Excel allows 64,000)
MAX_XLSX_RELATIONSHIPS = 10_000  # parts and sheets the workbook lists
MAX_XLSX_ELEMENTS_PER_RECORD = 200_000  # XML tags in one row or one shared string
XLSX_PARTS_CPU_SECONDS = 60.0  # reading the parts before the first row
MAX_SHEET_ROW = 1_048_576  # Excel's last row
MAX_SHEET_COLUMNS = 16_384  # Excel's last column, XFD
