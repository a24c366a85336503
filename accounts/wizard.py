"""The import wizard: any CRM, ERP or support export, mapped, checked, undone.

An upload becomes an ImportJob with a MappedImport beside it. The wizard
reads each file (accounts.tabular), proposes a mapping (a saved one for the
same headers first, then accounts.recognise), types every mapped column
(accounts.parsing) and asks what a column cannot decide. `mapped_import_check`
then runs the whole import inside a transaction it rolls back, so the user
sees every problem and the exact created/updated/unchanged/rejected counts
before anything is written; `mapped_import_run` does the same for real.
Names that match an existing account only after normalisation are proposed
(accounts.matching) and merged only when the user confirmed them. Every
object created or updated is recorded in ImportRowChange with the values it
replaced, so `mapped_import_undo` restores the state before the import.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import logging
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import (
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NamedTuple, Protocol, cast

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.archives import (
    ArchiveError,
    archive_remove,
    upload_directory_create,
    upload_is_archive,
    upload_unpack,
)
from accounts.currency import (
    Rate,
    RateTable,
    annual_revenue_no_rate,
    annual_revenue_values,
    missing_rate_reason,
    money_text,
    rate_note,
    rate_table_load,
)
from accounts.currency_codes import (
    ANNUAL_REVENUE_CURRENCY,
    amount_places_problem,
    currency_code_normal,
    currency_code_problem,
    minor_digits,
)
from accounts.former_names import (
    FormerName,
    FormerNames,
    former_names_shared_text,
)
from accounts.history import history_text
from accounts.import_checks import (
    ImportCheckWarning,
    WindowMove,
    import_checks_start,
)
from accounts.import_liveness import (
    ImportJobSwept,
    import_job_liveness,
    import_job_stall_fail,
    import_job_still_running,
)
from accounts.import_writers import (
    EntityWrite,
    import_writer_get,
    import_writer_models,
)
from accounts.importing import (
    COUNTRY_REPAIRS,
    KEPT,
    REJECTED,
    REPAIRED,
    SECTOR_REPAIRS,
    SKIPPED,
    ImportFileError,
    Issue,
)
from accounts.matching import (
    SAME,
    account_name_groups,
)
from accounts.models import (
    Account,
    AccountAlias,
    AccountReadStage,
    AccountTeamMember,
    ChangeRecord,
    CurrencyRate,
    ImportJob,
    ImportRowChange,
    InvoicesWithoutRate,
    MappedImport,
    Opportunity,
    OpportunityDeletion,
    Product,
    RevenueKeyStage,
    RevenueLine,
    SavedMapping,
    SupportSignal,
    Team,
    User,
    account_name_keys_fill,
    won_close_problem,
)
from accounts.name_stage import StagedNameIndex, lookup_batches
from accounts.numbers import (
    EXACT_DIGITS,
    RATE_NOT_ABOVE_ZERO,
    significant_digits,
    too_large_message,
    zero_unsigned,
)
from accounts.parsing import (
    DAY_FIRST,
    ID_SCIENTIFIC,
    MONTH_FIRST,
    SCIENTIFIC_NOTE,
    Money,
    ParsedColumn,
    Question,
    amount_split,
    boolean_column_parse,
    date_column_parse,
    id_column_parse,
    money_column_parse,
    number_column_parse,
    text_column_parse,
    too_long_reason,
    value_start,
    year_column_parse,
)
from accounts.permission_audit import import_job_origin_keep
from accounts.planner_statistics import tables_written_analyze
from accounts.recognise import (
    ACCOUNT,
    EXTRA,
    HUBSPOT_COMPANIES,
    OPPORTUNITY,
    PERSON,
    PRODUCT,
    SALES_TEAM,
    TARGET_FIELDS,
    UNKNOWN,
    USER,
    header_normalise,
    header_signature,
    headers_recognise,
    industry_words,
    mapping_reuse,
    mapping_save_form,
)
from accounts.revenue_kept import annual_revenue_kept_convert
from accounts.revenue_keys import (
    LineKeys,
    invoice_positions,
    quarter_start,
    row_digest,
    won_key,
)
from accounts.revenue_replaced import (
    Invoiced,
    Waiting,
    conversion_text,
    revenue_rateless_start,
    revenue_replaced_start,
    revenue_waiting_start,
)
from accounts.row_report import RowReportOrder, row_report_sort
from accounts.signals import account_renamed, import_finished
from accounts.stages import STAGE_ANSWERS, stage_known, stage_name_known
from accounts.streaming import table_chunks
from accounts.tabular import (
    _ZIP_MAGIC,
    HEADER_CHOICE_LINES,
    SheetChoiceError,
    SheetDamagedError,
    Table,
    WorkbookBoundError,
    workbook_check,
)
from accounts.team_versions import (
    account_versions_touch,
    account_versions_touch_for_rows,
)
from accounts.undo_keep import UndoKeep, undo_keep_find
from accounts.wizard_accounts import AccountFinder
from accounts.wizard_conflicts import ConflictRow, WrittenMeanwhile, conflict_issues
from accounts.won_revenue import (
    WON_PREFIX,
    Cell,
    won_revenue_deal_cell,
    won_revenue_lines,
    won_revenue_sums,
    won_revenue_sync,
)
from config.bounds import date_problem
from config.spreadsheet import cell_neutralise

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]

REVENUE = "revenue"
# A column's question, left in a rejected job's issues for the report to ask.
QUESTION = "question"
TEAM = "team"
SUPPORT = "support"
RATE = "rate"

REPORTING_CURRENCY = "USD"
# How many annual revenue conversions the check says one by one, per file
# and column; the rest are summed in one line.
CONVERSIONS_SHOWN = 20
PREVIEW_ROWS = 5
PREVIEW_READ_ROWS = 1000
# Above this many bytes the check before writing is not run in the request:
# the import checks as it goes, in the background.
INLINE_CHECK_MAX_BYTES = 5 * 1024 * 1024
UNSPECIFIED_PRODUCT = "Unspecified"
# The roles an unknown role value may be mapped to: ops only by its name.
ROLE_ANSWERS = (User.Role.REP, User.Role.MANAGER, User.Role.EXECUTIVE)
# A row report action: the rows were read, and what they add up to was not
# written.
NOT_WRITTEN_ACTION = "not written"
# A row report outcome: the import's invoices replaced counted won deals.
REVENUE_REPLACED = "revenue replaced"
CREATE_BATCH = 2000

# The fields the wizard maps to. People belong to stakeholders, which
# registers their writer (accounts.import_writers).
WIZARD_FIELDS: dict[str, tuple[str, ...]] = {
    ACCOUNT: TARGET_FIELDS[ACCOUNT],
    PERSON: TARGET_FIELDS[PERSON],
    OPPORTUNITY: TARGET_FIELDS[OPPORTUNITY],
    PRODUCT: TARGET_FIELDS[PRODUCT],
    REVENUE: (
        "invoice_number",
        "account_external_id",
        "account_name",
        "product",
        "date",
        "amount",
        "currency",
    ),
    SUPPORT: (
        "account_external_id",
        "account_name",
        "period",
        "tickets",
        "satisfaction",
        "nps",
    ),
    RATE: ("currency", "rate", "rate_date"),
    USER: TARGET_FIELDS[USER],
    SALES_TEAM: TARGET_FIELDS[SALES_TEAM],
}
ENTITY_LABELS = {
    ACCOUNT: "Accounts",
    OPPORTUNITY: "Deals",
    PRODUCT: "Products",
    REVENUE: "Revenue lines",
    SUPPORT: "Support signals",
    RATE: "Currency rates",
    TEAM: "Account team members",
    PERSON: "People",
    USER: "Users",
    SALES_TEAM: "Teams",
}
BUNDLED_SALES_TEAMS = "bundled sales teams"
# Starts the ID Lode derives for a deal exported without one.
DERIVED_ID_PREFIX = "wiz-"
# Field labels that say more than the field's name.
FIELD_LABELS = {
    "annual_revenue_musd": "annual revenue (millions of USD)",
    "line_total": "product line total",
    "quantity": "product line quantity",
    "unit_price": "product line sales price",
}
# The fields of one product line of an opportunity: a file with any of them
# lists an opportunity once per product, each line kept as a deal of its own.
PRODUCT_LINE_FIELDS = ("line_total", "quantity", "unit_price")
# Fields an export may carry that Lode has nowhere to keep; the check says so.
NOT_STORED = {
    (ACCOUNT, "city"),
    (ACCOUNT, "website"),
    (OPPORTUNITY, "probability"),
}

# The model field each number lands in, and how many of its digits before the
# decimal point a file's value may use up (annual revenue in millions is
# stored as the whole amount). A value too large for its field is
# refused at the check: PostgreSQL would fail the whole write, and SQLite
# would store it and fail every later read of the account.
_NUMBER_FIELDS: dict[tuple[str, str], tuple[type[models.Model], str, int]] = {
    (ACCOUNT, "annual_revenue"): (Account, "annual_revenue", 0),
    (ACCOUNT, "annual_revenue_musd"): (Account, "annual_revenue", -6),
    (ACCOUNT, "employees"): (Account, "employees", 0),
    (ACCOUNT, "year_established"): (Account, "year_established", 0),
    (PRODUCT, "list_price"): (Product, "list_price", 0),
    (OPPORTUNITY, "amount"): (Opportunity, "close_value", 0),
    (OPPORTUNITY, "line_total"): (Opportunity, "close_value", 0),
    (OPPORTUNITY, "unit_price"): (Opportunity, "close_value", 0),
    (REVENUE, "amount"): (RevenueLine, "amount", 0),
    (SUPPORT, "tickets"): (SupportSignal, "tickets", 0),
    (SUPPORT, "satisfaction"): (SupportSignal, "satisfaction", 0),
    (SUPPORT, "nps"): (SupportSignal, "nps", 0),
    (RATE, "rate"): (CurrencyRate, "rate", 0),
}

# Annual revenue in millions is stored as the whole amount it stands for.
MILLION = Decimal(1_000_000)
# Company revenue is never negative; a line's amount may be (a credit note).
_UNSIGNED_MONEY = {"annual_revenue", "annual_revenue_musd"}
# The amounts in a currency of their own, refused with more decimals than
# that currency has (currency_codes.minor_digits).
_IN_CURRENCY = {
    (ACCOUNT, "annual_revenue"),
    (OPPORTUNITY, "amount"),
    (OPPORTUNITY, "line_total"),
    (OPPORTUNITY, "unit_price"),
    (REVENUE, "amount"),
}
# A list price names no currency and is stored to the cent.
_CENTS = {(PRODUCT, "list_price")}

# Layouts accounts.recognise does not know: ERP invoice extracts, support
# desk exports and rate tables, by normalised header.
_EXTRA_LAYOUTS: tuple[tuple[str, str, dict[str, str], tuple[str, ...]], ...] = (
    (
        "erp revenue",
        REVENUE,
        {
            "customerid": "account_external_id",
            "customernumber": "account_external_id",
            "customer": "account_name",
            "customername": "account_name",
            "accountname": "account_name",
            "account": "account_name",
            "product": "product",
            "item": "product",
            "productname": "product",
            "invoice": "invoice_number",
            "invoiceno": "invoice_number",
            "invoicenumber": "invoice_number",
            "invoiceid": "invoice_number",
            "documentno": "invoice_number",
            "documentnumber": "invoice_number",
            "invoicedate": "date",
            "postingdate": "date",
            "date": "date",
            "netamount": "amount",
            "amount": "amount",
            "revenue": "amount",
            "currency": "currency",
            # German ERP extracts (DATEV, SAP and Sage exports in German),
            # accents dropped as header_normalise drops them: "Währung".
            "kundennummer": "account_external_id",
            "kundennr": "account_external_id",
            "kunde": "account_name",
            "kundenname": "account_name",
            "artikel": "product",
            "artikelbezeichnung": "product",
            "artikelnummer": "product",
            "rechnungsnummer": "invoice_number",
            "rechnungsnr": "invoice_number",
            "belegnummer": "invoice_number",
            "rechnungsdatum": "date",
            "belegdatum": "date",
            "buchungsdatum": "date",
            "nettobetrag": "amount",
            "betrag": "amount",
            "bruttobetrag": "amount",
            "wahrung": "currency",
        },
        ("date", "amount"),
    ),
    (
        "support desk",
        SUPPORT,
        {
            # Written from the way Zendesk, Freshdesk and ServiceNow-style
            # desks name their per-account reports, normalised.
            "accountid": "account_external_id",
            "accountnumber": "account_external_id",
            "organizationid": "account_external_id",
            "organisationid": "account_external_id",
            "companyid": "account_external_id",
            "customerid": "account_external_id",
            "account": "account_name",
            "accountname": "account_name",
            "organization": "account_name",
            "organisation": "account_name",
            "organizationname": "account_name",
            "organisationname": "account_name",
            "company": "account_name",
            "companyname": "account_name",
            "customer": "account_name",
            "customername": "account_name",
            "period": "period",
            "periodstart": "period",
            "reportingperiod": "period",
            "month": "period",
            "monthstart": "period",
            "date": "period",
            "tickets": "tickets",
            "ticketcount": "tickets",
            "ticketscount": "tickets",
            "numberoftickets": "tickets",
            "nooftickets": "tickets",
            "oftickets": "tickets",
            "totaltickets": "tickets",
            "ticketvolume": "tickets",
            "ticketscreated": "tickets",
            "createdtickets": "tickets",
            "newtickets": "tickets",
            "ticketsopened": "tickets",
            "ticketsreceived": "tickets",
            "ticketssubmitted": "tickets",
            "incidents": "tickets",
            "incidentcount": "tickets",
            "numberofincidents": "tickets",
            "incidentsopened": "tickets",
            "cases": "tickets",
            "casecount": "tickets",
            "numberofcases": "tickets",
            "casescreated": "tickets",
            # "CSAT %" and "CSAT (%)" normalise to "csat".
            "csat": "satisfaction",
            "csatscore": "satisfaction",
            "csatrating": "satisfaction",
            "averagecsat": "satisfaction",
            "avgcsat": "satisfaction",
            "satisfaction": "satisfaction",
            "satisfactionscore": "satisfaction",
            "satisfactionscorecsat": "satisfaction",
            "satisfactionrating": "satisfaction",
            "satisfactionpercent": "satisfaction",
            "satisfactionpercentage": "satisfaction",
            "customersatisfaction": "satisfaction",
            "customersatisfactionscore": "satisfaction",
            "customersatisfactioncsat": "satisfaction",
            "customersatisfactionscorecsat": "satisfaction",
            "customersatisfactionrating": "satisfaction",
            "nps": "nps",
            "npsscore": "nps",
            "netpromoter": "nps",
            "netpromoterscore": "nps",
            "netpromoterscorenps": "nps",
        },
        ("period",),
    ),
    (
        "currency rates",
        RATE,
        {
            "currency": "currency",
            "rate": "rate",
            "ratetousd": "rate",
            "usdrate": "rate",
            "ratedate": "rate_date",
            "date": "rate_date",
        },
        ("currency", "rate"),
    ),
)

# How a field's cells are typed.
_IDS = {
    "external_id",
    "parent_external_id",
    "account_external_id",
    "invoice_number",
    "reports_to",
}
_MONEY = {
    "annual_revenue",
    "annual_revenue_musd",
    "amount",
    "list_price",
    "line_total",
    "unit_price",
}
_WHOLE = {"employees", "year_established", "tickets"}
_SIGNED_WHOLE = {"nps"}
# Read with their sign, which the stored record's own rule then judges in
# its own words (a rate must be above zero, not only not negative).
_SIGN_BY_RULE = {"rate", "satisfaction"}
_NUMBERS = {"satisfaction", "rate", "probability", "quantity"}
# Numbers a file may give per cent, kept as the number before the sign: a
# CSAT of "92%" is stored as 92 on the 0–100 scale, not as 0.92.
_PERCENT = {"satisfaction", "probability"}
_DATES = {"close_date", "engage_date", "period", "date", "rate_date"}
_FLAGS = {"is_won", "is_closed", "is_active"}
# Names kept on one line: a line break inside one reads as a space.
_ONE_LINE = {
    "name",
    "account_name",
    "parent_name",
    "product",
    "full_name",
    "first_name",
    "last_name",
    "team",
}
_LENGTHS = {
    "name": 200,
    "sector": 100,
    "country": 100,
    "product": 150,
    "series": 100,
    "username": 150,
    "first_name": 150,
    "last_name": 150,
    "email": 254,
    "team": 150,
    "region": 100,
}
# Where one kind of record keeps a field shorter than the others do.
_ENTITY_LENGTHS = {
    (PERSON, "first_name"): 100,
    (PERSON, "last_name"): 100,
    (PERSON, "phone"): 50,
}


class WizardError(Exception):
    """Something the wizard cannot do, in words for the user."""


class ImportStartedError(WizardError):
    """Another request started the import first."""


# Files and mapping


@dataclass
class FilePreview:
    """One uploaded file as read, with the mapping proposed for it."""

    name: str
    table: Table
    kind: str
    entity: str | None
    mapping: dict[str, tuple[str, str]]
    source: str
    signature: str
    path: Path = Path()
    size: int = 0
    # False when the file has more rows than the preview read.
    complete: bool = True
    # How the recognised layout is read, said on the mapping page.
    notes: list[str] = field(default_factory=list)
    # The workbook sheet chosen for the import; None reads the only sheet
    # with data (accounts.tabular.sheet_choose).
    sheet: str | None = None
    # The header row chosen by the user; None finds it (tabular.header_find).
    header_line: int | None = None
    # The CSV delimiter chosen by the user; None detects it.
    delimiter: str | None = None
    # The number format every amount column is read in (a key of
    # accounts.parsing.NUMBER_FORMATS); None detects each column's mark.
    number_format: str | None = None
    # True when that format came from the mapping saved for these headers.
    number_format_saved: bool = False
    # The number format saved with the mapping for these headers, if any.
    saved_number_format: str = ""
    # {normalised column: day-first or month-first}: the date orders the
    # user gave for a file with these headers, saved with its mapping.
    saved_orders: dict[str, str] = field(default_factory=dict)
    # {normalised column: currency code}: the currency of a money column's
    # amounts that name none, saved the same way.
    saved_currencies: dict[str, str] = field(default_factory=dict)
    # {normalised column: "." or ","}: the decimal separator of a number
    # column whose values could be read either way, saved the same way.
    saved_decimals: dict[str, str] = field(default_factory=dict)

    @property
    def head(self) -> list[list[str]]:
        return self.table.frame.head(PREVIEW_ROWS).values.tolist()

    def number_format_said(self) -> str:
        """Say the number format the file's amounts are read in, if one."""
        if self.number_format is None and self.saved_number_format:
            # Only a choice to detect leaves a saved format unused.
            return (
                "Each amount column's decimal mark is detected from its values, "
                "as chosen for this file; the number format saved with the "
                f"mapping for these headers ({self.saved_number_format!r}) is "
                "not used."
            )
        if self.number_format is None:
            return ""
        how = (
            "reused from the mapping saved for these headers"
            if self.number_format_saved
            else "chosen for this file"
        )
        return (
            f"Every amount is read as {self.number_format!r}, the number format "
            f"{how}; a value written otherwise is refused."
        )

    @property
    def row_count(self) -> int | None:
        return self.table.row_count if self.complete else None


def mapped_import_create(
    *, user: User | None, files: Sequence[tuple[str, bytes | UploadedFile]]
) -> MappedImport:
    """Store uploaded files under MEDIA_ROOT and open a wizard job for them."""
    if not files:
        raise WizardError("Choose at least one file.")
    names = [name for name, _ in files]
    if len(set(names)) != len(names):
        raise WizardError("Two files have the same name; rename one.")

    job = ImportJob.objects.create(created_by=user)
    directory = upload_directory_create(
        root=Path(settings.MEDIA_ROOT) / "imports", job_id=job.pk
    )
    stored = []
    for name, content in files:
        path = directory / Path(name).name
        with path.open("wb") as target:
            if isinstance(content, bytes):
                target.write(content)
            else:
                # Uploads are copied in chunks: a large file never sits
                # whole in memory here.
                for chunk in content.chunks():
                    target.write(chunk)
        stored.append({"name": name, "path": str(path), "size": path.stat().st_size})
    skipped: list[dict[str, str]] = []
    stored = _archives_unpack(
        job=job, directory=directory, stored=stored, skipped=skipped
    )
    try:
        for item in stored:
            _workbook_head_check(path=Path(str(item["path"])), file=str(item["name"]))
    except ImportFileError as error:
        # Refused at the door, like a broken archive: no job is left open.
        archive_remove(directory=directory)
        job.delete()
        raise WizardError(str(error)) from error
    job.source_directory = str(directory)
    job.progress_message = "Waiting for the mapping"
    job.save(update_fields=["source_directory", "progress_message", "updated_at"])

    return MappedImport.objects.create(job=job, files=stored, skipped=skipped)


def _workbook_head_check(*, path: Path, file: str) -> None:
    """Raise ImportFileError for a workbook whose preview could not be read.

    The sheet's rows are read as the preview reads them: a sheet whose XML
    breaks there would otherwise be taken in and fail on the next page.
    """
    if not workbook_check(path=path, file=file):
        return

    chunks = table_chunks(path=path, file=file, rows=PREVIEW_READ_ROWS)
    try:
        next(chunks)
    except (SheetDamagedError, WorkbookBoundError):
        raise
    except ImportFileError:
        # Several sheets or no header row: the next pages ask about these.
        pass
    finally:
        chunks.close()


def _archives_unpack(
    *,
    job: ImportJob,
    directory: Path,
    stored: list[dict[str, Any]],
    skipped: list[dict[str, str]],
) -> list[dict[str, Any]]:
    """Replace each .gz or .zip upload by the files it holds, sized unpacked.

    The archive members left out (system files, documents) are added to
    `skipped`, each with its archive and the reason.
    """
    limit = settings.LODE_UPLOAD_MAX_BYTES
    unpacked: list[dict[str, Any]] = []
    try:
        for item in stored:
            path = Path(item["path"])
            if not upload_is_archive(name=item["name"], path=path):
                unpacked.append(item)
                continue
            held = upload_unpack(name=item["name"], path=path, limit=limit)
            for name, inner in held.files:
                unpacked.append(
                    {"name": name, "path": str(inner), "size": inner.stat().st_size}
                )
            skipped.extend(
                {"archive": item["name"], "file": file, "reason": reason}
                for file, reason in held.skipped
            )
        names = [item["name"] for item in unpacked]
        if len(set(names)) != len(names):
            raise ArchiveError(
                "Two files have the same name once unpacked; rename one."
            )
        if sum(item["size"] for item in unpacked) > limit:
            raise ArchiveError(
                f"The files unpack to more than the upload limit of "
                f"{limit / (1024 * 1024):,.1f} MB; import fewer rows at once."
            )
    except ArchiveError as error:
        archive_remove(directory=directory)
        job.delete()
        raise WizardError(str(error)) from error
    return unpacked


def mapped_import_create_from_paths(
    *, user: User | None, paths: Sequence[Path]
) -> MappedImport:
    """Open a wizard job for files on this machine (the command line)."""
    return mapped_import_create(
        user=user, files=[(Path(path).name, Path(path).read_bytes()) for path in paths]
    )


def mapped_import_files_read(
    *, mapped: MappedImport, head_only: bool = False
) -> list[FilePreview]:
    """Read the head of every file and propose (or reuse) a mapping for it.

    Only the first PREVIEW_READ_ROWS rows are read, so a preview of a file
    of a million rows returns at once; the run reads the rest in chunks.
    The rows after a head with data are read, as one more chunk, only to
    count a file that ends there; `head_only` leaves them unread, so the
    preview's row_count is None for such a file.
    """
    previews = []
    # Every file that cannot be read is named, not only the first.
    unread: list[ImportFileError] = []
    if _saved_delimiters_apply(mapped=mapped):
        mapped.save(update_fields=["files", "updated_at"])
    for stored in mapped.files:
        chunks = table_chunks(
            path=Path(stored["path"]),
            file=stored["name"],
            rows=PREVIEW_READ_ROWS,
            sheet=stored.get("sheet"),
            header_line=stored.get("header_line"),
            delimiter=stored.get("delimiter"),
        )
        try:
            table = next(chunks)
        except SheetChoiceError:
            raise  # The mapping page asks which sheet.
        except ImportFileError as error:
            unread.append(error)
            continue
        try:
            complete = (
                False if head_only and table.row_count else next(chunks, None) is None
            )
        except ImportFileError:
            # Trouble past the head is for the check to report.
            complete = False
        chunks.close()
        preview = _preview(table=table, chosen=mapped.mapping.get(stored["name"]))
        preview.path = Path(stored["path"])
        preview.sheet = stored.get("sheet")
        preview.header_line = stored.get("header_line")
        preview.delimiter = stored.get("delimiter")
        table.delimiter_saved = bool(stored.get("delimiter_saved"))
        _number_format_take(preview=preview, stored=stored)
        preview.size = int(stored.get("size", 0))
        preview.complete = complete
        previews.append(preview)
    if unread:
        first, *rest = unread
        first.also += [(error.file, error.message) for error in rest]
        raise first
    return previews


def _number_format_take(*, preview: FilePreview, stored: Mapping[str, Any]) -> None:
    """Give a preview the number format chosen for its file, or saved for it.

    A file with no choice made ("detect" is one) is read in the format
    saved with the mapping for its headers.
    """
    if stored.get("number_format"):
        preview.number_format = stored["number_format"]
    elif not stored.get("number_format_looked") and preview.saved_number_format:
        preview.number_format = preview.saved_number_format
        preview.number_format_saved = True


def _saved_delimiters_apply(*, mapped: MappedImport) -> bool:
    """Read each CSV file with the delimiter saved for its headers, once.

    A file whose delimiter was chosen is read the way its mapping was
    saved: detected, its headers may not split (a mixed file is refused)
    or split otherwise. Each saved delimiter is tried on a file with none
    chosen; the one under which its headers have a mapping saved with that
    delimiter is kept, as if chosen again. Return whether any file changed.
    """
    pending = [
        stored
        for stored in mapped.files
        if "delimiter" not in stored and not stored.get("delimiter_looked")
    ]
    if not pending:
        return False
    saved = set(
        SavedMapping.objects.exclude(delimiter="").values_list("delimiter", flat=True)
    )
    if not saved:
        return False

    for stored in pending:
        # Looked at once: "Detect it again" is not undone on the next page.
        stored["delimiter_looked"] = True
        if _is_workbook_file(Path(stored["path"])):
            continue
        detected = _head_signature(stored, delimiter=None)
        if (
            detected is not None
            and SavedMapping.objects.filter(signature=detected).exists()
        ):
            continue
        for delimiter in sorted(saved):
            signature = _head_signature(stored, delimiter=delimiter)
            if (
                signature is not None
                and SavedMapping.objects.filter(
                    signature=signature, delimiter=delimiter
                ).exists()
            ):
                stored["delimiter"] = delimiter
                stored["delimiter_saved"] = True
                logger.info(
                    "import %s: %s read with the saved delimiter %r",
                    mapped.job_id,
                    stored["name"],
                    delimiter,
                )
                break
    return True


