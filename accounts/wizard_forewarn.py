"""The warnings of an import that is written without a dry run before it.

An upload too large to check while the user waits, and the command line's
--yes, write in one pass with no check first; the warnings the check would
give must still come before the write. The columns left unimported are read
from the files' heads, as the check reads them. Whether the scoring window
would move is forecast from the quarters the upload gives revenue to
(invoice dates and won deals' close dates) and how many accounts each
names, read column by column without writing: the window's rules weigh a
quarter by its accounts, so its latest day alone would mislead.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from accounts.import_checks import ImportCheckWarning, WindowMove, import_forecasts
from accounts.models import ImportJob, MappedImport, Opportunity, User
from accounts.parsing import Money
from accounts.recognise import OPPORTUNITY
from accounts.revenue_keys import quarter_start
from accounts.revenue_replaced import (
    Invoiced,
    revenue_account_key,
    revenue_replaced_forecast,
)
from accounts.stages import stage_known
from accounts.streaming import table_chunks
from accounts.wizard import (
    REPORTING_CURRENCY,
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
# The fields that name a row's account, the most exact first.
_ACCOUNT_KEYS = ("account_external_id", "account_name")


@dataclass(frozen=True)
class Forewarning:
    """What the check of an upload would say, forecast without a dry run.

    `quarters_without_rate` are the upload's invoices no stored rate
    converts, by account, quarter and currency: the warnings name them too.
    """

    warnings: list[ImportCheckWarning]
    quarters_without_rate: list[Invoiced] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [warning.text for warning in self.warnings]

    @property
    def window(self) -> WindowMove | None:
        return next((w.window for w in self.warnings if w.window), None)


def mapped_import_forewarnings(*, mapped: MappedImport) -> list[str]:
    """Return the warnings the import's check would give, without a dry run."""
    return mapped_import_forecast(mapped=mapped).texts


def mapped_import_forecast(*, mapped: MappedImport) -> Forewarning:
    """Return the warnings and the invoices without a rate, without a dry run."""
    return _forewarnings(mapped=mapped)


def mapped_import_warnings(*, mapped: MappedImport) -> list[ImportCheckWarning]:
    """Return the warnings of an import about to be written in one pass.

    Its dry run's, as the page and the API show them; a large upload has
    none, and its warnings are forecast, as there too.
    """
    if mapped_import_is_large(mapped=mapped):
        return _forewarnings(mapped=mapped).warnings
    outcome = mapped_import_check(mapped=mapped)
    window = outcome.window_warning
    return [
        window
        if window is not None and text == window.text
        else ImportCheckWarning(text, confirm=text in outcome.confirmations)
        for text in outcome.warnings
    ]


def import_warnings_to_confirm(
    *, warnings: list[ImportCheckWarning], window: str
) -> list[str]:
    """Return the warnings the user must confirm, given the window choice.

    Keeping the scoring window moves nothing, so its warning needs no
    confirmation then; moving it does, like any other.
    """
    return [
        warning.text
        for warning in warnings
        if warning.confirm
        and (warning.window is None or window == ImportJob.Window.MOVE)
    ]


def import_warnings_unconfirmed(
    *, confirmations: list[str], confirmed: bool, how: str
) -> list[str]:
    """Say which warnings stop the import until the user confirms them.

    `how` says how to confirm: the page's tick, the API's field or the
    command line's flag.
    """
    if confirmed:
        return []

    return [f"Not started: {text} {how}" for text in confirmations]


@dataclass(frozen=True)
class StartReview:
    """What stops an import's start, and where it would move the window.

    `refusals` lists what stops it under the field that says it; `window`
    is the move the user chose about, kept on the job when it starts.
    """

    refusals: dict[str, list[str]]
    window: WindowMove | None = None


def mapped_import_start_review(
    *,
    mapped: MappedImport,
    confirmed: bool,
    how: str,
    answer_how: str,
    window: str = ImportJob.Window.KEEP,
    user: User | None = None,
) -> StartReview:
    """Return what stops the import's start, and the window it would move.

    The page and the API start an import only through here, on one dry
    run (the command line reads the same warnings and choice through
    mapped_import_warnings and import_warnings_to_confirm): a question no
    one answered ("questions") or a mapping the files cannot take
    ("mapping") stops it whatever the user confirms, as the run would only
    reject it; a warning to confirm ("confirm_warnings") stops it until
    confirmed. `how` says how to
    confirm and `answer_how` how to answer, as the page or the API asks. A
    large upload has no dry run: its warnings are forecast, and its run
    asks its questions.

    `window` is the user's choice if the import would move the scoring
    window: keeping it (the default) needs no confirmation, as nothing
    moves; moving it is for those who may edit the scoring model (sales
    ops; `user` None is the command line) and is confirmed like any
    warning.
    """
    if window not in ImportJob.Window.values:
        return StartReview({"window": [window_choice_problem(window)]})

    if mapped_import_is_large(mapped=mapped):
        forecast = _forewarnings(mapped=mapped)
        warning = next((w for w in forecast.warnings if w.window), None)
        found = [w.text for w in forecast.warnings if w.confirm and not w.window]
        refusals: dict[str, list[str]] = {}
    else:
        outcome = mapped_import_check(mapped=mapped)
        warning = outcome.window_warning
        found = outcome.confirmations
        refusals = {
            "questions": [
                f"Not started: {file} asks: {question.message} {answer_how}"
                for file, question in outcome.questions
            ],
            "mapping": [f"Not started: {problem}" for problem in outcome.problems],
        }
    move = warning.window if warning is not None else None
    if move is not None and window == ImportJob.Window.MOVE:
        if user is not None and not user.is_ops:
            refusals["window"] = [WINDOW_MOVE_REFUSED]
        # Keeping the window moves nothing; moving it is confirmed.
        if warning is not None and warning.confirm:
            found = [*found, warning.text]
    refusals["confirm_warnings"] = import_warnings_unconfirmed(
        confirmations=found, confirmed=confirmed, how=how
    )
    return StartReview(
        {field: texts for field, texts in refusals.items() if texts}, move
    )


