"""Pages that list score runs and show one: sales ops and managers only.

They start runs (recompute, model changes, imports), so they follow what
each run did. Reps and executives get 404, as for the run button.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from scoring.models import ScoreRun
from scoring.selectors import score_run_list

RUNS_PER_PAGE = 50


def _follows_runs(request: AuthenticatedHttpRequest) -> None:
    user = request.user
    if not (user.is_ops or user.is_manager):
        raise Http404("No such page.")


def _score_run_get(*, pk: int) -> ScoreRun:
    run = score_run_list().filter(pk=pk).first()
    if run is None:
        raise Http404("No such score run.")
    return run


@login_required
@require_GET
def run_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    _follows_runs(request)

    page = Paginator(score_run_list(), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "scoring/run_list.html", {"page": page})


@login_required
@require_GET
def run_detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _follows_runs(request)

    run = _score_run_get(pk=pk)
    summary = run.summary or {}
    return render(
        request,
        "scoring/run_detail.html",
        {
            "run": run,
            "window": summary.get("window") or {},
            "reporting_currency": summary.get("reporting_currency") or "",
            "left_out_lines": sorted((summary.get("left_out_lines") or {}).items()),
            "timings": sorted((run.timings or {}).items()),
        },
    )