def _is_workbook_file(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC


def _head_signature(stored: Mapping[str, Any], *, delimiter: str | None) -> str | None:
    """Return the header signature of a stored file read with `delimiter`."""
    chunks = table_chunks(
        path=Path(stored["path"]),
        file=stored["name"],
        rows=1,
        header_line=stored.get("header_line"),
        delimiter=delimiter,
    )
    try:
        return header_signature(next(chunks).columns)
    except (ImportFileError, StopIteration):
        return None
    finally:
        chunks.close()


def import_file_error_said(error: ImportFileError) -> list[str]:
    """Return one sentence per file the error names."""
    return [str(error)] + [f"{file}: {message}" for file, message in error.also]


def _preview(
    *, table: Table, chosen: Mapping[str, Sequence[str]] | None
) -> FilePreview:
    headers = table.columns
    signature = header_signature(headers)
    recognition = headers_recognise(headers=headers)
    kind, entity, mapping = recognition.kind, recognition.entity, recognition.mapping
    notes = list(recognition.notes)
    source = "recognised"
    # The layout whose fields take the most columns wins: an invoice
    # extract with an "Account Name" column is not an accounts report.
    extra_kind, extra_entity, extra_mapping = _extra_recognise(headers)
    if kind == UNKNOWN or len(extra_mapping) > len(mapping):
        kind, entity, mapping = extra_kind, extra_entity, extra_mapping
        notes = []
        source = "recognised" if mapping else "none"

    saved = SavedMapping.objects.filter(signature=signature).first()
    saved_orders: dict[str, str] = {}
    saved_currencies: dict[str, str] = {}
    saved_decimals: dict[str, str] = {}
    if saved is not None:
        mapping = mapping_reuse(headers=headers, saved=saved.mapping)
        source = "saved"
        saved_orders = dict(saved.date_orders)
        saved_currencies = dict(saved.currency_answers)
        saved_decimals = dict(saved.decimal_answers)
    saved_number_format = saved.number_format if saved is not None else ""
    if chosen is not None:
        mapping = {
            column: (target[0], target[1])
            for column, target in chosen.items()
            if column in headers
        }
        source = "confirmed"
    entities = {target[0] for target in mapping.values()}
    if source in ("saved", "confirmed") and entities != {entity}:
        # The layout recognised names other records than this mapping
        # writes: its label would say "accounts" over a deals mapping.
        kind = f"own {'+'.join(sorted(entities))}" if entities else UNKNOWN
    if len(entities) == 1:
        entity = entities.pop()
    return FilePreview(
        name=table.file,
        table=table,
        kind=kind if source != "none" else UNKNOWN,
        entity=entity,
        mapping=mapping,
        source=source,
        signature=signature,
        notes=notes,
        saved_orders=saved_orders,
        saved_currencies=saved_currencies,
        saved_decimals=saved_decimals,
        saved_number_format=saved_number_format,
    )


def _extra_recognise(
    headers: Sequence[str],
) -> tuple[str, str | None, dict[str, tuple[str, str]]]:
    keys = [header_normalise(header) for header in headers]
    best: tuple[int, str, str, dict[str, tuple[str, str]]] | None = None
    for kind, entity, fields, markers in _EXTRA_LAYOUTS:
        # Of two columns meaning one field, the layout's first name wins:
        # "Nettobetrag" is the amount beside "Bruttobetrag", "Artikel"
        # the product beside "Artikelnummer", whatever their order.
        places = {key: place for place, key in enumerate(fields)}
        chosen: dict[str, tuple[int, str]] = {}
        for header, key in zip(headers, keys, strict=True):
            target = fields.get(key)
            if target is None:
                continue
            if target not in chosen or places[key] < chosen[target][0]:
                chosen[target] = (places[key], header)
        kept = {header: target for target, (_, header) in chosen.items()}
        mapping = {
            header: (entity, kept[header]) for header in headers if header in kept
        }
        taken = set(chosen)
        if not all(marker in taken for marker in markers):
            continue
        if entity == SUPPORT and not taken & {"tickets", "satisfaction", "nps"}:
            continue
        if entity in (REVENUE, SUPPORT) and not taken & {
            "account_name",
            "account_external_id",
        }:
            continue
        if best is None or len(mapping) > best[0]:
            best = (len(mapping), kind, entity, mapping)
    if best is None:
        return UNKNOWN, None, {}
    return best[1], best[2], best[3]


# The records kept on an account: what their file and one of them are called.
_ON_AN_ACCOUNT = {
    OPPORTUNITY: ("a deals file", "deal"),
    REVENUE: ("a revenue file", "revenue line"),
    SUPPORT: ("a support file", "support signal"),
}


def mapping_problems(*, mapping: Mapping[str, tuple[str, str]]) -> list[str]:
    """Return what is wrong with one file's mapping, in plain words."""
    problems: list[str] = []
    used: dict[tuple[str, str], str] = {}
    entities = set()
    for column, (entity, name) in mapping.items():
        if entity == PERSON and import_writer_get(PERSON) is None:
            problems.append(
                f"{column!r}: {ENTITY_LABELS[entity].lower()} are not imported "
                "here, as the stakeholders app is not installed"
            )
            continue
        if entity not in WIZARD_FIELDS:
            problems.append(
                f"{column!r} maps to {entity}.{name}, and {entity!r} is no kind of "
                "record; the kinds are " + ", ".join(WIZARD_FIELDS)
            )
            continue
        if name not in WIZARD_FIELDS[entity]:
            problems.append(
                f"{column!r} maps to an unknown field {entity}.{name}; the "
                f"{entity} fields are " + ", ".join(WIZARD_FIELDS[entity])
            )
            continue
        entities.add(entity)
        if name != EXTRA and (entity, name) in used:
            problems.append(
                f"{column!r} and {used[(entity, name)]!r} both map to {entity}.{name}"
            )
        used.setdefault((entity, name), column)
    if len(entities) > 1:
        problems.append(
            "one file holds one kind of record; this mapping mixes "
            + ", ".join(sorted(ENTITY_LABELS[kind].lower() for kind in entities))
        )
    if not mapping:
        problems.append("no column is mapped")
    names = {(entity, name) for entity, name in mapping.values()}
    if entities == {USER} and (USER, "email") not in names:
        problems.append(
            "a users file needs an email column: Lode matches users by their "
            "email and sends their password reset there"
        )
    if entities == {SALES_TEAM} and (SALES_TEAM, "name") not in names:
        problems.append("a teams file needs a column with the team's name")
    if entities == {PERSON}:
        if not names & {
            (PERSON, "first_name"),
            (PERSON, "last_name"),
            (PERSON, "full_name"),
        }:
            problems.append(
                "a people file needs a column with the person's first, last "
                "or full name"
            )
        if not names & {(PERSON, "account_external_id"), (PERSON, "account_name")}:
            problems.append(
                "a people file needs a column with the account's ID or name: "
                "each person is kept on an account"
            )
    # Said once here rather than as the same refusal on every row.
    for entity, (file, record) in _ON_AN_ACCOUNT.items():
        keys = {(entity, "account_external_id"), (entity, "account_name")}
        if entities == {entity} and not names & keys:
            problems.append(
                f"{file} needs a column mapped to the account's ID or name: "
                f"each {record} is kept on an account"
            )
    return problems


def mapped_import_mapping_confirm(
    *,
    mapped: MappedImport,
    mapping: Mapping[str, Mapping[str, Sequence[str]]],
    user: User | None,
) -> dict[str, list[str]]:
    """Keep the user's mapping per file and save it for the same headers.

    Returns the problems per file; nothing is kept while there are any.
    """
    previews = {
        preview.name: preview for preview in mapped_import_files_read(mapped=mapped)
    }
    clean: dict[str, dict[str, list[str]]] = {}
    problems: dict[str, list[str]] = {}
    for name, columns in mapping.items():
        preview = previews.get(name)
        if preview is None:
            raise WizardError(f"{name!r} is not a file of this import")
        typed = {
            column: (target[0], target[1])
            for column, target in columns.items()
            if column in preview.table.columns and target and target[0]
        }
        found = mapping_problems(mapping=typed)
        if found and preview.kind == BUNDLED_SALES_TEAMS:
            found = [
                "this is the bundled data set's sales teams file: it names no "
                "emails, so import it with the other bundled files on the "
                "Import page"
            ]
        if found:
            problems[name] = found
        clean[name] = {column: list(target) for column, target in typed.items()}
    if problems:
        return problems

    mapped.mapping = clean
    mapped.save(update_fields=["mapping", "updated_at"])
    for name, columns in clean.items():
        preview = previews[name]
        SavedMapping.objects.update_or_create(
            signature=preview.signature,
            defaults={
                "headers": preview.table.columns,
                "mapping": mapping_save_form(
                    mapping={c: (t[0], t[1]) for c, t in columns.items()}
                ),
                # Chosen, it is read so again; detected, it is detected again.
                "delimiter": preview.delimiter or "",
                "number_format": preview.number_format or "",
                "created_by": user,
            },
        )
    return {}


def mapped_import_mapping_accept(*, mapped: MappedImport, user: User | None) -> dict:
    """Confirm the proposed mapping of every file as it stands."""
    proposed = {
        preview.name: {c: list(t) for c, t in preview.mapping.items()}
        for preview in mapped_import_files_read(mapped=mapped)
    }
    return mapped_import_mapping_confirm(mapped=mapped, mapping=proposed, user=user)


# Typing the columns


@dataclass
class FileRows:
    """The typed rows of one file: field -> values, and their lines."""

    file: str
    entity: str
    lines: list[int]
    values: dict[str, list[Any]]
    rejected: set[int] = field(default_factory=set)
    # The recognised layout ("hubspot contacts"), or "unknown".
    kind: str = ""

    def rows(
        self, *, rejected_too: bool = False
    ) -> Iterable[tuple[int, dict[str, Any]]]:
        """Yield each row's line and values, the rejected ones too if asked."""
        names = list(self.values)
        for index, line in enumerate(self.lines):
            if line in self.rejected and not rejected_too:
                continue
            yield line, {name: self.values[name][index] for name in names}


@dataclass
class Outcome:
    """What an import would do or did: counts, issues, questions, proposals."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    questions: list[tuple[str, Question]] = field(default_factory=list)
    # Names that may be existing accounts: incoming, existing, kind, reason,
    # merged ("yes" once confirmed), records (what the rows are: "accounts"
    # or "people") and rows (how many rows name it).
    proposals: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[tuple[str, str, str]] = field(default_factory=list)
    # The answers saved with a mapping that this import applied, each with
    # file, column (its question's key), value, answer, message and options.
    saved_answers: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # What the import would change elsewhere, from the other apps' checks
    # (accounts.import_checks), e.g. a scoring window it would move.
    warnings: list[str] = field(default_factory=list)
    # The warnings the user must confirm before the import starts.
    confirmations: list[str] = field(default_factory=list)
    # The warning that the import would move the scoring window, if it
    # would: the user chooses to keep it (the default, which needs no
    # confirmation) or move it, so it is not among the confirmations.
    window_warning: ImportCheckWarning | None = None

    @property
    def window(self) -> WindowMove | None:
        return self.window_warning.window if self.window_warning else None

    # Each existing record the import changes, with every field's old and
    # new value, so the check shows what an "updated" count stands for.
    changes: list[dict[str, Any]] = field(default_factory=list)
    # The account-quarters whose counted won deals the invoices would
    # replace if no stored rate converting them were needed: what the
    # user's invoices_without_rate choice decides.
    waiting: list[Waiting] = field(default_factory=list)
    # The import's invoices that no stored rate converts, by account,
    # quarter and currency: the warnings name them too.
    quarters_without_rate: list[Invoiced] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({(i.file, i.line) for i in self.issues if i.action == REJECTED})

    @property
    def can_write(self) -> bool:
        return not self.questions and not self.problems


def _column_parse(
    *,
    name: str,
    values: list[str],
    lines: list[int],
    file: str,
    column: str,
    answer: str | None,
    entity: str = "",
    typed: Collection[int] = (),
) -> ParsedColumn:
    """Type one column; the `typed` lines held numbers, not text."""
    if name in _IDS:
        return id_column_parse(values=values, lines=lines, file=file, column=column)
    if name in _MONEY:
        return money_column_parse(
            values=values,
            lines=lines,
            file=file,
            column=column,
            decimal=answer,
            typed=typed,
        )
    if name == "year_established":
        return year_column_parse(
            values=values,
            lines=lines,
            file=file,
            column=column,
            decimal=answer,
            typed=typed,
        )
    if name in _WHOLE | _SIGNED_WHOLE | _NUMBERS:
        return number_column_parse(
            values=values,
            lines=lines,
            file=file,
            column=column,
            decimal=answer,
            whole=name not in _NUMBERS,
            negative=name in _SIGNED_WHOLE | _SIGN_BY_RULE,
            percent=name in _PERCENT,
            typed=typed,
        )
    if name in _DATES:
        return date_column_parse(
            values=values,
            lines=lines,
            file=file,
            column=column,
            order=answer,
            months=name == "period",
        )
    if name in _FLAGS:
        return boolean_column_parse(
            values=values, lines=lines, file=file, column=column
        )
    if name == "currency":
        return _currency_parse(values=values, lines=lines, file=file, column=column)
    joined: list[Issue] = []
    if name in _ONE_LINE:
        values = _lines_join(
            values=values, lines=lines, file=file, column=column, found=joined
        )
    parsed = text_column_parse(
        values=values,
        lines=lines,
        file=file,
        column=column,
        max_length=_ENTITY_LENGTHS.get((entity, name), _LENGTHS.get(name, 200)),
    )
    parsed.issues[:0] = joined
    return parsed


def _lines_join(
    *,
    values: Sequence[str],
    lines: Sequence[int],
    file: str,
    column: str,
    found: list[Issue],
) -> list[str]:
    """Join a name's lines with a space, noting each joined name.

    A name is shown on one line everywhere in Lode and matched to other rows
    by its words, so a line break inside it (a CRM text box, a spreadsheet's
    Alt+Enter) is taken as a space rather than refused.
    """
    joined = []
    for value, line in zip(values, lines, strict=True):
        if "\n" in value:
            parts = [part.strip() for part in value.split("\n") if part.strip()]
            one = " ".join(parts)
            found.append(
                Issue(
                    file,
                    line,
                    column,
                    value,
                    f"the name spans {len(parts)} lines, read as {one!r}",
                    REPAIRED,
                )
            )
            value = one
        joined.append(value)
    return joined


def _currency_parse(
    *, values: list[str], lines: list[int], file: str, column: str
) -> ParsedColumn:
    parsed: list[str | None] = []
    issues: list[Issue] = []
    # A file repeats a few codes over many rows: each is judged once.
    problems: dict[str, str | None] = {}
    for value, line in zip(values, lines, strict=True):
        code = currency_code_normal(value)
        if code == "":
            parsed.append(None)
            continue
        if code not in problems:
            problems[code] = currency_code_problem(code)
        problem = problems[code]
        if problem is None:
            parsed.append(code)
        else:
            parsed.append(None)
            issues.append(Issue(file, line, column, value, problem, REJECTED))
    return ParsedColumn(values=parsed, issues=issues)


@dataclass
class FilePlan:
    """One file's mapping and the whole-column answers it is typed with."""

    preview: FilePreview
    entity: str
    mapping: dict[str, tuple[str, str]]
    answers: dict[str, str]
    # The CRM's own columns kept as the record's custom values.
    extras: list[str] = field(default_factory=list)


# A custom value is text of any length a CRM allows, within config.bounds'.
CUSTOM_VALUE_MAX_LENGTH = 10_000
# The records that keep a CRM's own columns as custom values, by entity.
_CUSTOM_VALUES_KEPT = {ACCOUNT: "account", OPPORTUNITY: "deal", PERSON: "person"}
_DECIDED = _MONEY | _WHOLE | _SIGNED_WHOLE | _NUMBERS | _DATES


def _plan(
    *, preview: FilePreview, answers: Mapping[str, str], outcome: Outcome
) -> FilePlan | None:
    problems = mapping_problems(mapping=preview.mapping)
    if preview.row_count == 0:
        problems.append("the file has a header row but no data rows")
    if problems:
        outcome.problems.extend(f"{preview.name}: {problem}" for problem in problems)
        return None
    frame = preview.table.frame
    left = [
        column
        for column in preview.table.columns
        if column not in preview.mapping
        and any(str(value).strip() for value in frame[column].tolist())
    ]
    if left:
        total = len(preview.table.columns)
        columns = ngettext("column", "columns", total)
        are = ngettext("is", "are", len(left))
        outcome.warnings.append(
            f"{preview.name}: {len(left)} of {total} {columns} {are} not "
            "imported: " + ", ".join(left)
        )
    entity = next(iter(preview.mapping.values()))[0]
    # In the file's column order: a mapping stored in PostgreSQL's jsonb
    # comes back with its keys sorted by length.
    targets = [
        (column, preview.mapping[column])
        for column in preview.table.columns
        if column in preview.mapping
    ]
    extras = [
        column
        for column, (kind, name) in targets
        if name == EXTRA and kind == entity and entity in _CUSTOM_VALUES_KEPT
    ]
    for column, (kind, name) in targets:
        if column in extras:
            noun = _CUSTOM_VALUES_KEPT[entity]
            outcome.decisions.append(
                (preview.name, column, f"kept as a custom field of the {noun}")
            )
        elif name == EXTRA or (kind, name) in NOT_STORED:
            outcome.decisions.append(
                (preview.name, column, "read but not stored: Lode has no such field")
            )
    mapping = {c: t for c, t in preview.mapping.items() if t[1] != EXTRA}
    if entity == OPPORTUNITY and any(
        name in PRODUCT_LINE_FIELDS for _, name in mapping.values()
    ):
        outcome.decisions.append(
            (
                preview.name,
                "",
                "each row is one product line of a CRM deal, kept as a deal of "
                "its own under that deal's ID, the product and its "
                "place among that product's lines; won lines add revenue per "
                "product, open ones are open deals, and a re-import changes "
                "nothing",
            )
        )
    if entity == REVENUE:
        outcome.decisions.append(
            (
                preview.name,
                "",
                "each line is kept by its invoice number, or without one by "
                "its values: an extract read again, or overlapping an earlier "
                "one, adds no line twice",
            )
        )
    return FilePlan(
        preview=preview,
        entity=entity,
        mapping=mapping,
        answers=_number_format_answers(
            preview=preview, mapping=mapping, answers=answers, outcome=outcome
        ),
        extras=extras,
    )


def _number_format_answers(
    *,
    preview: FilePreview,
    mapping: Mapping[str, tuple[str, str]],
    answers: Mapping[str, str],
    outcome: Outcome,
) -> dict[str, str]:
    """Answer every amount column of a file with its chosen number format.

    A column the user answered in this import keeps its own answer; answers
    saved per column with an earlier mapping only settle detection, so a
    chosen format replaces them.
    """
    answered = dict(answers)
    if preview.number_format is None:
        return answered
    numbers = [
        column
        for column, (_, name) in mapping.items()
        if name in _DECIDED - _DATES and column not in answered
    ]
    for column in numbers:
        answered[column] = preview.number_format
    said = preview.number_format_said()
    outcome.decisions.append((preview.name, "", said[0].lower() + said[1:-1]))
    return answered


def _option(decision: str) -> str | None:
    """Return the answer a column's decision amounts to, if any."""
    for option in (DAY_FIRST, MONTH_FIRST):
        if decision.startswith(option):
            return option
    if decision.startswith("decimal point"):
        return "."
    if decision.startswith("decimal comma"):
        return ","
    return None


def _decide(*, plan: FilePlan, outcome: Outcome) -> None:
    """Decide date order and decimal separator from every chunk of a column.

    Each chunk votes as accounts.parsing would for a whole column; the
    column is decided when the chunks that decide agree, and asks when they
    disagree or none decides. The user's answers always win.
    """
    columns = [
        (column, name)
        for column, (_, name) in plan.mapping.items()
        if name in _DECIDED and column not in plan.answers
    ]
    mixes = {
        column: _CurrencyMix()
        for column, (_, name) in plan.mapping.items()
        if name in _MONEY
    }
    if not columns and not mixes:
        return
    decided: dict[str, dict[str, str]] = {column: {} for column, _ in columns}
    asked: dict[str, Question] = {}
    for table in table_chunks(
        path=plan.preview.path,
        file=plan.preview.name,
        sheet=plan.preview.sheet,
        header_line=plan.preview.header_line,
        delimiter=plan.preview.delimiter,
    ):
        for column, mix in mixes.items():
            mix.read(table.frame[column].tolist(), table.lines)
        for column, name in columns:
            parsed = _column_parse(
                name=name,
                values=table.frame[column].tolist(),
                lines=table.lines,
                file=plan.preview.name,
                column=column,
                answer=None,
                typed=table.typed_lines(column),
            )
            if parsed.question is not None:
                asked.setdefault(column, parsed.question)
                if not _undecided(parsed.question):
                    # This chunk proves both readings: no other chunk can
                    # settle the column.
                    decided[column]["?"] = parsed.question.message
            option = _option(parsed.decision)
            if option is not None:
                decided[column].setdefault(option, parsed.decision)
            elif parsed.decision:
                decided[column].setdefault("", parsed.decision)

    # The date columns whose own values decide the order, for the date
    # columns of the same file whose values cannot.
    proven: dict[str, tuple[str, str]] = {}
    for column, name in columns:
        orders = {k: v for k, v in decided[column].items() if k in _ORDERS}
        if name in _DATES and len(orders) == 1 and "?" not in decided[column]:
            proven[column] = next(iter(orders.items()))
    for column, name in columns:
        found = decided[column]
        note = found.pop("", "")
        if (
            name in _DATES
            and not found
            and column in asked
            and _order_borrow(
                plan=plan,
                outcome=outcome,
                column=column,
                proven=proven,
                question=asked[column],
            )
        ):
            continue
        if (
            name not in _DATES
            and not found
            and column in asked
            and _decimal_saved_apply(
                plan=plan, outcome=outcome, column=column, question=asked[column]
            )
        ):
            continue
        if "?" in found:
            outcome.questions.append((plan.preview.name, asked[column]))
            continue
        if len(found) > 1:
            first, second = list(found.items())[:2]
            question = asked.get(column)
            outcome.questions.append(
                (
                    plan.preview.name,
                    Question(
                        column=column,
                        kind=question.kind if question else "",
                        message=(
                            f"{column!r} reads as {first[1]} in one part of the "
                            f"file and as {second[1]} in another; which does "
                            "this column use?"
                        ),
                        options=[first[0], second[0]],
                        examples=[],
                    ),
                )
            )
            continue
        if found:
            option, decision = next(iter(found.items()))
            plan.answers[column] = option
            if note and note not in decision:
                decision = f"{decision}, {note}"
            outcome.decisions.append((plan.preview.name, column, decision))
        elif column in asked:
            outcome.questions.append((plan.preview.name, asked[column]))
        elif note:
            outcome.decisions.append((plan.preview.name, column, note))
    for column, mix in mixes.items():
        _currency_mix_decide(plan=plan, column=column, mix=mix, outcome=outcome)


_ORDERS = (DAY_FIRST, MONTH_FIRST)


def _order_borrow(
    *,
    plan: FilePlan,
    outcome: Outcome,
    column: str,
    proven: Mapping[str, tuple[str, str]],
    question: Question,
) -> bool:
    """Read an undecided date column as the file's other columns prove.

    One export writes all its dates one way, so a column that proves its
    order settles the others; when the file's columns disagree, or none
    decides, the answer saved with the mapping for these headers is taken,
    else the column asks. Return whether the column was settled.
    """
    if not _undecided(question):
        return False
    orders = {option for option, _ in proven.values()}
    file = plan.preview.name
    if len(orders) == 1:
        other, (option, decision) = next(iter(proven.items()))
        shown = decision.removeprefix(f"{option}, as ").removesuffix(" shows")
        plan.answers[column] = option
        outcome.decisions.append(
            (file, column, f"{option}, as {other!r} in this file shows ({shown})")
        )
        return True

    saved = plan.preview.saved_orders.get(header_normalise(column))
    if saved in _ORDERS:
        plan.answers[column] = saved
        outcome.saved_answers.append(
            {
                "file": file,
                "column": column,
                "value": "",
                "answer": saved,
                "message": (
                    f"No date in {column!r} says whether it is day-first or "
                    f"month-first: read {saved}, the answer saved with the "
                    "mapping for these headers. Answer again to change it "
                    f"({DAY_FIRST} or {MONTH_FIRST}), or clear it to be asked"
                ),
                "options": [DAY_FIRST, MONTH_FIRST],
            }
        )
        return True

    return False


# A decimal separator in words, as a decision says it.
_DECIMAL_WORDS = {".": "a decimal point", ",": "a decimal comma"}


def _decimal_saved_apply(
    *, plan: FilePlan, outcome: Outcome, column: str, question: Question
) -> bool:
    """Read a number column no value decides with the separator saved for it.

    Only a column whose values could be read either way takes the saved
    answer: a value that proves one separator wins over it, and a column
    that mixes both asks again. Return whether the column was settled.
    """
    if not _undecided(question):
        return False
    saved = plan.preview.saved_decimals.get(header_normalise(column))
    if saved not in _DECIMAL_WORDS:
        return False

    line, value = question.examples[0]
    plan.answers[column] = saved
    outcome.saved_answers.append(
        {
            "file": plan.preview.name,
            "column": column,
            "value": value,
            "answer": saved,
            "message": (
                f"In {column!r}, {value!r} (line {line}) could be a thousands "
                "separator or a decimal separator: read with "
                f"{_DECIMAL_WORDS[saved]}, the answer saved with the mapping "
                "for these headers. Answer again to change it (a decimal point "
                "or a decimal comma), or clear it to be asked"
            ),
            "options": list(_DECIMAL_WORDS),
        }
    )
    return True


CURRENCY_ANSWER = "|currency"


def currency_question_key(*, column: str) -> str:
    """Return the key a money column's bare-cell currency is answered under."""
    return f"{column}{CURRENCY_ANSWER}"


def currency_answer_meant(*, column: str, option: str) -> bool:
    """Tell whether a plain column answer can only be a currency code.

    Date orders and decimal marks are never three letters, and a role
    question's column holds "=", so "Revenue=EUR" is unambiguous.
    """
    return (
        "=" not in column
        and not column.endswith(CURRENCY_ANSWER)
        and len(option.strip()) == 3
        and option.strip().isalpha()
    )


@dataclass
class _CurrencyMix:
    """A money column's cells with a currency sign or code, and without."""

    currencies: dict[str, tuple[int, str]] = field(default_factory=dict)
    bare: tuple[int, str] | None = None

    def read(self, values: Sequence[str], lines: Sequence[int]) -> None:
        for value, line in zip(values, lines, strict=True):
            if not value.strip():
                continue
            split = amount_split(value)
            if split is None or split.dash:
                continue
            if split.currency:
                # A code that is no money (XAU 100) is refused on its row,
                # not offered as the currency of the bare amounts.
                if split.currency not in self.currencies and currency_code_problem(
                    split.currency
                ):
                    continue
                self.currencies.setdefault(split.currency, (line, value))
            elif self.bare is None:
                self.bare = (line, value)


def _currency_mix_decide(
    *, plan: FilePlan, column: str, mix: _CurrencyMix, outcome: Outcome
) -> None:
    """Say which currency a column's bare amounts are read in, or ask.

    A column whose cells name a currency beside cells that name none
    (€1.200,50 and 300) leaves the bare cells' currency open. A currency
    column on the row answers it; else the user does.
    """
    if mix.bare is None:
        return
    name = plan.mapping[column][1]
    line, value = mix.bare
    currency_column = next(
        (c for c, (_, target) in plan.mapping.items() if target == "currency"), None
    )
    if not mix.currencies:
        if currency_column is None:
            # Said before writing: a bare 600 is stored as 600 USD otherwise
            # without a word, which is wrong for a file kept in euros.
            outcome.decisions.append(
                (
                    plan.preview.name,
                    column,
                    f"amounts name no currency (e.g. {value!r} on line {line}) "
                    f"and the file has no currency column: read in "
                    f"{REPORTING_CURRENCY}, the reporting currency",
                )
            )
        return
    signed = ", ".join(
        f"{code} ({example!r} on line {where})"
        for code, (where, example) in sorted(mix.currencies.items())
    )
    if currency_column is not None:
        outcome.decisions.append(
            (
                plan.preview.name,
                column,
                f"amounts without a currency (e.g. {value!r} on line {line}) are "
                f"read in the currency {currency_column!r} names on their row, "
                f"or in {REPORTING_CURRENCY} where it is blank; amounts with one "
                f"keep it: {signed}",
            )
        )
        return
    key = currency_question_key(column=column)
    answer = plan.answers.get(key)
    if answer is not None:
        outcome.decisions.append(
            (
                plan.preview.name,
                column,
                f"amounts without a currency (e.g. {value!r} on line {line}) are "
                f"read in {answer}, as answered; amounts with one keep it: {signed}",
            )
        )
        return
    if name == "annual_revenue_musd":
        return
    # Every currency Lode can convert is a possible answer, not only the
    # ones this column happens to show.
    rated = CurrencyRate.objects.values_list("currency", flat=True).distinct()
    options = sorted({*mix.currencies, REPORTING_CURRENCY, *rated})
    saved = plan.preview.saved_currencies.get(header_normalise(column))
    if saved is not None:
        plan.answers[key] = saved
        outcome.saved_answers.append(
            {
                "file": plan.preview.name,
                "column": key,
                "value": value,
                "answer": saved,
                "message": (
                    f"{column!r} has amounts without a currency (e.g. {value!r} "
                    f"on line {line}) beside amounts with one, {signed}: read "
                    f"in {saved}, the answer saved with the mapping for these "
                    "headers. Answer again to change it, or clear it to be asked"
                ),
                "options": options,
            }
        )
        return
    outcome.questions.append(
        (
            plan.preview.name,
            Question(
                column=key,
                kind="currency",
                message=(
                    f"{column!r} has amounts with a currency, {signed}, and "
                    f"amounts without one (e.g. {value!r} on line {line}), and "
                    "no currency column; which currency are the amounts without "
                    "one in?"
                ),
                options=options,
                examples=[(line, value)],
            ),
        )
    )


def _undecided(question: Question) -> bool:
    # accounts.parsing asks when no value decides, or when values prove both
    # readings; only the first can be settled by the column's other chunks.
    return question.message.startswith("No date in") or (
        "could be a thousands separator" in question.message
    )


def _writing_text(label: str, done: int) -> str:
    """Return the progress line: "Writing accounts: 1 row so far"."""
    if not done:
        return f"Writing {label}"
    return f"Writing {label}: {done:,} row{'' if done == 1 else 's'} so far"


def _rows_type(*, plan: FilePlan, table: Table, outcome: Outcome) -> FileRows:
    """Type one chunk of a file with the column answers already decided."""
    found = list(table.notes)
    rows = FileRows(
        file=plan.preview.name,
        entity=plan.entity,
        lines=table.lines,
        values={},
        kind=plan.preview.kind,
    )
    currency_columns = [
        column for column, (_, name) in plan.mapping.items() if name == "currency"
    ]
    currencies = table.frame[currency_columns[0]].tolist() if currency_columns else []
    for column, (_, name) in plan.mapping.items():
        parsed = _column_parse(
            name=name,
            values=table.frame[column].tolist(),
            lines=table.lines,
            file=plan.preview.name,
            column=column,
            answer=plan.answers.get(column),
            entity=plan.entity,
            typed=table.typed_lines(column),
        )
        if parsed.question is not None:
            outcome.questions.append((plan.preview.name, parsed.question))
        found.extend(
            _sheet_cells_check(
                table=table,
                file=plan.preview.name,
                column=column,
                name=name,
                parsed=parsed,
            )
        )
        bare = plan.answers.get(currency_question_key(column=column))
        if bare is not None and name in _MONEY:
            parsed.values = [
                Money(amount=value.amount, currency=bare)
                if isinstance(value, Money) and value.currency is None
                else value
                for value in parsed.values
            ]
        limits = _number_limits_check(
            entity=plan.entity,
            name=name,
            parsed=parsed.values,
            raw=table.frame[column].tolist(),
            lines=table.lines,
            file=plan.preview.name,
            column=column,
            currencies=currencies,
        )
        refused = {issue.line for issue in limits}
        # A number refused as too large was not read after all: say only why.
        found.extend(
            issue
            for issue in parsed.issues
            if not (issue.line in refused and issue.reason.startswith(SCIENTIFIC_NOTE))
        )
        found.extend(limits)
        found.extend(
            _range_check(
                name=name,
                parsed=parsed.values,
                raw=table.frame[column].tolist(),
                lines=table.lines,
                file=plan.preview.name,
                column=column,
            )
        )
        rows.values[name] = parsed.values
    if plan.extras:
        rows.values["custom_values"] = _custom_values(
            plan=plan, table=table, found=found
        )
    if plan.entity == ACCOUNT:
        found.extend(_misspellings_repair(plan=plan, rows=rows))
    if plan.preview.kind == HUBSPOT_COMPANIES and "sector" in rows.values:
        rows.values["sector"] = [
            industry_words(value) if isinstance(value, str) else value
            for value in rows.values["sector"]
        ]
    rows.rejected = {issue.line for issue in found if issue.action == REJECTED}
    outcome.issues.extend(found)
    return rows


UNSAVED_FORMULA = (
    "a formula with no saved value: open and save the file in a spreadsheet, "
    "or export values"
)


def _sheet_cells_check(
    *, table: Table, file: str, column: str, name: str, parsed: ParsedColumn
) -> list[Issue]:
    """Refuse the XLSX cells whose text alone would be read wrong.

    A formula saved without its value would read as its formula text, and
    an ID a spreadsheet shows in scientific notation has lost its digits.
    The parser's own words on such a cell are replaced.
    """
    if not table.unsaved_formulas and not table.shown_scientific:
        return []
    refused: list[Issue] = []
    for index, line in enumerate(table.lines):
        formula = table.unsaved_formulas.get((column, line))
        if formula is not None:
            reason = UNSAVED_FORMULA
            value = formula
        elif name in _IDS and (column, line) in table.shown_scientific:
            reason = ID_SCIENTIFIC
            value = str(table.frame[column].iloc[index])
        else:
            continue
        parsed.issues = [issue for issue in parsed.issues if issue.line != line]
        parsed.values[index] = None
        refused.append(Issue(file, line, column, value, reason, REJECTED))
    return refused


def _custom_values(
    *, plan: FilePlan, table: Table, found: list[Issue]
) -> list[dict[str, str] | None]:
    """Return each row's custom values by column; blank cells say nothing."""
    per_row: list[dict[str, str]] = [{} for _ in table.lines]
    for column in plan.extras:
        parsed = text_column_parse(
            values=table.frame[column].tolist(),
            lines=table.lines,
            file=plan.preview.name,
            column=column,
            max_length=CUSTOM_VALUE_MAX_LENGTH,
        )
        found.extend(
            _sheet_cells_check(
                table=table,
                file=plan.preview.name,
                column=column,
                name="",
                parsed=parsed,
            )
        )
        found.extend(parsed.issues)
        for values, value in zip(per_row, parsed.values, strict=True):
            if value:
                values[column] = value
    return [values or None for values in per_row]


def number_too_large(*, number: Decimal, digits: int, places: int) -> bool:
    """Say if `number` needs more than `digits` digits before the point.

    A value is compared as it would be stored, rounded to `places`.
    """
    largest = Decimal(10) ** digits - Decimal(5).scaleb(-(places + 1))
    return abs(number) >= largest


def _number_limit_reason(
    *, entity: str, name: str, number: Decimal, currency: str | None = None
) -> str | None:
    target = _NUMBER_FIELDS.get((entity, name))
    if target is None:
        return None
    model, field_name, shift = target
    if number < 0 and (name in _UNSIGNED_MONEY or entity == OPPORTUNITY):
        # The deal page and the API refuse a negative deal too: it would
        # lower the won revenue it is counted in.
        return "must not be negative"
    if number <= 0 and entity == RATE:
        return RATE_NOT_ABOVE_ZERO
    model_field = model._meta.get_field(field_name)
    exponent = number.normalize().as_tuple().exponent
    places_given = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if (entity, name) in _IN_CURRENCY:
        # Never rounded: 12.345 USD is a typo or a wrong currency, and
        # only the user knows which.
        problem = amount_places_problem(number, currency)
        if problem is not None:
            return problem
    if (entity, name) in _CENTS and places_given > 2:
        # Stored to the cent; rounding would change the amount unseen.
        return (
            f"{places_given} decimals: amounts are kept to 2 decimals; round "
            "the amount in the file"
        )
    if isinstance(model_field, models.DecimalField):
        digits = model_field.max_digits - model_field.decimal_places + shift
        places = max(model_field.decimal_places - shift, 0)
        if number_too_large(number=number, digits=digits, places=places):
            return too_large_message(whole_digits=digits)
        if significant_digits(number) > EXACT_DIGITS:
            # SQLite would keep a rounded figure, or one it cannot read back.
            return f"too many digits: at most {EXACT_DIGITS} significant digits"
        return None
    # The ranges PostgreSQL keeps, even on SQLite, which stores any 64 bits:
    # a file is refused or taken the same on both.
    low, high = BaseDatabaseOperations.integer_field_ranges[
        model_field.get_internal_type()
    ]
    if number > high:
        return f"too large: at most {high:,}"
    if number < low:
        return f"too small: at least {low:,}"
    return None


def _number_limits_check(
    *,
    entity: str,
    name: str,
    parsed: list[Any],
    raw: Sequence[str],
    lines: Sequence[int],
    file: str,
    column: str,
    currencies: Sequence[str] = (),
) -> list[Issue]:
    """Refuse each number too large for the field it is stored in.

    `currencies` are the rows' currency column, when the file has one: an
    amount naming no currency of its own is in its row's.
    """
    if (entity, name) not in _NUMBER_FIELDS:
        return []
    found: list[Issue] = []
    for index, value in enumerate(parsed):
        number = value.amount if isinstance(value, Money) else value
        if not isinstance(number, Decimal | int):
            continue
        currency = value.currency if isinstance(value, Money) else None
        if currency is None and index < len(currencies):
            currency = currency_code_normal(str(currencies[index] or ""))
        reason = _number_limit_reason(
            entity=entity, name=name, number=Decimal(number), currency=currency
        )
        if reason is None:
            continue
        parsed[index] = None
        found.append(Issue(file, lines[index], column, raw[index], reason, REJECTED))
    return found


NPS_MIN, NPS_MAX = -100, 100
# The scales a CSAT column can use; a header may name its own
# ("CSAT (1-5)", "CSAT %"), else the most of its values decide.
_CSAT_SCALES = {"1–5": (Decimal(1), Decimal(5)), "0–100": (Decimal(0), Decimal(100))}


def _csat_scale(
    *, column: str, numbers: Sequence[Decimal], percent: bool = False
) -> str:
    if percent:
        # A cell written "92%" puts the whole column on the per cent scale.
        return "0–100"
    header = column.lower().replace(" ", "")
    if any(mark in header for mark in ("1-5", "1–5", "1to5", "outof5", "/5")):
        return "1–5"
    if any(mark in header for mark in ("%", "percent", "0-100", "0–100", "/100")):
        return "0–100"
    small = sum(1 for number in numbers if Decimal(1) <= number <= Decimal(5))
    return "1–5" if small * 2 > len(numbers) else "0–100"


def _range_check(
    *,
    name: str,
    parsed: list[Any],
    raw: Sequence[str],
    lines: Sequence[int],
    file: str,
    column: str,
) -> list[Issue]:
    """Refuse dates outside config.bounds, NPS beyond ±100, CSAT off its scale."""
    reasons: dict[int, str] = {}
    if name in _DATES:
        for index, value in enumerate(parsed):
            problem = date_problem(value)
            if problem is not None:
                reasons[index] = f"{value:%Y-%m-%d} is implausible. {problem}"
    elif name == "nps":
        for index, value in enumerate(parsed):
            if isinstance(value, int | Decimal) and not NPS_MIN <= value <= NPS_MAX:
                reasons[index] = (
                    f"NPS {value} is outside {NPS_MIN} to {NPS_MAX}; "
                    "a net promoter score cannot go beyond them"
                )
    elif name == "satisfaction":
        numbers = [Decimal(v) for v in parsed if isinstance(v, int | Decimal)]
        given_percent = any(text.strip().endswith("%") for text in raw)
        if numbers:
            scale = _csat_scale(column=column, numbers=numbers, percent=given_percent)
            low, high = _CSAT_SCALES[scale]
            for index, value in enumerate(parsed):
                if not isinstance(value, int | Decimal) or low <= value <= high:
                    continue
                if raw[index].strip().endswith("%"):
                    reasons[index] = (
                        f"CSAT {value:f}% is outside 0% to 100%; a satisfaction "
                        "percentage cannot go beyond them"
                    )
                else:
                    reasons[index] = (
                        f"CSAT {value} is outside this column's {scale} scale; "
                        "one column cannot mix scales"
                    )
    found: list[Issue] = []
    for index, reason in reasons.items():
        parsed[index] = None
        found.append(Issue(file, lines[index], column, raw[index], reason, REJECTED))
    return found


# The column a merged row's value came from, for the fields it can disagree on.
MERGED_COLUMNS = {
    "employees": "employees",
    "year_established": "year_established",
    "annual_revenue": "annual_revenue",
}


def _merged_value(field: str, value: object) -> str:
    return str(_json_value(value))


# Account names read from the database in one fetch when they are staged.
ACCOUNT_READ_BATCH = 5_000


def _accounts_read(by_pk: dict[int, Account], pks: Collection[int]) -> None:
    """Read the accounts of these pks that `by_pk` lacks into it."""
    wanted = sorted(pk for pk in pks if pk not in by_pk)
    for batch in lookup_batches(wanted):
        by_pk.update((a.pk, a) for a in Account.objects.filter(pk__in=batch))


def _ancestors_read(by_pk: dict[int, Account]) -> None:
    """Read every stored parent above the accounts in `by_pk` into it."""
    tried: set[int] = set()
    while True:
        parents = {
            account.parent_id
            for account in by_pk.values()
            if account.parent_id is not None and account.parent_id not in by_pk
        } - tried
        if not parents:
            return
        tried |= parents
        _accounts_read(by_pk, parents)


def _where(earlier: tuple[str, int, str], file: str) -> str:
    return f"line {earlier[1]}" + (f" of {earlier[0]}" if earlier[0] != file else "")


# How many lines a warning names before it counts the rest.
LINES_NAMED = 10


def _lines(numbers: Sequence[int]) -> str:
    return ", ".join(str(number) for number in numbers)


def _misspellings_repair(*, plan: FilePlan, rows: FileRows) -> list[Issue]:
    """Repair the misspelt sectors and countries the bundled importer repairs.

    The tables are accounts.importing's, so both importers store the same
    names; every repair is reported.
    """
    found: list[Issue] = []
    for name, repairs, what in (
        ("sector", SECTOR_REPAIRS, "sector"),
        ("country", COUNTRY_REPAIRS, "country"),
    ):
        values = rows.values.get(name)
        if values is None:
            continue
        column = next(
            (column for column, (_, target) in plan.mapping.items() if target == name),
            name,
        )
        known = {key.casefold(): fixed for key, fixed in repairs.items()}
        for index, value in enumerate(values):
            if not isinstance(value, str):
                continue
            fixed = known.get(value.casefold())
            if fixed is None:
                continue
            values[index] = fixed
            found.append(
                Issue(
                    plan.preview.name,
                    rows.lines[index],
                    column,
                    value,
                    f"misspelt {what}, read as {fixed!r}",
                    REPAIRED,
                )
            )
    return found


# Check and run


class _DryRun(Exception):
    pass


def mapped_import_check(*, mapped: MappedImport) -> Outcome:
    """Run the import in a transaction that is rolled back; report it all."""
    outcome = Outcome()
    try:
        with transaction.atomic():
            checks = import_checks_start()
            waiting = revenue_waiting_start()
            rateless = revenue_rateless_start()
            _execute(mapped=mapped, job=mapped.job, outcome=outcome, report=None)
            if outcome.can_write:
                outcome.waiting = waiting()
                outcome.quarters_without_rate = rateless()
                for warning in (w for check in checks for w in check()):
                    outcome.warnings.append(warning.text)
                    if warning.window is not None:
                        outcome.window_warning = warning
                    elif warning.confirm:
                        outcome.confirmations.append(warning.text)
            raise _DryRun
    except _DryRun:
        pass
    except ImportFileError as error:
        outcome.problems.append(str(error))
    return outcome


def mapped_import_start(
    *,
    mapped: MappedImport,
    merges: Mapping[str, str],
    keep_good_rows: bool,
    invoices_without_rate: str = InvoicesWithoutRate.KEEP_DEALS,
    window: str = ImportJob.Window.KEEP,
    window_move: WindowMove | None = None,
    enqueue: bool = True,
) -> ImportJob:
    """Record the user's go-ahead and queue the import in the background.

    `invoices_without_rate` says whether invoices no stored rate converts
    replace the won deals counted in their quarters (InvoicesWithoutRate).
    `window_move` is where the check found the import would move the
    scoring window, and `window` whether the user keeps it or moves it
    (ImportJob.Window); both are kept on the job for scoring to act on.
    With `enqueue=False` the caller runs it (the command line does, in
    process, with `mapped_import_run`).
    """
    job = mapped.job
    if mapped.confirmed_at is not None:
        raise ImportStartedError("This import has already been started.")
    if not mapped.mapping:
        raise WizardError("Confirm the mapping first.")
    if invoices_without_rate not in InvoicesWithoutRate.values:
        raise WizardError(invoices_without_rate_problem(invoices_without_rate))
    if window not in ImportJob.Window.values:
        raise WizardError(f"window must be keep or move, not {str(window)[:100]!r}.")

    new_merges = mapped_import_merges_new(merges=merges)
    now = timezone.now()
    with transaction.atomic():
        # Two clicks, or two clients, may both have read the import as not
        # started. Only one of these conditional updates finds confirmed_at
        # still empty, on SQLite as on PostgreSQL; the others queue nothing.
        claimed = MappedImport.objects.filter(
            pk=mapped.pk, confirmed_at__isnull=True
        ).update(merges=new_merges, confirmed_at=now, updated_at=now)
        if claimed != 1:
            raise ImportStartedError("This import has already been started.")
        mapped.merges, mapped.confirmed_at, mapped.updated_at = new_merges, now, now

        job.keep_good_rows = keep_good_rows
        job.invoices_without_rate = invoices_without_rate
        job.window = window if window_move is not None else ""
        job.window_before = window_move.before if window_move else None
        job.window_after = window_move.after if window_move else None
        job.status = ImportJob.Status.PENDING
        job.progress_message = "Queued"
        import_job_origin_keep(job=job)
        job.save(
            update_fields=[
                "keep_good_rows",
                "invoices_without_rate",
                "window",
                "window_before",
                "window_after",
                "status",
                "progress_message",
                "started_ip_address",
                "started_user_agent",
                "updated_at",
            ]
        )
        if enqueue:
            from accounts.tasks import mapped_import_task

            transaction.on_commit(lambda: mapped_import_task.delay(job.pk))
    return job


def mapped_import_has_invoices(*, mapped: MappedImport) -> bool:
    """Return whether the confirmed mapping reads any invoice lines."""
    return any(
        target and target[0] == REVENUE
        for columns in mapped.mapping.values()
        for target in columns.values()
    )


def invoices_without_rate_problem(value: object) -> str:
    """Say why a value is no answer to invoices_without_rate."""
    return (
        f"invoices_without_rate must be {' or '.join(InvoicesWithoutRate.values)}"
        f", not {str(value)[:100]!r}."
    )


def mapped_import_merges_unknown(
    *, mapped: MappedImport, merges: Mapping[str, str]
) -> list[str]:
    """Name the merges that match no duplicate the check proposes.

    A large upload is not checked here (that would take minutes); there a
    merge must at least name an existing account.
    """
    merges = mapped_import_merges_new(merges=merges)
    if not merges:
        return []
    if mapped_import_is_large(mapped=mapped):
        names = set(
            Account.objects.filter(name__in=list(merges.values())).values_list(
                "name", flat=True
            )
        )
        return [
            f"{incoming!r} is {existing!r}: no account is called {existing!r}"
            for incoming, existing in merges.items()
            if existing not in names
        ]

    proposed = {
        (proposal["incoming"], proposal["existing"])
        for proposal in mapped_import_check(mapped=mapped).proposals
    }
    return [
        f"{incoming!r} is {existing!r}: the check proposes no such duplicate"
        for incoming, existing in merges.items()
        if (incoming, existing) not in proposed
    ]


def mapped_import_merges_kept(*, merges: Mapping[str, str]) -> dict[str, str]:
    """Return the merges an earlier import already keeps as aliases.

    Such a name already finds its account, so the check proposes nothing
    for it; a nightly command that names the merge again is not refused.
    """
    kept = dict(
        AccountAlias.objects.filter(name__in=list(merges)).values_list(
            "name", "account__name"
        )
    )
    return {
        incoming: existing
        for incoming, existing in merges.items()
        if kept.get(incoming) == existing
    }


def mapped_import_merges_new(*, merges: Mapping[str, str]) -> dict[str, str]:
    """Return the merges that no earlier import keeps as aliases yet."""
    kept = mapped_import_merges_kept(merges=merges) if merges else {}
    return {name: to for name, to in merges.items() if name not in kept}


def mapped_import_merges_read(*, values: Iterable[str]) -> dict[str, str]:
    """Read the duplicates ticked on the check page, each a JSON pair."""
    merges: dict[str, str] = {}
    for value in values:
        if not value:
            continue
        try:
            pair = json.loads(value)
        except ValueError:
            pair = None
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(name, str) and name for name in pair)
        ):
            raise WizardError(
                f"A ticked duplicate could not be read: {value[:200]!r} is not "
                'a pair of names like ["incoming name", "existing account"]. '
                "Tick the duplicates on this page again."
            )
        merges[pair[0]] = pair[1]
    return merges


