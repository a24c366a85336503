"""Plan pages. Editing happens in place through the plan API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.currency_codes import MINOR_DIGITS
from accounts.http import AuthenticatedHttpRequest
from accounts.models import AuditEvent
from accounts.selectors import account_can_edit, account_get_for_user
from config.security import audit_record
from plans.dashboard import (
    ROWS_SHOWN,
    Dashboard,
    DashboardFilters,
    dashboard_revenue_currency,
    figure_counted,
    figure_title,
    plan_completeness_for,
)
from plans.dashboard_summaries import (
    DashboardPreparing,
    dashboard_filters_described,
    dashboard_summary_figure_ids,
    dashboard_summary_for_user,
    dashboard_summary_rows,
    dashboard_summary_tables,
)
from plans.editing import attach_editors
from plans.errors import PlanError
from plans.exports import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    csv_chunks,
    xlsx_chunks,
)
from plans.history import history_entries
from plans.manager_reviews import (
    ManagerReviewForm,
    manager_review_can_record,
    manager_review_create,
    manager_review_list,
)
from plans.selectors import (
    plan_current_for_account,
    plan_detail,
    plan_get_for_user,
    plan_team_overview,
)
from plans.services import gate_can_override, plan_create


@login_required
def plan_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    overview = plan_team_overview(user=request.user)
    return render(request, "plans/plan_list.html", overview)


@never_cache
@login_required
def plan_detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan = plan_get_for_user(user=request.user, pk=pk)
    detail = plan_detail(plan=plan, user=request.user)
    detail["history"] = history_entries(detail["history"])
    attach_editors(detail)
    detail["can_override"] = gate_can_override(user=request.user, account=plan.account)
    # For the script, which writes a saved amount as the page does.
    detail["minor_digits"] = MINOR_DIGITS
    return render(request, "plans/plan_detail.html", detail)


@login_required
def plan_for_account(
    request: AuthenticatedHttpRequest, account_pk: int
) -> HttpResponse:
    """Open the account's current plan, or offer to start one."""
    account = account_get_for_user(user=request.user, pk=account_pk)
    plan = plan_current_for_account(account=account)
    if plan is not None:
        return redirect("plans:detail", pk=plan.pk)
    return render(
        request,
        "plans/plan_start.html",
        {
            "account": account,
            "can_edit": account_can_edit(user=request.user, account=account),
        },
    )


@login_required
@require_POST
def plan_create_view(
    request: AuthenticatedHttpRequest, account_pk: int
) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=account_pk)
    if not account_can_edit(user=request.user, account=account):
        messages.error(request, "You can read this account but not plan it.")
        return redirect("plans:account", account_pk=account.pk)

    try:
        plan = plan_create(user=request.user, account=account)
    except PlanError as error:
        messages.error(request, str(error))
        return redirect(reverse("plans:account", args=[account.pk]))
    return redirect("plans:detail", pk=plan.pk)


# -- Manager dashboard and manager reviews ------------------------------------


def _dashboard_preparing(
    request: AuthenticatedHttpRequest, preparing: DashboardPreparing
) -> HttpResponse:
    """Say the figures asked for are being prepared; show the nearest ones."""
    nearest = preparing.nearest
    return render(
        request,
        "plans/dashboard_preparing.html",
        {
            "preparing": preparing,
            "query": urlencode(preparing.filters.as_query()),
            "nearest": nearest,
            "asked": dashboard_filters_described(filters=preparing.filters),
            "nearest_filters": (
                dashboard_filters_described(filters=nearest.filters)
                if nearest is not None
                else ""
            ),
        },
    )


@login_required
def dashboard_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = DashboardFilters.from_query(request.GET)
    dashboard = dashboard_summary_for_user(user=request.user, filters=filters)
    if isinstance(dashboard, DashboardPreparing):
        return _dashboard_preparing(request, dashboard)

    return render(
        request,
        "plans/dashboard.html",
        {"dashboard": dashboard, "query": urlencode(dashboard.filters.as_query())},
    )