# Said to a user who may not edit the scoring model but asked to move it.
WINDOW_MOVE_REFUSED = (
    "Not started: only sales operations may move the scoring window, as only "
    "they edit the scoring model. Keep the window, or ask them to import."
)


def window_choice_problem(value: object) -> str:
    """Say why a value is no answer to the window choice."""
    return (
        f"window must be {' or '.join(ImportJob.Window.values)}, "
        f"not {str(value)[:100]!r}."
    )


def _forewarnings(*, mapped: MappedImport) -> Forewarning:
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

    accounts: dict[date, set[str]] = defaultdict(set)
    invoiced: dict[tuple[str, date, str], tuple[Decimal, int]] = {}
    won: dict[tuple[str, date, str], tuple[Decimal, int]] = {}
    for plan in plans:
        sums = invoiced if plan.entity == REVENUE else won
        for quarter, keys in _revenue_accounts(plan, sums).items():
            accounts[quarter] |= keys
    # In the dry run's order: the accounts check's key sorts first.
    rateless: list[Invoiced] = []
    if invoiced or won:
        found = revenue_replaced_forecast(invoiced=invoiced, won=won)
        warnings += [ImportCheckWarning(text) for text in found.texts]
        rateless = found.rateless
    if accounts:
        reach = {quarter: len(keys) for quarter, keys in accounts.items()}
        warnings += import_forecasts(reach=reach)
    return Forewarning(warnings=warnings, quarters_without_rate=rateless)


def _revenue_accounts(
    plan: FilePlan, sums: dict[tuple[str, date, str], tuple[Decimal, int]]
) -> dict[date, set[str]]:
    """Return the accounts a file's rows book revenue to, by quarter start.

    The rows' amounts (an invoice file's, or a deals file's won ones) are
    also summed into `sums`, by account key, quarter start and currency,
    with how many rows make each sum.
    """
    fields = _REVENUE_DATES.get(plan.entity)
    if fields is None:
        return {}
    money = ("amount", "line_total", "currency")
    # A deal's created date is kept too: where it proves the file's date
    # order, the close date is read the same way (wizard._order_borrow).
    wanted = {*fields, *_ACCOUNT_KEYS, *money, "engage_date"}
    mapping = {c: t for c, t in plan.mapping.items() if t[1] in wanted}
    if fields[0] not in {name for _, name in mapping.values()}:
        return {}

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
        return {}
    accounts: dict[date, set[str]] = defaultdict(set)
    for table in table_chunks(
        path=plan.preview.path,
        file=plan.preview.name,
        sheet=plan.preview.sheet,
        header_line=plan.preview.header_line,
        delimiter=plan.preview.delimiter,
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
            # A row naming no account is refused by the run: it books none.
            external_id = str(row.get("account_external_id") or "").strip()
            name = str(row.get("account_name") or "").strip()
            if not external_id and not name:
                continue
            key = revenue_account_key(external_id=external_id, name=name)
            accounts[quarter_start(day)].add(key)
            _amount_add(sums, key=key, day=day, row=row)
    return accounts


def _amount_add(
    sums: dict[tuple[str, date, str], tuple[Decimal, int]],
    *,
    key: str,
    day: date,
    row: dict[str, object],
) -> None:
    """Add one row's amount to its account-quarter's sum."""
    value = row.get("amount") or row.get("line_total")
    currency = row.get("currency")
    if isinstance(value, Money):
        currency = currency or value.currency
        value = value.amount
    if not isinstance(value, Decimal):
        # No amount: the run refuses the row.
        return
    code = str(currency or REPORTING_CURRENCY).strip().upper()
    place = (key, quarter_start(day), code)
    total, count = sums.get(place, (Decimal(0), 0))
    sums[place] = (total + value, count + 1)