def mapped_import_merges_set(
    *, mapped: MappedImport, merges: Mapping[str, str]
) -> None:
    """Keep the duplicates the user ticked, so the next check counts them."""
    if mapped.confirmed_at is not None:
        raise WizardError("This import has already been started.")

    mapped.merges = mapped_import_merges_new(merges=merges)
    mapped.save(update_fields=["merges", "updated_at"])


def mapped_import_questions(*, job: ImportJob) -> list[dict[str, Any]]:
    """Return the column questions that stopped a rejected run."""
    return [
        {**issue, "options": str(issue["value"]).split("|")}
        for issue in job.issues
        if issue["action"] == QUESTION
    ]


def mapped_import_reopen(*, mapped: MappedImport) -> None:
    """Let a rejected, failed or stalled import be checked and started again."""
    job = mapped.job
    import_job_stall_fail(job=job)
    if job.status not in (ImportJob.Status.REJECTED, ImportJob.Status.FAILED):
        raise WizardError(
            "Only a rejected, failed or stalled import can be started again."
        )
    if job.uploads_removed_at is not None:
        raise WizardError(job.uploads_removed_said)

    mapped.confirmed_at = None
    mapped.save(update_fields=["confirmed_at", "updated_at"])
    job.status = ImportJob.Status.PENDING
    job.progress = 0
    job.progress_message = "Waiting for the go-ahead"
    job.counts, job.issues, job.error, job.finished_at = {}, [], "", None
    job.save()
    # The last run's progress stays cached for an hour, and an unfinished
    # job is read from the cache: without this, the reopened import would
    # still say "100%: Rejected".
    from accounts.services import import_progress_cache_key

    cache.delete(import_progress_cache_key(job.pk))


def mapped_import_run(
    *, mapped: MappedImport, progress: Progress | None = None
) -> ImportJob:
    """Write one confirmed import, all of it or (if asked) its good rows."""
    with import_job_liveness(job_id=mapped.job_id):
        return _mapped_import_run(mapped=mapped, progress=progress)


def _mapped_import_run(*, mapped: MappedImport, progress: Progress | None) -> ImportJob:
    job = mapped.job
    started = time.monotonic()
    report = _reporter(job, progress)
    job.status = ImportJob.Status.RUNNING
    job.error = ""
    report(2, "Reading the files")
    job.save()

    outcome = Outcome()
    rows_path = row_report_path(job=job)
    rows_path.parent.mkdir(parents=True, exist_ok=True)
    rows_file = rows_path.open("w", newline="", encoding="utf-8")
    rows_csv = csv.writer(rows_file)
    order = RowReportOrder()

    def row_log(
        file: str, line: int, result: str, obj: str, reason: str, key: str = ""
    ) -> None:
        # Names and reasons quote uploaded cells, which may be formulas.
        file = cell_neutralise(file)
        order.note(file=file, line=line)
        rows_csv.writerow([file, line, result, cell_neutralise(obj), reason, key])

    try:
        with transaction.atomic():
            replaced = revenue_replaced_start()
            _execute(
                mapped=mapped,
                job=job,
                outcome=outcome,
                report=report,
                row_log=row_log,
            )
            blocked = outcome.problems or outcome.questions
            if blocked or (outcome.rejected_rows and not job.keep_good_rows):
                raise _DryRun
            _rejected_rows_log(outcome, row_log)
            # The won deals the invoices replaced, as the check said, on no
            # line of any file.
            for text in replaced():
                row_log(WHOLE_IMPORT, 0, REVENUE_REPLACED, "", text)
            rows_file.close()
            if not order.sorted:
                row_report_sort(path=rows_path)
            # As the bundled import does: pages are planned on these counts.
            report(98, "Refreshing the database's statistics")
            tables_written_analyze()
            job.counts = outcome.counts
            job.issues = [issue.as_dict() for issue in outcome.issues]
            import_job_still_running(job=job)
            _finish(job, ImportJob.Status.SUCCEEDED, report, "Done")
            if any(c["created"] or c["updated"] for c in outcome.counts.values()):
                # The import is written once this commits: a receiver that
                # fails after it (a score run) must not call it failed.
                transaction.on_commit(
                    lambda: import_finished.send(sender=ImportJob, job=job),
                    robust=True,
                )
    except _DryRun:
        job.counts = {
            name: {**counts, "created": 0, "updated": 0, "unchanged": 0}
            for name, counts in outcome.counts.items()
        }
        job.issues = (
            [issue.as_dict() for issue in outcome.issues]
            + [
                Issue("", 0, "", "", problem, REJECTED).as_dict()
                for problem in outcome.problems
            ]
            + [
                # The options travel in the value, so the report can ask.
                Issue(
                    file,
                    0,
                    question.column,
                    "|".join(question.options),
                    question.message,
                    QUESTION,
                ).as_dict()
                for file, question in outcome.questions
            ]
        )
        _finish(job, ImportJob.Status.REJECTED, report, "Rejected: nothing was written")
    except ImportFileError as error:
        job.issues = [Issue(error.file, 1, "", "", error.message, REJECTED).as_dict()]
        _finish(job, ImportJob.Status.REJECTED, report, "Rejected: nothing was written")
    except WrittenMeanwhile as conflict:
        logger.warning("mapped import %s met %s", job.pk, conflict.__cause__)
        job.counts = {}
        job.issues = [
            issue.as_dict() for issue in conflict_issues(conflict=conflict, job=job)
        ]
        _finish(
            job,
            ImportJob.Status.REJECTED,
            report,
            "Rejected: another import created some of these "
            f"{conflict.model._meta.verbose_name_plural} meanwhile; check it again",
        )
    except ImportJobSwept as swept:
        logger.warning("mapped import %s was swept while it ran", job.pk)
        job.counts, job.issues, job.error = {}, [], str(swept)
        _finish(job, ImportJob.Status.FAILED, report, "Failed: taken for stalled")
    except Exception as error:
        logger.exception("mapped import %s failed", job.pk)
        job.error = (
            # The database's own words name tables and constraints.
            f"the database refused a write (logged with import {job.pk})"
            if isinstance(error, DatabaseError)
            else f"{type(error).__name__}: {error}"
        )
        _finish(job, ImportJob.Status.FAILED, report, "Failed")
    finally:
        rows_file.close()
        if job.status != ImportJob.Status.SUCCEEDED:
            # Nothing was written: the issues are the whole report.
            rows_path.unlink(missing_ok=True)
        logger.info(
            "mapped import %s %s in %.2fs",
            job.pk,
            job.status,
            time.monotonic() - started,
        )
    return job


# `object` names a record as the check page does; `key` is the record's
# stable id for a program to match on, as the check API gives it.
ROW_REPORT_HEADER = ["file", "line", "outcome", "object", "reason", "key"]


class RowLog(Protocol):
    """Log one row's outcome, and the record it came to, in the row report."""

    def __call__(
        self,
        file: str,
        line: int,
        result: str,
        obj: str,
        reason: str,
        key: str = "",
    ) -> None: ...


def row_report_path(*, job: ImportJob) -> Path:
    """Return where a run logs every row's outcome, beside its uploads.

    In a folder of its own: no uploaded file can take its name.
    """
    directory = job.source_directory or str(
        Path(settings.MEDIA_ROOT) / "imports" / str(job.pk)
    )
    return Path(directory) / "report" / "rows.csv"


def _rejected_rows_log(outcome: Outcome, row_log: RowLog) -> None:
    reasons: dict[tuple[str, int], list[str]] = defaultdict(list)
    for issue in outcome.issues:
        if issue.action == REJECTED and issue.line:
            column = f"{issue.column}: " if issue.column else ""
            reasons[(issue.file, issue.line)].append(column + issue.reason)
    for (file, line), said in sorted(reasons.items()):
        row_log(file, line, "rejected", "", "; ".join(said))


def _reporter(job: ImportJob, progress: Progress | None) -> Progress:
    from accounts.services import import_progress_cache_key

    # The write runs in one transaction; the cache carries progress meanwhile.
    def report(percent: int, message: str) -> None:
        job.progress = percent
        job.progress_message = message[:200]
        cache.set(import_progress_cache_key(job.pk), (percent, message), 3600)
        if progress is not None:
            progress(percent, message)

    return report


def _finish(job: ImportJob, status: str, report: Progress, message: str) -> None:
    job.status = status
    job.finished_at = timezone.now()
    report(100, message)
    job.save()


WRITE_ORDER = (
    # Users first, so the owners of accounts and deals in the same upload
    # find them; a teams file after them, so its managers do.
    (USER, 8, "users"),
    (SALES_TEAM, 12, "teams"),
    (RATE, 15, "currency rates"),
    (PRODUCT, 20, "products"),
    (ACCOUNT, 30, "accounts"),
    # People after the accounts they sit on, from the same upload too.
    (PERSON, 40, "people"),
    (OPPORTUNITY, 50, "deals"),
    (REVENUE, 70, "revenue lines"),
    (SUPPORT, 85, "support signals"),
)


def _execute(
    *,
    mapped: MappedImport,
    job: ImportJob,
    outcome: Outcome,
    report: Progress | None,
    row_log: RowLog | None = None,
) -> None:
    def step(percent: int, message: str) -> None:
        if report is not None:
            report(percent, message)

    plans: list[FilePlan] = []
    # Reading past the head would hold a second chunk beside it, and a plan
    # needs to know only whether a file has rows.
    for preview in mapped_import_files_read(mapped=mapped, head_only=True):
        plan = _plan(
            preview=preview,
            answers=mapped.answers.get(preview.name, {}),
            outcome=outcome,
        )
        # The run reads every row again in chunks: the head read for the
        # preview (up to PREVIEW_READ_ROWS rows) would otherwise be held
        # until the last file is written.
        preview.table = preview.table.rows_drop()
        if plan is not None:
            plans.append(plan)
    if outcome.problems:
        return
    step(5, "Deciding date orders and decimal separators")
    for plan in plans:
        _decide(plan=plan, outcome=outcome)
    if outcome.questions:
        return

    saved = dict(
        SavedMapping.objects.filter(
            signature__in=[plan.preview.signature for plan in plans]
        ).values_list("signature", "stage_answers")
    )
    writer = _Writer(
        job=job,
        outcome=outcome,
        merges=mapped.merges,
        answers=mapped.answers,
        saved_stages={
            plan.preview.name: saved.get(plan.preview.signature) or {} for plan in plans
        },
    )
    writer.row_log = row_log
    write: dict[str, Callable[[list[FileRows]], None]] = {
        RATE: writer.rates,
        PRODUCT: writer.products,
        ACCOUNT: writer.accounts,
        OPPORTUNITY: writer.opportunities,
        REVENUE: writer.revenue,
        SUPPORT: writer.support,
        USER: writer.user_file,
        SALES_TEAM: writer.team_file,
    }
    for entity in {plan.entity for plan in plans} - set(write):
        write[entity] = writer.registered(entity).write
    for plan in plans:
        writer.columns.update(
            {
                (plan.preview.name, name): column
                for column, (_, name) in plan.mapping.items()
            }
        )
    for entity, percent, label in WRITE_ORDER:
        done = 0
        for plan in (plan for plan in plans if plan.entity == entity):
            for table in table_chunks(
                path=plan.preview.path,
                file=plan.preview.name,
                sheet=plan.preview.sheet,
                header_line=plan.preview.header_line,
                delimiter=plan.preview.delimiter,
            ):
                step(percent, _writing_text(label, done))
                rows = _rows_type(plan=plan, table=table, outcome=outcome)
                write[entity]([rows])
                done += len(table.lines)
        writer.flush(entity)
    outcome.issues.sort(key=lambda issue: (issue.file, issue.line))


