"""Domain errors. Each says what was wrong and how to put it right.

The CLI and (later) the web app translate these once, at their edge; nothing in the
core prints or exits.
"""

from __future__ import annotations


class KinfoldError(Exception):
    """Base of every error a user can act on."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n{self.hint}"


class WorkspaceError(KinfoldError):
    """The workspace is missing, not initialised, or its settings are unusable."""


class FileFormatError(KinfoldError):
    """A file cannot be read at all (empty, binary, wrong encoding, broken structure)."""


class MappingError(KinfoldError):
    """A mapping file is invalid or does not fit the file it is applied to."""
