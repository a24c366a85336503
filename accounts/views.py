import json
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from accounts import importing, wizard
from accounts.currency import rate_table_load, reporting_currency_active
from accounts.deal_history import deal_history
from accounts.deal_keys import deal_form_key_for
from accounts.forms import (
    KEY_USED_ELSEWHERE,
    AccountForm,
    DealForm,
    ImportUploadForm,
)
from accounts.history import change_list_for_target
from accounts.http import AuthenticatedHttpRequest
from accounts.import_liveness import import_job_status_label
from accounts.importing import ImportFileError
from accounts.models import (
    Account,
    ImportJob,
    InvoicesWithoutRate,
    MappedImport,
    Opportunity,
    User,
)
from accounts.sections import account_section_render_context
from accounts.selectors import (
    account_can_edit,
    account_get_for_user,
    account_overview_for_user,
    deal_get_for_user,
    deal_list_for_account,
    mapped_import_get_for_user,
    mapped_import_list_for_user,
)
from accounts.services import (
    ACCOUNT_EDITABLE_FIELDS,
    DEAL_EDITABLE_FIELDS,
    DealKeyReused,
    account_can_rename,
    account_update,
    deal_create_once,
    deal_update,
    import_job_create,
    import_job_progress,
    import_job_retry_keeping_good_rows,
    import_table_name,
)
from accounts.tabular import SheetChoiceError
from accounts.wizard_delimiters import (
    mapped_import_csv_files,
    mapped_import_delimiters_choose,
)
from accounts.wizard_discard import DiscardError, mapped_import_discard
from accounts.wizard_forewarn import (
    StartReview,
    mapped_import_forecast,
    mapped_import_start_review,
)
from accounts.wizard_headers import mapped_import_headers_choose
from accounts.wizard_number_formats import (
    DETECT,
    NUMBER_FORMAT_CHOICES,
    mapped_import_number_formats_choose,
)
from accounts.wizard_sheets import mapped_import_sheets_choose, workbook_sheet_names
from accounts.wizard_undo_list import (
    UNDO_SHOWN,
    mapped_import_undo_csv,
    mapped_import_undo_records,
)
from config.api import etag_for
from config.bounds import id_possible
from config.spreadsheet import BOM, CSV_CONTENT_TYPE, csv_for_spreadsheet

# How many of a deal's recorded changes its edit page lists.
DEAL_HISTORY_SHOWN = 20
# How many deals one page of an account's deal list shows.
DEALS_PER_PAGE = 50


@login_required
def account_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=pk)
    # The overview and the plan section convert money: read the rates once.
    rates = rate_table_load()
    overview = account_overview_for_user(
        user=request.user, account=account, rates=rates
    )
    # Each app's section renders its own template with its own context, so
    # no section sees another's variables.
    sections = [
        (
            section,
            render_to_string(
                section.template,
                {**context, "account": account, "section": section},
                request=request,
            ),
        )
        for section, context in account_section_render_context(
            user=request.user, account=account, rates=rates
        )
    ]

    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "can_edit": account_can_edit(user=request.user, account=account),
            "overview": overview,
            "sections": sections,
            "revenue_chart": overview.revenue_by_quarter,
        },
    )


# The account itself: edited by anyone who may change it

# How many of the account's own recorded changes its edit page lists.
ACCOUNT_HISTORY_SHOWN = 20
ACCOUNT_FIELD_LABELS = {
    "name": "Name",
    "sector": "Sector",
    "country": "Country",
    "year_established": "Established",
    "employees": "Employees",
    "annual_revenue": "Company revenue",
    "annual_revenue_currency": "Revenue currency",
    "annual_revenue_rate": "Rate into USD",
    "annual_revenue_rate_date": "Rate date",
    "parent": "Parent",
    "team": "Account team",
}


def _account_form_values(account: Account, form: AccountForm) -> dict[str, Any]:
    """Return what the form changes, leaving out a revenue sent back as shown.

    Sent again unchanged, a revenue given while no rate was stored would
    be converted with today's rate: a change the user did not make.
    """
    values = form.values
    if (values["annual_revenue"], values["annual_revenue_currency"]) == (
        account.annual_revenue,
        account.annual_revenue_currency,
    ):
        del values["annual_revenue"], values["annual_revenue_currency"]
    return values