def mapped_import_size(*, mapped: MappedImport) -> int:
    """Return the bytes of all the upload's files together, unpacked."""
    return sum(_unpacked_size(stored) for stored in mapped.files)


def _unpacked_size(stored: Mapping[str, Any]) -> int:
    # A workbook is a zip: its rows take several times the bytes it is
    # stored in, and the check reads every one of them.
    path = Path(stored["path"])
    if path.suffix.lower() in (".xlsx", ".xlsm") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as workbook:
            return sum(part.file_size for part in workbook.infolist())
    return int(stored.get("size", 0))


def mapped_import_is_large(*, mapped: MappedImport) -> bool:
    """Return True when the check before writing would take too long inline."""
    return mapped_import_size(mapped=mapped) > INLINE_CHECK_MAX_BYTES


# Writing, with every change recorded for undo


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _same(one: object, two: object) -> bool:
    if isinstance(one, Decimal) or isinstance(two, Decimal):
        if one is None or two is None:
            return one is two
        return Decimal(str(one)) == Decimal(str(two))
    return one == two


UPDATE_BATCH = 2000


def objects_update(
    *, model: type[models.Model], objects: Sequence[models.Model], fields: list[str]
) -> None:
    """Write these fields of these objects back, in as few statements as can be.

    Django's bulk_update builds a CASE expression per object and field,
    which costs seconds per ten thousand rows in Python alone; on PostgreSQL
    one UPDATE ... FROM (VALUES ...) per batch does the same work in the
    database. A model with `updated_at` gets it moved to now with them, as
    `save()` would: it is the ETag an open form or API client holds.
    """
    if not objects:
        return
    account_versions_touch_for_rows(
        model=model, pks=[obj.pk for obj in objects], fields=fields
    )
    if model is Account:
        # An import's rename, or its undo's, writes the name's key with it.
        fields = account_name_keys_fill(
            accounts=cast(Sequence[Account], objects), fields=fields
        )
    if "updated_at" not in fields and any(
        field.name == "updated_at" for field in model._meta.concrete_fields
    ):
        now = timezone.now()
        for obj in objects:
            obj.updated_at = now  # type: ignore[attr-defined]
        fields = [*fields, "updated_at"]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objects, fields, batch_size=500)
        return

    meta = model._meta
    columns = [cast(models.Field, meta.get_field(name)) for name in fields]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk = quote(str(meta.pk.column))  # type: ignore[union-attr]
    names = [quote(str(column.column)) for column in columns]
    casts = [column.db_type(connection) for column in columns]
    assignments = ", ".join(
        f"{name} = v.c{index}::{cast_to}"
        for index, (name, cast_to) in enumerate(zip(names, casts, strict=True))
    )
    value_names = ", ".join(f"c{index}" for index in range(len(names)))
    row = "(" + ", ".join(["%s"] * (len(names) + 1)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(objects), UPDATE_BATCH):
            batch = objects[start : start + UPDATE_BATCH]
            params: list[Any] = []
            for obj in batch:
                params.append(obj.pk)
                for column in columns:
                    value = getattr(obj, column.attname)
                    params.append(column.get_db_prep_save(value, connection))
            cursor.execute(
                f"UPDATE {table} SET {assignments} "
                f"FROM (VALUES {', '.join([row] * len(batch))}) "
                f"AS v(id, {value_names}) WHERE {table}.{pk} = v.id::bigint",
                params,
            )


def quarter_text(day: date) -> str:
    """Name the quarter a day falls in as people write it: Q3 2017."""
    return f"Q{(day.month - 1) // 3 + 1} {day.year}"


def record_label(
    obj: models.Model,
    *,
    account_name: Callable[[int], str],
    product_name: Callable[[int], str],
) -> str:
    """Name a record as a person knows it, not by its keys.

    The check, the row report and the undo page all say this; the callables
    name an account or product by id, from what the caller has at hand.
    """
    if isinstance(obj, RevenueLine):
        label = (
            f"revenue line {account_name(obj.account_id)} / "
            f"{product_name(obj.product_id)} / "
            f"{quarter_text(obj.quarter_start)}"
        )
        kind, _, rest = obj.import_key.partition(":")
        if kind == "invoice":
            label += f" (invoice {rest.rpartition(':')[0]})"
        elif kind == "won":
            label += " (won deals)"
        elif obj.booked_on:
            label += f" (booked {obj.booked_on.isoformat()})"
        return label
    if isinstance(obj, Opportunity) and obj.account_id:
        # A report export's deal has no ID of its own: its name says more
        # than the one Lode derived for it.
        derived = obj.external_id.startswith(DERIVED_ID_PREFIX) and obj.name
        label = f'"{obj.name}"' if derived else obj.external_id
        return f"deal {label} of {account_name(obj.account_id)}"
    if isinstance(obj, SupportSignal):
        return (
            f"support signal {account_name(obj.account_id)} / {obj.period_start:%B %Y}"
        )
    if isinstance(obj, CurrencyRate):
        return f"currency rate {obj.currency} / {obj.rate_date.isoformat()}"
    return _object_label(obj)


def record_key(obj: models.Model) -> str:
    """Return a record's stable key, as the check and the row report give it."""
    return f"{obj._meta.label_lower}:{obj.pk}"


def _object_label(obj: models.Model) -> str:
    """Name a written object for the row report, without another query."""
    kind = str(obj._meta.verbose_name)
    for attribute in ("name", "email", "external_id", "import_key"):
        value = getattr(obj, attribute, None)
        if value:
            return f"{kind} {value}"
    return f"{kind} #{obj.pk}"


def _shown(value: object) -> str:
    """Write a stored or incoming value as the check page shows it."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _field_changes(
    *, model: type[models.Model], obj: models.Model, differing: Mapping[str, Any]
) -> list[dict[str, str]]:
    """Name each field this update changes, with its old and new value."""
    changes = []
    for name, value in differing.items():
        old = getattr(obj, name)
        if isinstance(old, dict) and isinstance(value, dict):
            changes += [
                {"field": key, "old": _shown(old.get(key)), "new": _shown(new)}
                for key, new in value.items()
                if not _same(old.get(key), new)
            ]
            continue
        column = cast(models.Field, model._meta.get_field(name))
        if column.is_relation and column.related_model is not None:
            # A link shows the record it names, not its key.
            related = cast(type[models.Model], column.related_model)
            names = {
                obj.pk: _object_label(obj)
                for obj in related._default_manager.filter(pk__in=[old, value])
            }
            old, value = names.get(old, old), names.get(value, value)
        changes.append(
            {
                "field": str(column.verbose_name),
                "old": _shown(old),
                "new": _shown(value),
            }
        )
    return changes


class Source(NamedTuple):
    """A row behind a write, and the derived record it led to, if any."""

    file: str
    line: int
    label: str
    reason: str


# How a merged row's note begins.
MERGED_INTO = "merged into"


@dataclass
class _Join:
    """A merged row's values joined to those an earlier row of it gave."""

    file: str
    line: int
    row: Mapping[str, Any]
    values: Mapping[str, Any]
    # The row that gave the account's values first, as _merged_note names it.
    earlier: tuple[str, int, str]
    # A row of a new account: its ID, which the account takes if it has none.
    external_id: str = ""
    # A row of a stored account: the ID it keeps as the account's other ID.
    kept_id: str = ""
    noted: bool = True
    # Whether the row's custom values join the account's or replace them.
    custom_values_joined: bool = False


@dataclass
class _Joined:
    """An account's values that merged rows joined, and the rows that did."""

    into: dict[str, Any]
    # Its values before the first join: those of the row that gave them.
    before: dict[str, Any]
    # That row, as (file, line, account name).
    first: tuple[str, int, str]
    # Whether that row creates the account, or updates a stored one.
    created: bool
    joins: list[_Join] = field(default_factory=list)


# How many more deal rows a won-revenue line's report line names.
WON_ROWS_SHOWN = 5


def _converted_note(rate_row: tuple[str, int]) -> str:
    """Say why an unchanged account row is counted as updated, and where."""
    file, line = rate_row
    return (
        f"counted as updated at {file} line {line}, whose rate converted "
        "its annual revenue"
    )


def _empty_counts() -> dict[str, int]:
    return {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}


