"""One error hierarchy for formflow.

An error is raised when the caller must handle it: a settings file that does not parse, a form
definition that breaks the contract, a file that cannot be read as a form. A problem in a
person's form is not an error: it is a `Problem` (see `formflow.model`), reported back to that
person in plain Danish, with the file kept.

Each error carries an exit code, so the CLI can turn any of them into a clean exit.
"""

from __future__ import annotations


class FormflowError(Exception):
    """Base class of every error formflow raises on purpose."""

    exit_code = 1


class SettingsError(FormflowError):
    """`formflow.toml` is missing a required value, has an unknown key or a wrong type."""

    exit_code = 2


class DefinitionError(FormflowError):
    """A form definition in `forms/` is malformed or breaks the field contract."""

    exit_code = 2


class SelectionError(DefinitionError):
    """A question selection for `formflow forms new` is not a valid MUS form."""


class UnreadableForm(FormflowError):
    """A file cannot be read as a MUS form at all (corrupt, encrypted, not a form, too big).

    `code` is a stable identifier (`encrypted`, `truncated`, ...) and `message` a plain Danish
    sentence for the employee; `str(error)` is the English text for logs and the CLI.
    """

    exit_code = 2

    def __init__(self, code: str, message: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.message = message
        self.detail = detail


class ArchiveError(FormflowError):
    """The archive cannot be written or is inconsistent (a hash mismatch, a broken audit chain)."""

    exit_code = 3


class LockedError(FormflowError):
    """Another formflow daemon already watches this inbox."""

    exit_code = 4


class FolderError(FormflowError):
    """The daemon's folders cannot be used as given: the inbox does not exist, or the inbox and
    the archive overlap (one inside the other, or the same folder)."""

    exit_code = 5
