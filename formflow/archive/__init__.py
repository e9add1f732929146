"""The archive: the personnel file of MUS forms, its index and its audit log.

`Archive` is the one entry point (`Archive.open(settings)`, in `store`). Its jobs: `filing`
(with `staging`), `queries`, `maintenance` (verify, reindex) and `export` (the GDPR access
export). Beneath them: `layout` (folders and locks on disk), `books` (the audit log and the
index kept in step with the files), `records` (the record JSON and the names), `index` (the
SQLite index), `audit` (the hash-chained log), `roster` (the roster and the rules for
holding a form) and `folders` (finding an employee's folder).
"""

from formflow.archive.index import EmployeeRow
from formflow.archive.records import STATES, FiledForm, FormRow, SignatureSummary
from formflow.archive.store import Archive

__all__ = ["STATES", "Archive", "EmployeeRow", "FiledForm", "FormRow", "SignatureSummary"]