class _Writer:
    """Applies typed rows to the database and records what it changed."""

    def __init__(
        self,
        *,
        job: ImportJob,
        outcome: Outcome,
        merges: Mapping[str, str],
        answers: Mapping[str, Mapping[str, str]] | None = None,
        saved_stages: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.job = job
        self.outcome = outcome
        self.merges = dict(merges)
        # The names the ticked merges join rows into.
        self.merged_into = set(self.merges.values())
        self.answers = answers or {}
        # By file: the stage answers saved with the mapping of its headers.
        self.saved_stages = saved_stages or {}
        self.saved_applied: set[tuple[str, str]] = set()
        # The unknown role values already asked about, by file.
        self.roles_asked: set[tuple[str, str]] = set()
        self.stages_asked: set[tuple[str, str]] = set()
        self.rates_cache: dict[str, tuple[Decimal, date] | None] = {}
        # Where each currency's first rate was read: the revenues kept
        # without a rate that it converts are reported on that row.
        self.rate_rows: dict[str, tuple[str, int]] = {}
        self.users: dict[str, int] | None = None
        self.user_external_ids: dict[str, int] = {}
        self.users_by_email: dict[str, User] = {}
        # Users and teams files are read whole, then written at their flush.
        self.user_rows: list[tuple[str, int, dict[str, Any]]] = []
        self.team_rows: list[tuple[str, int, dict[str, Any]]] = []
        # What became of each team this import wrote, by pk: counted once.
        self.team_outcomes: dict[int, str] = {}
        # The rows behind each create or update, by the id of its values
        # (held, so the id is not reused): file, line, and for a record
        # derived from the row (a deal's revenue line, an owner's team
        # membership) its label and how it came from the row. Where the run
        # logs each row's outcome for the full row report; None on the check.
        self.sources: dict[int, tuple[dict[str, Any], list[Source]]] = {}
        self.row_log: RowLog | None = None
        # (file, field) -> the source column, for the row report.
        self.columns: dict[tuple[str, str], str] = {}
        self.unknown_deal_owners: dict[str, tuple[str, int, int]] = {}
        # How many lines of each product each opportunity had so far, by file.
        self.line_places: dict[tuple[str, str, str], int] = defaultdict(int)
        # Revenue is summed over every chunk of a file, then written once.
        self.won: dict[tuple[int, int, date], set[str]] = defaultdict(set)
        # Where each quarter's won deals were read, for the report.
        self.won_rows: dict[tuple[int, int, date], list[tuple[str, int]]] = defaultdict(
            list
        )
        self.account_names: dict[int, str] = {}
        self.product_names: dict[int, str] = {}
        # The stored quarter sums the row report already named.
        self.quarter_sums_noted: set[str] = set()
        # Where each record's key was first read in this import, over all
        # chunks and files: a later row with the same key is refused.
        self.first_read: dict[tuple[str, object], tuple[str, int]] = {}
        # Where each account ID and name was first read in this import, with
        # the name or ID beside it: one ID is one account, one name one ID.
        # Those of the chunk being written; the run's are staged
        # (`_reads_load`, `_reads_save`), a file may hold millions.
        self.account_ids_read: dict[str, tuple[str, int, str]] = {}
        self.account_names_read: dict[str, tuple[str, int, str]] = {}
        # Writers of other apps' records (accounts.import_writers), by entity.
        self.others: dict[str, EntityWrite] = {}
        # The changes this import made to records it did not create: only
        # those are changes to show. Which records it created is not kept
        # here, a file may create millions: the job's row changes say so
        # (`_created_by_job`). Of the records being updated now, those this
        # import created:
        self.created_now: set[int] = set()
        self.changed: dict[tuple[int, object], dict[str, Any]] = {}
        # The outcome's proposals, by incoming name.
        self.proposed_for: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.finder: AccountFinder | None = None
        # The rows refused so far, by file and line: only these, so it grows
        # with the problems found, not with the file.
        self.rejected_at: set[tuple[str, int]] = set()
        # The account names an accounts file's rows are proposed against,
        # staged at its first chunk, dropped once the accounts are written.
        self.account_index: StagedNameIndex | None = None
        # The rows of accounts a merge joins (a ticked one, or one kept as
        # an alias before), by file: a file's chunks may split them, so they
        # are written together once the last chunk is read. They grow with
        # the merged accounts' rows, not with the file.
        self.merge_held: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        # The names and IDs of the accounts held, and the parent links of
        # other rows that name one, to make once it is written.
        self.merge_held_names: set[str] = set()
        self.merge_held_ids: set[str] = set()
        self.merge_held_links: list[tuple[str, int, dict[str, Any], str]] = []
        self.merge_held_unchanged: set[int] = set()
        # The accounts whose kept annual revenue this import's rates
        # converted, counted as updated then, with the rate's row: their
        # own rows, written after the rates, count them no more.
        self.converted_accounts: dict[int, tuple[str, int]] = {}
        # The annual revenues converted, said one by one per file and
        # column up to CONVERSIONS_SHOWN, then summed: how many, and per
        # currency the amounts given and what they came to.
        self.conversions_said: Counter[tuple[str, str]] = Counter()
        self.conversions_rest: dict[
            tuple[str, str], dict[str, tuple[int, Decimal, Rate]]
        ] = defaultdict(dict)
        # The names accounts had before a rename, read at first need.
        self._former_names: FormerNames | None = None
        # The held rows' own parent links, by the account each joins: the
        # family check sees them in file order, before they are written.
        self.merge_held_families: list[tuple[str, int, dict[str, Any], str]] = []
        # Each accounts file's place in the upload, for that file order.
        self.account_files: dict[str, int] = {}
        # The stored rates won deals convert at, read at the first deal
        # (after the upload's own rates are written), and the won deals
        # none of them converts, by file and currency: line and close date.
        self.deal_rates: RateTable | None = None
        self.won_rateless: dict[tuple[str, str], list[tuple[int, date]]] = defaultdict(
            list
        )

    def flush(self, entity: str) -> None:
        """Write what an entity's rows add up to, once all were read."""
        if entity == OPPORTUNITY:
            self._won_revenue(self.won)
            self._unknown_owners(self.unknown_deal_owners)
            self._won_rateless_warn()
        elif entity == USER:
            self._users_flush()
        elif entity == SALES_TEAM:
            self._sales_teams_flush()
        elif entity == ACCOUNT:
            self._merge_held_write()
            for file, column in list(self.conversions_rest):
                self._conversions_rest_say(file, column)
            if self.account_index is not None:
                self.account_index.clear()
                self.account_index = None
            AccountReadStage.objects.filter(job=self.job).delete()
        elif entity == RATE:
            self._kept_revenues_convert()
        elif entity == REVENUE:
            RevenueKeyStage.objects.filter(job=self.job).delete()
        elif entity in self.others:
            self.others[entity].flush()
        if self.finder is not None:
            # The names accepted as accounts, once the rows naming them are in.
            self.finder.aliases_create()

    def former_names(self) -> FormerNames:
        """Return the former names of the accounts the importing user sees."""
        if self._former_names is None:
            self._former_names = FormerNames.for_user(self.job.created_by)
        return self._former_names

    def _former_match(
        self,
        name: str | None,
        external_id: str | None,
        *,
        known: Iterable[Collection[str]],
    ) -> FormerName | None:
        """Return the renamed account an account row's unknown name was.

        Not for a name an account or alias has, one a ticked merge takes,
        or a row whose ID is another account's than the one renamed.
        """
        if not name or name in self.merges or any(name in names for names in known):
            return None
        former = self.former_names().find(name)
        if former is None:
            return None
        kept_id = former.account.external_id
        if external_id and kept_id and external_id != kept_id:
            return None
        return former

    def _former_shared(
        self,
        name: str | None,
        external_id: str | None,
        *,
        known: Iterable[Collection[str]],
    ) -> int:
        """Return how many accounts had this unknown name, if more than one.

        A row with an ID keeps its ID's say: it creates its account.
        """
        if not name or external_id or name in self.merges:
            return 0
        if any(name in names for names in known):
            return 0
        found = len(self.former_names().matches(name))
        return found if found > 1 else 0

    def registered(self, entity: str) -> EntityWrite:
        """Return this import's writer of another app's records."""
        if entity not in self.others:
            registration = import_writer_get(entity)
            if registration is None:
                raise WizardError(f"no writer is registered for {entity}")
            self.others[entity] = registration.start(self)
        return self.others[entity]

    # Shared

    def _row(self, values: dict[str, Any], file: str, line: int) -> dict[str, Any]:
        """Note that this row asks for these values; return them."""
        if self.row_log is not None:
            source = Source(file, line, "", "")
            self.sources.setdefault(id(values), (values, []))[1].append(source)
        return values

    def _derived(
        self, values: dict[str, Any], *, file: str, line: int, label: str, reason: str
    ) -> dict[str, Any]:
        """Note that a row led to these values of another record; return them.

        The row report lists the record on a line of its own, at the row,
        under `label` (the record's own name when it is empty).
        """
        if self.row_log is not None:
            source = Source(file, line, label, f"from this row: {reason}")
            self.sources.setdefault(id(values), (values, []))[1].append(source)
        return values

    def derived_log(
        self, obj: models.Model, outcome: str, file: str, line: int, reason: str
    ) -> None:
        """Report a record a row led to, written without `_apply`."""
        if self.row_log is not None:
            reason = f"from this row: {reason}"
            label, key = self._change_label(obj), record_key(obj)
            self.row_log(file, line, outcome, label, reason, key)

    def _rows_log(
        self, values: dict[str, Any], outcome: str, obj: object, *, note: str = ""
    ) -> None:
        if self.row_log is None:
            return
        _, where = self.sources.pop(id(values), (values, []))
        record = cast(models.Model, obj)
        key = record_key(record)
        for source in where:
            label = source.label or self._change_label(record)
            reason = source.reason or note
            self.row_log(source.file, source.line, outcome, label, reason, key)

    def _conflict_rows(self, creates: list[dict[str, Any]]) -> list[ConflictRow]:
        rows: list[ConflictRow] = []
        for values in creates:
            name = str(values.get("name") or "")
            _, where = self.sources.get(id(values), (values, []))
            rows.extend(
                ConflictRow(
                    name, source.file, source.line, self._col(source.file, "name")
                )
                for source in where
            )
            if not where:
                rows.append(ConflictRow(name, WHOLE_IMPORT, 0, ""))
        return rows

    def _col(self, file: str, field: str) -> str:
        return self.columns.get((file, field), field)

    def _counts(self, entity: str) -> dict[str, int]:
        return self.outcome.counts.setdefault(ENTITY_LABELS[entity], _empty_counts())

    def _reject(
        self, entity: str, file: str, line: int, column: str, value: str, reason: str
    ) -> None:
        self.outcome.issues.append(Issue(file, line, column, value, reason, REJECTED))
        # A row with three problems is one rejected row.
        if (file, line) not in self.rejected_at:
            self.rejected_at.add((file, line))
            self._counts(entity)["rejected"] += 1

    def _repeated(
        self,
        *,
        entity: str,
        key: object,
        file: str,
        line: int,
        column: str,
        value: str,
        what: str,
        noun: str,
    ) -> bool:
        """Refuse a row whose key an earlier row of this import already had."""
        earlier = self.first_read.setdefault((entity, key), (file, line))
        if earlier == (file, line):
            return False

        self.repeat_refuse(
            entity=entity,
            file=file,
            line=line,
            column=column,
            value=value,
            what=what,
            noun=noun,
            earlier=earlier,
        )
        return True

    def repeat_refuse(
        self,
        *,
        entity: str,
        file: str,
        line: int,
        column: str,
        value: str,
        what: str,
        noun: str,
        earlier: tuple[str, int],
    ) -> None:
        """Refuse a row that repeats the key of the row read at `earlier`."""
        earlier_file, earlier_line = earlier
        where = f"line {earlier_line}"
        if earlier_file != file:
            where += f" of {earlier_file}"
        self._reject(
            entity,
            file,
            line,
            column,
            value,
            f"the same {what} as {where}: each {noun} is listed once",
        )

    def _rejected_lines(self, files: list[FileRows], entity: str) -> None:
        if not files:
            return
        counts = self._counts(entity)
        for rows in files:
            # A row refused as it was read (more values than the header)
            # has no typed values, but is a row of the file all the same.
            counts["rejected"] += len(rows.rejected)
            self.rejected_at.update((rows.file, line) for line in rows.rejected)

    def _apply(
        self,
        *,
        entity: str,
        model: type[models.Model],
        creates: list[dict[str, Any]],
        updates: Sequence[tuple[models.Model, dict[str, Any]]],
        count: bool = True,
        remember_created: bool = True,
    ) -> tuple[list[models.Model], set[int], set[int]]:
        """Create and update objects, recording each change; count them.

        Returns the created objects and the pks updated and left unchanged.
        A caller that never updates what it creates passes
        `remember_created=False`, sparing the query for which of the
        records it updates this import created.
        """
        if not creates and not updates:
            return [], set(), set()
        counts = self._counts(entity) if count else _empty_counts()
        content_type = ContentType.objects.get_for_model(model)
        try:
            created = model._default_manager.bulk_create(
                [model(**values) for values in creates], batch_size=CREATE_BATCH
            )
        except IntegrityError as error:
            # Another import created one of these since they were looked
            # up. The transaction is broken: name the rows, look up after.
            raise WrittenMeanwhile(
                model=model, rows=self._conflict_rows(creates)
            ) from error
        if created and created[0].pk is None:
            raise RuntimeError("the database did not return the new primary keys")
        if model is AccountTeamMember and created:
            # The account's team list grew: readers' ETags must go stale.
            account_versions_touch(
                account_ids={obj.account_id for obj in created}  # type: ignore[attr-defined]
            )
        changes = [
            ImportRowChange(
                job=self.job,
                content_type=content_type,
                object_id=obj.pk,
                action=ImportRowChange.Action.CREATED,
            )
            for obj in created
        ]
        counts["created"] += len(created)
        for values, obj in zip(creates, created, strict=True):
            self._rows_log(values, "created", obj)

        changed_objects: list[models.Model] = []
        changed_fields: set[str] = set()
        unchanged: set[int] = set()
        # An account an ID row renames, in the history as a hand rename is:
        # a file without IDs that still uses the old name then finds it.
        renames: list[ChangeRecord] = []
        # Accounts this import's rates converted were counted as updated
        # then: each account counts once.
        converted = self.converted_accounts if model is Account else {}
        # An earlier chunk or file of this import may have created some.
        self.created_now = (
            self._created_by_job(content_type.pk, [obj.pk for obj, _ in updates])
            if remember_created
            else set()
        )
        for obj, values in updates:
            # A second row for the same object compares with the first
            # row's values, already set on the object.
            differing = {
                name: value
                for name, value in values.items()
                if value is not None and not _same(getattr(obj, name), value)
            }
            if not differing:
                if obj.pk in converted:
                    self._rows_log(
                        values,
                        "unchanged",
                        obj,
                        note=_converted_note(converted[obj.pk]),
                    )
                    continue
                counts["unchanged"] += 1
                unchanged.add(obj.pk)
                self._rows_log(values, "unchanged", obj)
                continue
            self._rows_log(values, "updated", obj)
            self._change_note(content_type.pk, model, obj, differing)
            old = {name: _json_value(getattr(obj, name)) for name in differing}
            if model is Account and "name" in differing:
                renames.append(
                    ChangeRecord(
                        account_id=obj.pk,
                        content_type=content_type,
                        object_id=obj.pk,
                        object_label=str(differing["name"])[:300],
                        field="name",
                        old_value=history_text(old["name"]),
                        new_value=history_text(differing["name"]),
                        changed_by_id=self.job.created_by_id,
                        import_job=self.job,
                    )
                )
            for name, value in differing.items():
                setattr(obj, name, value)
            changed_fields.update(differing)
            changed_objects.append(obj)
            changes.append(
                ImportRowChange(
                    job=self.job,
                    content_type=content_type,
                    object_id=obj.pk,
                    action=ImportRowChange.Action.UPDATED,
                    old_values=old,
                )
            )
            if obj.pk not in converted:
                counts["updated"] += 1
        if changed_objects:
            objects_update(
                model=model,
                objects=list({obj.pk: obj for obj in changed_objects}.values()),
                fields=sorted(changed_fields),
            )
        ChangeRecord.objects.bulk_create(renames, batch_size=CREATE_BATCH)
        if renames:
            # As a hand rename does, in the import's transaction: the chart
            # redraws the names once it commits, with no score run. One
            # signal, and one mark, for the chunk.
            account_renamed.send(
                sender=Account, account_ids=[one.account_id for one in renames]
            )
        ImportRowChange.objects.bulk_create(changes, batch_size=CREATE_BATCH)
        return (
            created,
            {obj.pk for obj in changed_objects},
            unchanged - {obj.pk for obj in changed_objects},
        )

    def _created_by_job(self, kind: int, pks: Iterable[int]) -> set[int]:
        """Return which of these records of one type this import created."""
        created: set[int] = set()
        for batch in lookup_batches(sorted(set(pks))):
            created.update(
                ImportRowChange.objects.filter(
                    job=self.job,
                    content_type_id=kind,
                    action=ImportRowChange.Action.CREATED,
                    object_id__in=batch,
                ).values_list("object_id", flat=True)
            )
        return created

    def _change_note(
        self,
        kind: int,
        model: type[models.Model],
        obj: models.Model,
        differing: Mapping[str, Any],
    ) -> None:
        """Keep each field of an existing record this import changes."""
        key = (kind, obj.pk)
        if obj.pk in self.created_now:
            return
        fields = _field_changes(model=model, obj=obj, differing=differing)
        if key in self.changed:
            self.changed[key]["fields"] += fields
            return
        self.changed[key] = {
            "record": self._change_label(obj),
            # Stable and unique for a client to key on; the record's name
            # above is for people and may repeat.
            "key": record_key(obj),
            "fields": fields,
        }
        self.outcome.changes.append(self.changed[key])

    def _account_name(self, pk: int) -> str:
        if pk not in self.account_names:
            name = Account.objects.filter(pk=pk).values_list("name", flat=True)
            self.account_names[pk] = name.first() or f"#{pk}"
        return self.account_names[pk]

    def _product_name(self, pk: int) -> str:
        if pk not in self.product_names:
            name = Product.objects.filter(pk=pk).values_list("name", flat=True)
            self.product_names[pk] = name.first() or f"#{pk}"
        return self.product_names[pk]

    def _change_label(self, obj: models.Model) -> str:
        """Name a changed record as a person knows it, not by its keys."""
        return record_label(
            obj, account_name=self._account_name, product_name=self._product_name
        )

    # Currency

    def rate_for(self, currency: str) -> tuple[Decimal, date] | None:
        if currency == REPORTING_CURRENCY:
            return Decimal(1), timezone.localdate()
        if currency not in self.rates_cache:
            rate = (
                CurrencyRate.objects.filter(
                    currency=currency, reporting_currency=REPORTING_CURRENCY
                )
                .order_by("-rate_date")
                .first()
            )
            self.rates_cache[currency] = (rate.rate, rate.rate_date) if rate else None
        return self.rates_cache[currency]

    def rates(self, files: list[FileRows]) -> None:
        self._rejected_lines(files, RATE)
        if not files:
            return
        existing = {
            (rate.currency, rate.rate_date): rate
            for rate in CurrencyRate.objects.filter(
                reporting_currency=REPORTING_CURRENCY
            )
        }
        creates, updates = [], []
        for rows in files:
            for line, row in rows.rows():
                currency, rate = row.get("currency"), row.get("rate")
                rate_date = row.get("rate_date") or timezone.localdate()
                if not currency or rate is None:
                    self._reject(
                        RATE,
                        rows.file,
                        line,
                        "",
                        "",
                        "a rate needs a currency and a rate",
                    )
                    continue
                key = (currency, rate_date)
                if self._repeated(
                    entity=RATE,
                    key=key,
                    file=rows.file,
                    line=line,
                    column=self._col(rows.file, "rate_date"),
                    value=str(rate_date),
                    what="currency and rate date",
                    noun="rate",
                ):
                    continue
                self.rate_rows.setdefault(currency, (rows.file, line))
                if key in existing:
                    updates.append(
                        (existing[key], self._row({"rate": rate}, rows.file, line))
                    )
                else:
                    values = {
                        "currency": currency,
                        "reporting_currency": REPORTING_CURRENCY,
                        "rate": rate,
                        "rate_date": rate_date,
                    }
                    creates.append(self._row(values, rows.file, line))
                    existing[key] = CurrencyRate(**values)
        self._apply(entity=RATE, model=CurrencyRate, creates=creates, updates=updates)
        self.rates_cache.clear()

    def _kept_revenues_convert(self) -> None:
        """Convert the annual revenues kept without a rate of this import's
        currencies, each at its currency's latest rate, as undoable updates."""
        content_type = ContentType.objects.get_for_model(Account)
        old = {"annual_revenue_rate": None, "annual_revenue_rate_date": None}
        for currency, (file, line) in sorted(self.rate_rows.items()):
            found = self.rate_for(currency)
            if found is None:
                continue
            rate = Rate(*found)
            values = {
                "annual_revenue_rate": rate.rate,
                "annual_revenue_rate_date": rate.rate_date,
            }
            used = rate_note(currency=currency, rate=rate)
            reason = f"annual revenue kept without a rate converted, {used}"
            for batch in annual_revenue_kept_convert(currency=currency, rate=rate):
                self.created_now = self._created_by_job(
                    content_type.pk, [item.account_id for item in batch]
                )
                ImportRowChange.objects.bulk_create(
                    [
                        ImportRowChange(
                            job=self.job,
                            content_type=content_type,
                            object_id=item.account_id,
                            action=ImportRowChange.Action.UPDATED,
                            old_values=old,
                        )
                        for item in batch
                    ]
                )
                self._counts(ACCOUNT)["updated"] += len(batch)
                for item in batch:
                    self.converted_accounts[item.account_id] = (file, line)
                    account = Account(pk=item.account_id, name=item.name)
                    self.account_names[item.account_id] = item.name
                    self._change_note(content_type.pk, Account, account, values)
                    self.derived_log(account, "updated", file, line, reason)
                    self._conversion_say(
                        file,
                        self._col(file, "rate"),
                        account=item.name,
                        amount=item.amount,
                        currency=currency,
                        rate=rate,
                    )
            self._conversions_rest_say(file, self._col(file, "rate"))

    # Products

    def product_ids(
        self, names: Mapping[str, tuple[str, int]], *, record: str
    ) -> dict[str, int]:
        """Return product ids by name, creating the products not there yet.

        `names` gives the first row that named each, for the row report,
        which says why a `record` (a deal, a revenue line) led to it.
        """
        ids = dict(Product.objects.filter(name__in=names).values_list("name", "pk"))
        missing = sorted(set(names) - set(ids))
        if missing:
            created, _, _ = self._apply(
                entity=PRODUCT,
                model=Product,
                creates=[
                    self._derived(
                        {"name": name, "is_placeholder": name == UNSPECIFIED_PRODUCT},
                        file=names[name][0],
                        line=names[name][1],
                        label="",
                        reason=self._product_reason(name, names[name][0], record),
                    )
                    for name in missing
                ],
                updates=[],
            )
            ids.update({obj.name: obj.pk for obj in created})  # type: ignore[attr-defined]
        if UNSPECIFIED_PRODUCT in missing:
            # The check counts the product as created: it says why there.
            file = names[UNSPECIFIED_PRODUCT][0]
            self.outcome.decisions.append(
                (file, "", self._placeholder_said(file, f"{record}s"))
            )
        self.product_names.update({pk: name for name, pk in ids.items()})
        return ids

    def _placeholder_said(self, file: str, records: str) -> str:
        if (file, "product") in self.columns:
            said = f"the {records} of rows that name no product are"
        else:
            said = f"the file has no product column, so its {records} are"
        return (
            f'{said} filed under "{UNSPECIFIED_PRODUCT}", a product this import creates'
        )

    def _product_reason(self, name: str, file: str, record: str) -> str:
        if name != UNSPECIFIED_PRODUCT:
            return "its product was not in Lode yet"
        if (file, "product") in self.columns:
            return f'the row names no product, so the {record} is filed under "{name}"'
        return (
            f'the file has no product column, so the {record} is filed under "{name}"'
        )

    def products(self, files: list[FileRows]) -> None:
        self._rejected_lines(files, PRODUCT)
        if not files:
            return
        existing = {product.name: product for product in Product.objects.all()}
        creates: list[dict[str, Any]] = []
        updates: list[tuple[models.Model, dict[str, Any]]] = []
        for rows in files:
            for line, row in rows.rows():
                name = row.get("name")
                if not name:
                    self._reject(
                        PRODUCT, rows.file, line, "", "", "a product needs a name"
                    )
                    continue
                price = row.get("list_price")
                values = {
                    "series": row.get("series"),
                    "list_price": price.amount if isinstance(price, Money) else None,
                }
                if name in existing:
                    updates.append((existing[name], self._row(values, rows.file, line)))
                else:
                    fresh = {
                        "name": name,
                        **{k: v for k, v in values.items() if v is not None},
                    }
                    creates.append(self._row(fresh, rows.file, line))
                    existing[name] = Product(name=name)
        self._apply(entity=PRODUCT, model=Product, creates=creates, updates=updates)

    # Accounts

    def accounts(self, files: list[FileRows], *, held: bool = False) -> None:
        """Write a chunk of account rows; `held` ones were read and checked.

        The rows of an account a merge joins are held until the last chunk
        (see _merge_hold), then written here together, as one chunk.
        """
        self._rejected_lines(files, ACCOUNT)
        if not files:
            return
        for rows in files:
            self.account_files.setdefault(rows.file, len(self.account_files))
        if not held:
            self._reads_load(files)
        by_id: dict[str, Account] = {}
        by_name: dict[str, Account] = {}
        # Only the accounts this chunk's rows can name, their aliases, and
        # their stored families: what is read grows with the chunk, not
        # with the accounts earlier chunks wrote.
        by_pk, alias_records = self._accounts_named(
            files,
            links=[
                *self.merge_held_links,
                *([] if held else self.merge_held_families),
            ],
        )
        for account in by_pk.values():
            by_name[account.name] = account
            if account.external_id:
                by_id[account.external_id] = account
        # Names the user has confirmed as an account's in an earlier import,
        # and the IDs the merged rows had.
        aliases: dict[str, Account] = {}
        alias_ids: set[str] = set()
        # The aliases kept without an ID, which a row may give them one.
        bare_aliases: dict[str, AccountAlias] = {}
        for alias_record in alias_records:
            alias_name, account_id = alias_record.name, alias_record.account_id
            if account_id not in by_pk:
                continue
            aliases[alias_name] = by_pk[account_id]
            alias_id = alias_record.external_id
            if not alias_id:
                bare_aliases[alias_name] = alias_record
            if alias_id and alias_id not in by_id:
                by_id[alias_id] = by_pk[account_id]
                alias_ids.add(alias_id)
        aliased = {account.pk for account in aliases.values()}
        # Names an account or alias has: those are no former name's.
        known = (by_name, aliases)
        # Each bare alias a row gives an ID, with the row.
        alias_gains: list[tuple[AccountAlias, dict[str, Any]]] = []
        # Alias name: (account pk, or the name of one this chunk creates; ID).
        fresh_aliases: dict[str, tuple[int | str, str]] = {}
        # The values each account of this chunk takes, and the row that
        # first gave them: a merged row joins them instead of writing again.
        taken: dict[int | str, tuple[dict[str, Any], tuple[str, int, str]]] = {}
        # Each account's values before a merged row first joined them, and
        # every join in file order, to take back a join whose row is refused.
        joined: dict[int, _Joined] = {}

        if self.account_index is None:
            # Folding every account's name is the costly part of a proposal:
            # done once per import, then kept up with what each chunk writes.
            self.account_index = StagedNameIndex(job=self.job)
            self.account_index.fill(
                Account.objects.order_by("name")
                .values_list("name", flat=True)
                .iterator(chunk_size=ACCOUNT_READ_BATCH)
            )
        index = self.account_index
        if not held:
            # Held rows were proposed when their chunk was read.
            self._propose(
                incoming=[
                    row["name"]
                    for rows in files
                    for _, row in rows.rows()
                    if row.get("name")
                    and row["name"] not in aliases
                    and not (row.get("external_id") and row["external_id"] in by_id)
                    and self._former_match(
                        row["name"], row.get("external_id"), known=known
                    )
                    is None
                ],
                index=index,
            )

        creates: list[dict[str, Any]] = []
        pending: dict[str, dict[str, Any]] = {}
        updates: list[tuple[models.Model, dict[str, Any]]] = []
        # (file, line, row, account name): parents and owners are linked once
        # every account of the chunk exists.
        links: list[tuple[str, int, dict[str, Any], str]] = []
        # The create or update each row made, should its parent be refused.
        made: dict[tuple[str, int], object] = {}
        # The alias names and ID gains each row brought, likewise.
        alias_rows: dict[tuple[str, int], str] = {}
        gained: dict[tuple[str, int], tuple[AccountAlias, dict[str, Any]]] = {}
        for rows in files:
            for line, row in rows.rows():
                name, external_id = row.get("name"), row.get("external_id")
                if not name and not external_id:
                    self._reject(
                        ACCOUNT,
                        rows.file,
                        line,
                        "",
                        "",
                        "an account needs a name or an ID",
                    )
                    continue
                if not held and self._account_clash(rows.file, line, name, external_id):
                    continue
                if not held and self._merge_hold(
                    rows.file,
                    line,
                    row,
                    account=(
                        (by_id.get(external_id) if external_id else None)
                        or ((by_name.get(name) or aliases.get(name)) if name else None)
                    ),
                    aliased=aliased,
                    known=aliases,
                ):
                    continue
                values = self._account_values(rows.file, line, row)
                target = by_id.get(external_id) if external_id else None
                # A name confirmed as this account's alias (a merge) is not a
                # rename: the account keeps the name it was merged into.
                alias = aliases.get(name) if name else None
                merged_row = bool(external_id and external_id in alias_ids) or (
                    target is not None and alias is not None and alias.pk == target.pk
                )
                if (
                    target is not None
                    and name
                    and name != target.name
                    and (alias is None or alias.pk != target.pk)
                ):
                    clash = by_name.get(name)
                    if clash is not None and clash.pk != target.pk:
                        self._reject(
                            ACCOUNT,
                            rows.file,
                            line,
                            "",
                            name,
                            f"ID {external_id} is {target.name!r}, but another "
                            f"account is already called {name!r}",
                        )
                        continue
                    values["name"] = name
                if target is None and name:
                    merged = self.merges.get(name, name)
                    target = by_name.get(merged)
                    if target is None and merged == name:
                        target = aliases.get(name)
                    former = (
                        self._former_match(name, external_id, known=known)
                        if target is None and merged == name
                        else None
                    )
                    former_shared = (
                        self._former_shared(name, external_id, known=known)
                        if target is None and former is None and merged == name
                        else 0
                    )
                    if former_shared:
                        self._reject(
                            ACCOUNT,
                            rows.file,
                            line,
                            self._col(rows.file, "name"),
                            name,
                            former_names_shared_text(name, former_shared),
                        )
                        continue
                    if former is not None:
                        target = self._account_read(
                            former.account.pk, by_pk, by_name, by_id
                        )
                    if target is not None and former is not None:
                        self.outcome.issues.append(
                            Issue(
                                rows.file,
                                line,
                                self._col(rows.file, "name"),
                                name,
                                former.note,
                                REPAIRED,
                            )
                        )
                    if (
                        target is not None
                        and external_id
                        and target.external_id
                        and name in bare_aliases
                        and merged == name
                    ):
                        # Merged before from a row without an ID, the name
                        # now brings one: the alias keeps it, as the
                        # account's other ID.
                        gained[(rows.file, line)] = self._alias_gain(
                            rows.file,
                            line,
                            row,
                            alias=bare_aliases.pop(name),
                            account=target,
                        )
                        alias_gains.append(gained[(rows.file, line)])
                        by_id[external_id] = target
                        merged_row = True
                    elif (
                        target is not None
                        and external_id
                        and target.external_id
                        and target.external_id != external_id
                        and merged == name
                    ):
                        self._reject(
                            ACCOUNT,
                            rows.file,
                            line,
                            self._col(rows.file, "name"),
                            name,
                            f"name {name!r} already used by Id {target.external_id}",
                        )
                        continue
                    if target is not None and merged != name:
                        merged_row = True
                        kept_id = (
                            external_id
                            if target.external_id and external_id != target.external_id
                            else ""
                        )
                        fresh_aliases.setdefault(name, (target.pk, kept_id or ""))
                        alias_rows[(rows.file, line)] = name
                    if target is not None and external_id and not target.external_id:
                        values["external_id"] = external_id
                    if target is None and merged in pending:
                        into = pending[merged]
                        join = _Join(
                            file=rows.file,
                            line=line,
                            row=row,
                            values=values,
                            earlier=taken[merged][1],
                            external_id=external_id or "",
                        )
                        joined.setdefault(
                            id(into),
                            _Joined(into, dict(into), taken[merged][1], created=True),
                        ).joins.append(join)
                        kept_id = self._merge_join(into, join)
                        if merged != name:
                            fresh_aliases.setdefault(name, (merged, kept_id))
                            alias_rows[(rows.file, line)] = name
                        self._row(into, rows.file, line)
                        links.append((rows.file, line, row, merged))
                        continue
                    name = merged
                if target is None:
                    if not name:
                        self._reject(
                            ACCOUNT,
                            rows.file,
                            line,
                            "",
                            external_id or "",
                            f"no account has ID {external_id}, and the row names none",
                        )
                        continue
                    fresh = {"name": name, "external_id": external_id or ""}
                    fresh.update({k: v for k, v in values.items() if v is not None})
                    pending[name] = fresh
                    taken[name] = (fresh, (rows.file, line, name))
                    creates.append(self._row(fresh, rows.file, line))
                    made[(rows.file, line)] = fresh
                    links.append((rows.file, line, row, name))
                    continue
                # The row's own name: a merged one was replaced above.
                merged_from = row.get("name") or ""
                kept_id = fresh_aliases.get(merged_from, (0, ""))[1]
                if merged_row and target.pk in taken:
                    into, earlier = taken[target.pk]
                    values.pop("name", None)
                    join = _Join(
                        file=rows.file,
                        line=line,
                        row=row,
                        values=values,
                        earlier=earlier,
                        kept_id=kept_id,
                        # A merge kept from an earlier import joins the rows
                        # as it did then, without a word: only a ticked one
                        # is news.
                        noted=merged_from in self.merges,
                        custom_values_joined=True,
                    )
                    joined.setdefault(
                        id(into), _Joined(into, dict(into), earlier, created=False)
                    ).joins.append(join)
                    self._merge_join(into, join)
                    self._row(into, rows.file, line)
                    links.append(
                        (rows.file, line, row, into.get("name") or target.name)
                    )
                    continue
                if values.get("custom_values"):
                    values["custom_values"] = {
                        **target.custom_values,
                        **values["custom_values"],
                    }
                if merged_from in fresh_aliases and target.pk not in taken:
                    self._merged_note(
                        rows.file,
                        line,
                        row,
                        into={"name": target.name},
                        values={},
                        earlier=None,
                        kept_id=kept_id,
                    )
                taken.setdefault(target.pk, (values, (rows.file, line, target.name)))
                updates.append((target, self._row(values, rows.file, line)))
                made[(rows.file, line)] = updates[-1]
                links.append((rows.file, line, row, values.get("name") or target.name))
        if not held:
            self._reads_save()
        _ancestors_read(by_pk)
        refused = self._families_check(
            links,
            by_pk=by_pk,
            pending=pending,
            earlier=[
                *self.merge_held_links,
                *([] if held else self.merge_held_families),
            ],
        )
        if refused:
            links = [link for link in links if (link[0], link[1]) not in refused]
            # A refused row's values are taken back out of the account its
            # merged rows share; the account stays if one of them is kept.
            shared = self._merge_joins_take_back(
                joined,
                refused=refused,
                fresh_aliases=fresh_aliases,
                alias_rows=alias_rows,
            )
            dropped = {
                id(made[key]) for key in refused if key in made and key not in shared
            }
            dropped |= {id(gained[key]) for key in refused if key in gained}
            creates = [fresh for fresh in creates if id(fresh) not in dropped]
            updates = [update for update in updates if id(update) not in dropped]
            alias_gains = [gain for gain in alias_gains if id(gain) not in dropped]
            # A refused row's name is no alias, unless a row kept has it too,
            # and it joined no account.
            kept_names = {link[2].get("name") for link in links}
            for key in refused:
                if alias_rows.get(key) not in kept_names:
                    fresh_aliases.pop(alias_rows.get(key, ""), None)
            self.outcome.issues[:] = [
                issue
                for issue in self.outcome.issues
                if issue.action != REPAIRED
                or (issue.file, issue.line) not in refused
                or not issue.reason.startswith(MERGED_INTO)
            ]
        renamed = [
            (cast(Account, target).name, values["name"])
            for target, values in updates
            if values.get("name") and values["name"] != cast(Account, target).name
        ]
        created, _, unchanged = self._apply(
            entity=ACCOUNT, model=Account, creates=creates, updates=updates
        )
        created_pks = {
            fresh["name"]: obj.pk for fresh, obj in zip(creates, created, strict=True)
        }
        for old_name, new_name in renamed:
            index.discard(old_name)
            index.add([new_name])
        index.add(fresh["name"] for fresh in creates)
        self._aliases_create(
            {
                name: (
                    created_pks.get(account, 0)
                    if isinstance(account, str)
                    else account,
                    kept_id,
                )
                for name, (account, kept_id) in fresh_aliases.items()
            },
            known=aliases,
            names=by_name,
        )
        _, gained_ids, _ = self._apply(
            entity=ACCOUNT,
            model=AccountAlias,
            creates=[],
            updates=alias_gains,
            count=False,
        )
        # An account whose rows changed nothing but gave its alias an ID was
        # updated all the same.
        moved = {alias.account_id for alias, _ in alias_gains if alias.pk in gained_ids}
        moved &= unchanged
        counts = self._counts(ACCOUNT)
        counts["updated"] += len(moved)
        counts["unchanged"] -= len(moved)
        self._parents(links, unchanged - moved)
        self._owners(links)

    def _accounts_named(
        self,
        files: list[FileRows],
        *,
        links: list[tuple[str, int, dict[str, Any], str]],
    ) -> tuple[dict[int, Account], list[AccountAlias]]:
        """Return the accounts a chunk's rows may name, by pk, and aliases.

        The accounts its names, merged names, IDs and parents find (and
        the links of rows held for a merge), those its aliases belong to,
        and every stored parent above them, which the family check walks.
        The aliases are those with one of those names or IDs, or of one of
        those accounts.
        """
        names: set[str] = {name for *_, name in links}
        ids: set[str] = set()
        rows = [row for chunk in files for _, row in chunk.rows()]
        for row in [*rows, *(link[2] for link in links)]:
            for name in (row.get("name"), row.get("parent_name")):
                if name:
                    names.update((name, self.merges.get(name, name)))
            # HubSpot's "Parent Company" holds the parent's Record ID.
            for given in ("external_id", "parent_external_id", "parent_name"):
                if row.get(given):
                    ids.add(row[given])

        by_pk: dict[int, Account] = {}
        for field_name, keys in (("name", names), ("external_id", ids)):
            for batch in lookup_batches(sorted(keys)):
                for account in Account.objects.filter(**{f"{field_name}__in": batch}):
                    by_pk[account.pk] = account
        aliases: dict[int, AccountAlias] = {}
        alias_fields = ("pk", "name", "account_id", "external_id")
        wanted: tuple[tuple[str, list[Any]], ...] = (
            ("name", sorted(names)),
            ("external_id", sorted(ids)),
            ("account_id", sorted(by_pk)),
        )
        for field_name, matching in wanted:
            for batch in lookup_batches(matching):
                found = AccountAlias.objects.filter(
                    **{f"{field_name}__in": batch}
                ).only(*alias_fields)
                aliases.update((alias.pk, alias) for alias in found)
        _accounts_read(by_pk, {alias.account_id for alias in aliases.values()})
        _ancestors_read(by_pk)
        # In the order of the aliases' names, as they were read before.
        return by_pk, sorted(aliases.values(), key=lambda alias: alias.name)

    @staticmethod
    def _account_read(
        pk: int,
        by_pk: dict[int, Account],
        by_name: dict[str, Account],
        by_id: dict[str, Account],
    ) -> Account | None:
        """Return an account by pk, read and noted now if it was not yet."""
        if pk not in by_pk:
            _accounts_read(by_pk, {pk})
            account = by_pk.get(pk)
            if account is not None:
                by_name.setdefault(account.name, account)
                if account.external_id:
                    by_id.setdefault(account.external_id, account)
        return by_pk.get(pk)

    def _merge_join(self, into: dict[str, Any], join: _Join) -> str:
        """Join a merged row's values to its account's; return the ID it keeps.

        A new account takes the ID of the first of its rows that has one;
        another row's ID is kept as another ID of the account.
        """
        kept_id = join.kept_id
        if join.external_id:
            if not into["external_id"]:
                into["external_id"] = join.external_id
            kept_id = (
                join.external_id if join.external_id != into["external_id"] else ""
            )
        if join.noted:
            self._merged_note(
                join.file,
                join.line,
                join.row,
                into=into,
                values=join.values,
                earlier=join.earlier,
                kept_id=kept_id,
            )
        given = {k: v for k, v in join.values.items() if v is not None}
        if join.custom_values_joined and given.get("custom_values"):
            given["custom_values"] = {
                **(into.get("custom_values") or {}),
                **given["custom_values"],
            }
        into.update(given)
        return kept_id

    def _merge_joins_take_back(
        self,
        joined: Mapping[int, _Joined],
        *,
        refused: set[tuple[str, int]],
        fresh_aliases: dict[str, tuple[int | str, str]],
        alias_rows: Mapping[tuple[str, int], str],
    ) -> set[tuple[str, int]]:
        """Take the values of refused merged rows back out of their account.

        A row refused for its parent contributes nothing: its account is
        set back to its values before the first merged row joined them, and
        the rows kept join again in file order, each said anew. When the
        first row is the one refused, the first row kept gives the values
        instead. Return the refused first rows whose account stays.
        """
        shared: set[tuple[str, int]] = set()
        for account in joined.values():
            into, joins = account.into, account.joins
            first = account.first[:2]
            kept = [join for join in joins if (join.file, join.line) not in refused]
            if len(kept) == len(joins) and first not in refused:
                continue
            if first in refused and not kept:
                continue

            places = {(join.file, join.line) for join in kept}
            self.outcome.issues[:] = [
                issue
                for issue in self.outcome.issues
                if issue.action != REPAIRED
                or (issue.file, issue.line) not in places
                or not issue.reason.startswith(MERGED_INTO)
            ]
            _, sources = self.sources.get(id(into), (into, []))
            sources[:] = [
                source
                for source in sources
                if (source.file, source.line) not in refused
            ]
            into.clear()
            into.update(account.before)
            lead_noted = False
            if first in refused:
                shared.add(first)
                # Only what no row gave: a new account's name and a blank ID.
                into.clear()
                if account.created:
                    into.update(name=account.before["name"], external_id="")
                lead = kept[0]
                lead_noted = lead.noted
                kept = [
                    replace(lead, noted=False),
                    *(
                        replace(join, earlier=(lead.file, lead.line, join.earlier[2]))
                        for join in kept[1:]
                    ),
                ]
            for place, join in enumerate(kept):
                kept_id = self._merge_join(into, join)
                alias = alias_rows.get((join.file, join.line))
                if alias is not None and alias in fresh_aliases:
                    fresh_aliases[alias] = (fresh_aliases[alias][0], kept_id)
                if place == 0 and lead_noted:
                    # The row kept first is said as a lone merged row is.
                    self._merged_note(
                        join.file,
                        join.line,
                        join.row,
                        into={"name": account.first[2]},
                        values={},
                        earlier=None,
                        kept_id=kept_id,
                    )
        return shared

    def _merge_hold(
        self,
        file: str,
        line: int,
        row: dict[str, Any],
        *,
        account: Account | None,
        aliased: set[int],
        known: Mapping[str, Account],
    ) -> bool:
        """Hold a row of an account a merge joins; say whether it was held.

        The rows a merge joins may fall in different chunks of a long file;
        held to the end, they are written as one account whichever chunk
        each was read in: the later row winning, counted and reported once.
        """
        name = row.get("name") or ""
        joined = (
            name in self.merges
            or name in self.merged_into
            or (account is not None and account.pk in aliased)
        )
        if not joined:
            return False

        self.merge_held.setdefault(file, []).append((line, row))
        into = self.merges.get(name, name) if name else ""
        joins = account.name if account is not None else into
        self.merge_held_families.append((file, line, row, joins))
        if into and name not in known:
            self.merge_held_names.add(into)
            # Later chunks propose their names against it, as they would
            # had it been written with its own chunk.
            cast(StagedNameIndex, self.account_index).add([into])
        if account is not None:
            self.merge_held_names.add(account.name)
        if row.get("external_id"):
            self.merge_held_ids.add(row["external_id"])
        return True

    def _merge_held_write(self) -> None:
        """Write the held rows of merged accounts, and the links to them."""
        if not self.merge_held:
            return

        files = []
        for file, held in self.merge_held.items():
            fields = list(dict.fromkeys(name for _, row in held for name in row))
            files.append(
                FileRows(
                    file=file,
                    entity=ACCOUNT,
                    lines=[line for line, _ in held],
                    values={
                        name: [row.get(name) for _, row in held] for name in fields
                    },
                )
            )
        links, unchanged = self.merge_held_links, self.merge_held_unchanged
        # Written now, the held accounts are found as any other; the links
        # to them stay for the family check of their rows.
        self.merge_held = {}
        self.merge_held_names, self.merge_held_ids = set(), set()
        self.merge_held_families = []

        self.accounts(files, held=True)
        self.merge_held_links, self.merge_held_unchanged = [], set()
        self._parents(links, unchanged)

    def _alias_gain(
        self,
        file: str,
        line: int,
        row: Mapping[str, Any],
        *,
        alias: AccountAlias,
        account: Account,
    ) -> tuple[AccountAlias, dict[str, Any]]:
        """Give an alias kept without an ID the ID its row now brings."""
        external_id = row["external_id"]
        reason = (
            f"Id {external_id} kept as another ID of {account.name!r}, which "
            f"{alias.name!r} was merged into before"
        )
        self.outcome.issues.append(
            Issue(
                file,
                line,
                self._col(file, "external_id"),
                external_id,
                reason,
                REPAIRED,
            )
        )
        values = self._derived(
            {"external_id": external_id},
            file=file,
            line=line,
            label="",
            reason=f"Id {external_id} kept as another ID of {account.name}",
        )
        return alias, values

    def _merged_note(
        self,
        file: str,
        line: int,
        row: Mapping[str, Any],
        *,
        into: Mapping[str, Any],
        values: Mapping[str, Any],
        earlier: tuple[str, int, str] | None,
        kept_id: str,
    ) -> None:
        """Say which account a merged row joined and which of its values won.

        Rows merged into one account are read in file order, so where they
        disagree the later row's value is the one kept.
        """
        account = earlier[2] if earlier is not None else into["name"]
        reason = f"{MERGED_INTO} {account!r}"
        if earlier is not None:
            reason += f", named on {_where(earlier, file)}"
        won = [
            f"{self._col(file, MERGED_COLUMNS.get(field, field))} "
            f"{_merged_value(field, value)} "
            f"(was {_merged_value(field, into[field])})"
            for field, value in values.items()
            if field in MERGED_COLUMNS or field in ("sector", "country")
            if value is not None
            and into.get(field) is not None
            and not _same(into[field], value)
        ]
        if won:
            reason += "; where the rows differ this later row wins: " + ", ".join(won)
        if kept_id:
            reason += f"; Id {kept_id} kept as another ID of the account"
        self.outcome.issues.append(
            Issue(
                file,
                line,
                self._col(file, "name"),
                row.get("name") or "",
                reason,
                REPAIRED,
            )
        )

    def _reads_load(self, files: list[FileRows]) -> None:
        """Read where earlier chunks first read this chunk's IDs and names."""
        ids: set[str] = set()
        names: set[str] = set()
        for rows in files:
            for _, row in rows.rows():
                if row.get("external_id"):
                    ids.add(row["external_id"])
                if row.get("name"):
                    names.add(self.merges.get(row["name"], row["name"]))
        self.account_ids_read, self.account_names_read = {}, {}
        for kind, values, read in (
            (AccountReadStage.Kind.ID, ids, self.account_ids_read),
            (AccountReadStage.Kind.NAME, names, self.account_names_read),
        ):
            for batch in lookup_batches(sorted(values)):
                staged = AccountReadStage.objects.filter(
                    job=self.job, kind=kind, value__in=batch
                ).values_list("value", "file", "line", "other")
                read.update(
                    (value, (file, line, other))
                    for value, *(file, line, other) in staged
                )

    def _reads_save(self) -> None:
        """Stage where this chunk's IDs and names were first read."""
        for kind, read in (
            (AccountReadStage.Kind.ID, self.account_ids_read),
            (AccountReadStage.Kind.NAME, self.account_names_read),
        ):
            for batch in lookup_batches(sorted(read)):
                AccountReadStage.objects.filter(
                    job=self.job, kind=kind, value__in=batch
                ).delete()
            AccountReadStage.objects.bulk_create(
                (
                    AccountReadStage(
                        job=self.job,
                        kind=kind,
                        value=value,
                        file=file,
                        line=line,
                        other=other,
                    )
                    for value, (file, line, other) in read.items()
                ),
                batch_size=CREATE_BATCH,
            )
        self.account_ids_read, self.account_names_read = {}, {}

    def _account_clash(
        self, file: str, line: int, name: str | None, external_id: str | None
    ) -> bool:
        """Refuse a row whose ID or name an earlier row gave to another."""
        merged = self.merges.get(name, name) if name else ""
        if external_id:
            earlier = self.account_ids_read.setdefault(
                external_id, (file, line, merged)
            )
            if earlier[2] and merged and earlier[2] != merged:
                self._reject(
                    ACCOUNT,
                    file,
                    line,
                    self._col(file, "external_id"),
                    external_id,
                    f"Id {external_id} already on {_where(earlier, file)} "
                    "with another name",
                )
                return True
        # A row merged by confirmation into another name keeps its own ID,
        # as another ID of that account.
        if merged and merged == name:
            earlier = self.account_names_read.setdefault(
                merged, (file, line, external_id or "")
            )
            if earlier[2] and external_id and earlier[2] != external_id:
                self._reject(
                    ACCOUNT,
                    file,
                    line,
                    self._col(file, "name"),
                    name or "",
                    f"name {name!r} already used by Id {earlier[2]} on "
                    f"{_where(earlier, file)}",
                )
                return True
            if external_id and not earlier[2]:
                self.account_names_read[merged] = (*earlier[:2], external_id)
        return False

    def _families_check(
        self,
        links: list[tuple[str, int, dict[str, Any], str]],
        *,
        by_pk: Mapping[int, Account],
        pending: Mapping[str, dict[str, Any]],
        earlier: list[tuple[str, int, dict[str, Any], str]],
    ) -> set[tuple[str, int]]:
        """Refuse each row whose parent is itself or closes a cycle.

        Accounts are keyed by name, as the upload leaves them; the stored
        parents are the family the upload's rows join. `earlier` are the
        links not stored yet that another pass judges (the rows of merged
        accounts, held to the end, and the links to them): read with these
        rows in file order, the row that closes a cycle is the one refused.
        """
        parent_of = {
            account.name: by_pk[account.parent_id].name
            for account in by_pk.values()
            if account.parent_id is not None and account.parent_id in by_pk
        }
        label = {
            account.name: account.external_id or account.name
            for account in by_pk.values()
        }
        by_id = {
            account.external_id: account.name
            for account in by_pk.values()
            if account.external_id
        }
        judged = {(file, line) for file, line, _, _ in links}
        read = sorted(
            [*links, *earlier],
            key=lambda link: (self.account_files.get(link[0], 0), link[1]),
        )
        for _, _, row, name in read:
            if row.get("external_id"):
                by_id.setdefault(row["external_id"], name)
                label[name] = row["external_id"]
            label.setdefault(name, name)
        names = set(label) | set(pending)
        refused: set[tuple[str, int]] = set()
        for file, line, row, name in read:
            parent_id, parent_name = (
                row.get("parent_external_id"),
                row.get("parent_name"),
            )
            parent = by_id.get(parent_id) if parent_id else None
            if parent is None and parent_name:
                parent = self.merges.get(parent_name, parent_name)
                parent = parent if parent in names else by_id.get(parent_name)
            if parent is None:
                continue
            field_name = "parent_external_id" if parent_id else "parent_name"
            given = parent_id or parent_name or ""
            if parent == name:
                reason = "an account cannot be its own parent"
            else:
                path = [name, parent]
                # A stored family may already loop; stop where it repeats.
                while path[-1] in parent_of and path[-1] not in path[:-1]:
                    path.append(parent_of[path[-1]])
                if path[-1] != name:
                    parent_of[name] = parent
                    continue
                reason = f"parent {given} makes a cycle: " + " → ".join(
                    label.get(step, step) for step in path
                )
            if (file, line) not in judged:
                continue
            self._reject(
                ACCOUNT, file, line, self._col(file, field_name), given, reason
            )
            refused.add((file, line))
        return refused

    def _aliases_create(
        self,
        fresh: Mapping[str, tuple[int, str]],
        *,
        known: Mapping[str, Account],
        names: Mapping[str, Account],
    ) -> None:
        """Remember each confirmed merge, so its name and ID match next time."""
        aliases = AccountAlias.objects.bulk_create(
            [
                AccountAlias(
                    name=name, account_id=account_id, external_id=kept_id, job=self.job
                )
                for name, (account_id, kept_id) in fresh.items()
                if account_id and name not in known and name not in names
            ]
        )
        content_type = ContentType.objects.get_for_model(AccountAlias)
        ImportRowChange.objects.bulk_create(
            [
                ImportRowChange(
                    job=self.job,
                    content_type=content_type,
                    object_id=alias.pk,
                    action=ImportRowChange.Action.CREATED,
                )
                for alias in aliases
            ]
        )

    def _account_values(
        self, file: str, line: int, row: dict[str, Any]
    ) -> dict[str, Any]:
        values: dict[str, Any] = {
            "custom_values": row.get("custom_values"),
            "sector": row.get("sector"),
            "employees": int(row["employees"])
            if row.get("employees") is not None
            else None,
            "country": row.get("country"),
            "year_established": (
                int(row["year_established"])
                if row.get("year_established") is not None
                else None
            ),
        }
        revenue = row.get("annual_revenue")
        if isinstance(revenue, Money):
            currency = revenue.currency or row.get("currency") or REPORTING_CURRENCY
            rate = self.rate_for(currency)
            reason = _number_limit_reason(
                entity=ACCOUNT,
                name="annual_revenue",
                number=revenue.amount,
                currency=currency,
            )
            if reason is not None:
                reason = f"{reason}; the annual revenue was left as it was"
            elif rate is None:
                # Kept as given, in its own currency: it converts nowhere
                # until a rate of its currency is stored.
                reason = (
                    f"kept as {money_text(revenue.amount, currency)}, "
                    f"{annual_revenue_no_rate(currency=currency)}: import "
                    f"a {currency} rate, with this file or later, to convert it"
                )
                values.update(
                    annual_revenue_values(amount=revenue.amount, currency=currency)
                )
            else:
                values.update(
                    annual_revenue_values(
                        amount=revenue.amount, currency=currency, rate=Rate(*rate)
                    )
                )
                if currency != ANNUAL_REVENUE_CURRENCY:
                    self._conversion_say(
                        file,
                        self._col(file, "annual_revenue"),
                        account=str(row.get("name") or row.get("external_id")),
                        amount=revenue.amount,
                        currency=currency,
                        rate=Rate(*rate),
                    )
            if reason is not None:
                self.outcome.issues.append(
                    Issue(
                        file,
                        line,
                        self._col(file, "annual_revenue"),
                        f"{currency} {revenue.amount}",
                        str(reason),
                        KEPT,
                    )
                )
        stated = row.get("annual_revenue_musd")
        if isinstance(stated, Money):
            reason = _number_limit_reason(
                entity=ACCOUNT, name="annual_revenue_musd", number=stated.amount
            )
            if reason is None and (stated.amount * MILLION) % Decimal("0.01"):
                reason = (
                    "more than 8 decimals: annual revenue in millions is kept "
                    "to the cent"
                )
            if stated.currency not in (None, REPORTING_CURRENCY):
                reason = (
                    f"annual revenue in millions must be in "
                    f"{REPORTING_CURRENCY}, not {stated.currency}"
                )
            if reason is not None:
                self.outcome.issues.append(
                    Issue(
                        file,
                        line,
                        self._col(file, "annual_revenue_musd"),
                        f"{stated.currency or ''} {stated.amount}".strip(),
                        f"{reason}; the annual revenue was left as it was",
                        KEPT,
                    )
                )
            else:
                values.update(
                    annual_revenue_values(
                        amount=stated.amount * MILLION, currency=REPORTING_CURRENCY
                    )
                )
        return values

    def _conversion_say(
        self,
        file: str,
        column: str,
        *,
        account: str,
        amount: Decimal,
        currency: str,
        rate: Rate,
    ) -> None:
        """Say how an account's annual revenue converts into USD, or count it
        among the rest once CONVERSIONS_SHOWN were said for this column."""
        key = (file, column)
        if self.conversions_said[key] < CONVERSIONS_SHOWN:
            self.conversions_said[key] += 1
            said = conversion_text(
                amount=amount,
                currency=currency,
                rate=rate,
                reporting_currency=ANNUAL_REVENUE_CURRENCY,
            )
            self.outcome.decisions.append(
                (file, column, f"{account}: annual revenue {said}")
            )
            return

        # One rate a currency: the import converts at its latest.
        count, given, _ = self.conversions_rest[key].get(
            currency, (0, Decimal(0), rate)
        )
        self.conversions_rest[key][currency] = (count + 1, given + amount, rate)

    def _conversions_rest_say(self, file: str, column: str) -> None:
        """Sum up the conversions past the first CONVERSIONS_SHOWN, once."""
        rest = self.conversions_rest.pop((file, column), {})
        if not rest:
            return

        count = sum(number for number, _, _ in rest.values())
        sums = "; ".join(
            conversion_text(
                amount=given,
                currency=currency,
                rate=rate,
                reporting_currency=ANNUAL_REVENUE_CURRENCY,
            )
            for currency, (_, given, rate) in sorted(rest.items())
        )
        accounts = "1 more account" if count == 1 else f"{count:,} more accounts"
        self.outcome.decisions.append(
            (file, column, f"and {accounts}: annual revenues of {sums} in all")
        )

    def _propose(self, *, incoming: list[str], index: StagedNameIndex) -> None:
        rows = Counter(incoming)
        for proposal in index.propose(incoming=incoming):
            self.proposal_note(
                entity=ACCOUNT,
                incoming=proposal.incoming,
                existing=proposal.existing,
                kind=proposal.kind,
                reason=proposal.reason,
                rows=rows[proposal.incoming],
            )
        known = index.known(incoming)
        fresh = [name for name in incoming if name not in known]
        for group in account_name_groups(names=fresh):
            first, *others = group
            for other in others:
                self.proposal_note(
                    entity=ACCOUNT,
                    incoming=other,
                    existing=first,
                    kind=SAME,
                    reason="same name in this upload once case, spacing, "
                    "punctuation and legal form are ignored",
                    rows=rows[other],
                )

    def proposal_note(
        self,
        *,
        entity: str,
        incoming: str,
        existing: str,
        kind: str,
        reason: str,
        rows: int,
    ) -> dict[str, Any]:
        """Show that a name may be an existing account's; count its rows.

        A name proposed again (by a later chunk, or by a people file too)
        adds its rows to the proposal already shown.
        """
        records = ENTITY_LABELS[entity].lower()
        for proposal in self.proposed_for.get(incoming, []):
            if (proposal["existing"], proposal["records"]) == (existing, records):
                proposal["rows"] += rows
                return proposal

        proposal = {
            "incoming": incoming,
            "existing": existing,
            "kind": kind,
            "reason": reason,
            "merged": "yes" if self.merges.get(incoming) == existing else "",
            "records": records,
            "rows": rows,
        }
        self.outcome.proposals.append(proposal)
        self.proposed_for[incoming].append(proposal)
        return proposal

    def _parents(
        self,
        links: list[tuple[str, int, dict[str, Any], str]],
        unchanged: set[int],
    ) -> None:
        wanted = [
            link
            for link in links
            if link[2].get("parent_external_id") or link[2].get("parent_name")
        ]
        if not wanted:
            return
        # Only the accounts these rows and their parents name.
        names: set[str] = {name for *_, name in wanted}
        ids: set[str] = set()
        for _, _, row, _ in wanted:
            if row.get("parent_external_id"):
                ids.add(row["parent_external_id"])
            if row.get("parent_name"):
                parent_name = row["parent_name"]
                names.add(self.merges.get(parent_name, parent_name))
                ids.add(parent_name)
        by_pk: dict[int, Account] = {}
        for field_name, keys in (("name", names), ("external_id", ids)):
            for batch in lookup_batches(sorted(keys)):
                for account in Account.objects.filter(**{f"{field_name}__in": batch}):
                    by_pk[account.pk] = account
        accounts = {a.name: a for a in by_pk.values()}
        by_id = {a.external_id: a for a in accounts.values() if a.external_id}
        # A merged row's ID names the account it was merged into.
        merged_ids: list[tuple[str, str, int]] = []
        for batch in lookup_batches(sorted(ids)):
            merged_ids.extend(
                AccountAlias.objects.filter(external_id__in=batch).values_list(
                    "name", "external_id", "account_id"
                )
            )
        _accounts_read(by_pk, {account_id for *_, account_id in merged_ids})
        # In the order of the aliases' names, as they were read before.
        for _, alias_id, account_id in sorted(merged_ids):
            if account_id in by_pk:
                by_id.setdefault(alias_id, by_pk[account_id])
        updates: list[tuple[models.Model, dict[str, Any]]] = []
        for link in wanted:
            file, line, row, name = link
            parent_id, parent_name = (
                row.get("parent_external_id"),
                row.get("parent_name"),
            )
            parent = by_id.get(parent_id) if parent_id else None
            if parent is None and parent_name:
                # HubSpot's "Parent Company" holds the parent's Record ID, so
                # a name no account has may be an account's external id.
                parent = accounts.get(
                    self.merges.get(parent_name, parent_name)
                ) or by_id.get(parent_name)
            if parent is None and (
                (parent_id and parent_id in self.merge_held_ids)
                or (parent_name and parent_name in self.merge_held_ids)
                or (
                    parent_name
                    and self.merges.get(parent_name, parent_name)
                    in self.merge_held_names
                )
            ):
                # The parent is a merged account, written at the file's end.
                self.merge_held_links.append(link)
                if accounts[name].pk in unchanged:
                    self.merge_held_unchanged.add(accounts[name].pk)
                continue
            if parent is None:
                self.outcome.issues.append(
                    Issue(
                        file,
                        line,
                        self._col(
                            file,
                            "parent_external_id" if parent_id else "parent_name",
                        ),
                        parent_id or parent_name or "",
                        "no such parent account; the parent was left as it was",
                        KEPT,
                    )
                )
                continue
            child = accounts[name]
            if parent.pk != child.pk:
                values = self._derived(
                    {"parent_id": parent.pk},
                    file=file,
                    line=line,
                    label="",
                    reason=f"parent link to {parent.name}",
                )
                updates.append((child, values))
        # Parents are set once every account of the upload exists. The rows
        # were counted above; one that only gained a parent now counts as
        # updated instead of unchanged.
        _, updated, _ = self._apply(
            entity=ACCOUNT, model=Account, creates=[], updates=updates, count=False
        )
        moved = len(updated & unchanged)
        counts = self._counts(ACCOUNT)
        counts["updated"] += moved
        counts["unchanged"] -= moved

    def user_for(self, owner: str) -> int | None:
        """Return the Lode user an owner cell names: ID, login, email or name."""
        if self.users is None:
            self.users = {}
            self.user_external_ids = {}
            for (
                pk,
                username,
                email,
                first,
                last,
                external_id,
            ) in User.objects.values_list(
                "pk", "username", "email", "first_name", "last_name", "external_id"
            ):
                # CRM IDs are compared exactly: Salesforce's 15-character
                # IDs differ by case alone.
                if external_id:
                    self.user_external_ids.setdefault(external_id, pk)
                for key in (username, email, f"{first} {last}"):
                    if key.strip():
                        self.users.setdefault(_person_key(key), pk)
        owner = owner.strip()
        if owner in self.user_external_ids:
            return self.user_external_ids[owner]
        return self.users.get(_person_key(owner))

    def _unknown_owners(self, unknown: dict[str, tuple[str, int, int]]) -> None:
        for owner, (file, line, count) in unknown.items():
            self.outcome.issues.append(
                Issue(
                    file,
                    line,
                    self._col(file, "owner"),
                    owner,
                    f"no Lode user has this login, email or name ({count} row"
                    f"{'s' if count != 1 else ''}); the owner was left as it was",
                    KEPT,
                )
            )

    def _owners(self, links: list[tuple[str, int, dict[str, Any], str]]) -> None:
        """Put each account's owner on its account team."""
        wanted = [
            (f, line, row["owner"], n) for f, line, row, n in links if row.get("owner")
        ]
        if not wanted:
            return
        accounts = dict(
            Account.objects.filter(name__in={n for *_, n in wanted}).values_list(
                "name", "pk"
            )
        )
        existing = set(
            AccountTeamMember.objects.filter(
                account_id__in=accounts.values()
            ).values_list("account_id", "user_id")
        )
        joining: dict[tuple[int, int], tuple[str, int]] = {}
        unknown: dict[str, tuple[str, int, int]] = {}
        for file, line, owner, name in wanted:
            user_id = self.user_for(owner)
            if user_id is None:
                first = unknown.get(owner, (file, line, 0))
                unknown[owner] = (first[0], first[1], first[2] + 1)
                continue
            pair = (accounts[name], user_id)
            if pair not in existing:
                existing.add(pair)
                joining[pair] = (file, line)
        names = {pk: name for name, pk in accounts.items()}
        self._team_join(joining, names, "the account's owner joins its team")
        self._unknown_owners(unknown)

    def _team_join(
        self,
        joining: Mapping[tuple[int, int], tuple[str, int]],
        account_names: Mapping[int, str],
        reason: str,
    ) -> None:
        """Put each user on each account's team, from the row that asked."""
        if not joining:
            return
        people = {
            user.pk: user.display_name
            for user in User.objects.filter(pk__in={user for _, user in joining})
        }
        creates = [
            self._derived(
                {"account_id": account, "user_id": user},
                file=file,
                line=line,
                label=f"account team member {people[user]} on {account_names[account]}",
                reason=reason,
            )
            for (account, user), (file, line) in sorted(joining.items())
        ]
        self._apply(entity=TEAM, model=AccountTeamMember, creates=creates, updates=[])

    def account_finder(self) -> AccountFinder:
        """Return the finder of the accounts rows name, made at first use.

        Every account file is written before the records that sit on an
        account, so an account the upload adds is found by its exact name.
        """
        if self.finder is None:
            self.finder = AccountFinder(self)
        return self.finder

    # Opportunities and the revenue they realise

    def _row_account(
        self,
        finder: AccountFinder,
        entity: str,
        rows: FileRows,
        line: int,
        row: dict[str, Any],
    ) -> Account | None:
        """Return the account a row names, refusing the row when none is.

        A row a cell already rejected is looked up only when it names an
        account: a name the parse refused is blank here, and already told.
        """
        if line in rows.rejected and not (
            row.get("account_name") or row.get("account_external_id")
        ):
            return None
        return finder.account_for(entity=entity, file=rows.file, line=line, row=row)

    def _opportunity_owner(
        self, file: str, line: int, row: dict[str, Any]
    ) -> int | None:
        owner = row.get("owner")
        if not owner:
            return None
        user_id = self.user_for(owner)
        if user_id is None:
            first = self.unknown_deal_owners.get(owner, (file, line, 0))
            self.unknown_deal_owners[owner] = (first[0], first[1], first[2] + 1)
        return user_id

    def opportunities(self, files: list[FileRows]) -> None:
        self._rejected_lines(files, OPPORTUNITY)
        if not files:
            return
        finder = self.account_finder()
        prepared: list[tuple[str, int, dict[str, Any], str | None]] = []
        for rows in files:
            product_lines = any(name in rows.values for name in PRODUCT_LINE_FIELDS)
            finder.names_read(rows.values.get("account_name", []))
            staged = any(name in rows.values for name in STAGE_FIELDS)
            if not staged:
                self.outcome.decisions.append((rows.file, "", NO_STAGE_COLUMN))
            for line, row in rows.rows(rejected_too=True):
                # A row a cell already rejected is checked on, so the report
                # names each of its problems, but never written.
                rejected = line in rows.rejected
                account = self._row_account(finder, OPPORTUNITY, rows, line, row)
                if product_lines and not rejected:
                    row["amount"] = self._line_amount(rows.file, line, row)
                clash = self._currency_clash(OPPORTUNITY, rows.file, line, row)
                stage = (
                    self._stage(rows.file, line, row)
                    if staged
                    else Opportunity.Stage.ENGAGING
                )
                closed_on = row.get("close_date")
                late = won_close_problem(stage=stage or "", closed_on=closed_on)
                if late:
                    self._reject(
                        OPPORTUNITY,
                        rows.file,
                        line,
                        self._col(rows.file, "close_date"),
                        f"{closed_on:%Y-%m-%d}",
                        late,
                    )
                if account is None or clash or rejected or stage is None or late:
                    continue
                amount = row.get("amount")
                currency = None
                if isinstance(amount, Money):
                    currency = (
                        amount.currency or row.get("currency") or REPORTING_CURRENCY
                    )
                external_id = row.get("external_id") or _derived_id(account.name, row)
                if product_lines:
                    external_id = self._line_key(rows.file, external_id, row)
                if self._repeated(
                    entity=OPPORTUNITY,
                    key=external_id,
                    file=rows.file,
                    line=line,
                    column=self._col(rows.file, "external_id")
                    if row.get("external_id")
                    else self._col(rows.file, "name"),
                    value=row.get("external_id") or row.get("name") or "",
                    what="deal ID"
                    if row.get("external_id")
                    else "account, deal name and close date",
                    noun="deal",
                ):
                    continue
                values = {
                    "external_id": external_id,
                    # None where the cell is blank: the stored name is kept.
                    "name": row.get("name"),
                    "account_id": account.pk,
                    # None: the row names no product (see below).
                    "product": row.get("product") or None,
                    "owner_id": self._opportunity_owner(rows.file, line, row),
                    "stage": stage,
                    "engaged_on": row.get("engage_date"),
                    "closed_on": row.get("close_date"),
                    "close_value": amount.amount if isinstance(amount, Money) else None,
                    "currency": currency or REPORTING_CURRENCY,
                    "custom_values": row.get("custom_values"),
                }
                prepared.append((rows.file, line, values, currency))
                self.account_names[account.pk] = account.name

        prepared = self._deleted_deals_skip(prepared)
        existing = {
            opportunity.external_id: opportunity
            for opportunity in Opportunity.objects.filter(
                external_id__in=[values["external_id"] for _, _, values, _ in prepared]
            ).select_related("product")
        }
        # A row naming no product keeps the deal's product; only a new deal
        # without one goes under the placeholder product.
        for _, _, values, _ in prepared:
            if values["product"] is None:
                known = existing.get(values["external_id"])
                values["product"] = known.product.name if known else UNSPECIFIED_PRODUCT
        product_ids = self.product_ids(
            {
                values["product"]: (file, line)
                for file, line, values, _ in reversed(prepared)
            },
            record="deal",
        )
        creates, updates = [], []
        for file, line, values, currency in prepared:
            values["product_id"] = product_ids[values.pop("product")]
            self._won_uncounted_note(file, line, values)
            self._won_rate_check(file, line, values)
            if values["stage"] == Opportunity.Stage.WON and values["closed_on"]:
                key = (
                    values["account_id"],
                    values["product_id"],
                    quarter_start(values["closed_on"]),
                )
                self.won[key].add(currency or REPORTING_CURRENCY)
                self.won_rows[key].append((file, line))
            target = existing.get(values["external_id"])
            counted_in = won_revenue_deal_cell(target) if target else None
            if target is not None and counted_in is not None:
                # A deal won before may be lost now, or won in another
                # quarter: the quarter it counted in is summed again too.
                self.won[counted_in].add(target.currency or REPORTING_CURRENCY)
            if target is None:
                fresh = {
                    **values,
                    "name": values["name"] or "",
                    "custom_values": values["custom_values"] or {},
                }
                creates.append(self._row(fresh, file, line))
                existing[values["external_id"]] = Opportunity(**fresh)
            else:
                changes = {k: v for k, v in values.items() if k != "external_id"}
                if changes["custom_values"]:
                    # A column the file leaves out keeps its stored value.
                    changes["custom_values"] = {
                        **target.custom_values,
                        **changes["custom_values"],
                    }
                updates.append((target, self._row(changes, file, line)))
        self._apply(
            entity=OPPORTUNITY, model=Opportunity, creates=creates, updates=updates
        )
        owners: dict[tuple[int, int], tuple[str, int]] = {}
        for file, line, values, _ in prepared:
            if values["owner_id"] is not None:
                pair = (values["account_id"], values["owner_id"])
                owners.setdefault(pair, (file, line))
        self._deal_owners_join(owners)

    def _stage(self, file: str, line: int, row: dict[str, Any]) -> str | None:
        """Return a deal's stage, or refuse the row and ask about its name."""
        given = row.get("stage") or ""
        column = self._col(file, "stage")
        key = stage_question_key(column=column, value=given)
        answer = self.answers.get(file, {}).get(key)
        if answer is None and not stage_name_known(given):
            answer = self.saved_stages.get(file, {}).get(header_normalise(given))
            if answer is not None:
                self._saved_stage_note(file, column, given, key, answer)
        stage = stage_known(
            name=given,
            is_won=row.get("is_won"),
            is_closed=row.get("is_closed"),
            answer=answer,
        )
        if stage in Opportunity.Stage:
            return stage

        self._reject(OPPORTUNITY, file, line, column, given, stage)
        if given.strip() and not stage_name_known(given):
            self._stage_ask(file, line, column, given, key)
        return None

    def _saved_stage_note(
        self, file: str, column: str, given: str, key: str, answer: str
    ) -> None:
        """Say once per file that a saved answer decided a stage name."""
        if (file, key) in self.saved_applied:
            return
        self.saved_applied.add((file, key))
        self.outcome.saved_answers.append(
            {
                "file": file,
                "column": key,
                "value": given,
                "answer": answer,
                "options": list(STAGE_ANSWERS),
                "message": (
                    f"{column!r} says {given!r}, which is no known deal stage: "
                    f"read as {answer}, the answer saved with the mapping for "
                    "these headers. Answer again to change it (won, lost or "
                    "open), or clear it to be asked"
                ),
            }
        )

    def _stage_ask(
        self, file: str, line: int, column: str, given: str, key: str
    ) -> None:
        """Ask once per file whether a deal at an unknown stage is won."""
        if (file, key) in self.stages_asked:
            return
        self.stages_asked.add((file, key))
        self.outcome.questions.append(
            (
                file,
                Question(
                    column=key,
                    kind="stage",
                    message=(
                        f"{column!r} says {given!r} (line {line}), which is no "
                        "known deal stage; is a deal at it won, lost or open?"
                    ),
                    options=list(STAGE_ANSWERS),
                    examples=[(line, given)],
                ),
            )
        )

    def _deal_owners_join(self, pairs: dict[tuple[int, int], tuple[str, int]]) -> None:
        """Put each deal's owner on the account's team.

        Whoever works a deal works the account: without this, a rep whose
        deals came in through the import could not see the account they sell
        to, and access in Lode is by account team.
        """
        if not pairs:
            return

        existing = set(
            AccountTeamMember.objects.filter(
                account_id__in={account for account, _ in pairs}
            ).values_list("account_id", "user_id")
        )
        joining = {pair: where for pair, where in pairs.items() if pair not in existing}
        self._team_join(
            joining, self.account_names, "the deal's owner joins the account's team"
        )

    def _line_amount(self, file: str, line: int, row: dict[str, Any]) -> Money | None:
        """Return a product line's total: as given, else quantity × price."""
        total, quantity, price = (
            row.get("line_total"),
            row.get("quantity"),
            row.get("unit_price"),
        )
        if isinstance(total, Money):
            return total
        if quantity is None or not isinstance(price, Money):
            return None

        exact = Decimal(quantity) * price.amount
        code = price.currency or currency_code_normal(str(row.get("currency") or ""))
        digits = minor_digits(code or "USD")
        kept = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
        if kept != exact:
            to = {0: "a whole amount", 2: "the cent"}.get(digits, f"{digits} decimals")
            self.outcome.issues.append(
                Issue(
                    file,
                    line,
                    self._col(file, "quantity"),
                    f"{quantity} × {price.amount}",
                    f"quantity × sales price is {exact}, kept to {to} as {kept}",
                    REPAIRED,
                )
            )
        return Money(amount=zero_unsigned(kept), currency=price.currency)

    def _line_key(self, file: str, opportunity: str, row: dict[str, Any]) -> str:
        """Return a product line's key: opportunity, product and its place.

        The place counts the lines of the same product on the opportunity
        in this file, so a file read again gives every line the same key.
        """
        product = row.get("product") or UNSPECIFIED_PRODUCT
        self.line_places[(file, opportunity, product)] += 1
        place = self.line_places[(file, opportunity, product)]
        key = f"{opportunity}:{product}:{place}"
        if len(key) > 100:
            digest = hashlib.sha256(product.encode()).hexdigest()[:16]
            key = f"{opportunity}:{digest}:{place}"
        return key

    def _currency_clash(
        self, entity: str, file: str, line: int, row: dict[str, Any]
    ) -> bool:
        """Refuse a row whose amount names another currency than its column."""
        amount, stated = row.get("amount"), row.get("currency")
        if not (isinstance(amount, Money) and amount.currency and stated):
            return False
        if amount.currency == stated:
            return False

        self._reject(
            entity,
            file,
            line,
            self._col(file, "amount"),
            f"{amount.currency} {amount.amount}",
            f"the amount is in {amount.currency} but "
            f"{self._col(file, 'currency')!r} says {stated}",
        )
        return True

    def _deleted_deals_skip(
        self, prepared: list[tuple[str, int, dict[str, Any], str | None]]
    ) -> list[tuple[str, int, dict[str, Any], str | None]]:
        """Leave out the deals someone deleted by hand, saying who, per row.

        A deleted deal must not come back with the next export of the same
        CRM: its id is recorded (OpportunityDeletion), and a row with it is
        skipped, not refused, so the rest of the file still imports.
        """
        deleted = {
            gone.external_id: gone
            for gone in OpportunityDeletion.objects.filter(
                external_id__in=[values["external_id"] for _, _, values, _ in prepared]
            ).select_related("deleted_by")
        }
        if not deleted:
            return prepared

        kept = []
        for file, line, values, currency in prepared:
            gone = deleted.get(values["external_id"])
            if gone is None:
                kept.append((file, line, values, currency))
                continue
            reason = gone.skipped_reason
            self.outcome.issues.append(
                Issue(
                    file,
                    line,
                    self._col(file, "external_id"),
                    gone.external_id,
                    reason,
                    SKIPPED,
                )
            )
            if self.row_log is not None:
                # As the check names a deal; deleted, it has no key left.
                account = self._account_name(values["account_id"])
                label = f"deal {gone.external_id} of {account}"
                self.row_log(file, line, SKIPPED, label, reason)
        return kept

    def _won_uncounted_note(self, file: str, line: int, values: dict[str, Any]) -> None:
        """Say so when a won deal's revenue cannot be counted."""
        if values["stage"] != Opportunity.Stage.WON:
            return

        if not values["closed_on"]:
            field, what = "close_date", "a close date"
        elif values["close_value"] is None:
            field, what = "amount", "an amount"
        else:
            return
        self.outcome.issues.append(
            Issue(
                file,
                line,
                self._col(file, field),
                "",
                f"won deal without {what}: not counted as revenue",
                KEPT,
            )
        )

    def _won_rate_check(self, file: str, line: int, values: dict[str, Any]) -> None:
        """Keep a won deal whose amount no stored rate converts, to warn of."""
        if values["stage"] != Opportunity.Stage.WON:
            return
        if not values["closed_on"] or values["close_value"] is None:
            return

        if self.deal_rates is None:
            self.deal_rates = rate_table_load()
        currency = values["currency"]
        if currency == self.deal_rates.reporting_currency:
            return
        day = values["closed_on"]
        if self.deal_rates.rate_on_or_before(currency=currency, day=day) is None:
            self.won_rateless[(file, currency)].append((line, day))

    def _won_rateless_warn(self) -> None:
        """Warn of the won deals that won revenue will leave out, by currency."""
        for (file, currency), found in sorted(self.won_rateless.items()):
            count = len(found)
            lines = sorted(line for line, _ in found)
            named = _lines(lines[:LINES_NAMED])
            if count > LINES_NAMED:
                named += f" and {count - LINES_NAMED:,} more"
            deals, they = (
                ("1 won deal", "it is")
                if count == 1
                else (f"{count:,} won deals", "they are")
            )
            reason = missing_rate_reason(
                currency=currency, days=[day for _, day in found]
            )
            self.outcome.warnings.append(
                f"{file}: {deals} in {currency} (line{'s' if count != 1 else ''} "
                f"{named}) left out of won revenue: {reason}; {they} stored "
                f"in {currency} and counted once such a rate is stored"
            )

    def _won_revenue(self, won: dict[tuple[int, int, date], set[str]]) -> None:
        """Set each touched quarter's revenue lines to its won deals' sums.

        Each currency's won deals are summed on a line of their own; the
        roll-ups convert each line to the reporting currency.
        """
        if not won:
            return
        totals = won_revenue_sums(cells=won.keys())
        lines = won_revenue_lines(
            sums={
                # A quarter whose won deals are gone keeps its line at zero.
                key: totals.get(key) or {min(currencies): Decimal(0)}
                for key, currencies in won.items()
            }
        )
        self._revenue_lines_write(lines)

    def _revenue_lines_write(
        self, lines: dict[str, tuple[tuple[int, int, date], Decimal, str]]
    ) -> None:
        """Write each quarter's won deals' sums under their won keys.

        A currency the quarter's won deals no longer have keeps its line at
        zero, so the change can be undone with its import.
        """
        keyed = {import_key: key for import_key, (key, _, _) in lines.items()}
        plain = {
            won_key(account_id=key[0], product_id=key[1], quarter=key[2]): key
            for key in keyed.values()
        }
        existing = self._lines_by_key(list(keyed))
        for line in RevenueLine.objects.filter(
            account_id__in={key[0] for key in plain.values()},
            import_key__startswith="won:",
        ):
            import_key = cast(str, line.import_key)
            base = import_key.rsplit(":", 1)[0]
            if import_key not in lines and base in plain:
                existing[import_key] = line
                lines[import_key] = (plain[base], Decimal(0), line.currency)
                keyed[import_key] = plain[base]
        creates, updates = [], []
        for import_key, (key, amount, currency) in lines.items():
            values = {
                "amount": amount,
                "currency": currency,
                "source": RevenueLine.Source.PIPELINE,
            }
            if import_key not in existing:
                values = {
                    "import_key": import_key,
                    "account_id": key[0],
                    "product_id": key[1],
                    "quarter_start": key[2],
                    **values,
                }
            rows = self.won_rows[keyed[import_key]]
            if rows:
                values = self._won_line_derived(values, key, rows)
            if import_key in existing:
                updates.append((existing[import_key], values))
            else:
                creates.append(values)
        self._apply(entity=REVENUE, model=RevenueLine, creates=creates, updates=updates)
        self._quarter_sums_note(
            created={str(values["import_key"]): values for values in creates},
            where={
                import_key: self.won_rows[keyed[import_key]][0]
                for import_key in keyed
                if self.won_rows[keyed[import_key]]
            },
        )

    def _won_line_derived(
        self,
        values: dict[str, Any],
        key: tuple[int, int, date],
        rows: list[tuple[str, int]],
    ) -> dict[str, Any]:
        """Tie a quarter's won-revenue line to the first deal row summed in it."""
        account, product, quarter = key
        # Named as the check names the line (see _change_label); the
        # currency is in the record's key, at the end of the report's line.
        label = (
            f"revenue line {self.account_names.get(account, account)} / "
            f"{self.product_names.get(product, product)} / "
            f"{quarter_text(quarter)} (won deals)"
        )
        (file, line), others = rows[0], rows[1:]
        said = "the quarter's won deals summed"
        if others:
            shown = ", ".join(
                str(other) if where == file else f"{other} of {where}"
                for where, other in others[:WON_ROWS_SHOWN]
            )
            more = len(others) - WON_ROWS_SHOWN
            said += f" with line{'s' if len(others) > 1 else ''} {shown}"
            said += f" and {more:,} more" if more > 0 else ""
        return self._derived(values, file=file, line=line, label=label, reason=said)

    def _lines_by_key(self, keys: list[str]) -> dict[str, RevenueLine]:
        found: dict[str, RevenueLine] = {}
        for start in range(0, len(keys), CREATE_BATCH):
            for line in RevenueLine.objects.filter(
                import_key__in=keys[start : start + CREATE_BATCH]
            ):
                found[cast(str, line.import_key)] = line
        return found

    def revenue(self, files: list[FileRows]) -> None:
        """Write each invoice line under its own key, as read.

        The key is the line's invoice number and its place among the
        invoice's lines, else a digest of its values; a line read again
        under the same key is updated or left unchanged, never added twice.
        """
        self._rejected_lines(files, REVENUE)
        if not files:
            return
        finder = self.account_finder()
        replace_deals = (
            self.job.invoices_without_rate == InvoicesWithoutRate.REPLACE_DEALS
        )
        # Each line's key ("" until its invoice's lines are placed), values
        # and where it was read.
        read: list[tuple[str, dict[str, Any], str, int]] = []
        invoices: dict[tuple[str, str], list[int]] = defaultdict(list)
        # The lines without an invoice number, keyed by their values once
        # the counts of earlier chunks are read: place, file and digest.
        digests: list[tuple[int, str, str]] = []
        for rows in files:
            finder.names_read(rows.values.get("account_name", []))
            for line, row in rows.rows(rejected_too=True):
                rejected = line in rows.rejected
                account = self._row_account(finder, REVENUE, rows, line, row)
                amount, day = row.get("amount"), row.get("date")
                # A cell rejected already says why the amount or date is
                # missing; only a row without one at all is told here.
                missing = not rejected and (
                    not isinstance(amount, Money) or day is None
                )
                if missing:
                    self._reject(
                        REVENUE,
                        rows.file,
                        line,
                        "",
                        "",
                        "a revenue line needs an amount and a date",
                    )
                clash = self._currency_clash(REVENUE, rows.file, line, row)
                if account is None or missing or clash or rejected:
                    continue
                amount, day = cast(Money, amount), cast(date, day)
                # For the changes shown: no query to name its account.
                self.account_names[account.pk] = account.name
                product = row.get("product") or UNSPECIFIED_PRODUCT
                currency = amount.currency or row.get("currency") or REPORTING_CURRENCY
                number = row.get("invoice_number")
                if number:
                    invoices[(rows.file, number)].append(len(read))
                else:
                    digest = row_digest(
                        account=str(account.pk),
                        product=product,
                        booked_on=day,
                        amount=amount.amount,
                        currency=currency,
                    )
                    digests.append((len(read), rows.file, digest))
                values = {
                    "account_id": account.pk,
                    "product": product,
                    "booked_on": day,
                    "quarter_start": quarter_start(day),
                    "amount": amount.amount,
                    "currency": currency,
                    "source": RevenueLine.Source.INVOICE,
                }
                if replace_deals:
                    # Told so: the line replaces the quarter's won deals
                    # even before a rate converts it. Left out otherwise,
                    # so an import that was not told keeps what an earlier
                    # one was.
                    values["covers_without_rate"] = True
                read.append(("", values, rows.file, line))
        if not read:
            return

        line_keys = self._line_keys_load(
            [(file, f"invoice:{number}") for file, number in invoices]
            + [(file, LineKeys.row_base(digest)) for _, file, digest in digests]
        )
        for index, file, digest in digests:
            read[index] = (line_keys[file].row(digest), *read[index][1:])

        product_ids = self.product_ids(
            {
                values["product"]: (file, line)
                for _, values, file, line in reversed(read)
            },
            record="revenue line",
        )
        for _, values, _, _ in read:
            values["product_id"] = product_ids[values.pop("product")]
        existing = self._invoice_lines_place(read, invoices, line_keys)
        self._line_keys_save(line_keys)
        existing.update(
            self._lines_by_key([import_key for import_key, *_ in read if import_key])
        )
        where: dict[str, tuple[str, int]] = {}
        creates: dict[str, dict[str, Any]] = {}
        updates = []
        for import_key, values, file, line in read:
            where.setdefault(import_key, (file, line))
            if import_key in existing:
                updates.append((existing[import_key], self._row(values, file, line)))
            elif import_key in creates:
                # Two files of one upload hold the same line: it is written
                # once, as the later file has it.
                pending = creates[import_key]
                same = all(_same(pending[name], v) for name, v in values.items())
                self._counts(REVENUE)["unchanged" if same else "updated"] += 1
                pending.update(values)
                self._row(pending, file, line)
            else:
                creates[import_key] = self._row(
                    {"import_key": import_key, **values}, file, line
                )
        self._apply(
            entity=REVENUE,
            model=RevenueLine,
            creates=list(creates.values()),
            updates=updates,
        )
        self._quarter_sums_note(created=creates, where=where)

    def _line_keys_load(self, bases: Iterable[tuple[str, str]]) -> dict[str, LineKeys]:
        """Read how many lines earlier chunks read under these keys, by file."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for file, base in bases:
            wanted[file].add(base)
        line_keys: dict[str, LineKeys] = {}
        for file, keys in wanted.items():
            seen: dict[str, int] = {}
            for batch in lookup_batches(sorted(keys)):
                seen.update(
                    RevenueKeyStage.objects.filter(
                        job=self.job, file=file, key__in=batch
                    ).values_list("key", "lines")
                )
            line_keys[file] = LineKeys(seen)
        return line_keys

    def _line_keys_save(self, line_keys: Mapping[str, LineKeys]) -> None:
        """Stage how many lines have been read under this chunk's keys."""
        for file, keys in line_keys.items():
            for batch in lookup_batches(sorted(keys.seen)):
                RevenueKeyStage.objects.filter(
                    job=self.job, file=file, key__in=batch
                ).delete()
            RevenueKeyStage.objects.bulk_create(
                (
                    RevenueKeyStage(job=self.job, file=file, key=key, lines=lines)
                    for key, lines in keys.seen.items()
                ),
                batch_size=CREATE_BATCH,
            )

    def _invoice_lines_place(
        self,
        read: list[tuple[str, dict[str, Any], str, int]],
        invoices: Mapping[tuple[str, str], list[int]],
        line_keys: Mapping[str, LineKeys],
    ) -> dict[str, RevenueLine]:
        """Key each invoice's lines by content first, then by place.

        A line is "invoice:<number>:<n>" for n up to the invoice's lines
        read so far in its file. A read line takes the kept line with the
        same values, so the lines of an invoice in another order are left
        unchanged; an amended line takes a kept line no other line matched.
        Returns the kept lines found, by key.
        """
        if not invoices:
            return {}
        wanted: dict[tuple[str, str], list[int]] = {}
        for (file, number), indexes in invoices.items():
            keys = line_keys[file]
            before = keys.seen[f"invoice:{number}"]
            keys.seen[f"invoice:{number}"] = before + len(indexes)
            # Each line read takes one of the places up to the count read
            # with it (invoice_positions hands out every place it is given),
            # so the lines of earlier chunks took the first `before`.
            wanted[(file, number)] = list(range(before + 1, before + len(indexes) + 1))
        kept = self._lines_by_key(
            [
                f"invoice:{number}:{place}"
                for (_, number), places in wanted.items()
                for place in places
            ]
        )

        for (file, number), indexes in invoices.items():
            stored = {}
            free = []
            for place in wanted[(file, number)]:
                line = kept.get(f"invoice:{number}:{place}")
                if line is None:
                    free.append(place)
                    continue
                stored[place] = (
                    line.account_id,
                    line.product_id,
                    line.booked_on,
                    line.amount,
                    line.currency,
                )
            contents = [
                (
                    read[index][1]["account_id"],
                    read[index][1]["product_id"],
                    read[index][1]["booked_on"],
                    read[index][1]["amount"],
                    read[index][1]["currency"],
                )
                for index in indexes
            ]
            places = invoice_positions(read=contents, stored=stored, free=free)
            for index, place in zip(indexes, places, strict=True):
                read[index] = (f"invoice:{number}:{place}", *read[index][1:])
        return kept

    def _quarter_sums_note(
        self,
        *,
        created: Mapping[str, Mapping[str, Any]],
        where: Mapping[str, tuple[str, int]],
    ) -> None:
        """Say where new lines add to a quarter stored as one sum before.

        Revenue imported before lines were kept one by one is a quarter's
        sum (migration 0013 keys it "quarter:..."); the new file may hold
        the same invoices, which would then count twice.
        """
        first: dict[str, str] = {}
        for import_key, values in created.items():
            legacy = (
                f"quarter:{values['account_id']}:{values['product_id']}:"
                f"{values['quarter_start'].isoformat()}"
            )
            if legacy not in self.quarter_sums_noted and import_key in where:
                first.setdefault(legacy, import_key)
        if not first:
            return

        for line in RevenueLine.objects.filter(
            import_key__in=list(first)
        ).select_related("account", "product"):
            self.quarter_sums_noted.add(line.import_key)
            file, number = where[first[line.import_key]]
            self.outcome.issues.append(
                Issue(
                    file,
                    number,
                    self._col(file, "amount"),
                    f"{line.amount} {line.currency}",
                    f"{line.account.name!r} already has {line.amount:,} "
                    f"{line.currency} of {line.product.name} revenue in the "
                    f"quarter from {line.quarter_start}, stored as one sum "
                    "before lines were kept one by one; this file's lines add "
                    "to it, so if they are the same sales, undo the import "
                    "that stored the sum first",
                    KEPT,
                )
            )

    # Support

    def support(self, files: list[FileRows]) -> None:
        self._rejected_lines(files, SUPPORT)
        if not files:
            return
        finder = self.account_finder()
        existing = {
            (signal.account_id, signal.period_start): signal
            for signal in SupportSignal.objects.all()
        }
        creates, updates = [], []
        for rows in files:
            finder.names_read(rows.values.get("account_name", []))
            for line, row in rows.rows(rejected_too=True):
                rejected = line in rows.rejected
                account = self._row_account(finder, SUPPORT, rows, line, row)
                missing = not rejected and row.get("period") is None
                if missing:
                    self._reject(
                        SUPPORT,
                        rows.file,
                        line,
                        "",
                        "",
                        "a support signal needs a period",
                    )
                if account is None or missing or rejected:
                    continue
                # For the changes shown: no query to name its account.
                self.account_names[account.pk] = account.name
                values = {
                    "tickets": int(row["tickets"])
                    if row.get("tickets") is not None
                    else None,
                    "satisfaction": row.get("satisfaction"),
                    "nps": int(row["nps"]) if row.get("nps") is not None else None,
                }
                key = (account.pk, row["period"])
                if self._repeated(
                    entity=SUPPORT,
                    key=key,
                    file=rows.file,
                    line=line,
                    column=self._col(rows.file, "period"),
                    value=str(row["period"]),
                    what="account and period",
                    noun="account's period",
                ):
                    continue
                if key in existing:
                    updates.append((existing[key], self._row(values, rows.file, line)))
                else:
                    creates.append(
                        self._row(
                            {"account_id": key[0], "period_start": key[1], **values},
                            rows.file,
                            line,
                        )
                    )
                    existing[key] = SupportSignal(
                        account_id=key[0], period_start=key[1]
                    )
        self._apply(
            entity=SUPPORT, model=SupportSignal, creates=creates, updates=updates
        )

    # Users and teams

    def user_file(self, files: list[FileRows]) -> None:
        self._rejected_lines(files, USER)
        for rows in files:
            self.user_rows.extend((rows.file, line, row) for line, row in rows.rows())

    def team_file(self, files: list[FileRows]) -> None:
        self._rejected_lines(files, SALES_TEAM)
        for rows in files:
            self.team_rows.extend((rows.file, line, row) for line, row in rows.rows())

    def _teams_known(self) -> dict[str, Team]:
        return {team.name.casefold(): team for team in Team.objects.all()}

    def _team_name(
        self, file: str, line: int, field: str, value: str, spellings: dict[str, str]
    ) -> str:
        """Return a team cell as stored: spacing tidied, the first spelling.

        A team already in Lode keeps its name; a new one is spelt as the
        file first spells it.
        """
        name = " ".join(value.split())
        name = spellings.setdefault(name.casefold(), name)
        if name != value:
            self.outcome.issues.append(
                Issue(
                    file,
                    line,
                    self._col(file, field),
                    value,
                    f"team read as {name!r}",
                    REPAIRED,
                )
            )
        return name

    def _teams_create(self, names: Iterable[str], teams: dict[str, Team]) -> None:
        fresh = sorted({name for name in names if name.casefold() not in teams})
        created = self._teams_apply(
            creates=[{"name": name} for name in fresh], updates=[]
        )
        for team in created:
            teams[cast(Team, team).name.casefold()] = cast(Team, team)

    def _user_row(
        self,
        file: str,
        line: int,
        row: dict[str, Any],
        *,
        seen: dict[str, int],
        grants_ops: bool,
    ) -> tuple[str, str | None] | None:
        """Check one user row; return its email and role, or None if refused."""
        email_column = self._col(file, "email")
        written = (row.get("email") or "").strip()
        if not written:
            self._reject(
                USER,
                file,
                line,
                email_column,
                "",
                "the email is blank: Lode matches users by their email",
            )
            return None
        try:
            validate_email(written)
        except ValidationError:
            self._reject(
                USER, file, line, email_column, written, "not an email address"
            )
            return None
        email = written.lower()
        if email in seen:
            self._reject(
                USER,
                file,
                line,
                email_column,
                written,
                f"the same email as line {seen[email]}: each user is listed once",
            )
            return None
        seen[email] = line

        given = " ".join((row.get("role") or "").split())
        role = _ROLES.get(given.casefold()) if given else None
        if given and role is None:
            role_column = self._col(file, "role")
            key = role_question_key(column=role_column, value=given)
            role = self.answers.get(file, {}).get(key)
            if role not in ROLE_ANSWERS:
                self._role_ask(file, line, role_column, given, key)
                return None
        if role == User.Role.OPS and not grants_ops:
            existing = self.users_by_email.get(email)
            if existing is None or existing.role != User.Role.OPS:
                self._reject(
                    USER,
                    file,
                    line,
                    self._col(file, "role"),
                    given,
                    "only a sales ops user may give the ops role; this import "
                    "was not started by one",
                )
                return None
        return email, role

    def _role_ask(
        self, file: str, line: int, column: str, given: str, key: str
    ) -> None:
        """Ask once per file which Lode role an unknown role value is."""
        if (file, key) in self.roles_asked:
            return
        self.roles_asked.add((file, key))
        self.outcome.questions.append(
            (
                file,
                Question(
                    column=key,
                    kind="role",
                    message=(
                        f"{column!r} says {given!r} (line {line}), which is no "
                        "Lode role; which role do users with it get?"
                    ),
                    options=list(ROLE_ANSWERS),
                    examples=[(line, given)],
                ),
            )
        )

    def _users_flush(self) -> None:
        """Create and update users and the teams they name; link managers."""
        if not self.user_rows:
            return
        importer = self.job.created_by
        grants_ops = importer is not None and importer.is_ops
        existing = list(User.objects.all())
        self.users_by_email = {u.email.lower(): u for u in existing if u.email}
        by_external = {u.external_id: u for u in existing if u.external_id}
        logins = {u.username.casefold() for u in existing}
        teams = self._teams_known()
        spellings = {key: team.name for key, team in teams.items()}

        checked: list[tuple[str, int, dict[str, Any], str, str | None, str]] = []
        seen: dict[str, int] = {}
        for file, line, row in self.user_rows:
            found = self._user_row(file, line, row, seen=seen, grants_ops=grants_ops)
            if found is None:
                continue
            email, role = found
            team = row.get("team") or ""
            if team.strip():
                team = self._team_name(file, line, "team", team, spellings)
            checked.append((file, line, row, email, role, team.strip()))
        self._teams_create((team for *_, team in checked if team), teams)

        creates: list[dict[str, Any]] = []
        updates: list[tuple[models.Model, dict[str, Any]]] = []
        for file, line, row, email, role, team in checked:
            external_id = (row.get("external_id") or "").strip()
            target = by_external.get(external_id) if external_id else None
            by_email = self.users_by_email.get(email)
            if (
                target is None
                and by_email is not None
                and external_id
                and by_email.external_id
                and by_email.external_id != external_id
            ):
                # Two CRM users behind one email: taking the row would rename
                # the existing user and give them the other's ID.
                self._reject(
                    USER,
                    file,
                    line,
                    self._col(file, "email"),
                    row["email"],
                    f"this email is {by_email.display_name}'s, whose ID is "
                    f"{by_email.external_id}, but this row has ID {external_id}",
                )
                continue
            if target is None:
                target = by_email
            elif by_email is not None and by_email.pk != target.pk:
                self._reject(
                    USER,
                    file,
                    line,
                    self._col(file, "email"),
                    row["email"],
                    f"ID {external_id} is {target.email}, but another user has "
                    "this email",
                )
                continue
            values = _user_values(row, role=role)
            if team:
                values["team_id"] = teams[team.casefold()].pk
            if external_id:
                values["external_id"] = external_id
            if target is None:
                login = (row.get("username") or "").strip().casefold() or email
                if login in logins:
                    login = email
                if login in logins:
                    self._reject(
                        USER,
                        file,
                        line,
                        self._col(file, "email"),
                        row["email"],
                        f"the login {login!r} belongs to another user",
                    )
                    continue
                logins.add(login)
                creates.append(
                    self._row(
                        {
                            "username": login,
                            "email": email,
                            # No password: they log in once an admin sets one or
                            # through a password reset.
                            "password": make_password(None),
                            "is_staff": False,
                            "is_superuser": False,
                            "role": User.Role.REP,
                            **{k: v for k, v in values.items() if v is not None},
                        },
                        file,
                        line,
                    )
                )
                continue
            demotes = (role and role != target.role) or values.get("is_active") is False
            refusal = ""
            if demotes and target.is_superuser:
                refusal = (
                    "this user is a Lode administrator: change their role or "
                    "deactivate them in the admin, not by an import"
                )
            elif demotes and importer is not None and target.pk == importer.pk:
                refusal = (
                    "this row is you: an import does not change your own role "
                    "or deactivate you"
                )
            if refusal:
                self._reject(
                    USER,
                    file,
                    line,
                    self._col(file, "role" if role else "is_active"),
                    row.get("role") or "false",
                    refusal,
                )
                continue
            if target.email.lower() != email:
                values["email"] = email
            updates.append((target, self._row(values, file, line)))
        self._apply(entity=USER, model=User, creates=creates, updates=updates)
        # Owners and managers named below must find the users just written.
        self.users = None
        self._managers_link(checked, teams)

    def _managers_link(
        self,
        checked: list[tuple[str, int, dict[str, Any], str, str | None, str]],
        teams: dict[str, Team],
    ) -> None:
        """Make each row's manager the manager of the row's team."""
        chosen: dict[str, tuple[int, int]] = {}
        leads: dict[str, int] = {}
        for file, line, row, email, role, team in checked:
            manager = (row.get("manager") or "").strip()
            if not manager:
                user_id = self.user_for(email)
                if role == User.Role.MANAGER and team and user_id is not None:
                    leads.setdefault(team.casefold(), user_id)
                continue
            column = self._col(file, "manager")
            if not team:
                self.outcome.issues.append(
                    Issue(
                        file,
                        line,
                        column,
                        manager,
                        "the row names no team; Lode keeps a manager as the "
                        "lead of a team, so the manager was not recorded",
                        KEPT,
                    )
                )
                continue
            user_id = self.user_for(manager)
            if user_id is None:
                self.outcome.issues.append(
                    Issue(
                        file,
                        line,
                        column,
                        manager,
                        "no Lode user has this ID, login, email or name; the "
                        "team's manager was left as it was",
                        KEPT,
                    )
                )
                continue
            first = chosen.setdefault(team.casefold(), (user_id, line))
            if first[0] != user_id:
                self.outcome.issues.append(
                    Issue(
                        file,
                        line,
                        column,
                        manager,
                        f"line {first[1]} names another manager for {team!r}; "
                        "that one leads the team",
                        KEPT,
                    )
                )
        # A manager with a team and no lead named leads a team that has none.
        for key, user_id in leads.items():
            if key not in chosen and teams[key].manager_id is None:
                chosen[key] = (user_id, 0)
        updates: list[tuple[models.Model, dict[str, Any]]] = [
            (teams[key], {"manager_id": user_id})
            for key, (user_id, _) in chosen.items()
        ]
        self._teams_apply(creates=[], updates=updates)

    def _sales_teams_flush(self) -> None:
        """Create and update the teams of a teams file, with their managers."""
        if not self.team_rows:
            return
        teams = self._teams_known()
        spellings = {key: team.name for key, team in teams.items()}
        checked: list[tuple[str, int, dict[str, Any], str]] = []
        seen: dict[str, int] = {}
        for file, line, row in self.team_rows:
            written = row.get("name") or ""
            column = self._col(file, "name")
            if not written.strip():
                self._reject(
                    SALES_TEAM, file, line, column, "", "the team's name is blank"
                )
                continue
            name = self._team_name(file, line, "name", written, spellings)
            if len(name) > 150:
                self._reject(
                    SALES_TEAM,
                    file,
                    line,
                    column,
                    value_start(written),
                    too_long_reason(name, 150),
                )
                continue
            if name.casefold() in seen:
                self._reject(
                    SALES_TEAM,
                    file,
                    line,
                    column,
                    written,
                    f"the same team as line {seen[name.casefold()]}: each team "
                    "is listed once",
                )
                continue
            seen[name.casefold()] = line
            checked.append((file, line, row, name))
        creates: list[dict[str, Any]] = []
        updates: list[tuple[models.Model, dict[str, Any]]] = []
        for file, line, row, name in checked:
            values: dict[str, Any] = {"region": (row.get("region") or "").strip()}
            values["region"] = values["region"] or None
            manager = (row.get("manager") or "").strip()
            if manager:
                user_id = self.user_for(manager)
                if user_id is None:
                    self.outcome.issues.append(
                        Issue(
                            file,
                            line,
                            self._col(file, "manager"),
                            manager,
                            "no Lode user has this ID, login, email or name; "
                            "the team's manager was left as it was",
                            KEPT,
                        )
                    )
                values["manager_id"] = user_id
            team = teams.get(name.casefold())
            if team is None:
                fresh = {
                    "name": name,
                    **{k: v for k, v in values.items() if v is not None},
                }
                creates.append(self._row(fresh, file, line))
            else:
                updates.append((team, self._row(values, file, line)))
        self._teams_apply(creates=creates, updates=updates)

    def _teams_apply(
        self,
        *,
        creates: list[dict[str, Any]],
        updates: list[tuple[models.Model, dict[str, Any]]],
    ) -> list[models.Model]:
        """Write teams, counting each team once over the whole import.

        A users file creates the teams it names and leads them; a teams file
        in the same upload then updates them again. Each team counts once,
        as the most it underwent: created, else updated, else unchanged.
        """
        if not creates and not updates:
            return []
        created, updated, unchanged = self._apply(
            entity=SALES_TEAM, model=Team, creates=creates, updates=updates, count=False
        )
        outcomes = self.team_outcomes
        for obj in created:
            outcomes[obj.pk] = "created"
        for pk in updated:
            if outcomes.get(pk) != "created":
                outcomes[pk] = "updated"
        for pk in unchanged:
            outcomes.setdefault(pk, "unchanged")
        counts = self._counts(SALES_TEAM)
        for outcome in ("created", "updated", "unchanged"):
            counts[outcome] = sum(1 for one in outcomes.values() if one == outcome)
        return created


# What a role cell may say: the role's value or its label, any case.
_ROLES = {
    **{value.casefold(): value for value in User.Role.values},
    **{str(label).casefold(): value for value, label in User.Role.choices},
}


def _user_values(row: Mapping[str, Any], *, role: str | None) -> dict[str, Any]:
    """Return the user fields a row sets; None where it says nothing."""
    first = (row.get("first_name") or "").strip() or None
    last = (row.get("last_name") or "").strip() or None
    full = " ".join((row.get("full_name") or "").split())
    if full and first is None and last is None:
        given, _, family = full.rpartition(" ")
        first, last = (given, family) if given else (family, "")
    return {
        "first_name": first,
        "last_name": last,
        "role": role,
        "is_active": row.get("is_active"),
    }


def _person_key(text: str) -> str:
    return " ".join(text.casefold().split())


def _derived_id(account: str, row: Mapping[str, Any]) -> str:
    """Return a stable ID for a deal exported without one (report exports)."""
    parts = [account, row.get("name") or "", str(row.get("close_date") or "")]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"{DERIVED_ID_PREFIX}{digest}"


# Undo


UNDO_ORDER = (
    AccountAlias,
    AccountTeamMember,
    RevenueLine,
    SupportSignal,
    Opportunity,
    Account,
    Product,
    CurrencyRate,
    # Teams before users: a team the import made goes before its members.
    Team,
    User,
)
UNDONE = "undone"
# Where the row report places a note on no line of any file.
WHOLE_IMPORT = "(whole import)"


def issue_place(issue: Mapping[str, Any]) -> tuple[str, int | str]:
    """Return the file and line a report shows for an issue.

    A note on the import as a whole (what an undo kept or deleted, a
    mapping that cannot be written) has no line: it is labelled as the
    whole import's, never as line 0.
    """
    if not issue["line"]:
        return str(issue["file"] or WHOLE_IMPORT), ""
    return str(issue["file"]), int(issue["line"])


def _whole_import_note(
    column: str, value: str, reason: str, *, action: str = UNDONE
) -> dict[str, object]:
    """Return an undo's note for the row report: on the import, on no line."""
    return {
        "file": "",
        "line": None,
        "column": column,
        "value": value,
        "reason": reason,
        "action": action,
    }


def undo_order() -> tuple[type[models.Model], ...]:
    # Other apps' records sit on ours (a person on an account): they go first.
    return (*import_writer_models(), *UNDO_ORDER)


@dataclass
class UndoResult:
    """What an undo did beyond the plain restore: kept records, users."""

    kept: list[str]
    users: list[str]


def mapped_import_undo_plan(*, mapped: MappedImport) -> UndoKeep:
    """Return what undoing this import would leave alone, or refuse it.

    Raises WizardError when the undo cannot be done at all: undone already,
    nothing written, or a later import built on what it wrote.
    """
    _undo_refusal(mapped=mapped)
    return undo_keep_find(job=mapped.job, order=undo_order())


@dataclass
class UndoPreview:
    """What undoing an import would do now, or why it cannot be undone."""

    refusal: str = ""
    keep: UndoKeep = field(default_factory=UndoKeep)
    # By kind of record (plural): how many the undo deletes, and how many
    # it sets back to their values before the import.
    deleted: dict[str, int] = field(default_factory=dict)
    restored: dict[str, int] = field(default_factory=dict)
    # Users the import created: deleted, or deactivated where they have
    # logged in or anything refers to them.
    users: int = 0


def mapped_import_undo_preview(*, mapped: MappedImport) -> UndoPreview:
    """Return what undoing this import would delete, set back and keep."""
    try:
        keep = mapped_import_undo_plan(mapped=mapped)
    except WizardError as error:
        return UndoPreview(refusal=str(error))

    preview = UndoPreview(keep=keep)
    mine = ImportRowChange.objects.filter(job=mapped.job)
    # A record the import created and then changed (a person's manager,
    # set once every person was in) is deleted, not set back.
    made = mine.filter(
        action=ImportRowChange.Action.CREATED,
        content_type=models.OuterRef("content_type"),
        object_id=models.OuterRef("object_id"),
    )
    tallies = {
        (content_type, action): total
        for content_type, action, total in mine.exclude(
            models.Q(action=ImportRowChange.Action.UPDATED) & models.Exists(made)
        )
        .values_list("content_type", "action")
        .annotate(total=models.Count("object_id", distinct=True))
        .order_by()
    }
    for model in undo_order():
        # The import's own history stays: the undo adds to it.
        if model is ChangeRecord:
            continue
        kind = ContentType.objects.get_for_model(model).pk
        created = tallies.get((kind, ImportRowChange.Action.CREATED), 0)
        updated = tallies.get((kind, ImportRowChange.Action.UPDATED), 0)
        if model is User:
            preview.users = created
            created = 0
        deleted = created - len(keep.created.get(model, ()))
        plural = str(model._meta.verbose_name_plural)
        if deleted:
            preview.deleted[plural] = deleted
        if updated:
            preview.restored[plural] = updated
    return preview


def _undo_refusal(*, mapped: MappedImport) -> None:
    job = mapped.job
    if mapped.undone_at is not None:
        raise WizardError("This import has already been undone.")
    if job.status != ImportJob.Status.SUCCEEDED:
        raise WizardError("Only an import that wrote something can be undone.")

    mine = ImportRowChange.objects.filter(job=job)
    # Afterwards in the order the rows were written, which the change
    # records keep: an import uploaded first may well be started last.
    later = (
        _others_in_force(job=job)
        .filter(
            models.Exists(
                mine.filter(
                    content_type=models.OuterRef("content_type"),
                    object_id=models.OuterRef("object_id"),
                    pk__lt=models.OuterRef("pk"),
                )
            )
        )
        .order_by("pk")
        .values_list("job_id", flat=True)
        .first()
    )
    if later is not None:
        raise WizardError(
            f"Import {later} changed the same rows afterwards; undo it first."
        )
    children = _later_children_jobs(job=job)
    if children:
        named = ", ".join(str(pk) for pk in children)
        raise WizardError(
            f"Import{'s' if len(children) > 1 else ''} {named} wrote rows under "
            "records this import created, which undoing it would delete; undo "
            f"{'them' if len(children) > 1 else 'it'} first."
        )


def mapped_import_undo(
    *, mapped: MappedImport, user: User | None, preview: UndoPreview | None = None
) -> UndoResult:
    """Restore every object the import touched to its state before it.

    Work done in Lode since is left alone (see accounts.undo_keep): a
    record it created that someone has worked on is kept, and a value it
    changed that someone has edited by hand keeps that edit. Users it
    created are deleted, unless they have since logged in or anything
    refers to them: those are deactivated instead. The import's history
    stays, and the undo adds its own where the import wrote some.

    `preview` is what the caller showed, computed with the import locked:
    the undo then keeps what it said instead of working that out again.
    """
    job = mapped.job
    if preview is None:
        keep = mapped_import_undo_plan(mapped=mapped)
    elif preview.refusal:
        raise WizardError(preview.refusal)
    else:
        keep = preview.keep
    mine = ImportRowChange.objects.filter(job=job)
    history = _undo_history_places(job=job)

    with transaction.atomic():
        counted_in = _undo_won_cells(job=job, lines=True)
        records: list[ChangeRecord] = []
        for model in undo_order():
            content_type = ContentType.objects.get_for_model(model)
            changes = list(
                mine.filter(
                    content_type=content_type, action=ImportRowChange.Action.UPDATED
                ).order_by("-id")
            )
            if not changes:
                continue
            objects = model._default_manager.in_bulk([c.object_id for c in changes])
            restored: dict[int, Any] = {}
            names: set[str] = set()
            renamed: list[int] = []
            for change in changes:
                obj = objects.get(change.object_id)
                if obj is None:
                    continue
                # Sorted: PostgreSQL keeps JSON keys in its own order, and
                # the history should read the same on every database.
                for name, value in sorted(change.old_values.items()):
                    if keep.keeps(model, obj.pk, name):
                        continue
                    field = model._meta.get_field(name)
                    assert isinstance(field, models.Field)
                    before = getattr(obj, field.attname)
                    setattr(obj, name, field.to_python(value))
                    names.add(name)
                    if model is Account and name == "name":
                        renamed.append(obj.pk)
                    account_id = history.get((content_type.pk, obj.pk))
                    if account_id is not None:
                        records.append(
                            _undo_record(
                                job=job,
                                user=user,
                                account_id=account_id,
                                obj=obj,
                                name=history_name(name),
                                old=before,
                                new=getattr(obj, field.attname),
                            )
                        )
                restored[obj.pk] = obj
            if restored and names:
                objects_update(
                    model=model, objects=list(restored.values()), fields=sorted(names)
                )
            if renamed:
                # The names the undo gives back reach the chart as the
                # import's did: one mark for them all.
                account_renamed.send(sender=Account, account_ids=renamed)
        # The import's renames leave the history with the names they gave,
        # which are no former names once undone; a name kept by a hand
        # edit since keeps the rename that led to it.
        named_since = [
            pk
            for (model, pk) in keep.fields
            if model is Account and keep.keeps(Account, pk, "name")
        ]
        ChangeRecord.objects.filter(
            import_job=job,
            content_type=ContentType.objects.get_for_model(Account),
            field="name",
        ).exclude(object_id__in=named_since).delete()
        said: list[str] = []
        for model in undo_order():
            # The history keeps what the import did and what its undo did.
            if model is ChangeRecord:
                continue
            content_type = ContentType.objects.get_for_model(model)
            ids = mine.filter(
                content_type=content_type, action=ImportRowChange.Action.CREATED
            ).values("object_id")
            if model is User:
                said = _created_users_undo(job=job, ids=ids)
                continue
            # A subquery, not a list: an import may have created a million.
            undone = model._default_manager.filter(pk__in=ids).exclude(
                pk__in=keep.created.get(model, set())
            )
            if model is AccountTeamMember:
                # The accounts' team lists shrink: readers' ETags go stale.
                account_versions_touch(
                    account_ids=undone.values_list("account_id", flat=True)
                )
            undone.delete()
        alive = set(
            Account.objects.filter(
                pk__in={one.account_id for one in records}
            ).values_list("pk", flat=True)
        )
        ChangeRecord.objects.bulk_create(
            [one for one in records if one.account_id in alive]
        )
        # A deal the undo keeps, or whose hand-edited fields it keeps, keeps
        # its won revenue: every quarter the import's deals and won lines
        # counted in, before the undo or after it, is summed again.
        won_revenue_sync(cells=counted_in | _undo_won_cells(job=job, lines=False))
        if keep.notes:
            job.issues = [
                *job.issues,
                # What the undo left alone was kept, not undone.
                *(_whole_import_note("", "", note, action=KEPT) for note in keep.notes),
            ]
            job.save(update_fields=["issues", "updated_at"])
        mapped.undone_at = timezone.now()
        mapped.undone_by = user
        mapped.save(update_fields=["undone_at", "undone_by", "updated_at"])
        tables_written_analyze()
        transaction.on_commit(lambda: import_finished.send(sender=ImportJob, job=job))
    return UndoResult(kept=keep.notes, users=said)


def _undo_won_cells(*, job: ImportJob, lines: bool) -> set[Cell]:
    """Return where the import's won deals, and its won lines if asked, count."""
    mine = ImportRowChange.objects.filter(job=job)
    deals = Opportunity.objects.filter(
        pk__in=mine.filter(
            content_type=ContentType.objects.get_for_model(Opportunity)
        ).values("object_id"),
        stage=Opportunity.Stage.WON,
        closed_on__isnull=False,
        account__isnull=False,
    ).values_list("account_id", "product_id", "closed_on")
    cells = {
        (account_id, product_id, quarter_start(closed_on))
        for account_id, product_id, closed_on in deals
        if closed_on is not None  # filtered out; for mypy
    }
    if lines:
        cells.update(
            RevenueLine.objects.filter(
                pk__in=mine.filter(
                    content_type=ContentType.objects.get_for_model(RevenueLine)
                ).values("object_id"),
                import_key__startswith=WON_PREFIX,
            ).values_list("account_id", "product_id", "quarter_start")
        )
    return cells


def history_name(name: str) -> str:
    """Return how the shared history names a field: "account", not "account_id"."""
    return name.removesuffix("_id") if name in _HISTORY_RELATIONS else name


# The relations an import sets, named in the history without their "_id".
_HISTORY_RELATIONS = ("account_id", "owner_id", "reports_to_id")


def _undo_history_places(*, job: ImportJob) -> dict[tuple[int, int], int]:
    """Return the account of each object the import wrote history for."""
    own = ImportRowChange.objects.filter(
        job=job,
        content_type=ContentType.objects.get_for_model(ChangeRecord),
        action=ImportRowChange.Action.CREATED,
    ).values("object_id")
    return {
        (content_type_id, object_id): account_id
        for content_type_id, object_id, account_id in ChangeRecord.objects.filter(
            pk__in=own
        ).values_list("content_type_id", "object_id", "account_id")
    }


def _undo_record(
    *,
    job: ImportJob,
    user: User | None,
    account_id: int,
    obj: models.Model,
    name: str,
    old: Any,
    new: Any,
) -> ChangeRecord:
    return ChangeRecord(
        account_id=account_id,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        object_label=str(obj)[:300],
        action="undo",
        field=name,
        old_value=history_text(old),
        new_value=history_text(new),
        changed_by=user,
        import_job=job,
    )


def _later_children_jobs(*, job: ImportJob) -> list[int]:
    """Return the imports that since wrote rows under records `job` created.

    Deleting an account or product the job created would take those rows
    (revenue lines, support signals, deals) with it, behind the back of
    imports that still say they succeeded.
    """
    others = _others_in_force(job=job)
    found: set[int] = set()
    order = undo_order()
    for parent in order:
        made = ImportRowChange.objects.filter(
            job=job,
            content_type=ContentType.objects.get_for_model(parent),
            action=ImportRowChange.Action.CREATED,
        )
        for relation in parent._meta.related_objects:
            child = relation.related_model
            if child not in order or not relation.one_to_many:
                continue
            # Each row with the change record that made its parent: a row
            # another import wrote after that record is built on the job's
            # work, whenever that import was uploaded. One it wrote before
            # was moved under the parent by the job, whose undo moves it back.
            rows = child._default_manager.filter(
                **{f"{relation.field.name}__in": made.values("object_id")}
            ).annotate(
                parent_made=models.Subquery(
                    made.filter(
                        object_id=models.OuterRef(relation.field.attname)
                    ).values("pk")[:1]
                )
            )
            found.update(
                others.filter(
                    models.Exists(
                        rows.filter(
                            pk=models.OuterRef("object_id"),
                            parent_made__lt=models.OuterRef("pk"),
                        )
                    ),
                    content_type=ContentType.objects.get_for_model(child),
                ).values_list("job_id", flat=True)
            )
    return sorted(found)


def _others_in_force(*, job: ImportJob) -> models.QuerySet[ImportRowChange]:
    """Return the change records of the other imports that still stand."""
    return ImportRowChange.objects.exclude(job=job).filter(
        job__mapped__undone_at__isnull=True,
        job__status=ImportJob.Status.SUCCEEDED,
    )


def _user_activity(users: Sequence[User]) -> dict[int, list[str]]:
    """Return what each user has done in Lode since: a login, their records."""
    done: dict[int, list[str]] = defaultdict(list)
    for user in users:
        if user.last_login is not None:
            done[user.pk].append("logged in")
    ids = [user.pk for user in users]
    for relation in User._meta.related_objects:
        if relation.many_to_many:
            continue
        related = cast(type[models.Model], relation.related_model)
        if getattr(related, "import_undo_ignores", False):
            continue
        name = relation.field.name
        referring = (
            related._default_manager.filter(**{f"{name}__in": ids})
            .values(name)
            .annotate(total=models.Count("pk"))
            .values_list(name, "total")
        )
        for pk, total in referring:
            label = (
                related._meta.verbose_name
                if total == 1
                else related._meta.verbose_name_plural
            )
            done[pk].append(f"{total} {label}")
    return done


def _created_users_undo(*, job: ImportJob, ids: models.QuerySet) -> list[str]:
    """Delete the users an import created, or deactivate those since active."""
    users = list(User.objects.filter(pk__in=ids).order_by("email"))
    done = _user_activity(users)
    said: list[str] = []
    issues: list[dict[str, object]] = []
    for user in users:
        if done.get(user.pk):
            reason = "deactivated, not deleted: since the import they have " + (
                ", ".join(done[user.pk])
            )
        else:
            reason = "deleted: created by this import and not used since"
        said.append(f"{user.email}: {reason}")
        issues.append(_whole_import_note("email", user.email, reason))
    User.objects.filter(pk__in=[u.pk for u in users if done.get(u.pk)]).update(
        is_active=False
    )
    User.objects.filter(pk__in=[u.pk for u in users if not done.get(u.pk)]).delete()
    if issues:
        job.issues = [*job.issues, *issues]
        job.save(update_fields=["issues", "updated_at"])
    return said


# Report


def mapped_import_score_run(*, job: ImportJob) -> dict[str, Any] | None:
    """Return the newest score run this import asked for, if any.

    scoring links its runs to the job that asked (ScoreRun.import_job); the
    reverse relation is read here so accounts never imports scoring. An undo
    asks for a run too, so after one the newest run is the undo's.
    """
    runs = getattr(job, "score_runs", None)
    run = runs.order_by("-pk").first() if runs is not None else None
    if run is None:
        return None
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "url": reverse("scoring_api:run_detail", args=[run.pk]),
    }


