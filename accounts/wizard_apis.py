"""REST endpoints for the import wizard: the same steps as its pages.

Upload files, read the proposed mapping, confirm or change it, answer the
columns' questions, check, start, follow and undo; sales ops only, anyone
else gets 404 as for an import that does not exist.
"""

import hashlib
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, cast

from django.db import transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import wizard
from accounts.apis import AmountField
from accounts.import_checks import WindowMove
from accounts.import_liveness import import_job_status_label
from accounts.importing import (
    ACCOUNTS,
    PRODUCTS,
    SALES_PIPELINE,
    SALES_TEAMS,
    ImportFileError,
)
from accounts.models import ImportJob, InvoicesWithoutRate, MappedImport, User
from accounts.parsing import NUMBER_FORMATS
from accounts.selectors import (
    import_job_get_for_user,
    import_job_list_for_user,
    mapped_import_get_for_user,
)
from accounts.services import import_job_progress
from accounts.tabular import HeaderRead, Table
from accounts.wizard_delimiters import mapped_import_delimiters_choose
from accounts.wizard_discard import DiscardError, mapped_import_discard
from accounts.wizard_forewarn import (
    mapped_import_forecast,
    mapped_import_start_review,
)
from accounts.wizard_headers import mapped_import_headers_choose
from accounts.wizard_number_formats import mapped_import_number_formats_choose
from accounts.wizard_sheets import (
    UnknownFileError,
    mapped_import_sheets_choose,
    mapped_import_workbook,
    workbook_sheet_names,
)
from accounts.wizard_undo_list import (
    DELETED,
    SET_BACK,
    UNDO_SHOWN,
    USER_GONE,
    mapped_import_undo_csv,
    mapped_import_undo_records,
)
from config.api import (
    LodePagination,
    QueryDateTimeField,
    QueryParamsDocumented,
    RangeFilterSerializer,
    StrictInputSerializer,
    body_require_empty,
    etag_require,
    id_filter,
    paginated_response,
    query_params_refuse_unknown,
)
from config.api_schema import write_examples
from config.downloads import DownloadApi
from config.parsers import DepthLimitedJSONParser
from config.spreadsheet import BOM, CSV_CONTENT_TYPE, csv_for_spreadsheet

ISSUE_LIMIT = 1000


def _user(request: Request) -> User:
    # Every endpoint requires a login (DEFAULT_PERMISSION_CLASSES).
    return cast(User, request.user)


BUNDLED_HAS_NO = (
    "Import {pk} is a bundled four-file import: it has no mapping, check, "
    "sheets, start, undo, reopen or discard. Read it at "
    "/api/accounts/imports/{pk}/ and its row report at "
    "/api/accounts/imports/{pk}/report.csv."
)


def _get_mapped_import_for_user(request: Request, pk: int) -> MappedImport:
    try:
        return mapped_import_get_for_user(user=_user(request), pk=pk)
    except Http404:
        # To sales ops, say what a bundled import lacks rather than that
        # it does not exist; to anyone else, no import exists at all.
        job = import_job_list_for_user(user=_user(request)).filter(pk=pk).first()
        if job is not None:
            raise NotFound(BUNDLED_HAS_NO.format(pk=pk)) from None
        raise


def _import_kind(job: ImportJob) -> str:
    return "wizard" if hasattr(job, "mapped") else "bundled"


def _score_run_data(job: ImportJob) -> dict[str, Any] | None:
    # From the prefetched runs when the list read them all in one query.
    runs = list(job.score_runs.all())  # type: ignore[attr-defined]
    if not runs:
        return None
    run = max(runs, key=lambda run: run.pk)
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "url": reverse("scoring_api:run_detail", args=[run.pk]),
    }


def _bundled_job_data(job: ImportJob) -> dict[str, Any]:
    """Return a bundled import as a wizard import reads, without what it lacks."""
    return {
        "id": job.pk,
        "kind": "bundled",
        "files": list(BUNDLED_FILES),
        "skipped": [],
        "created_by": _creator_data(job),
        "created_at": job.created_at,
        "confirmed_at": None,
        "undone_at": None,
        "keep_good_rows": job.keep_good_rows,
        **_invoices_without_rate_data(job),
        **_window_data(job),
        **import_job_progress(job=job),
        "counts": job.counts,
        "issue_count": len(job.issues),
        "issues": job.issues[:ISSUE_LIMIT],
        "report_csv": reverse("accounts_api:import_report_csv", args=[job.pk]),
        "score_run": wizard.mapped_import_score_run(job=job),
        "erasures": job.erasures_said,
        "uploads_removed_at": job.uploads_removed_at,
    }


def _invoices_without_rate_data(job: ImportJob) -> dict[str, str]:
    return {
        "invoices_without_rate": job.invoices_without_rate,
        "invoices_without_rate_label": job.invoices_without_rate_said,
    }


def _window_data(job: ImportJob) -> dict[str, Any]:
    return {
        "window": job.window,
        "window_before": job.window_before,
        "window_after": job.window_after,
        "window_label": job.window_said,
    }


def _window_move_data(move: WindowMove | None) -> dict[str, Any] | None:
    """Return the window choice the check offers, or None."""
    if move is None:
        return None
    return {
        "before": move.before,
        "after": move.after,
        "idle_accounts": move.idle_accounts,
        "keep": move.keep_said,
        "move": move.move_said,
    }


WINDOW_MOVE_FIELD = inline_serializer(
    "WizardImportWindowMove",
    {
        "before": serializers.DateField(help_text="where the scoring window ends now"),
        "after": serializers.DateField(
            help_text="where the import's revenue would end it"
        ),
        "idle_accounts": serializers.IntegerField(
            help_text="accounts with revenue that would have none in the moved window"
        ),
        "keep": serializers.CharField(help_text="window: keep, said"),
        "move": serializers.CharField(help_text="window: move, said"),
    },
    allow_null=True,
    help_text="set when the import would move the scoring window: start it "
    "with window keep (the default) or move (sales ops only)",
)


def _creator_data(job: ImportJob) -> dict[str, Any] | None:
    """Return who started the import; a deleted user by name, without an id."""
    if not job.created_by_label:
        return None
    return {"id": job.created_by_id, "name": job.created_by_label}


# What a bundled import reads: the demo's four files, always these.
BUNDLED_FILES = (ACCOUNTS, PRODUCTS, SALES_TEAMS, SALES_PIPELINE)


def _files_data(mapped: MappedImport) -> list[dict[str, Any]]:
    try:
        previews = wizard.mapped_import_files_read(mapped=mapped)
    except ImportFileError as error:
        raise ValidationError(
            {"files": wizard.import_file_error_said(error)}
        ) from error
    return [
        {
            "name": preview.name,
            "read_as": preview.table.describe(),
            "kind": preview.kind,
            "mapping_source": preview.source,
            "columns": preview.table.columns,
            "mapping": {
                column: f"{entity}.{name}"
                for column, (entity, name) in preview.mapping.items()
            },
            "head": preview.head,
            "header": _header_data(preview.table.header),
            "delimiter": _delimiter_data(preview.table),
            "number_format": _number_format_data(preview),
        }
        for preview in previews
    ]


def _number_format_data(preview: wizard.FilePreview) -> dict[str, Any] | None:
    if preview.number_format is None:
        return None
    return {
        "name": preview.number_format,
        "saved": preview.number_format_saved,
        "said": preview.number_format_said(),
    }


def _delimiter_data(table: Table) -> dict[str, Any] | None:
    if table.delimiter is None:
        return None
    return {"name": table.delimiter_label, "chosen": table.delimiter_chosen}


def _header_data(header: HeaderRead | None) -> dict[str, Any] | None:
    if header is None:
        return None
    return {
        "line": header.line,
        "chosen": header.chosen,
        "said": header.describe(),
        "doubts": header.doubts,
        "skipped": [{"line": line, "cells": cells} for line, cells in header.skipped],
    }


def _mapping_etag(mapped: MappedImport, files: list[dict[str, Any]]) -> str:
    # The proposal of a file left unconfirmed comes from the mappings saved
    # for its headers, which another import may change without touching
    # this row: the tag covers what the read showed, not only the row.
    shown = [(file["name"], file["mapping"]) for file in files]
    raw = f"{mapped.pk}:{mapped.updated_at.isoformat()}:{json.dumps(shown)}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _job_data(mapped: MappedImport) -> dict[str, Any]:
    job = mapped.job
    return {
        "id": job.pk,
        "kind": "wizard",
        "files": mapped.file_names,
        "skipped": mapped.skipped,
        "created_by": _creator_data(job),
        "created_at": job.created_at,
        "confirmed_at": mapped.confirmed_at,
        "undone_at": mapped.undone_at,
        "keep_good_rows": job.keep_good_rows,
        **_invoices_without_rate_data(job),
        **_window_data(job),
        **import_job_progress(job=job),
        "counts": job.counts,
        "issue_count": len(job.issues),
        "issues": job.issues[:ISSUE_LIMIT],
        "report_csv": reverse("accounts_api:import_report_csv", args=[job.pk]),
        "score_run": wizard.mapped_import_score_run(job=job),
        "erasures": job.erasures_said,
        "uploads_removed_at": job.uploads_removed_at,
    }