def _form_errors_add(form: forms.Form, error: ValidationError) -> None:
    """Put a service's refusal on the form: by field, or above the form."""
    for field, reasons in error.message_dict.items():
        for reason in reasons:
            form.add_error(field if field in form.fields else None, reason)


def _last_change_said(target: Account | Opportunity, user: User) -> str:
    """Say when the record last changed and by whom, for a stale form."""
    latest = change_list_for_target(target=target).first()
    by = ""
    if latest and latest.changed_by_id == user.pk:
        # Most often the same form sent again after Back, or another tab.
        by = " by you, in another tab or window"
    elif latest and latest.changed_by_label:
        by = f" by {latest.changed_by_label}"
    elif latest and latest.import_job_id:
        by = f" by import {latest.import_job_id}"
    when = date_format(timezone.localtime(target.updated_at), "j M Y H:i")
    return f"last changed {when}{by}"


def _account_stale_message(account: Account, user: User) -> str:
    return (
        f"{account.name} was changed since you opened this page "
        f"({_last_change_said(account, user)}), so nothing was saved. The form "
        "now shows the account as it is; make your change again if it is still "
        "needed."
    )


@login_required
def account_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=pk)
    if not account_can_edit(user=request.user, account=account):
        raise PermissionDenied("You may read this account but not change it.")
    version = etag_for(instance=account)
    form = AccountForm(
        request.POST or None,
        can_rename=account_can_rename(user=request.user),
        initial={
            **{field: getattr(account, field) for field in ACCOUNT_EDITABLE_FIELDS},
            "annual_revenue": account.annual_revenue,
            "annual_revenue_currency": account.annual_revenue_currency,
            "version": version,
        },
    )

    if request.method == "POST" and form.is_valid():
        values = _account_form_values(account, form)
        if form.cleaned_data["version"] != version:
            if all(getattr(account, field) == new for field, new in values.items()):
                # The same form sent again (Back, then Save): it was saved.
                messages.success(request, f"{account.name} was already saved as sent.")
                return redirect("accounts:detail", pk=account.pk)
            messages.error(request, _account_stale_message(account, request.user))
            return redirect("accounts:edit", pk=account.pk)
        try:
            saved = account_update(
                account=account,
                user=request.user,
                data=values,
                expected_version=account.updated_at,
            )
        except ValidationError as error:
            # The page names the account as it is stored, not as typed.
            account.refresh_from_db()
            _form_errors_add(form, error)
        else:
            if not saved:
                account.refresh_from_db()
                messages.error(request, _account_stale_message(account, request.user))
                return redirect("accounts:edit", pk=account.pk)
            messages.success(request, f"{account.name} saved.")
            return redirect("accounts:detail", pk=account.pk)

    history = [
        (record, ACCOUNT_FIELD_LABELS.get(record.field, record.field))
        for record in change_list_for_target(target=account)[:ACCOUNT_HISTORY_SHOWN]
    ]
    return render(
        request,
        "accounts/account_edit.html",
        {
            "account": account,
            "form": form,
            "hidden_errors": form.hidden_errors,
            "history": history,
            "imports_linked": request.user.is_ops,
        },
    )


# Deals: edited by anyone who may change their account


def _editable_deal(request: AuthenticatedHttpRequest, pk: int) -> Opportunity:
    deal = deal_get_for_user(user=request.user, pk=pk)
    if not account_can_edit(user=request.user, account=cast(Account, deal.account)):
        raise PermissionDenied("You may read this account but not change it.")
    return deal


