from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.forms import ImportUploadForm
from accounts.models import ImportJob
from accounts.sections import account_section_render_context
from accounts.selectors import account_get_for_user, account_overview_for_user
from accounts.services import (
    import_job_create,
    import_job_progress,
    import_job_retry_keeping_good_rows,
)


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = account_get_for_user(user=request.user, pk=pk)
    overview = account_overview_for_user(user=request.user, account=account)
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
            user=request.user, account=account
        )
    ]

    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "overview": overview,
            "sections": sections,
            "revenue_chart": overview.revenue_by_quarter,
        },
    )


# Import (sales ops only; everyone else gets 404, as for accounts they
# may not see)

ISSUE_ACTIONS = ["rejected", "repaired", "kept"]


def _get_import_job_for_user(request: HttpRequest, pk: int) -> ImportJob:
    if not request.user.is_ops:
        raise Http404("No such import.")
    return get_object_or_404(ImportJob, pk=pk)


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
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

    recent = ImportJob.objects.select_related("created_by")[:10]
    return render(
        request, "accounts/import_upload.html", {"form": form, "recent": recent}
    )


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _get_import_job_for_user(request, pk)

    action = request.GET.get("action", "")
    issues = [i for i in job.issues if not action or i["action"] == action]
    page = Paginator(issues, 100).get_page(request.GET.get("page"))
    by_action = {
        name: sum(1 for i in job.issues if i["action"] == name)
        for name in ISSUE_ACTIONS
    }

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
            "by_action": by_action,
            "rejected_rows": len(
                {
                    (i["file"], i["line"])
                    for i in job.issues
                    if i["action"] == "rejected"
                }
            ),
            "count_rows": [
                (table.replace("_", " ").capitalize(), counts)
                for table, counts in job.counts.items()
            ],
            "can_keep_good_rows": (
                job.status == ImportJob.Status.REJECTED
                and bool(job.counts)
                and by_action["rejected"] > 0
            ),
        },
    )


@login_required
def import_progress(request: HttpRequest, pk: int) -> JsonResponse:
    job = _get_import_job_for_user(request, pk)
    return JsonResponse(import_job_progress(job=job))


@login_required
@require_POST
def import_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = _get_import_job_for_user(request, pk)
    retry = import_job_retry_keeping_good_rows(job=job, user=request.user)
    return redirect("accounts:import_detail", pk=retry.pk)