def import_changes_csv(*, changes: Sequence[Mapping[str, Any]]) -> str:
    """Write one line per changed field of an existing record, old and new."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["record", "field", "old", "new"])
    for change in changes:
        for one in change["fields"]:
            # The old and new values quote uploaded cells and stored text.
            writer.writerow(
                cell_neutralise(value)
                for value in (change["record"], one["field"], one["old"], one["new"])
            )
    return out.getvalue()


# How many report lines go out in one piece of a streamed download.
REPORT_CHUNK_LINES = 1000


def mapped_import_counts(*, job: ImportJob) -> list[tuple[str, dict[str, int]]]:
    """Return the job's counts by kind of record, in ENTITY_LABELS' order.

    PostgreSQL's jsonb keeps no key order (it puts shorter keys first), so
    the stored order is not the one to show.
    """
    order = {label: place for place, label in enumerate(ENTITY_LABELS.values())}
    return sorted(job.counts.items(), key=lambda item: order.get(item[0], len(order)))


def mapped_import_report_csv(*, job: ImportJob) -> Iterator[str]:
    """Yield the job's full row report as CSV text, a chunk at a time.

    Every row of a written import first, with what became of it and the
    records derived from it, then the notes on single cells, then the
    counts. The rows are read from the run's log as they go out: a report
    of a million rows never sits in memory whole.
    """
    out = io.StringIO()
    writer = csv.writer(out)

    def taken() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    rows_path = row_report_path(job=job)
    if rows_path.is_file():
        writer.writerow(ROW_REPORT_HEADER)
        width = len(ROW_REPORT_HEADER)
        with rows_path.open(newline="", encoding="utf-8") as rows:
            reader = csv.reader(rows)
            while chunk := list(itertools.islice(reader, REPORT_CHUNK_LINES)):
                # A run before the key column logged no key.
                writer.writerows(row + [""] * (width - len(row)) for row in chunk)
                yield taken()
        writer.writerow([])
    writer.writerow(["file", "line", "column", "value", "reason", "action"])
    # Values and reasons quote the uploaded cells, which may be formulas.
    for start in range(0, len(job.issues), REPORT_CHUNK_LINES):
        writer.writerows(
            _issue_csv_row(issue)
            for issue in job.issues[start : start + REPORT_CHUNK_LINES]
        )
        yield taken()
    writer.writerow([])
    writer.writerow(["table", "created", "updated", "unchanged", "rejected"])
    for table, counts in mapped_import_counts(job=job):
        writer.writerow(
            [
                table,
                counts["created"],
                counts["updated"],
                counts["unchanged"],
                counts["rejected"],
            ]
        )
    run = mapped_import_score_run(job=job)
    if run is not None:
        writer.writerow([])
        writer.writerow(["score run", "status"])
        writer.writerow([run["id"], run["status"]])
    yield taken()


def _issue_csv_row(issue: Mapping[str, Any]) -> list[Any]:
    file, line = issue_place(issue)
    return [
        cell_neutralise(file),
        line,
        *(cell_neutralise(issue[name]) for name in ("column", "value", "reason")),
        issue["action"],
    ]


STAGE_ANSWER = "|stage"
# The columns that say a deal's stage; a deals file with none of them is
# read as open deals, and the check says so.
STAGE_FIELDS = ("stage", "is_won", "is_closed")
NO_STAGE_COLUMN = "no stage, Won or Closed column: every deal is read as open"


def stage_question_key(*, column: str, value: str) -> str:
    """Return the key an unknown stage name's answer is kept under."""
    return f"{column}={value}{STAGE_ANSWER}"