def _job_fields() -> dict[str, serializers.Field]:
    """Return the fields of an import job as the API answers it."""
    return {
        "id": serializers.IntegerField(),
        "kind": serializers.ChoiceField(
            choices=["wizard", "bundled"],
            help_text="wizard: uploaded through the import wizard; bundled: "
            "the four-file layout of the demo and the import_maven command, "
            "which has no mapping, check or undo",
        ),
        "files": serializers.ListField(child=serializers.CharField()),
        "skipped": serializers.ListField(
            child=inline_serializer(
                "WizardImportSkipped",
                {
                    "archive": serializers.CharField(),
                    "file": serializers.CharField(),
                    "reason": serializers.CharField(),
                },
            ),
            help_text="files in an uploaded archive that were left out, such "
            "as a macOS __MACOSX folder or a README, and why",
        ),
        "created_by": inline_serializer(
            "WizardImportCreator",
            {
                "id": serializers.IntegerField(
                    allow_null=True, help_text="null once that user is deleted"
                ),
                "name": serializers.CharField(
                    help_text='a deleted user\'s name ends " (deleted)"'
                ),
            },
            allow_null=True,
            help_text="who uploaded the files; null for the command line run "
            "without --user",
        ),
        "created_at": serializers.DateTimeField(),
        "invoices_without_rate": serializers.ChoiceField(
            choices=InvoicesWithoutRate.values,
            help_text="keep_deals (the default): where no stored rate converts "
            "the import's invoices, the won deals they would replace keep "
            "counting until a rate is stored; replace_deals: the invoices "
            "replace them at once, and the quarter counts neither until then",
        ),
        "invoices_without_rate_label": serializers.CharField(
            help_text="the same, in words"
        ),
        "status": serializers.CharField(),
        "counts": serializers.DictField(),
        "issues": serializers.ListField(child=serializers.DictField()),
        "score_run": inline_serializer(
            "WizardImportScoreRun",
            {
                "id": serializers.IntegerField(),
                "status": serializers.CharField(),
                "status_label": serializers.CharField(),
                "url": serializers.CharField(),
            },
            allow_null=True,
            help_text="the score run the import's finish (or undo) asked for",
        ),
        "erasures": serializers.ListField(
            child=serializers.CharField(),
            help_text="one sentence per erasure of a person that replaced "
            "their values in this import's files, row report or notes",
        ),
        "window": serializers.ChoiceField(
            choices=["", *ImportJob.Window.values],
            help_text="what the import did with a scoring window it would "
            "move: keep or move; blank when it would move none",
        ),
        "window_before": serializers.DateField(
            allow_null=True, help_text="where the window ended before the import"
        ),
        "window_after": serializers.DateField(
            allow_null=True, help_text="where the import's revenue would end it"
        ),
        "window_label": serializers.CharField(help_text="the window choice, said"),
        "uploads_removed_at": serializers.DateTimeField(
            allow_null=True,
            help_text="when the uploaded files were deleted, "
            "LODE_UPLOAD_KEEP_DAYS after the import ended (its report and "
            "undo stay, but it can no longer be checked or started again); "
            "null while they are kept",
        ),
    }


# Built once: the answers that show a job share its nested components. Each
# serializer gets a copy, as declaring one takes the fields out of the dict.
JOB_FIELDS = _job_fields()
JOB_SCHEMA = inline_serializer("WizardImport", dict(JOB_FIELDS))


FILES_SCHEMA = inline_serializer(
    "WizardImportFiles",
    {
        "files": serializers.ListField(
            child=inline_serializer(
                "WizardImportFile",
                {
                    "name": serializers.CharField(),
                    "read_as": serializers.CharField(
                        help_text="encoding, delimiter and locale as read"
                    ),
                    "kind": serializers.CharField(),
                    "mapping_source": serializers.CharField(),
                    "columns": serializers.ListField(child=serializers.CharField()),
                    "mapping": serializers.DictField(
                        child=serializers.CharField(),
                        help_text='{"Column": "account.name"}',
                    ),
                    "head": serializers.ListField(child=serializers.ListField()),
                    "delimiter": inline_serializer(
                        "WizardImportDelimiter",
                        {
                            "name": serializers.ChoiceField(
                                choices=["comma", "semicolon", "tab"]
                            ),
                            "chosen": serializers.BooleanField(
                                help_text="true when named by the user, false "
                                "when detected"
                            ),
                        },
                        allow_null=True,
                        help_text="the CSV delimiter read; null for a workbook",
                    ),
                    "number_format": inline_serializer(
                        "WizardImportNumberFormat",
                        {
                            "name": serializers.ChoiceField(
                                choices=list(NUMBER_FORMATS)
                            ),
                            "saved": serializers.BooleanField(
                                help_text="true when reused from the mapping "
                                "saved for these headers, false when chosen"
                            ),
                            "said": serializers.CharField(),
                        },
                        allow_null=True,
                        help_text="the number format every amount is read in; "
                        "null when each column's decimal mark is detected",
                    ),
                    "header": inline_serializer(
                        "WizardImportHeader",
                        {
                            "line": serializers.IntegerField(
                                help_text="the line read as the header row"
                            ),
                            "chosen": serializers.BooleanField(
                                help_text="true when named by the user, false "
                                "when found"
                            ),
                            "said": serializers.CharField(),
                            "doubts": serializers.ListField(
                                child=serializers.CharField(),
                                help_text="why the line may not be the header; "
                                "choose another with POST .../header/",
                            ),
                            "skipped": serializers.ListField(
                                child=serializers.DictField(),
                                help_text="the lines above the header, not read "
                                "as rows: line and cells",
                            ),
                        },
                    ),
                },
            )
        )
    },
)


class WizardImportQuarterWithoutRateSerializer(serializers.Serializer):
    """An import's invoices of one account, quarter and currency, unconverted."""

    account = serializers.CharField()
    quarter = serializers.CharField(help_text='"Q4 2017"')
    quarter_start = serializers.DateField()
    currency = serializers.CharField()
    invoice_lines = serializers.IntegerField()
    amount = AmountField(help_text="the invoices' sum, in that currency")
    reason = serializers.CharField(help_text='"no SEK rate on or before 1 Jul 2024"')


def quarters_without_rate_field() -> serializers.ListField:
    """Return the check's list of invoices no stored rate converts.

    The 200 check answer and the 202 one of a large upload share it, and
    with it one schema component (one serializer class).
    """
    return serializers.ListField(
        child=WizardImportQuarterWithoutRateSerializer(),
        help_text="The upload's invoices that no stored rate converts, by "
        "account, quarter and currency, as the warnings name them: totals "
        "will leave them out and say they lack a rate. Storing a rate on "
        "or before the quarter's start converts them. The first "
        f"{ISSUE_LIMIT} of them.",
    )


CHECK_SCHEMA = inline_serializer(
    "WizardImportCheck",
    {
        "can_write": serializers.BooleanField(),
        "problems": serializers.ListField(child=serializers.CharField()),
        "warnings": serializers.ListField(
            child=serializers.CharField(),
            help_text="What the import would change elsewhere, e.g. a "
            "scoring window it would move; nothing stops the import.",
        ),
        "window_move": WINDOW_MOVE_FIELD,
        "questions": serializers.ListField(
            child=inline_serializer(
                "WizardImportQuestion",
                {
                    "file": serializers.CharField(),
                    "column": serializers.CharField(),
                    "message": serializers.CharField(),
                    "options": serializers.ListField(),
                },
            )
        ),
        "decisions": serializers.ListField(child=serializers.DictField()),
        "saved_answers": serializers.ListField(
            child=serializers.DictField(),
            help_text="The deal stage and date order answers saved with the "
            "mapping for these headers that this import applies: file, column "
            "(the question's key), value, answer, message and options. POST "
            "the column to .../answer/ with one of the options to change one, "
            'or "clear" to be asked.',
        ),
        "proposals": serializers.ListField(
            child=serializers.DictField(),
            help_text="Names that match an existing account only once "
            "normalised: incoming, existing, kind, reason, merged, records "
            '("accounts", "people", "deals", "revenue lines" or '
            '"support signals") and rows. Accept one by passing it in the '
            "start's merges; a people, deal, revenue or support row whose "
            "company is proposed and not accepted is refused.",
        ),
        "counts": serializers.DictField(),
        "rejected_rows": serializers.IntegerField(),
        "issues": serializers.ListField(child=serializers.DictField()),
        "changed_records": serializers.IntegerField(
            help_text="how many existing records the import would change"
        ),
        "changes": serializers.ListField(
            child=serializers.DictField(),
            help_text="the first 1000 of them: record (its name, as people "
            "know it), key (`<app>.<model>:<id>`, stable for a client to key "
            "on) and each field's old and new value",
        ),
        "invoices_without_rate": serializers.ListField(
            child=inline_serializer(
                "WizardImportInvoicesWithoutRate",
                {
                    "account": serializers.CharField(),
                    "quarter": serializers.CharField(help_text='"Q4 2017"'),
                    "quarter_start": serializers.DateField(),
                    "won_deals": serializers.IntegerField(
                        help_text="won deals counted there now"
                    ),
                    "won_amounts": serializers.DictField(
                        child=AmountField(),
                        help_text="their sum, by currency",
                    ),
                    "invoice_lines": serializers.IntegerField(),
                    "invoice_amounts": serializers.DictField(
                        child=AmountField(),
                        help_text="the import's invoices there, by currency",
                    ),
                },
            ),
            help_text="Account-quarters where the import's invoices would "
            "replace counted won deals, but no stored rate converts them. "
            "The start's invoices_without_rate decides: keep_deals (the "
            "default) keeps the deals counted until a rate is stored, "
            "replace_deals lets the invoices replace them at once.",
        ),
        "quarters_without_rate": quarters_without_rate_field(),
    },
)

LARGE_CHECK_SCHEMA = inline_serializer(
    "WizardImportLargeCheck",
    {
        **JOB_FIELDS,
        "check": serializers.CharField(
            help_text="why the upload is not checked while you wait, and how "
            "its background run checks it"
        ),
        "job": serializers.CharField(help_text="the job to follow"),
        "warnings": serializers.ListField(
            child=serializers.CharField(),
            help_text="the check's warnings, forecast from the files without writing",
        ),
        "window_move": WINDOW_MOVE_FIELD,
        "quarters_without_rate": quarters_without_rate_field(),
    },
)

