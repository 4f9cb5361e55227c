"""Why a notice could not be read: one typed error per cause, in plain words.

Messages never repeat anything from the file (its name, its text, its metadata): the file is the
patient's own paper and may carry member data, and these messages can reach a page or a log.
"""

from __future__ import annotations


class NoticeError(ValueError):
    """The notice could not be read. `kind` is stable, for callers; `str()` is for a person."""

    kind = "unreadable"


class FileTooLarge(NoticeError):
    kind = "too_large"


class UnsupportedFile(NoticeError):
    kind = "unsupported"


class EncryptedPdf(NoticeError):
    kind = "encrypted"


class DamagedFile(NoticeError):
    kind = "damaged"


class EmptyDocument(NoticeError):
    kind = "empty"


class ImageTooLarge(NoticeError):
    kind = "too_many_pixels"


class TooMuchText(NoticeError):
    kind = "too_much_text"


class ReadTimeout(NoticeError):
    kind = "timeout"


class ToolMissing(NoticeError):
    kind = "tool_missing"


class NoText(NoticeError):
    kind = "no_text"