def role_question_key(*, column: str, value: str) -> str:
    """Return the key an unknown role value's answer is kept under."""
    return f"{column}={value}"


STAGE_CLEAR = "clear"


def mapped_import_answer(
    *, mapped: MappedImport, file: str, column: str, option: str
) -> None:
    """Keep the user's answer to one column's question.

    A role question's column is "Column=value" (see `role_question_key`);
    its answer is a Lode role other than ops, which no mapping may give. A
    stage question's is "Column=value|stage", answered won, lost or open;
    that answer is also saved with the file's mapping, for the next file
    with the same headers, and "clear" forgets it, so the check asks again.
    A date column's day-first or month-first, a number column's decimal
    separator and a money column's currency ("Column|currency") are saved
    and cleared the same way.
    """
    if column.endswith(STAGE_ANSWER):
        _stage_answer(mapped=mapped, file=file, column=column, option=option)
        return
    if option == STAGE_CLEAR and "=" not in column and "|" not in column:
        _column_answer_clear(mapped=mapped, file=file, column=column)
        return
    allowed: tuple[str, ...] = (
        ROLE_ANSWERS if "=" in column else (DAY_FIRST, MONTH_FIRST, ".", ",")
    )
    if column.endswith(CURRENCY_ANSWER):
        _currency_answer(mapped=mapped, file=file, column=column, option=option)
        return
    if option not in allowed:
        raise WizardError(f"{option!r} is not an answer to this question")
    if option in _ORDERS or option in _DECIMAL_WORDS:
        # A date column's order or a number column's decimal separator.
        saved_field = "date_orders" if option in _ORDERS else "decimal_answers"
        _column_answer(
            mapped=mapped,
            file=file,
            column=column,
            option=option,
            saved_field=saved_field,
        )
        return
    answers = dict(mapped.answers)
    answers.setdefault(file, {})[column] = option
    mapped.answers = answers
    mapped.save(update_fields=["answers", "updated_at"])