@login_required
def deal_list(request: AuthenticatedHttpRequest, account_pk: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    page = Paginator(deal_list_for_account(account=account), DEALS_PER_PAGE).get_page(
        request.GET.get("page")
    )

    return render(
        request,
        "accounts/deal_list.html",
        {
            "account": account,
            "page": page,
            "can_edit": account_can_edit(user=request.user, account=account),
            "show_custom": any(deal.custom_values for deal in page),
        },
    )


@login_required
def deal_new(request: AuthenticatedHttpRequest, account_pk: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    if not account_can_edit(user=request.user, account=account):
        raise PermissionDenied("You may read this account but not change it.")
    deal = Opportunity(account=account)
    form = DealForm(
        request.POST or None,
        deal=deal,
        # The one adding it owns it, when on the account's team (the
        # owner's choices); anyone else starts from nobody.
        initial={
            "stage": Opportunity.Stage.PROSPECTING,
            "currency": reporting_currency_active(),
            "owner": request.user.pk,
            "creation_key": uuid.uuid4(),
        },
    )

    if request.method == "POST" and form.is_valid():
        try:
            deal, added = deal_create_once(
                account=account,
                user=request.user,
                data=form.values,
                key=deal_form_key_for(
                    user=request.user, key=form.cleaned_data["creation_key"]
                ),
            )
        except ValidationError as error:
            _form_errors_add(form, error)
        except DealKeyReused:
            form.add_error(None, KEY_USED_ELSEWHERE)
        else:
            if not added:
                # Double click, or the browser sent the form again.
                messages.info(request, _deal_added_before_message(deal))
                return redirect("accounts:deal_edit", pk=deal.pk)
            messages.success(request, f"Deal {deal.external_id} added.")
            return redirect(reverse("accounts:detail", args=[account.pk]) + "#deals")

    return render(
        request,
        "accounts/deal_edit.html",
        {
            "deal": deal,
            "account": account,
            "form": form,
            "hidden_errors": form.hidden_errors,
            "history": [],
        },
    )


def _deal_added_before_message(deal: Opportunity) -> str:
    return (
        f"This form was already sent: deal {deal.external_id} was added then, "
        "so nothing more was saved. Here is the deal as it was saved."
    )


def _deal_stale_message(deal: Opportunity, user: User) -> str:
    return (
        f"Deal {deal.external_id} was changed since you opened this page "
        f"({_last_change_said(deal, user)}), so nothing was saved. The form now "
        "shows the deal as it is; make your change again if it is still needed."
    )


def _deal_holds(deal: Opportunity, values: dict[str, Any]) -> bool:
    """Say if the deal already holds every value the form sends."""
    return all(getattr(deal, field) == value for field, value in values.items())


@login_required
def deal_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)
    version = etag_for(instance=deal)
    form = DealForm(
        request.POST or None,
        deal=deal,
        initial={
            **{field: getattr(deal, field) for field in DEAL_EDITABLE_FIELDS},
            "version": version,
        },
    )

    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["version"] != version:
            if _deal_holds(deal, form.values):
                # The same form sent again (Back, then Save): it was saved.
                messages.success(
                    request, f"Deal {deal.external_id} was already saved as sent."
                )
                return redirect(
                    reverse("accounts:detail", args=[deal.account_id]) + "#deals"
                )
            messages.error(request, _deal_stale_message(deal, request.user))
            return redirect("accounts:deal_edit", pk=deal.pk)
        try:
            saved = deal_update(
                deal=deal,
                user=request.user,
                data=form.values,
                expected_version=deal.updated_at,
            )
        except ValidationError as error:
            _form_errors_add(form, error)
        else:
            if not saved:
                deal.refresh_from_db()
                messages.error(request, _deal_stale_message(deal, request.user))
                return redirect("accounts:deal_edit", pk=deal.pk)
            messages.success(request, f"Deal {deal.external_id} saved.")
            return redirect(
                reverse("accounts:detail", args=[deal.account_id]) + "#deals"
            )

    return render(
        request,
        "accounts/deal_edit.html",
        {
            "deal": deal,
            "account": deal.account,
            "form": form,
            "hidden_errors": form.hidden_errors,
            "history": deal_history(deal=deal, limit=DEAL_HISTORY_SHOWN),
            # Only sales ops may open an import's report.
            "imports_linked": request.user.is_ops,
        },
    )


# Import (sales ops only; everyone else gets 404, as for accounts they
# may not see)

ISSUE_ACTIONS = ["rejected", "repaired", "kept", "skipped"]
# The changed records the check page lists; the rest are in its CSV.
CHANGES_SHOWN = 50
# The delimiters a CSV upload may be read with, as the forms offer them.
DELIMITER_CHOICES_SHOWN = [
    ("comma", "Comma (,)"),
    ("semicolon", "Semicolon (;)"),
    ("tab", "Tab"),
]


def _get_import_job_for_user(request: AuthenticatedHttpRequest, pk: int) -> ImportJob:
    if not request.user.is_ops or not id_possible(pk):
        raise Http404("No such import.")
    return get_object_or_404(ImportJob, pk=pk)


@login_required
def import_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.is_ops:
        raise Http404("No such page.")

    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_job_create(
            user=request.user,
            files=form.files_by_name(),
            keep_good_rows=form.cleaned_data["keep_good_rows"],
        )
        return redirect("accounts:import_detail", pk=job.pk)

    recent = [
        {"job": job, "status_label": import_job_status_label(job=job)}
        for job in ImportJob.objects.select_related("created_by", "mapped")[:10]
    ]
    return render(
        request, "accounts/import_upload.html", {"form": form, "recent": recent}
    )


@login_required
def import_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = _get_import_job_for_user(request, pk)
    if MappedImport.objects.filter(job=job).exists():
        # A wizard import has its own report, with undo and no Maven retry.
        return redirect("accounts:wizard_report", pk=pk)

    by_action = {
        name: sum(1 for i in job.issues if i["action"] == name)
        for name in ISSUE_ACTIONS
    }
    # The report opens on what stopped the import; "all" shows everything.
    action = request.GET.get("action", "rejected" if by_action["rejected"] else "")
    every_row = request.GET.get("rows") == "all"
    issues = [i for i in job.issues if action in ("", "all") or i["action"] == action]
    folded = importing.issues_grouped(issues)
    page = Paginator(issues if every_row else folded, 100).get_page(
        request.GET.get("page")
    )

    return render(
        request,
        "accounts/import_detail.html",
        {
            "job": job,
            "progress": import_job_progress(job=job),
            "progress_config": {
                "url": reverse("accounts:import_progress", args=[job.pk]),
                "finished": job.is_finished,
            },
            "issues_page": page,
            "action": action,
            "every_row": every_row,
            "can_fold": len(folded) < len(issues),
            "by_action": by_action,
            "rejected_rows": len(
                {
                    (i["file"], i["line"])
                    for i in job.issues
                    if i["action"] == "rejected"
                }
            ),
            "count_rows": [
                (import_table_name(table).capitalize(), counts)
                for table, counts in job.counts.items()
            ],
            "can_keep_good_rows": (
                job.status == ImportJob.Status.REJECTED
                and job.uploads_removed_at is None
                and bool(job.counts)
                and by_action["rejected"] > 0
            ),
        },
    )


@login_required
def import_progress(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    job = _get_import_job_for_user(request, pk)
    return JsonResponse(import_job_progress(job=job))


@login_required
@require_POST
def import_retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = _get_import_job_for_user(request, pk)
    if job.uploads_removed_at is not None:
        messages.error(request, job.uploads_removed_said)
        return redirect("accounts:import_detail", pk=pk)
    retry = import_job_retry_keeping_good_rows(job=job, user=request.user)
    return redirect("accounts:import_detail", pk=retry.pk)


# The import wizard: any CRM, ERP or support export (sales ops only)


def _get_mapped_import_for_user(
    request: AuthenticatedHttpRequest, pk: int
) -> MappedImport:
    return mapped_import_get_for_user(user=request.user, pk=pk)


@login_required
def wizard_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.is_ops:
        raise Http404("No such page.")

    errors: list[str] = []
    delimiter = request.POST.get("delimiter", "")
    number_format = request.POST.get("number_format", "")
    if request.method == "POST":
        uploads = request.FILES.getlist("files")
        try:
            # Django's parser drops a file part without a name, so the
            # fallback never applies.
            mapped = wizard.mapped_import_create(
                user=request.user,
                files=[(upload.name or "", upload) for upload in uploads],
            )
        except wizard.WizardError as problem:
            errors = [str(problem)]
        else:
            errors = _wizard_upload_read(request, mapped, delimiter, number_format)
            if not errors:
                return redirect("accounts:wizard_mapping", pk=mapped.job_id)

    recent = [
        {"mapped": mapped, "status_label": import_job_status_label(job=mapped.job)}
        for mapped in mapped_import_list_for_user(user=request.user)[:10]
    ]
    return render(
        request,
        "accounts/wizard_upload.html",
        {
            "errors": errors,
            "recent": recent,
            "delimiter": delimiter,
            "delimiter_choices": DELIMITER_CHOICES_SHOWN,
            "number_format": number_format,
            "number_format_choices": NUMBER_FORMAT_CHOICES,
        },
    )


def _wizard_upload_read(
    request: AuthenticatedHttpRequest,
    mapped: MappedImport,
    delimiter: str,
    number_format: str,
) -> list[str]:
    """Read a new upload with the delimiter chosen; say why it cannot be.

    As the API does, an upload with a file that cannot be read is refused
    whole, naming every such file, and keeps nothing.
    """
    try:
        if delimiter:
            # The delimiter chosen is every CSV file's; a workbook has none.
            mapped_import_delimiters_choose(
                mapped=mapped,
                delimiters=dict.fromkeys(
                    mapped_import_csv_files(mapped=mapped), delimiter
                ),
            )
        if number_format:
            # The format chosen is every file's, as the delimiter is.
            mapped_import_number_formats_choose(
                mapped=mapped,
                formats=dict.fromkeys(
                    [file["name"] for file in mapped.files], number_format
                ),
            )
        wizard.mapped_import_files_read(mapped=mapped)
    except wizard.WizardError as problem:
        errors = [str(problem)]
    except SheetChoiceError:
        return []  # The mapping page asks which sheet.
    except ImportFileError as unread:
        errors = wizard.import_file_error_said(unread)
    else:
        return []
    mapped_import_discard(mapped=mapped, user=request.user)
    return errors


@login_required
def wizard_mapping(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mapped = _get_mapped_import_for_user(request, pk)
    if mapped.confirmed_at is not None:
        return redirect("accounts:wizard_report", pk=pk)

    problems: dict[str, list[str]] = {}
    data = None
    try:
        if request.method == "POST":
            problems = wizard.mapped_import_mapping_post(
                mapped=mapped, data=request.POST, user=request.user
            )
            if not problems:
                return redirect("accounts:wizard_check", pk=pk)
            data = request.POST
        previews = wizard.mapped_import_files_read(mapped=mapped)
    except SheetChoiceError as error:
        return render(
            request,
            "accounts/wizard_mapping.html",
            {"mapped": mapped, "sheet_choice": error, "files": []},
        )
    except ImportFileError as error:
        # A CSV file read wrong may read right with another delimiter.
        delimited = error.file in mapped_import_csv_files(mapped=mapped)
        return render(
            request,
            "accounts/wizard_mapping.html",
            {
                "mapped": mapped,
                "file_error": error,
                "files": [],
                "delimiter_file": error.file if delimited else "",
                "delimiter_choices": DELIMITER_CHOICES_SHOWN,
            },
        )

    return render(
        request,
        "accounts/wizard_mapping.html",
        {
            "mapped": mapped,
            "files": wizard.wizard_mapping_rows(previews=previews, data=data),
            "choices": wizard.wizard_field_choices(),
            "problems": problems,
            "delimiter_choices": DELIMITER_CHOICES_SHOWN,
            "number_format_choices": NUMBER_FORMAT_CHOICES,
        },
    )


@login_required
def wizard_check(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mapped = _get_mapped_import_for_user(request, pk)
    if mapped.confirmed_at is not None:
        return redirect("accounts:wizard_report", pk=pk)
    if not mapped.mapping:
        return redirect("accounts:wizard_mapping", pk=pk)

    if request.method == "POST" and "option" in request.POST:
        try:
            wizard.mapped_import_answer(
                mapped=mapped,
                file=request.POST.get("file", ""),
                column=request.POST.get("column", ""),
                option=request.POST["option"],
            )
        except wizard.WizardError as problem:
            messages.error(request, str(problem))
        return redirect("accounts:wizard_check", pk=pk)
    refused: list[str] = []
    review: StartReview | None = None
    # Keeping the scoring window is the default; moving it is for sales ops.
    window = request.POST.get("window", ImportJob.Window.KEEP)
    if request.method == "POST":
        try:
            merges = wizard.mapped_import_merges_read(
                values=request.POST.getlist("merge")
            )
        except wizard.WizardError as error:
            merges, refused = {}, [str(error)]
        refused = refused or wizard.mapped_import_merges_unknown(
            mapped=mapped, merges=merges
        )
        invoices_without_rate = request.POST.get(
            "invoices_without_rate", InvoicesWithoutRate.KEEP_DEALS
        )
        if not refused and invoices_without_rate not in InvoicesWithoutRate.values:
            refused = [wizard.invoices_without_rate_problem(invoices_without_rate)]
        if not refused and "recheck" not in request.POST:
            review = mapped_import_start_review(
                mapped=mapped,
                confirmed=request.POST.get("confirm_warnings") == "on",
                how="Tick “I have read the warnings above” to import anyway.",
                answer_how="Answer it above first.",
                window=window,
                user=request.user,
            )
            refused = [text for texts in review.refusals.values() for text in texts]
    if request.method == "POST" and not refused:
        if "recheck" in request.POST:
            wizard.mapped_import_merges_set(mapped=mapped, merges=merges)
            return redirect("accounts:wizard_check", pk=pk)
        # Another click may have started it first; the report follows that run.
        with suppress(wizard.ImportStartedError):
            wizard.mapped_import_start(
                mapped=mapped,
                merges=merges,
                keep_good_rows=request.POST.get("keep_good_rows") == "on",
                invoices_without_rate=invoices_without_rate,
                window=window,
                window_move=review.window if review else None,
            )
        return redirect("accounts:wizard_report", pk=pk)
    # A refused merge shows the page again, saying why, and writes nothing.
    status = 400 if refused else 200

    if wizard.mapped_import_is_large(mapped=mapped):
        # A full check of a large upload would hold the request for minutes;
        # the background run checks as it goes instead.
        forecast = mapped_import_forecast(mapped=mapped)
        return render(
            request,
            "accounts/wizard_check.html",
            {
                "mapped": mapped,
                "large": True,
                "large_size": wizard.mapped_import_size(mapped=mapped),
                # No dry run: its warnings are forecast, shown before the start.
                "warnings": forecast.texts,
                "window_move": forecast.window,
                "window": window,
                "may_move_window": request.user.is_ops,
                "refused": refused,
                # Unchecked, the quarters cannot be named; the choice is
                # offered wherever invoices are read.
                "ask_invoices_without_rate": wizard.mapped_import_has_invoices(
                    mapped=mapped
                ),
                "invoices_without_rate": (
                    request.POST.get("invoices_without_rate")
                    or mapped.job.invoices_without_rate
                ),
                "invoices_without_rate_choices": InvoicesWithoutRate.choices,
            },
            status=status,
        )

    outcome = wizard.mapped_import_check(mapped=mapped)
    return render(
        request,
        "accounts/wizard_check.html",
        {
            "mapped": mapped,
            "outcome": outcome,
            "warnings": outcome.warnings,
            "issues": [issue.as_dict() for issue in outcome.issues[:500]],
            # Every answer but a role's is saved with the mapping.
            "saved_asked": any(q.kind != "role" for _, q in outcome.questions),
            "changes": outcome.changes[:CHANGES_SHOWN],
            "proposals": [
                (proposal, json.dumps([proposal["incoming"], proposal["existing"]]))
                for proposal in outcome.proposals
            ],
            "refused": refused,
            "waiting": outcome.waiting,
            "window_move": outcome.window,
            "window": window,
            "may_move_window": request.user.is_ops,
            "invoices_without_rate": (
                request.POST.get("invoices_without_rate")
                or mapped.job.invoices_without_rate
            ),
            "invoices_without_rate_choices": InvoicesWithoutRate.choices,
        },
        status=status,
    )


@login_required
def wizard_report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mapped = _get_mapped_import_for_user(request, pk)
    job = mapped.job

    return render(
        request,
        "accounts/wizard_report.html",
        {
            "mapped": mapped,
            "job": job,
            "counts": wizard.mapped_import_counts(job=job),
            "progress": import_job_progress(job=job),
            "progress_config": {
                "url": reverse("accounts:import_progress", args=[job.pk]),
                "finished": job.is_finished or mapped.confirmed_at is None,
            },
            "issues": job.issues[:500],
            # Answering reopens the import, which needs its uploads.
            "questions": (
                []
                if job.uploads_removed_at
                else wizard.mapped_import_questions(job=job)
            ),
            "can_undo": job.status == ImportJob.Status.SUCCEEDED
            and mapped.undone_at is None,
            "score_run": wizard.mapped_import_score_run(job=job),
        },
    )


@login_required
def wizard_changes_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mapped = _get_mapped_import_for_user(request, pk)
    if mapped.confirmed_at is not None or not mapped.mapping:
        raise Http404("No check for this import.")

    outcome = wizard.mapped_import_check(mapped=mapped)
    response = HttpResponse(
        BOM + wizard.import_changes_csv(changes=outcome.changes),
        content_type=CSV_CONTENT_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="import-{pk}-changes.csv"'
    return response


@login_required
def wizard_report_csv(
    request: AuthenticatedHttpRequest, pk: int
) -> StreamingHttpResponse:
    mapped = _get_mapped_import_for_user(request, pk)
    response = StreamingHttpResponse(
        csv_for_spreadsheet(wizard.mapped_import_report_csv(job=mapped.job)),
        content_type=CSV_CONTENT_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="import-{pk}-report.csv"'
    return response


@login_required
def wizard_sheet(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mapped = _get_mapped_import_for_user(request, pk)
    if request.method != "POST":
        return _wizard_sheet_page(request, mapped, request.GET.get("file", ""))

    file, sheet = request.POST.get("file", ""), request.POST.get("sheet", "")
    try:
        mapped_import_sheets_choose(mapped=mapped, sheets={file: sheet})
    except wizard.WizardError as problem:
        messages.error(request, str(problem))
    return redirect("accounts:wizard_mapping", pk=pk)


@login_required
@require_POST
def wizard_header(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mapped = _get_mapped_import_for_user(request, pk)
    file, line = request.POST.get("file", ""), request.POST.get("line", "")
    try:
        chosen = int(line) if line else None
    except ValueError:
        messages.error(request, f"{line!r} is not a line number.")
        return redirect("accounts:wizard_mapping", pk=pk)

    try:
        mapped_import_headers_choose(mapped=mapped, headers={file: chosen})
    except wizard.WizardError as problem:
        messages.error(request, str(problem))
    return redirect("accounts:wizard_mapping", pk=pk)


@login_required
@require_POST
def wizard_delimiter(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mapped = _get_mapped_import_for_user(request, pk)
    file, delimiter = request.POST.get("file", ""), request.POST.get("delimiter", "")

    try:
        mapped_import_delimiters_choose(
            mapped=mapped, delimiters={file: delimiter or None}
        )
    except wizard.WizardError as problem:
        messages.error(request, str(problem))
    return redirect("accounts:wizard_mapping", pk=pk)


@login_required
@require_POST
def wizard_number_format(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mapped = _get_mapped_import_for_user(request, pk)
    file = request.POST.get("file", "")
    number_format = request.POST.get("number_format", "")

    try:
        mapped_import_number_formats_choose(
            mapped=mapped, formats={file: number_format or DETECT}
        )
    except wizard.WizardError as problem:
        messages.error(request, str(problem))
    return redirect("accounts:wizard_mapping", pk=pk)


def _wizard_sheet_page(
    request: AuthenticatedHttpRequest, mapped: MappedImport, file: str
) -> HttpResponse:
    """Offer every sheet of one workbook, the one read now chosen."""
    stored = next((f for f in mapped.files if f["name"] == file), None)
    if stored is None or mapped.confirmed_at is not None:
        raise Http404("No such file in this import.")
    try:
        sheets = workbook_sheet_names(path=Path(stored["path"]), file=file)
    except wizard.WizardError as problem:
        messages.error(request, str(problem))
        return redirect("accounts:wizard_mapping", pk=mapped.job_id)

    choice = {"file": file, "sheets": sheets, "chosen": stored.get("sheet")}
    return render(
        request,
        "accounts/wizard_mapping.html",
        {"mapped": mapped, "sheet_choice": choice, "files": []},
    )


@login_required
@require_POST
def wizard_discard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mapped = _get_mapped_import_for_user(request, pk)
    try:
        mapped_import_discard(mapped=mapped, user=request.user)
    except DiscardError as problem:
        messages.error(request, str(problem))
        return redirect("accounts:wizard_report", pk=pk)
    messages.success(request, f"Import {pk} discarded with its uploaded files.")
    return redirect("accounts:wizard")


@login_required
def wizard_undo(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show what undoing the import keeps; undo it when confirmed."""
    mapped = _get_mapped_import_for_user(request, pk)
    if request.method != "POST":
        return _wizard_undo_page(request, mapped)

    try:
        done = wizard.mapped_import_undo(mapped=mapped, user=request.user)
    except wizard.WizardError as problem:
        messages.error(request, str(problem))
        return redirect("accounts:wizard_report", pk=pk)
    users = f" Users: {'; '.join(done.users)}." if done.users else ""
    kept = f" Kept: {' '.join(done.kept)}" if done.kept else ""
    messages.success(request, f"Import {pk} was undone.{kept}{users}")
    return redirect("accounts:wizard_report", pk=pk)


def _wizard_undo_page(
    request: AuthenticatedHttpRequest, mapped: MappedImport
) -> HttpResponse:
    preview = wizard.mapped_import_undo_preview(mapped=mapped)
    kinds = sorted({*preview.deleted, *preview.restored})
    records = []
    if not preview.refusal:
        records = mapped_import_undo_records(
            mapped=mapped, preview=preview, limit=UNDO_SHOWN
        )
    total = (
        sum(preview.deleted.values()) + sum(preview.restored.values()) + preview.users
    )
    return render(
        request,
        "accounts/wizard_undo.html",
        {
            "mapped": mapped,
            "job": mapped.job,
            "kept": preview.keep.notes,
            "refusal": preview.refusal,
            "counts": [
                (
                    kind.capitalize(),
                    preview.deleted.get(kind, 0),
                    preview.restored.get(kind, 0),
                )
                for kind in kinds
            ],
            "users": preview.users,
            "records": records,
            # Grouped as elsewhere on the page: "and 1,204 more".
            "more": f"{total - len(records):,}" if total > len(records) else "",
        },
    )


@login_required
def wizard_undo_csv(
    request: AuthenticatedHttpRequest, pk: int
) -> HttpResponse | StreamingHttpResponse:
    """Send every record undoing the import would delete, set back or keep."""
    mapped = _get_mapped_import_for_user(request, pk)
    preview = wizard.mapped_import_undo_preview(mapped=mapped)
    if preview.refusal:
        messages.error(request, preview.refusal)
        return redirect("accounts:wizard_undo", pk=pk)

    response = StreamingHttpResponse(
        csv_for_spreadsheet(mapped_import_undo_csv(mapped=mapped, keep=preview.keep)),
        content_type=CSV_CONTENT_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="import-{pk}-undo.csv"'
    return response


@login_required
@require_POST
def wizard_reopen(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mapped = _get_mapped_import_for_user(request, pk)
    try:
        wizard.mapped_import_reopen(mapped=mapped)
    except wizard.WizardError as problem:
        messages.error(request, str(problem))
        return redirect("accounts:wizard_report", pk=pk)
    return redirect("accounts:wizard_check", pk=pk)


@login_required
@require_POST
def wizard_answer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mapped = _get_mapped_import_for_user(request, pk)
    try:
        wizard.mapped_import_reopen(mapped=mapped)
        wizard.mapped_import_answer(
            mapped=mapped,
            file=request.POST.get("file", ""),
            column=request.POST.get("column", ""),
            option=request.POST.get("option", ""),
        )
    except wizard.WizardError as problem:
        messages.error(request, str(problem))
        return redirect("accounts:wizard_report", pk=pk)
    return redirect("accounts:wizard_check", pk=pk)