ANSWERS_SCHEMA = inline_serializer(
    "WizardImportAnswers",
    {"answers": serializers.DictField(help_text="the answers given so far")},
)


FILES_EXAMPLE: dict[str, Any] = {
    "files": [
        {
            "name": "accounts.csv",
            "read_as": "Read as UTF-8 text, comma-separated.",
            "kind": "salesforce-report accounts",
            "mapping_source": "recognised",
            "columns": ["Account Name", "Industry", "Employees"],
            "mapping": {
                "Account Name": "account.name",
                "Industry": "account.sector",
                "Employees": "account.employees",
            },
            "head": [["Harbor Bank of the South", "Banking", "300"]],
            "delimiter": {"name": "comma", "chosen": False},
            "number_format": None,
            "header": {
                "line": 4,
                "chosen": False,
                "said": "Header row: line 4 (found, 2 lines above it skipped).",
                "doubts": [],
                "skipped": [
                    {"line": 1, "cells": ["Accounts by region"]},
                    {"line": 2, "cells": ["Filtered by: Region equals EMEA"]},
                ],
            },
        }
    ]
}

JOB_EXAMPLE: dict[str, Any] = {
    "id": 31,
    "kind": "wizard",
    "files": ["accounts.csv"],
    "skipped": [
        {
            "archive": "export.zip",
            "file": "README.txt",
            "reason": "a document or image, not a data file",
        }
    ],
    "created_by": {"id": 4, "name": "Olga Ops"},
    "created_at": "2026-11-20T09:12:04Z",
    "confirmed_at": "2026-11-20T09:14:37Z",
    "undone_at": None,
    "keep_good_rows": False,
    "status": "succeeded",
    "status_label": "Succeeded",
    "progress": 100,
    "message": "Done",
    "finished": True,
    "counts": {"Accounts": {"created": 1, "updated": 1, "unchanged": 0, "rejected": 1}},
    "issue_count": 1,
    "issues": [
        {
            "file": "accounts.csv",
            "line": 4,
            "column": "Employees",
            "value": "about 40",
            "reason": "not a number",
            "action": "rejected",
        }
    ],
    "report_csv": "/api/accounts/imports/31/report.csv",
    "score_run": {
        "id": 57,
        "status": "succeeded",
        "status_label": "Succeeded",
        "url": "/api/scoring/runs/57/",
    },
    "erasures": [],
    "uploads_removed_at": None,
    "invoices_without_rate": "keep_deals",
    "invoices_without_rate_label": "won deals count until their quarter's "
    "invoices have a rate",
    "window": "",
    "window_before": None,
    "window_after": None,
    "window_label": "",
}
# The same import just uploaded, its mapping not yet confirmed.
JOB_UPLOADED_EXAMPLE = {
    **JOB_EXAMPLE,
    "confirmed_at": None,
    "keep_good_rows": False,
    "status": "pending",
    "status_label": "Pending",
    "progress": 0,
    "message": "Waiting for the mapping",
    "finished": False,
    "counts": {},
    "issue_count": 0,
    "issues": [],
    "score_run": None,
}
CHECK_EXAMPLE = {
    "can_write": True,
    "problems": [],
    "warnings": ["accounts.csv: 1 of 4 columns is not imported: Industry"],
    "window_move": None,
    "questions": [
        {
            "file": "accounts.csv",
            "column": "Annual Revenue",
            "message": "In 'Annual Revenue', '1.250' (line 2) could be a thousands "
            "separator or a decimal separator; which does this column use as "
            "the decimal separator?",
            "options": [".", ","],
        }
    ],
    "decisions": [
        {
            "file": "accounts.csv",
            "column": "Annual Revenue",
            "decision": "decimal point, '$' read as USD",
        }
    ],
    "saved_answers": [],
    "proposals": [],
    "counts": {"Accounts": {"created": 1, "updated": 1, "unchanged": 0, "rejected": 1}},
    "rejected_rows": 1,
    "issues": JOB_EXAMPLE["issues"],
    "changed_records": 1,
    "changes": [
        {
            "record": "account Acme Corporation",
            "key": "accounts.account:12",
            "fields": [{"field": "employees", "old": "2822", "new": "4200"}],
        }
    ],
    "invoices_without_rate": [
        {
            "account": "Acme Corporation",
            "quarter": "Q4 2017",
            "quarter_start": "2017-10-01",
            "won_deals": 2,
            "won_amounts": {"USD": "6700.50"},
            "invoice_lines": 1,
            "invoice_amounts": {"EUR": "10.00"},
        }
    ],
    "quarters_without_rate": [
        {
            "account": "Acme Corporation",
            "quarter": "Q4 2017",
            "quarter_start": "2017-10-01",
            "currency": "EUR",
            "invoice_lines": 1,
            "amount": "10.00",
            "reason": "no EUR rate on or before 1 Oct 2017",
        }
    ],
}


class WizardApi(APIView):
    # Anyone but sales ops gets 404 before the body is read, executives
    # included: the import wizard does not exist for them.
    permission_classes = [IsAuthenticated, QueryParamsDocumented]


IMPORT_ORDERINGS = ["created_at", "-created_at"]
TARGETS = {entity: label for entity, label in wizard.ENTITY_LABELS.items()}


