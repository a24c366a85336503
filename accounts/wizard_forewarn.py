"""The warnings of an import that is written without a dry run before it.

An upload too large to check while the user waits, and the command line's
--yes, write in one pass with no check first; the warnings the check would
give must still come before the write. The columns left unimported are read
from the files' heads, as the check reads them. Whether the scoring window
would move is forecast from the latest revenue day the upload holds (invoice
dates and won deals' close dates), read column by column without writing.
"""

from __future__ import annotations

from datetime import date

from accounts.import_checks import ImportCheckWarning, import_forecasts
from accounts.models import MappedImport, Opportunity
from accounts.recognise import OPPORTUNITY
from accounts.stages import stage_known
from accounts.streaming import table_chunks
from accounts.wizard import (
    REVENUE,
    FilePlan,
    Outcome,
    _decide,
    _plan,
    _rows_type,
    mapped_import_check,
    mapped_import_files_read,
    mapped_import_is_large,
)

# The fields that say when an entity's rows become revenue, date first.
_REVENUE_DATES = {
    REVENUE: ("date",),
    OPPORTUNITY: ("close_date", "stage", "is_won", "is_closed"),
}


def mapped_import_forewarnings(*, mapped: MappedImport) -> list[str]:
    """Return the warnings the import's check would give, without a dry run."""
    return [warning.text for warning in _forewarnings(mapped=mapped)]


def mapped_import_unconfirmed(
    *, mapped: MappedImport, confirmed: bool, how: str
) -> list[str]:
    """Return the warnings that stop the import until the user confirms them.

    `how` says how to confirm, as the page or the API asks. A large upload
    has no dry run: its warnings are forecast.
    """
    if confirmed:
        return []

    if mapped_import_is_large(mapped=mapped):
        found = [w.text for w in _forewarnings(mapped=mapped) if w.confirm]
    else:
        found = mapped_import_check(mapped=mapped).confirmations
    return [f"Not started: {text} {how}" for text in found]


def _forewarnings(*, mapped: MappedImport) -> list[ImportCheckWarning]:
    outcome = Outcome()
    plans = []
    for preview in mapped_import_files_read(mapped=mapped):
        plan = _plan(
            preview=preview,
            answers=mapped.answers.get(preview.name, {}),
            outcome=outcome,
        )
        if plan is not None:
            plans.append(plan)
    warnings = [ImportCheckWarning(text) for text in outcome.warnings]

    latest = None
    for plan in plans:
        day = _latest_revenue_day(plan)
        if day is not None and (latest is None or day > latest):
            latest = day
    if latest is not None:
        warnings += import_forecasts(latest=latest)
    return warnings


def _latest_revenue_day(plan: FilePlan) -> date | None:
    """Return the latest day a file's rows would book revenue on."""
    fields = _REVENUE_DATES.get(plan.entity)
    if fields is None:
        return None
    mapping = {c: t for c, t in plan.mapping.items() if t[1] in fields}
    if fields[0] not in {name for _, name in mapping.values()}:
        return None

    dated = FilePlan(
        preview=plan.preview,
        entity=plan.entity,
        mapping=mapping,
        answers=dict(plan.answers),
    )
    scratch = Outcome()
    _decide(plan=dated, outcome=scratch)
    if scratch.questions:
        # The date order is still to be answered; the run asks it first.
        return None
    latest = None
    for table in table_chunks(
        path=plan.preview.path,
        file=plan.preview.name,
        sheet=plan.preview.sheet,
        header_line=plan.preview.header_line,
    ):
        rows = _rows_type(plan=dated, table=table, outcome=scratch)
        for _, row in rows.rows():
            day = row.get(fields[0])
            if day is None:
                continue
            if plan.entity == OPPORTUNITY and (
                stage_known(
                    name=row.get("stage") or "",
                    is_won=row.get("is_won"),
                    is_closed=row.get("is_closed"),
                )
                != Opportunity.Stage.WON
            ):
                continue
            if latest is None or day > latest:
                latest = day
    return latest
