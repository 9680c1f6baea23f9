"""Typed errors: the library raises these, the CLI and Slack handlers turn them into one message."""

from __future__ import annotations


class CxbotError(Exception):
    """Base class; ``str(err)`` is the message a user sees, ``hint`` says what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class ConfigError(CxbotError):
    """A settings value or a sources.yaml entry is wrong."""


class SourceError(CxbotError):
    """A whole file could not be read (missing, empty, binary, unknown format)."""

    def __init__(self, path: str, message: str, hint: str = "") -> None:
        super().__init__(f"{path}: {message}", hint)
        self.path = path
        self.detail = message


class ColumnError(SourceError):
    """The columns needed (text, id, date...) are missing or ambiguous."""


class RowError(CxbotError):
    """One row is unusable; it is skipped and reported, the others go on."""

    def __init__(self, path: str, row: int | str, field: str | None, message: str) -> None:
        where = f"{path}, row {row}" + (f", field '{field}'" if field else "")
        super().__init__(f"{where}: {message}")
        self.path = path
        self.row = row
        self.field = field


class ModelError(CxbotError):
    """The model or tokenizer is missing, corrupt, or not the one the index was built with."""


class StoreError(CxbotError):
    """Chroma could not be opened or written."""


class StoreBusyError(StoreError):
    """Another process holds the embedded store (or the re-index lock)."""


class QuestionError(CxbotError):
    """The question cannot be answered as asked (empty, too long...)."""


class DiskFullError(StoreError):
    """The disk (or a file size limit) ran out while writing the index."""


_DISK_FULL_WORDS = ("disk is full", "no space left", "file too large", "quota exceeded")


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC and friends, whether raised as OSError or wrapped in SQLite/Chroma text."""
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return True
    return any(w in str(exc).lower() for w in _DISK_FULL_WORDS)


class DatabaseError(StoreError):
    """The state database (CXBOT_DATABASE_URL, or a SQLite file) is unreachable, refused the
    login, or holds a schema this cxbot does not match."""