class WizardImportListApi(WizardApi):
    """GET the imports, newest first, paged; POST uploads the files of one."""

    pagination_class = LodePagination
    parser_classes = [MultiPartParser, FormParser]

    class FilterSerializer(RangeFilterSerializer):
        range_fields = (
            "created_after",
            "created_before",
            "Must not be before created_after.",
        )

        kind = serializers.ChoiceField(
            choices=["wizard", "bundled"],
            required=False,
            help_text="wizard: uploaded through the wizard; bundled: the "
            "four-file layout of the demo and the import_maven command.",
        )
        status = serializers.ChoiceField(
            choices=ImportJob.Status.choices, required=False
        )
        undone = serializers.BooleanField(
            required=False,
            allow_null=True,
            default=None,
            help_text="true: only imports undone since; false: only the others.",
        )
        target = serializers.ChoiceField(
            choices=sorted(TARGETS.items()),
            required=False,
            help_text="Only imports whose run read rows of this kind of record "
            "(an import not run yet has read none).",
        )
        created_by = id_filter("Only imports uploaded by this user.")
        created_after = QueryDateTimeField(
            required=False, help_text="Only imports uploaded at or after this time."
        )
        created_before = QueryDateTimeField(
            required=False, help_text="Only imports uploaded at or before this time."
        )
        ordering = serializers.ChoiceField(
            choices=IMPORT_ORDERINGS, required=False, default="-created_at"
        )

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        kind = serializers.SerializerMethodField()
        url = serializers.SerializerMethodField()
        files = serializers.SerializerMethodField()
        created_by = serializers.SerializerMethodField()
        created_at = serializers.DateTimeField()
        confirmed_at = serializers.SerializerMethodField()
        finished_at = serializers.DateTimeField(allow_null=True)
        undone_at = serializers.SerializerMethodField()
        status = serializers.CharField()
        status_label = serializers.SerializerMethodField(
            help_text="Stalled for a running import whose process has died"
        )
        counts = serializers.DictField(
            help_text='By kind of record: {"Accounts": {"created": 1, ...}}',
        )
        report_csv = serializers.SerializerMethodField()
        score_run = serializers.SerializerMethodField()

        @extend_schema_field(
            serializers.ChoiceField(
                choices=["wizard", "bundled"],
                help_text="bundled: the demo's four-file layout, which has "
                "no mapping, check or undo",
            )
        )
        def get_kind(self, job: ImportJob) -> str:
            return _import_kind(job)

        def get_url(self, job: ImportJob) -> str:
            return reverse("accounts_api:import_detail", args=[job.pk])

        @extend_schema_field(serializers.ListField(child=serializers.CharField()))
        def get_files(self, job: ImportJob) -> list[str]:
            if hasattr(job, "mapped"):
                return job.mapped.file_names
            return list(BUNDLED_FILES)

        @extend_schema_field(serializers.DateTimeField(allow_null=True))
        def get_confirmed_at(self, job: ImportJob) -> Any:
            mapped = getattr(job, "mapped", None)
            return mapped.confirmed_at if mapped else None

        @extend_schema_field(serializers.DateTimeField(allow_null=True))
        def get_undone_at(self, job: ImportJob) -> Any:
            mapped = getattr(job, "mapped", None)
            return mapped.undone_at if mapped else None

        def get_status_label(self, job: ImportJob) -> str:
            return import_job_status_label(job=job)

        def get_report_csv(self, job: ImportJob) -> str:
            return reverse("accounts_api:import_report_csv", args=[job.pk])

        @extend_schema_field(
            inline_serializer(
                "WizardImportListCreator",
                {
                    "id": serializers.IntegerField(allow_null=True),
                    "name": serializers.CharField(),
                },
                allow_null=True,
            )
        )
        def get_created_by(self, job: ImportJob) -> dict[str, Any] | None:
            return _creator_data(job)

        @extend_schema_field(
            inline_serializer(
                "WizardImportListScoreRun",
                {
                    "id": serializers.IntegerField(),
                    "status": serializers.CharField(),
                    "status_label": serializers.CharField(),
                    "url": serializers.CharField(),
                },
                allow_null=True,
            )
        )
        def get_score_run(self, job: ImportJob) -> dict[str, Any] | None:
            return _score_run_data(job)

    @extend_schema(
        tags=["imports"],
        summary="List the imports, newest first (sales ops)",
        description=(
            "Anyone else gets 404, as for every import. `created_after` and "
            "`created_before` are inclusive. Follow `url` for an import's "
            "issues and live progress."
        ),
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A page with one finished import",
                value={
                    "id": 31,
                    "kind": "wizard",
                    "url": "/api/accounts/imports/31/",
                    "files": ["accounts.csv"],
                    "created_by": {"id": 4, "name": "Olga Ops"},
                    "created_at": "2026-11-20T09:12:04Z",
                    "confirmed_at": "2026-11-20T09:14:37Z",
                    "finished_at": "2026-11-20T09:14:41Z",
                    "undone_at": None,
                    "status": "succeeded",
                    "status_label": "Succeeded",
                    "counts": {
                        "Accounts": {
                            "created": 1,
                            "updated": 1,
                            "unchanged": 0,
                            "rejected": 1,
                        }
                    },
                    "report_csv": "/api/accounts/imports/31/report.csv",
                    "score_run": {
                        "id": 57,
                        "status": "succeeded",
                        "status_label": "Succeeded",
                        "url": "/api/scoring/runs/57/",
                    },
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        if not _user(request).is_ops:
            raise Http404("No such page.")
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data

        imports = import_job_list_for_user(user=_user(request))
        if "kind" in wanted:
            imports = imports.filter(mapped__isnull=wanted["kind"] == "bundled")
        if "status" in wanted:
            imports = imports.filter(status=wanted["status"])
        if wanted["undone"] is not None:
            # A bundled import is never undone.
            imports = (
                imports.filter(mapped__undone_at__isnull=False)
                if wanted["undone"]
                else imports.filter(mapped__undone_at__isnull=True)
            )
        if "target" in wanted:
            imports = imports.filter(counts__has_key=TARGETS[wanted["target"]])
        if "created_by" in wanted:
            imports = imports.filter(created_by_id=wanted["created_by"])
        if "created_after" in wanted:
            imports = imports.filter(created_at__gte=wanted["created_after"])
        if "created_before" in wanted:
            imports = imports.filter(created_at__lte=wanted["created_before"])
        descending = wanted["ordering"].startswith("-")
        ordering = ["-created_at", "-id"]
        if not descending:
            ordering = ["created_at", "id"]

        return paginated_response(
            request=request,
            view=self,
            # The issues of a large import run to megabytes; the list names
            # the import and its detail has them. Score runs come in one
            # query for the page.
            queryset=imports.defer("issues")
            .prefetch_related("score_runs")
            .order_by(*ordering),
            serializer=self.OutputSerializer,
        )

    @extend_schema(
        tags=["imports"],
        summary="Upload CSV or XLSX files; returns the proposed mapping per file",
        request={
            "multipart/form-data": inline_serializer(
                "WizardUpload",
                {
                    "files": serializers.ListField(child=serializers.FileField()),
                    "sheets": serializers.CharField(
                        required=False,
                        help_text='JSON {"file.xlsx": "sheet"}: the sheet to '
                        "read from a workbook with data on several; such a "
                        "workbook is refused without it, naming its sheets",
                    ),
                    "header_rows": serializers.CharField(
                        required=False,
                        help_text='JSON {"file.csv": 3}: the line of the header '
                        "row, where the one found is not it",
                    ),
                    "delimiters": serializers.CharField(
                        required=False,
                        help_text='JSON {"file.csv": "comma"}: the delimiter '
                        "(comma, semicolon or tab) of a CSV file, where the "
                        "one detected is not it or the file is refused as "
                        "mixing two",
                    ),
                    "number_formats": serializers.CharField(
                        required=False,
                        help_text='JSON {"file.csv": "1.234,56"}: the number '
                        'format every amount of a file is written in, "1,234.56", '
                        '"1.234,56" or "1 234,56"; "detect" (the default) '
                        "detects each column's decimal mark",
                    ),
                },
            )
        },
        responses={201: JOB_SCHEMA},
        examples=[
            OpenApiExample(
                "Upload a Salesforce accounts report",
                value={"files": ["accounts.csv"]},
                media_type="multipart/form-data",
                request_only=True,
            ),
            OpenApiExample(
                "The upload with its proposed mapping",
                value={**JOB_UPLOADED_EXAMPLE, "file_previews": FILES_EXAMPLE["files"]},
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        if not _user(request).is_ops:
            raise Http404("No such page.")
        uploads = request.FILES.getlist("files")
        sheets = _choices_read(
            request,
            field="sheets",
            valid=str,
            what="each workbook's sheet name",
            example='{"file.xlsx": "sheet"}',
        )
        header_rows = _choices_read(
            request,
            field="header_rows",
            valid=int,
            what="each file's header line number",
            example='{"file.csv": 3}',
        )
        delimiters = _choices_read(
            request,
            field="delimiters",
            valid=str,
            what="each CSV file's delimiter",
            example='{"file.csv": "semicolon"}',
        )
        number_formats = _choices_read(
            request,
            field="number_formats",
            valid=str,
            what="each file's number format",
            example='{"file.csv": "1.234,56"}',
        )
        try:
            mapped = wizard.mapped_import_create(
                user=_user(request), files=[(upload.name, upload) for upload in uploads]
            )
        except wizard.WizardError as error:
            raise ValidationError({"files": [str(error)]}) from error

        # A refused upload goes on only as another upload (with the sheet
        # named, say), so it leaves no unstarted import behind. The sheet
        # comes first: a header row is a line of the sheet read, split at
        # the delimiter.
        choices = [
            (sheets, "sheets", partial(mapped_import_sheets_choose, sheets=sheets)),
            (
                delimiters,
                "delimiters",
                partial(mapped_import_delimiters_choose, delimiters=delimiters),
            ),
            (
                header_rows,
                "header_rows",
                partial(mapped_import_headers_choose, headers=header_rows),
            ),
            (
                number_formats,
                "number_formats",
                partial(mapped_import_number_formats_choose, formats=number_formats),
            ),
        ]
        try:
            for chosen, field, choose in choices:
                if not chosen:
                    continue
                try:
                    choose(mapped=mapped)
                except wizard.WizardError as error:
                    raise ValidationError({field: [str(error)]}) from error
            previews = _files_data(mapped)
        except ValidationError:
            mapped_import_discard(mapped=mapped, user=_user(request))
            raise
        data = {**_job_data(mapped), "file_previews": previews}
        return Response(data, status=status.HTTP_201_CREATED)


def _choices_read(
    request: Request, *, field: str, valid: type, what: str, example: str
) -> dict[str, Any]:
    """Read an upload's JSON object of a choice per file, e.g. its sheet."""
    text = request.POST.get(field, "")
    if not text:
        return {}
    try:
        choices = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError(
            {field: [f"{field} is not valid JSON ({error})"]}
        ) from error
    shape = f"a JSON object of {what}, such as {example}"
    if not isinstance(choices, dict):
        raise ValidationError(
            {field: [f"{field} must be {shape}; got {_json_said(choices)}"]}
        )
    for file, choice in choices.items():
        # type() and not isinstance(): true is no line number.
        if type(choice) is not valid:
            raise ValidationError(
                {
                    field: [
                        f"{field}: the value for {file!r} must be "
                        f"{'a whole number' if valid is int else 'text'}, in "
                        f"{shape}; got {_json_said(choice)}"
                    ]
                }
            )
    return choices


def _json_said(value: object) -> str:
    """Return a JSON value as the user sent it, cut short if long."""
    said = json.dumps(value)
    return said if len(said) <= 40 else said[:39] + "…"


class WizardImportDetailApi(WizardApi):
    @extend_schema(
        tags=["imports"],
        summary="Follow an import: status, progress, counts and row report",
        description=(
            "A bundled four-file import (`kind` bundled) reads the same, "
            "with no confirmation, undo or skipped files; the wizard's "
            "steps on it answer 404 saying what it does not have."
        ),
        responses={200: JOB_SCHEMA},
        examples=[
            OpenApiExample(
                "A finished import with one rejected row",
                value=JOB_EXAMPLE,
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        job = import_job_get_for_user(user=_user(request), pk=pk)
        if not hasattr(job, "mapped"):
            return Response(_bundled_job_data(job))
        return Response(_job_data(job.mapped))


def _csv_example(name: str, text: str) -> OpenApiExample:
    return OpenApiExample(name, value=text, media_type="text/csv", response_only=True)


def _import_csv_attach(
    response: HttpResponse | StreamingHttpResponse, *, pk: int, name: str
) -> None:
    response["Content-Disposition"] = f'attachment; filename="import-{pk}-{name}"'


class WizardImportReportCsvApi(DownloadApi):
    # As WizardApi: anyone but sales ops gets 404.
    permission_classes = [IsAuthenticated, QueryParamsDocumented]

    @extend_schema(
        tags=["imports"],
        summary="Download the row report: every rejected, repaired or kept row",
        description=(
            "Always CSV in UTF-8 with a byte order mark first, for Excel, "
            "whatever the Accept header says; errors are JSON. "
            "Takes no query parameters: `format` and any other are refused "
            "with 400."
        ),
        responses={(200, "text/csv"): str},
        examples=[
            _csv_example(
                "Each row's outcome, the refusals and the counts",
                (
                    "file,line,outcome,object,reason\r\n"
                    "accounts.csv,2,created,account Harbor Bank of the South,\r\n"
                    "accounts.csv,3,updated,account Acme Corporation,\r\n"
                    "accounts.csv,4,rejected,,Employees: not a number\r\n"
                    "\r\n"
                    "file,line,column,value,reason,action\r\n"
                    "accounts.csv,4,Employees,about 40,not a number,rejected\r\n"
                    "\r\n"
                    "table,created,updated,unchanged,rejected\r\n"
                    "Accounts,1,1,0,1\r\n"
                    "\r\n"
                    "score run,status\r\n"
                    "57,succeeded\r\n"
                ),
            )
        ],
    )
    def get(self, request: Request, pk: int) -> StreamingHttpResponse:
        # A bundled import has a report too: its notes, counts and run.
        job = import_job_get_for_user(user=_user(request), pk=pk)
        query_params_refuse_unknown(request, view=self)

        response = StreamingHttpResponse(
            csv_for_spreadsheet(wizard.mapped_import_report_csv(job=job)),
            content_type=CSV_CONTENT_TYPE,
        )
        _import_csv_attach(response, pk=pk, name="report.csv")
        return response


class WizardImportChangesCsvApi(DownloadApi):
    # As WizardApi: anyone but sales ops gets 404.
    permission_classes = [IsAuthenticated, QueryParamsDocumented]

    @extend_schema(
        tags=["imports"],
        summary="Download every change the checked import would make to records",
        description=(
            "One line per field of an existing record the import would change, "
            "old and new: all of them, where the check lists only the first "
            f"{ISSUE_LIMIT} records. Only while the import is being checked: "
            "with no mapping yet, or once it has started, 404. An upload too "
            "large to check while you wait is refused with 400; its background "
            "run checks it. Always CSV, whatever the Accept header says; errors "
            "are JSON. Takes no query parameters."
        ),
        responses={(200, "text/csv"): str},
        examples=[
            _csv_example(
                "Two fields of one account",
                "record,field,old,new\r\n"
                "account Globex Corporation,sector,technology,Energy\r\n"
                "account Globex Corporation,employees,2497,60\r\n",
            )
        ],
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        mapped = _get_mapped_import_for_user(request, pk)
        query_params_refuse_unknown(request, view=self)
        # As on the wizard's page: there are changes to list only while the
        # import is being checked.
        if mapped.confirmed_at is not None or not mapped.mapping:
            raise Http404("No check for this import.")
        if wizard.mapped_import_is_large(mapped=mapped):
            raise ValidationError(
                {
                    "check": [
                        "This upload is too large to check while you wait; "
                        "start it, and the background run checks every row."
                    ]
                }
            )

        outcome = wizard.mapped_import_check(mapped=mapped)
        response = HttpResponse(
            BOM + wizard.import_changes_csv(changes=outcome.changes),
            content_type=CSV_CONTENT_TYPE,
        )
        _import_csv_attach(response, pk=pk, name="changes.csv")
        return response


# How many of a file's columns a refused mapping entry lists.
COLUMNS_NAMED = 20


def _mapping_entry_problem(
    *, file: str, column: str, target: str, columns: list[str]
) -> str:
    """Return what is wrong with one column's target in a mapping, or ""."""
    if column not in columns:
        named = ", ".join(repr(name) for name in columns[:COLUMNS_NAMED])
        if len(columns) > COLUMNS_NAMED:
            named += f" and {len(columns) - COLUMNS_NAMED:,} more"
        return f"{file} has no column {column!r}; its columns are {named}"
    entity, dot, name = target.partition(".")
    if target and not (dot and entity and name):
        return (
            f"{target!r} is not a target: write the kind of record and its "
            "field, such as account.name, or leave it blank to leave the "
            "column out"
        )
    return ""


class WizardImportMappingApi(WizardApi):
    if_match_methods = frozenset({"PUT"})

    parser_classes = [DepthLimitedJSONParser]

    class InputSerializer(StrictInputSerializer):
        mapping = serializers.DictField(
            child=serializers.DictField(child=serializers.CharField(allow_blank=True)),
            help_text='{"file.csv": {"Column": "account.name"}}; a file left out '
            "keeps its proposed mapping",
        )

        def validate_mapping(
            self, value: dict[str, dict[str, str]]
        ) -> dict[str, dict[str, str]]:
            # Said per entry: a misspelt column or a target without its kind
            # of record would otherwise leave the column out without a word.
            columns: dict[str, list[str]] = self.context["columns"]
            errors: dict[str, dict[str, list[str]]] = {}
            for file, targets in value.items():
                known = columns.get(file)
                if known is None:
                    continue
                for column, target in targets.items():
                    problem = _mapping_entry_problem(
                        file=file, column=column, target=target, columns=known
                    )
                    if problem:
                        errors.setdefault(file, {})[column] = [problem]
            if errors:
                raise serializers.ValidationError(errors)
            return value

    @extend_schema(
        tags=["imports"],
        summary="Read the proposed mapping and the file heads",
        description="The ETag in the answer goes in If-Match to confirm.",
        responses={200: FILES_SCHEMA},
        examples=[
            OpenApiExample(
                "A file's proposed mapping",
                value=FILES_EXAMPLE,
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        mapped = _get_mapped_import_for_user(request, pk)
        files = _files_data(mapped)
        return Response(
            {"files": files}, headers={"ETag": _mapping_etag(mapped, files)}
        )

    @extend_schema(
        tags=["imports"],
        summary="Confirm the mapping; it is saved for files with the same headers",
        description=(
            "Send the ETag from your last read of the mapping in If-Match: "
            "without it the answer is 428; if the mapping changed since, 412 "
            "with the current files in `current` and their ETag in the header."
        ),
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="The ETag from your last read of the mapping.",
            )
        ],
        request=InputSerializer,
        examples=write_examples(
            request=(
                "Leave a column out of the import",
                {
                    "mapping": {
                        "accounts.csv": {
                            "Account Name": "account.name",
                            "Employees": "account.employees",
                            "Industry": "",
                        }
                    }
                },
            ),
            response=(
                "The confirmed mapping",
                FILES_EXAMPLE,
            ),
        ),
        responses={
            200: FILES_SCHEMA,
            412: inline_serializer(
                "WizardImportMappingPreconditionFailed",
                {"detail": serializers.CharField(), "current": FILES_SCHEMA},
            ),
        },
    )
    @transaction.atomic
    def put(self, request: Request, pk: int) -> Response:
        mapped = _get_mapped_import_for_user(request, pk)
        # Lock the row and read it again: of two writers holding the same
        # ETag, the second waits here and then sees the first one's change.
        mapped = (
            MappedImport.objects.select_for_update(of=("self",))
            .select_related("job")
            .get(pk=mapped.pk)
        )
        files = _files_data(mapped)
        etag_require(
            request=request,
            etag=_mapping_etag(mapped, files),
            current={"files": files},
        )
        serializer = self.InputSerializer(
            data=request.data,
            context={"columns": {file["name"]: file["columns"] for file in files}},
        )
        serializer.is_valid(raise_exception=True)

        mapping = {
            file["name"]: {
                column: target.split(".", 1)
                for column, target in file["mapping"].items()
            }
            for file in files
        }
        for file, columns in serializer.validated_data["mapping"].items():
            mapping[file] = {
                column: target.split(".", 1)
                for column, target in columns.items()
                if "." in target
            }
        try:
            problems = wizard.mapped_import_mapping_confirm(
                mapped=mapped, mapping=mapping, user=_user(request)
            )
        except wizard.WizardError as error:
            raise ValidationError({"mapping": [str(error)]}) from error
        if problems:
            raise ValidationError({"mapping": problems})

        files = _files_data(mapped)
        return Response(
            {"files": files}, headers={"ETag": _mapping_etag(mapped, files)}
        )


class WizardImportCheckApi(WizardApi):
    @extend_schema(
        tags=["imports"],
        summary="Every problem, question, duplicate proposal and count, unwritten",
        responses={200: CHECK_SCHEMA, 202: LARGE_CHECK_SCHEMA},
        examples=[
            OpenApiExample(
                "A check with a question to answer",
                value=CHECK_EXAMPLE,
                status_codes=[200],
                response_only=True,
            ),
            OpenApiExample(
                "A check of revenue that would move the scoring window",
                value={
                    **CHECK_EXAMPLE,
                    "questions": [],
                    "warnings": [
                        "This import moves the scoring window from Q2 2024–"
                        "Q1 2025 to Q3 2025–Q2 2026: 1 account with revenue "
                        "would have none in the new window and score as if they "
                        "bought nothing. The import keeps the window unless you "
                        "choose to move it."
                    ],
                    "window_move": {
                        "before": "2025-03-31",
                        "after": "2026-06-30",
                        "idle_accounts": 1,
                        "keep": "Keep scoring the twelve months to 31 Mar 2025 "
                        "(the window stays)",
                        "move": "Move the window to 30 Jun 2026 (1 account would "
                        "have no revenue in it)",
                    },
                },
                status_codes=[200],
                response_only=True,
            ),
            OpenApiExample(
                "A file too large to check while you wait",
                value={
                    **JOB_UPLOADED_EXAMPLE,
                    "check": "48,211,904 bytes is over the 5,000,000 checked while "
                    "you wait: POST /api/accounts/imports/31/start/ and the "
                    "background run checks every row, writing nothing if one is "
                    "refused unless keep_good_rows is set; follow it on this job",
                    "job": "/api/accounts/imports/31/",
                    "warnings": [
                        "Nordvik Handel AB Q3 2024: 3 invoice lines (41,250.00 "
                        "SEK) will be left out of totals, which will say they "
                        "lack a rate: no SEK rate on or before 1 Jul 2024"
                    ],
                    "window_move": None,
                    "quarters_without_rate": [
                        {
                            "account": "Nordvik Handel AB",
                            "quarter": "Q3 2024",
                            "quarter_start": "2024-07-01",
                            "currency": "SEK",
                            "invoice_lines": 3,
                            "amount": "41250.00",
                            "reason": "no SEK rate on or before 1 Jul 2024",
                        }
                    ],
                },
                status_codes=[202],
                response_only=True,
            ),
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        mapped = _get_mapped_import_for_user(request, pk)
        if not mapped.mapping:
            raise ValidationError({"mapping": ["Confirm the mapping first."]})

        if wizard.mapped_import_is_large(mapped=mapped):
            # As on the wizard's page: checking a large upload here would hold
            # the request for minutes; the background run checks as it goes.
            start = reverse("accounts_api:import_start", args=[mapped.job.pk])
            forecast = mapped_import_forecast(mapped=mapped)
            return Response(
                {
                    **_job_data(mapped),
                    "check": (
                        f"{wizard.mapped_import_size(mapped=mapped):,} bytes is "
                        f"over the {wizard.INLINE_CHECK_MAX_BYTES:,} checked while "
                        f"you wait: POST {start} and the background run checks "
                        "every row, writing nothing if one is refused unless "
                        "keep_good_rows is set; follow it on this job"
                    ),
                    "job": reverse("accounts_api:import_detail", args=[mapped.job.pk]),
                    "warnings": forecast.texts,
                    "window_move": _window_move_data(forecast.window),
                    "quarters_without_rate": [
                        item.as_dict()
                        for item in forecast.quarters_without_rate[:ISSUE_LIMIT]
                    ],
                },
                status=status.HTTP_202_ACCEPTED,
            )

        outcome = wizard.mapped_import_check(mapped=mapped)
        return Response(
            {
                "can_write": outcome.can_write,
                "problems": outcome.problems,
                "warnings": outcome.warnings,
                "window_move": _window_move_data(outcome.window),
                "questions": [
                    {
                        "file": file,
                        "column": question.column,
                        "message": question.message,
                        "options": question.options,
                    }
                    for file, question in outcome.questions
                ],
                "decisions": [
                    {"file": file, "column": column, "decision": decision}
                    for file, column, decision in outcome.decisions
                ],
                "saved_answers": outcome.saved_answers,
                "proposals": outcome.proposals,
                "counts": outcome.counts,
                "rejected_rows": outcome.rejected_rows,
                "issues": [i.as_dict() for i in outcome.issues[:ISSUE_LIMIT]],
                "changed_records": len(outcome.changes),
                "changes": outcome.changes[:ISSUE_LIMIT],
                "invoices_without_rate": [
                    item.as_dict() for item in outcome.waiting[:ISSUE_LIMIT]
                ],
                "quarters_without_rate": [
                    item.as_dict()
                    for item in outcome.quarters_without_rate[:ISSUE_LIMIT]
                ],
            }
        )


class WizardImportAnswerApi(WizardApi):
    parser_classes = [DepthLimitedJSONParser]

    class InputSerializer(StrictInputSerializer):
        file = serializers.CharField()
        column = serializers.CharField()
        option = serializers.CharField()

    @extend_schema(
        tags=["imports"],
        summary=(
            "Answer a column's question (date order, decimal separator, "
            "currency, role, deal stage)"
        ),
        description=(
            "An answer about a deal stage, a currency, a date order or a "
            "decimal separator is also saved with the mapping for files with "
            "the same headers, whose check lists it under saved_answers; "
            '"clear" forgets it, so the check asks again. A role answer holds '
            "for this import only."
        ),
        request=InputSerializer,
        responses={200: ANSWERS_SCHEMA},
        examples=[
            OpenApiExample(
                "Read the revenue column with a decimal comma",
                value={
                    "file": "accounts.csv",
                    "column": "Annual Revenue",
                    "option": ",",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Count deals at an unknown stage as open",
                value={
                    "file": "deals.csv",
                    "column": "Stage=Banana|stage",
                    "option": "open",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The answers so far",
                value={"answers": {"accounts.csv": {"Annual Revenue": ","}}},
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        mapped = _get_mapped_import_for_user(request, pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        try:
            wizard.mapped_import_answer(mapped=mapped, **serializer.validated_data)
        except wizard.WizardError as error:
            raise ValidationError({"option": [str(error)]}) from error
        return Response({"answers": mapped.answers})


SHEETS_SCHEMA = inline_serializer(
    "WizardImportSheets",
    {
        "file": serializers.CharField(),
        "sheets": serializers.ListField(child=serializers.CharField()),
        "chosen": serializers.CharField(allow_null=True),
    },
)


class WizardImportSheetApi(WizardApi):
    """Read a workbook's sheets; choose the one an uploaded workbook is read from."""

    parser_classes = [DepthLimitedJSONParser]

    class FilterSerializer(serializers.Serializer):
        file = serializers.CharField(
            required=False,
            help_text=(
                "The workbook's file name. Needed only when the import holds "
                "more than one XLSX workbook; without it, the only one is read."
            ),
        )

    class InputSerializer(StrictInputSerializer):
        file = serializers.CharField()
        sheet = serializers.CharField()

    @extend_schema(
        tags=["imports"],
        summary="List an uploaded workbook's sheets and the one read now",
        description=(
            "Reads the import's only XLSX workbook, or the one named in `file`. "
            "An import with no workbook, or with several and none named, is "
            "answered 400 with the reason under `file`."
        ),
        parameters=[FilterSerializer],
        responses={200: SHEETS_SCHEMA},
        examples=[
            OpenApiExample(
                "A workbook with two sheets",
                value={
                    "file": "crm.xlsx",
                    "sheets": ["Accounts", "Notes"],
                    "chosen": "Accounts",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        mapped = _get_mapped_import_for_user(request, pk)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        try:
            stored = mapped_import_workbook(
                mapped=mapped, file=filters.validated_data.get("file")
            )
            sheets = workbook_sheet_names(
                path=Path(stored["path"]), file=stored["name"]
            )
        except wizard.WizardError as error:
            raise ValidationError({"file": [str(error)]}) from error
        return Response(
            {"file": stored["name"], "sheets": sheets, "chosen": stored.get("sheet")}
        )

    @extend_schema(
        tags=["imports"],
        summary="Choose the sheet an uploaded workbook is read from",
        description=(
            "The file's mapping and answers are proposed afresh for the new "
            "sheet; read the mapping again before confirming it."
        ),
        request=InputSerializer,
        responses={200: FILES_SCHEMA},
        examples=write_examples(
            request=(
                "Read the workbook's Accounts sheet",
                {"file": "crm.xlsx", "sheet": "Accounts"},
            ),
            response=(
                "The sheet's proposed mapping",
                {
                    "files": [
                        {
                            **FILES_EXAMPLE["files"][0],
                            "name": "crm.xlsx",
                            "read_as": "Read from the sheet 'Accounts' of an "
                            "Excel workbook.",
                        }
                    ]
                },
            ),
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        return _file_choice_answer(
            request,
            pk,
            self.InputSerializer,
            field="sheet",
            choose=lambda mapped, sheets: mapped_import_sheets_choose(
                mapped=mapped, sheets=sheets
            ),
        )


class WizardImportHeaderApi(WizardApi):
    """Choose the row an uploaded file's header is read from."""

    parser_classes = [DepthLimitedJSONParser]

    class InputSerializer(StrictInputSerializer):
        file = serializers.CharField()
        line = serializers.IntegerField(
            allow_null=True,
            help_text="the line of the header row; null finds it again",
        )

    @extend_schema(
        tags=["imports"],
        summary="Choose the header row of an uploaded file",
        description=(
            "The rows above it are skipped, and the file's mapping and answers "
            "are proposed afresh for its columns; read the mapping again "
            "before confirming it."
        ),
        request=InputSerializer,
        responses={200: FILES_SCHEMA},
        examples=write_examples(
            request=(
                "Read line 4 as the header",
                {"file": "accounts.csv", "line": 4},
            ),
            response=("The file read from its new header", FILES_EXAMPLE),
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        return _file_choice_answer(
            request,
            pk,
            self.InputSerializer,
            field="line",
            choose=lambda mapped, lines: mapped_import_headers_choose(
                mapped=mapped, headers=lines
            ),
        )


class WizardImportDelimiterApi(WizardApi):
    """Choose the delimiter an uploaded CSV file is read with."""

    parser_classes = [DepthLimitedJSONParser]

    class InputSerializer(StrictInputSerializer):
        file = serializers.CharField()
        delimiter = serializers.CharField(
            allow_null=True,
            help_text="comma, semicolon or tab; null detects it again",
        )

    @extend_schema(
        tags=["imports"],
        summary="Choose the delimiter of an uploaded CSV file",
        description=(
            "The other delimiters are read as text. A delimiter that does "
            "not split the file's first rows into its header's columns is "
            "refused, naming the row; the file's mapping and answers are "
            "proposed afresh, so read the mapping again before confirming it."
        ),
        request=InputSerializer,
        responses={200: FILES_SCHEMA},
        examples=write_examples(
            request=(
                "Read the file as comma-separated",
                {"file": "accounts.csv", "delimiter": "comma"},
            ),
            response=("The file read with its delimiter", FILES_EXAMPLE),
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        return _file_choice_answer(
            request,
            pk,
            self.InputSerializer,
            field="delimiter",
            choose=lambda mapped, chosen: mapped_import_delimiters_choose(
                mapped=mapped, delimiters=chosen
            ),
        )


class WizardImportNumberFormatApi(WizardApi):
    """Choose the number format every amount of an uploaded file is read in."""

    parser_classes = [DepthLimitedJSONParser]

    class InputSerializer(StrictInputSerializer):
        file = serializers.CharField()
        number_format = serializers.CharField(
            allow_null=True,
            help_text='"1,234.56", "1.234,56" or "1 234,56"; "detect" or null '
            "detects each column's decimal mark again",
        )

    @extend_schema(
        tags=["imports"],
        summary="Choose the number format of an uploaded file",
        description=(
            "Every amount column is read in it, except a column answered in "
            "this import, and a value written otherwise is refused, naming "
            "its line, column and why. The format is saved with the mapping "
            "and reused for the next file with these headers; the file's "
            "mapping and answers are proposed afresh, so read the mapping "
            "again before confirming it."
        ),
        request=InputSerializer,
        responses={200: FILES_SCHEMA},
        examples=write_examples(
            request=(
                "Read the amounts with a decimal comma",
                {"file": "accounts.csv", "number_format": "1.234,56"},
            ),
            response=("The file read in its number format", FILES_EXAMPLE),
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        return _file_choice_answer(
            request,
            pk,
            self.InputSerializer,
            field="number_format",
            choose=lambda mapped, chosen: mapped_import_number_formats_choose(
                mapped=mapped, formats=chosen
            ),
        )


INVOICES_WITHOUT_RATE_INVALID = 'Send keep_deals or replace_deals, not "{input}".'


class WizardImportStartApi(WizardApi):
    parser_classes = [DepthLimitedJSONParser]

    class InputSerializer(StrictInputSerializer):
        merges = serializers.DictField(
            child=serializers.CharField(),
            required=False,
            default=dict,
            help_text="{incoming name: existing account name}, confirmed merges",
        )
        keep_good_rows = serializers.BooleanField(required=False, default=False)
        invoices_without_rate = serializers.ChoiceField(
            choices=InvoicesWithoutRate.values,
            required=False,
            default=InvoicesWithoutRate.KEEP_DEALS,
            error_messages={"invalid_choice": INVOICES_WITHOUT_RATE_INVALID},
            help_text="What invoices no stored rate converts do to the won "
            "deals counted in their quarters (the check lists them): "
            "keep_deals, the default, keeps the deals counted until a rate is "
            "stored; replace_deals lets the invoices replace them at once",
        )
        window = serializers.ChoiceField(
            choices=ImportJob.Window.values,
            required=False,
            default=ImportJob.Window.KEEP,
            help_text="Where the check's window_move says the import would "
            "move the scoring window: keep, the default, pins the active "
            "scoring model's Score as of where the window ends now before "
            "the import's score run (undo releases it); move lets it move, "
            "and is for sales ops only",
        )
        confirm_warnings = serializers.BooleanField(
            required=False,
            default=False,
            help_text="true once the check's warnings that need confirming "
            "(a scoring window move leaving accounts without revenue, when "
            "window is move) are read",
        )

    @extend_schema(
        tags=["imports"],
        summary="Start the import in the background; follow it on the detail",
        request=InputSerializer,
        responses={
            202: JOB_SCHEMA,
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="A value the start cannot take, under its field's "
                "name: merges that match no proposed duplicate, warnings not "
                "confirmed, or an invoices_without_rate other than keep_deals "
                "or replace_deals. A question the check asks that is not "
                "answered yet stops the start under `questions`, and a mapping "
                "the files cannot take under `mapping`, as the check's "
                "can_write false says.",
                examples=[
                    OpenApiExample(
                        "A question not answered yet",
                        value={
                            "questions": [
                                "Not started: deals.csv asks: 'Stage' says "
                                "'Banana' (line 3), which is no known deal "
                                "stage; is a deal at it won, lost or open? "
                                "Answer it with POST "
                                "/api/accounts/imports/42/answer/ first."
                            ]
                        },
                        response_only=True,
                        status_codes=["400"],
                    ),
                    OpenApiExample(
                        "An unknown invoices_without_rate",
                        value={
                            "invoices_without_rate": [
                                'Send keep_deals or replace_deals, not "replace".'
                            ]
                        },
                        response_only=True,
                        status_codes=["400"],
                    ),
                ],
            ),
            409: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="The import was already started; the answer says "
                "how far it got, as the detail's status fields do.",
                examples=[
                    OpenApiExample(
                        "Started before",
                        value={
                            "detail": "This import was already started at "
                            "2026-11-20T09:14:37+00:00; it is Running (40%: "
                            "Writing accounts). Follow it with GET "
                            "/api/accounts/imports/42/ instead of starting it "
                            "again.",
                            "status": "running",
                            "status_label": "Running",
                            "progress": 40,
                            "message": "Writing accounts",
                            "finished": False,
                        },
                        response_only=True,
                        status_codes=["409"],
                    )
                ],
            ),
        },
        examples=[
            OpenApiExample(
                "Merge a proposed duplicate and skip refused rows",
                value={
                    "merges": {"ACME CORP.": "Acme Corporation"},
                    "keep_good_rows": True,
                },
                request_only=True,
            ),
            OpenApiExample(
                "Let invoices without a rate replace the won deals",
                value={"invoices_without_rate": "replace_deals"},
                request_only=True,
            ),
            OpenApiExample(
                "The import, queued",
                value={
                    **JOB_UPLOADED_EXAMPLE,
                    "confirmed_at": "2026-11-20T09:14:37Z",
                    "keep_good_rows": True,
                    "message": "Queued",
                },
                status_codes=[202],
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        mapped = _get_mapped_import_for_user(request, pk)
        if mapped.confirmed_at is not None:
            # A client retrying after a timeout lands here: say where the
            # first start got to rather than refuse its body.
            return Response(_started_data(mapped), status=status.HTTP_409_CONFLICT)

        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        unknown = wizard.mapped_import_merges_unknown(
            mapped=mapped, merges=data["merges"]
        )
        if unknown:
            raise ValidationError({"merges": unknown})
        answer = reverse("accounts_api:import_answer", args=[mapped.job.pk])
        review = mapped_import_start_review(
            mapped=mapped,
            confirmed=data.pop("confirm_warnings"),
            how="Send confirm_warnings: true to import anyway.",
            answer_how=f"Answer it with POST {answer} first.",
            window=data["window"],
            user=_user(request),
        )
        if review.refusals:
            raise ValidationError(review.refusals)

        try:
            wizard.mapped_import_start(mapped=mapped, window_move=review.window, **data)
        except wizard.ImportStartedError:
            # Another request started it while this one was checking.
            started = MappedImport.objects.select_related("job").get(pk=mapped.pk)
            return Response(_started_data(started), status=status.HTTP_409_CONFLICT)
        except wizard.WizardError as error:
            raise ValidationError({"non_field_errors": [str(error)]}) from error
        return Response(_job_data(mapped), status=status.HTTP_202_ACCEPTED)


def _started_data(mapped: MappedImport) -> dict[str, Any]:
    progress = import_job_progress(job=mapped.job)
    confirmed_at = mapped.confirmed_at
    assert confirmed_at is not None
    return {
        "detail": (
            f"This import was already started at "
            f"{confirmed_at.isoformat(timespec='seconds')}; it is "
            f"{progress['status_label']} ({progress['progress']}%: "
            f"{progress['message']}). Follow it with GET "
            f"{reverse('accounts_api:import_detail', args=[mapped.job_id])} "
            "instead of starting it again."
        ),
        **progress,
    }


def _undo_preview_data(preview: wizard.UndoPreview) -> dict[str, Any]:
    return {
        "can_undo": not preview.refusal,
        "refusal": preview.refusal or None,
        "deleted": preview.deleted,
        "restored": preview.restored,
        "users": preview.users,
        "kept": [
            {
                "kind": one.kind,
                "record": one.record,
                "field": one.field or None,
                "value": one.value if one.field else None,
                "reasons": one.reasons,
                "note": one.note,
            }
            for one in preview.keep.kept
        ],
    }


def _undo_records_data(
    mapped: MappedImport, preview: wizard.UndoPreview
) -> dict[str, Any]:
    """Name the first records the undo deletes or sets back, as its page does."""
    if preview.refusal:
        return {"records": [], "records_total": 0, "records_csv": None}
    records = mapped_import_undo_records(
        mapped=mapped, preview=preview, limit=UNDO_SHOWN
    )
    return {
        "records": [
            {
                "action": one.action,
                "kind": one.kind,
                "record": one.name,
                "key": one.key,
            }
            for one in records
        ],
        "records_total": sum(preview.deleted.values())
        + sum(preview.restored.values())
        + preview.users,
        "records_csv": reverse("accounts_api:import_undo_csv", args=[mapped.job_id]),
    }


def _undo_etag(mapped: MappedImport, preview: dict[str, Any]) -> str:
    # The tag names what the preview said: an undo sent with it does what
    # the client was shown, and one sent after later work changed that
    # (a meeting logged or deleted) is refused with the new preview.
    raw = f"{mapped.pk}:{json.dumps(preview, sort_keys=True)}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


UNDO_PREVIEW_SCHEMA = inline_serializer(
    "WizardImportUndoPreview",
    {
        "can_undo": serializers.BooleanField(),
        "refusal": serializers.CharField(
            allow_null=True, help_text="why the import cannot be undone"
        ),
        "deleted": serializers.DictField(
            child=serializers.IntegerField(),
            help_text="by kind of record: how many the undo deletes",
        ),
        "restored": serializers.DictField(
            child=serializers.IntegerField(),
            help_text="by kind of record: how many the undo sets back to their "
            "values before the import, but for the values listed in `kept`",
        ),
        "users": serializers.IntegerField(
            help_text="users the import created: deleted, or deactivated where "
            "they have logged in or anything refers to them"
        ),
        "kept": serializers.ListField(
            child=inline_serializer(
                "WizardImportUndoKept",
                {
                    "kind": serializers.CharField(),
                    "record": serializers.CharField(),
                    "field": serializers.CharField(
                        allow_null=True,
                        help_text="null when the whole record is kept",
                    ),
                    "value": serializers.CharField(allow_null=True),
                    "reasons": serializers.ListField(child=serializers.CharField()),
                    "note": serializers.CharField(help_text="all of it, in words"),
                },
            ),
            help_text="the work done in Lode since, which the undo leaves alone",
        ),
        "records": serializers.ListField(
            child=inline_serializer(
                "WizardImportUndoRecord",
                {
                    "action": serializers.ChoiceField(
                        choices=[DELETED, SET_BACK, USER_GONE],
                        help_text=f"{USER_GONE!r} for a user the import created",
                    ),
                    "kind": serializers.CharField(),
                    "record": serializers.CharField(
                        help_text="named as people know it"
                    ),
                    "key": serializers.CharField(
                        help_text="app.model:id, as in the CSV"
                    ),
                },
            ),
            help_text=f"the first {UNDO_SHOWN} records the undo deletes or sets "
            "back, by kind in the order it undoes them; `records_csv` has all",
        ),
        "records_total": serializers.IntegerField(
            help_text="how many records the undo deletes or sets back in all"
        ),
        "records_csv": serializers.CharField(
            allow_null=True,
            help_text="where to download every one of those records as CSV, "
            "with what the undo keeps and why; null when the import cannot be "
            "undone",
        ),
    },
)

UNDO_PREVIEW_EXAMPLE = {
    "can_undo": True,
    "refusal": None,
    "deleted": {"accounts": 1, "people": 2},
    "restored": {"accounts": 1},
    "users": 0,
    "kept": [
        {
            "kind": "person",
            "record": "person Rosa Vidal",
            "field": None,
            "value": None,
            "reasons": ["a meeting was logged on 5 Dec 2026"],
            "note": "person Rosa Vidal kept: a meeting was logged on 5 Dec 2026.",
        },
        {
            "kind": "account",
            "record": "account Kestrel Mining",
            "field": None,
            "value": None,
            "reasons": ["it is the account of person Rosa Vidal, which is kept"],
            "note": "account Kestrel Mining kept: it is the account of person "
            "Rosa Vidal, which is kept.",
        },
    ],
    "records": [
        {
            "action": "deleted",
            "kind": "person",
            "record": "person Ana Lind",
            "key": "stakeholders.person:88",
        },
        {
            "action": "set back",
            "kind": "account",
            "record": "account Acme Corporation",
            "key": "accounts.account:12",
        },
    ],
    "records_total": 2,
    "records_csv": "/api/accounts/imports/42/undo.csv",
}


class WizardImportUndoApi(WizardApi):
    if_match_methods = frozenset({"POST"})

    @extend_schema(
        tags=["imports"],
        summary="Preview an undo: what it deletes, sets back and keeps, and why",
        description=(
            "The ETag in the answer goes in If-Match to undo. An import that "
            "cannot be undone says why in `refusal`. `records` names the first "
            f"{UNDO_SHOWN} records the undo deletes or sets back, as the undo "
            "page does; `records_csv` downloads every one."
        ),
        responses={200: UNDO_PREVIEW_SCHEMA},
        examples=[
            OpenApiExample(
                "An import whose person has had a meeting since",
                value=UNDO_PREVIEW_EXAMPLE,
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        mapped = _get_mapped_import_for_user(request, pk)
        preview = wizard.mapped_import_undo_preview(mapped=mapped)
        shown = _undo_preview_data(preview)
        # The tag covers what the undo does, not how its records are named
        # now: renaming an account since the read changes no undo.
        etag = _undo_etag(mapped, shown)
        shown |= _undo_records_data(mapped, preview)
        return Response(shown, headers={"ETag": etag})

    @extend_schema(
        tags=["imports"],
        summary="Undo an import, keeping the work done in Lode since",
        description=(
            "Send the ETag from your last read of the preview in If-Match: "
            "without it the answer is 428; if the preview changed since, 412 "
            "with the current preview in `current` and its ETag in the header."
        ),
        request=None,
        responses={
            200: JOB_SCHEMA,
            412: inline_serializer(
                "WizardImportUndoPreconditionFailed",
                {"detail": serializers.CharField(), "current": UNDO_PREVIEW_SCHEMA},
            ),
        },
        examples=[
            OpenApiExample(
                "The import, undone",
                value={
                    **JOB_EXAMPLE,
                    "undone_at": "2026-11-21T08:02:10Z",
                    "score_run": {
                        **JOB_EXAMPLE["score_run"],
                        "id": 58,
                        "url": "/api/scoring/runs/58/",
                    },
                },
                response_only=True,
            )
        ],
    )
    @transaction.atomic
    def post(self, request: Request, pk: int) -> Response:
        mapped = _get_mapped_import_for_user(request, pk)
        # Of two undos sent with the same ETag, the second waits here and
        # then finds the import undone.
        mapped = (
            MappedImport.objects.select_for_update(of=("self",))
            .select_related("job", "job__created_by")
            .get(pk=mapped.pk)
        )
        # Worked out once, under the lock: the ETag names it and the undo
        # keeps what it says.
        preview = wizard.mapped_import_undo_preview(mapped=mapped)
        shown = _undo_preview_data(preview)
        etag = _undo_etag(mapped, shown)
        etag_require(
            request=request,
            etag=etag,
            current=shown | _undo_records_data(mapped, preview),
        )
        body_require_empty(request)

        try:
            wizard.mapped_import_undo(
                mapped=mapped, user=_user(request), preview=preview
            )
        except wizard.WizardError as error:
            raise ValidationError({"non_field_errors": [str(error)]}) from error
        mapped.refresh_from_db()
        return Response(_job_data(mapped))


class WizardImportUndoCsvApi(DownloadApi):
    # As WizardApi: anyone but sales ops gets 404.
    permission_classes = [IsAuthenticated, QueryParamsDocumented]

    @extend_schema(
        tags=["imports"],
        summary="Download every record an undo would delete, set back or keep",
        description=(
            "All of them, where the undo preview names the first "
            f"{UNDO_SHOWN}: one line each, with what the undo does to it and "
            "its key. Then one line per record or value the undo keeps "
            "(`kept`, as the preview's `kept` names them): `field` and "
            "`value` say which value stays, both blank when the whole record "
            "does, and `reason` why; these three are blank on the other "
            "lines. An import that cannot be undone is answered 400 with "
            "the reason. Always CSV in UTF-8 with a byte order mark first, "
            "whatever the Accept header says; errors are JSON. Takes no query "
            "parameters."
        ),
        responses={(200, "text/csv"): str},
        examples=[
            _csv_example(
                "Records the import created and changed, and a kept value",
                "action,kind,record,key,field,value,reason\r\n"
                "deleted,account,account Kestrel Mining,accounts.account:31,,,\r\n"
                "set back,account,account Acme Corporation,"
                "accounts.account:12,,,\r\n"
                "kept,account,Acme Corporation,accounts.account:12,employees,"
                "1300,edited by Bruce Wayne on 5 Dec 2026\r\n",
            )
        ],
    )
    def get(self, request: Request, pk: int) -> StreamingHttpResponse:
        mapped = _get_mapped_import_for_user(request, pk)
        query_params_refuse_unknown(request, view=self)
        preview = wizard.mapped_import_undo_preview(mapped=mapped)
        if preview.refusal:
            raise ValidationError({"non_field_errors": [preview.refusal]})

        response = StreamingHttpResponse(
            csv_for_spreadsheet(
                mapped_import_undo_csv(mapped=mapped, keep=preview.keep)
            ),
            content_type=CSV_CONTENT_TYPE,
        )
        _import_csv_attach(response, pk=pk, name="undo.csv")
        return response


class WizardImportReopenApi(WizardApi):
    @extend_schema(
        tags=["imports"],
        summary="Let a rejected, failed or stalled import be checked and started again",
        request=None,
        responses={200: JOB_SCHEMA},
        examples=[
            OpenApiExample(
                "A rejected import, open to check again",
                value={
                    **JOB_UPLOADED_EXAMPLE,
                    "confirmed_at": "2026-11-20T09:14:37Z",
                    "message": "Waiting for the go-ahead",
                },
                response_only=True,
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        mapped = _get_mapped_import_for_user(request, pk)
        body_require_empty(request)
        try:
            wizard.mapped_import_reopen(mapped=mapped)
        except wizard.WizardError as error:
            raise ValidationError({"non_field_errors": [str(error)]}) from error
        mapped.refresh_from_db()
        return Response(_job_data(mapped))


class WizardImportDiscardApi(WizardApi):
    @extend_schema(
        tags=["imports"],
        summary="Discard an import that was never started, with its files",
        request=None,
        responses={204: None},
    )
    def post(self, request: Request, pk: int) -> Response:
        mapped = _get_mapped_import_for_user(request, pk)
        body_require_empty(request)
        try:
            mapped_import_discard(mapped=mapped, user=_user(request))
        except DiscardError as error:
            raise ValidationError({"non_field_errors": [str(error)]}) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


def _file_choice_answer(
    request: Request,
    pk: int,
    serializer_class: type[serializers.Serializer],
    *,
    field: str,
    choose: Callable[[MappedImport, dict[str, Any]], None],
) -> Response:
    """Record the `field` chosen for one file; answer the files read afresh."""
    mapped = _get_mapped_import_for_user(request, pk)
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data

    try:
        choose(mapped, {data["file"]: data[field]})
    except UnknownFileError as error:
        raise ValidationError({"file": [str(error)]}) from error
    except wizard.WizardError as error:
        raise ValidationError({field: [str(error)]}) from error
    files = _files_data(mapped)
    return Response({"files": files}, headers={"ETag": _mapping_etag(mapped, files)})
