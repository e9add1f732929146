"""The edge of validation: finds the form's definition and today's date, then checks.

`formflow.validate` is pure; what it needs from outside (the definition the form names, from
the installation's library, and the date it is today) is fetched here, in one place, so the
daemon, `formflow check` and the benchmark validate a form the same way.
"""

from __future__ import annotations

from datetime import date, datetime

from formflow import validate
from formflow.config import Settings
from formflow.errors import DefinitionError
from formflow.forms.library import load_definition
from formflow.model import CheckResult, Extraction


def check_form(
    extraction: Extraction,
    settings: Settings,
    *,
    arrived: datetime | None = None,
    today: date | None = None,
) -> CheckResult:
    """`validate.check` against the definition the form names (`unknown_form` when there is
    none), judged as of `today` (default: the date today)."""
    name = extraction.definition or extraction.kind
    try:
        if not name:
            raise DefinitionError("the form has no kind")
        definition = load_definition(name, settings)
    except DefinitionError:
        return validate.unknown_form(extraction)
    return validate.check(
        extraction, definition, settings, today=today or date.today(), arrived=arrived
    )