@login_required
def dashboard_accounts_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the accounts behind one dashboard figure, a page at a time."""
    user = request.user
    filters = DashboardFilters.from_query(request.GET)
    dashboard = dashboard_summary_for_user(user=user, filters=filters, body=False)
    if isinstance(dashboard, DashboardPreparing):
        return _dashboard_preparing(request, dashboard)
    key = request.GET.get("figure", "")
    if key not in dashboard.figures:
        raise Http404("No such figure.")

    ids = dashboard_summary_figure_ids(dashboard=dashboard, key=key)
    page = Paginator(ids, ROWS_SHOWN).get_page(request.GET.get("page"))
    rows = dashboard_summary_rows(
        dashboard=dashboard, account_ids=list(page.object_list)
    )
    query = dashboard.filters.as_query()
    return render(
        request,
        "plans/dashboard_accounts.html",
        {
            "dashboard": dashboard,
            "figure": dashboard.figures[key],
            "title": figure_title(dashboard=dashboard, key=key),
            "counted": figure_counted(
                dashboard=dashboard, key=key, accounts=page.paginator.count
            ),
            "rows": rows,
            "revenue_currency": dashboard_revenue_currency(),
            "page": page,
            "query": urlencode(query),
            "page_query": urlencode({"figure": key, **query}),
        },
    )


@login_required
def dashboard_export_view(
    request: AuthenticatedHttpRequest, file_format: str
) -> HttpResponse | StreamingHttpResponse:
    """Download the stored dashboard's tables: one CSV table, or all as XLSX."""
    if file_format not in {"csv", "xlsx"}:
        raise Http404("No such export format.")
    filters = DashboardFilters.from_query(request.GET)
    stored = dashboard_summary_for_user(user=request.user, filters=filters, body=False)
    if isinstance(stored, DashboardPreparing):
        waiting = HttpResponse(
            "These figures are being prepared. Ask for the export again in a "
            "minute or two.",
            # Accepted: the figures are being built; nothing has failed.
            status=202,
            content_type="text/plain; charset=utf-8",
        )
        waiting["Retry-After"] = "60"
        return waiting

    table_name = request.GET.get("table", "accounts")
    stamp = timezone.localdate().isoformat()
    # The tables' rows are read from the stored dashboard as the file is
    # written, and the file is sent as it is written: a CSV as text, a
    # workbook as its compressed sheets.
    tables = dashboard_summary_tables(dashboard=stored)
    response: StreamingHttpResponse
    if file_format == "xlsx":
        response = StreamingHttpResponse(
            xlsx_chunks(tables=tables), content_type=XLSX_CONTENT_TYPE
        )
        filename = f"lode-dashboard-{stamp}.xlsx"
    else:
        names = {slugify(table.name): table for table in tables}
        table = names.get(table_name)
        if table is None:
            raise Http404("No such table.")
        response = StreamingHttpResponse(
            csv_chunks(headers=table.headers, rows=table.rows),
            content_type=CSV_CONTENT_TYPE,
        )
        filename = f"lode-dashboard-{slugify(table.name)}-{stamp}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'

    _dashboard_export_audit(request, dashboard=stored, file_format=file_format)
    return response


def _dashboard_export_audit(
    request: AuthenticatedHttpRequest, *, dashboard: Dashboard, file_format: str
) -> None:
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT,
        request=request,
        detail={
            "what": "dashboard",
            "format": file_format,
            "filters": dashboard.filters.as_query(),
            "accounts": dashboard.row_count,
            "as_of": dashboard.built_at.isoformat() if dashboard.built_at else None,
        },
    )


@login_required
def manager_review_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Show a plan's manager reviews; managers record a new one here."""
    plan = plan_get_for_user(user=request.user, pk=pk)
    can_record = manager_review_can_record(user=request.user, plan=plan)
    form = ManagerReviewForm(
        request.POST or None,
        plan=plan,
        initial={"reviewed_on": timezone.localdate()},
    )

    if request.method == "POST":
        if not can_record:
            messages.error(request, "Only a manager of this team records reviews.")
            return redirect("plans:reviews", pk=plan.pk)
        if form.is_valid():
            try:
                manager_review_create(user=request.user, plan=plan, **form.cleaned_data)
            except PlanError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Review recorded.")
                return redirect("plans:reviews", pk=plan.pk)

    return render(
        request,
        "plans/dashboard_reviews.html",
        {
            "plan": plan,
            "reviews": manager_review_list(plan=plan),
            "form": form,
            "can_record": can_record,
            "completeness": plan_completeness_for(plan=plan),
        },
    )