def _column_answer(
    *, mapped: MappedImport, file: str, column: str, option: str, saved_field: str
) -> None:
    """Keep a column's answer, saved with the file's mapping by its header."""
    preview = _answered_file(mapped=mapped, file=file)
    if column not in preview.table.columns:
        raise WizardError(f"{file!r} has no column {column!r}.")
    # Saved under the header as matched.
    _answer_keep(
        mapped=mapped,
        preview=preview,
        column=column,
        option=option,
        saved_field=saved_field,
        saved_key=header_normalise(column),
    )


def _column_answer_clear(*, mapped: MappedImport, file: str, column: str) -> None:
    """Forget a column's date order or decimal separator, whichever it has."""
    preview = _answered_file(mapped=mapped, file=file)
    if column not in preview.table.columns:
        raise WizardError(f"{file!r} has no column {column!r}.")
    target = preview.mapping.get(column)
    dated = target is None or target[1] in _DATES
    _answer_keep(
        mapped=mapped,
        preview=preview,
        column=column,
        option=STAGE_CLEAR,
        saved_field="date_orders" if dated else "decimal_answers",
        saved_key=header_normalise(column),
    )


def _currency_answer(
    *, mapped: MappedImport, file: str, column: str, option: str
) -> None:
    """Keep a money column's currency, and save it with the file's mapping."""
    if option != STAGE_CLEAR:
        option = option.strip().upper()
        if len(option) != 3 or not option.isalpha():
            raise WizardError(f"{option!r} is not an answer to this question")
    preview = _answered_file(mapped=mapped, file=file)
    money = column.removesuffix(CURRENCY_ANSWER)
    if money not in preview.table.columns:
        raise WizardError(f"{file!r} has no column {money!r}.")
    # Saved under the header as matched.
    _answer_keep(
        mapped=mapped,
        preview=preview,
        column=column,
        option=option,
        saved_field="currency_answers",
        saved_key=header_normalise(money),
    )


def _stage_answer(*, mapped: MappedImport, file: str, column: str, option: str) -> None:
    if option not in (*STAGE_ANSWERS, STAGE_CLEAR):
        raise WizardError(f"{option!r} is not an answer to this question")
    preview = _answered_file(mapped=mapped, file=file)
    value = column.removesuffix(STAGE_ANSWER).partition("=")[2]
    # Saved under the stage name as matched (case, spacing and punctuation
    # ignored).
    _answer_keep(
        mapped=mapped,
        preview=preview,
        column=column,
        option=option,
        saved_field="stage_answers",
        saved_key=header_normalise(value),
    )


def _answered_file(*, mapped: MappedImport, file: str) -> FilePreview:
    preview = next(
        (one for one in mapped_import_files_read(mapped=mapped) if one.name == file),
        None,
    )
    if preview is None:
        raise WizardError(f"This import has no file {file!r}.")
    return preview


def _answer_keep(
    *,
    mapped: MappedImport,
    preview: FilePreview,
    column: str,
    option: str,
    saved_field: str,
    saved_key: str,
) -> None:
    """Keep an answer for this import and save it with the file's mapping.

    Saved with the mapping, under `saved_key` in its `saved_field`, the
    answer serves any later file with these headers: the same export next
    month is not asked again. STAGE_CLEAR takes the answer back.
    """
    answers = dict(mapped.answers)
    kept = dict(answers.get(preview.name, {}))
    if option == STAGE_CLEAR:
        kept.pop(column, None)
    else:
        kept[column] = option
    answers[preview.name] = kept
    mapped.answers = answers
    mapped.save(update_fields=["answers", "updated_at"])

    with transaction.atomic():
        saved = (
            SavedMapping.objects.select_for_update()
            .filter(signature=preview.signature)
            .first()
        )
        if saved is None:
            return
        stored = dict(getattr(saved, saved_field))
        if option == STAGE_CLEAR:
            stored.pop(saved_key, None)
        else:
            stored[saved_key] = option
        setattr(saved, saved_field, stored)
        saved.save(update_fields=[saved_field, "updated_at"])
    logger.info(
        "import %s saved %s %s for mapping %s",
        mapped.job_id,
        saved_field,
        option,
        saved.pk,
    )


def wizard_field_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Return the mapping targets grouped by record kind, for a select."""
    return [
        (
            ENTITY_LABELS[entity],
            [
                (f"{entity}.{name}", FIELD_LABELS.get(name, name.replace("_", " ")))
                for name in names
                # A field Lode does not keep is no target to choose.
                if name != EXTRA and (entity, name) not in NOT_STORED
            ]
            # Without this choice the page would post a recognised custom
            # column (Salesforce's `__c`) as not imported.
            + (
                [(f"{entity}.{EXTRA}", "keep as custom field")]
                if entity in _CUSTOM_VALUES_KEPT
                else []
            ),
        )
        for entity, names in WIZARD_FIELDS.items()
    ]


def mapped_import_for_job(*, job_id: int) -> MappedImport | None:
    return (
        MappedImport.objects.select_related("job", "job__created_by")
        .filter(job_id=job_id)
        .first()
    )


def mapping_from_json(*, text: str) -> dict[str, dict[str, list[str]]]:
    """Read a mapping given as JSON: {file: {column: "entity.field"}}."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise WizardError(f"the mapping is not valid JSON ({error})") from error
    if not isinstance(data, dict):
        raise WizardError("the mapping must be a JSON object keyed by file name")
    mapping: dict[str, dict[str, list[str]]] = {}
    for file, columns in data.items():
        if not isinstance(columns, dict):
            raise WizardError(f"the mapping of {file!r} must be an object")
        mapping[file] = {}
        for column, target in columns.items():
            entity, _, name = str(target).partition(".")
            mapping[file][column] = [entity, name]
    return mapping


# What the mapping page shows


def wizard_mapping_rows(
    *, previews: Sequence[FilePreview], data: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Return each file's columns with the chosen target and sample values.

    With `data` (a posted form) the choices come from it, so a form with
    problems is shown again as the user left it.
    """
    files = []
    for file_index, preview in enumerate(previews):
        head = preview.head
        columns = []
        for column_index, column in enumerate(preview.table.columns):
            key = f"map:{file_index}:{column_index}"
            target = preview.mapping.get(column)
            chosen = f"{target[0]}.{target[1]}" if target else ""
            if data is not None:
                chosen = data.get(key, "")
            columns.append(
                {
                    "key": key,
                    "name": column,
                    "chosen": chosen,
                    "samples": [row[column_index] for row in head],
                }
            )
        files.append(
            {
                "preview": preview,
                "columns": columns,
                "label": ENTITY_LABELS.get(preview.entity or "", ""),
                "header": preview.table.header,
                "skipped": [
                    {"line": line, "text": _cells_said(cells)}
                    for line, cells in header.skipped
                ]
                if (header := preview.table.header)
                else [],
                "header_choices": [
                    {"line": line, "label": f"line {line}: {_cells_said(cells)}"}
                    for line, cells in header.candidates
                ]
                if header
                else [],
                "header_bound": HEADER_CHOICE_LINES,
            }
        )
    return files


def _cells_said(cells: Sequence[str], limit: int = 60) -> str:
    """Return a record's filled cells as one short line of text."""
    said = " · ".join(cell.strip() for cell in cells if cell.strip())
    return said if len(said) <= limit else said[: limit - 1] + "…"


def mapped_import_mapping_post(
    *, mapped: MappedImport, data: Mapping[str, str], user: User | None
) -> dict[str, list[str]]:
    """Confirm the mapping posted from the mapping page; return problems."""
    previews = mapped_import_files_read(mapped=mapped)
    mapping: dict[str, dict[str, list[str]]] = {}
    for file_index, preview in enumerate(previews):
        columns: dict[str, list[str]] = {}
        for column_index, column in enumerate(preview.table.columns):
            target = data.get(f"map:{file_index}:{column_index}", "")
            entity, _, name = target.partition(".")
            if entity and name:
                columns[column] = [entity, name]
        mapping[preview.name] = columns
    return mapped_import_mapping_confirm(mapped=mapped, mapping=mapping, user=user)
