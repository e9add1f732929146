"""The archive: the personnel file of MUS forms, its index and its audit log.

`Archive` is the one entry point (`Archive.open(settings)`); see `store` for the layout on
disk, `records` for the record JSON and names, `index` for the SQLite index, `audit` for the
hash-chained log, `identity` for the roster rules and `export` for the GDPR access export.
"""

from formflow.archive.index import EmployeeRow
from formflow.archive.records import STATES, FormRow, SignatureSummary
from formflow.archive.store import Archive, FiledForm

__all__ = ["STATES", "Archive", "EmployeeRow", "FiledForm", "FormRow", "SignatureSummary"]
