from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import condition, require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from config.bounds import query_id
from scoring import selectors
from scoring.computation import ScoringInputError
from scoring.models import AccountScore, ScoreRun
from scoring.services import score_run_request


def _run_state(run: ScoreRun | None) -> dict[str, object] | None:
    if run is None:
        return None
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "progress": run.progress,
        "is_current": run.is_current,
        "message": run.message,
    }


def _page_number(value: str | None) -> int:
    try:
        return max(int(value or 1), 1)
    except ValueError:
        return 1


@login_required
@require_GET
def portfolio(request: AuthenticatedHttpRequest) -> HttpResponse:
    run, pending = selectors.score_run_current_and_pending()
    context: dict[str, object] = {
        "run": run,
        "pending": pending,
        "pending_state": _run_state(pending),
        "quadrants": AccountScore.Quadrant.choices,
        "tiers": AccountScore.Tier.choices,
        "visible_count": 0,
    }
    if run is None:
        return render(request, "scoring/portfolio.html", context)

    currency = run.reporting_currency
    context["revenue_label"] = f"TTM revenue ({currency})"
    context["reporting_currency"] = currency
    scores = selectors.account_score_queryset_for_user(user=request.user, run=run)
    summary = selectors.portfolio_summary_for_user(
        user=request.user, run=run, scores=scores
    )
    if summary.count:
        context |= {
            "page": selectors.portfolio_page(
                scores=scores,
                quadrant=request.GET.get("quadrant", ""),
                tier=request.GET.get("tier", ""),
                sector=request.GET.get("sector", ""),
                search=request.GET.get("q", ""),
                sort=request.GET.get("sort", "name"),
                page=_page_number(request.GET.get("page")),
                after=query_id(request.GET, "after"),
                before=query_id(request.GET, "before"),
            ),
            "hidden_gold": selectors.hidden_gold_list(
                scores=scores,
                threshold=summary.potential_threshold,
                currency=currency,
            ),
            "hidden_gold_shown": selectors.HIDDEN_GOLD_SHOWN,
            "sectors": summary.sectors,
        }
    context["visible_count"] = summary.count
    return render(request, "scoring/portfolio.html", context)


def _current_run(request: HttpRequest) -> ScoreRun | None:
    """Return the current run, read once per request (tag, then figure)."""
    if not hasattr(request, "_current_run"):
        request._current_run = selectors.score_run_current()  # type: ignore[attr-defined]
    return request._current_run  # type: ignore[attr-defined]


def _figure_etag(request: AuthenticatedHttpRequest) -> str | None:
    """Tag the stored figure of the current run for people who see it whole.

    Their figure changes only with the run and with a rename redrawn in it
    (the run's updated_at), so the browser revalidates it and gets 304
    without the figure being read. Anyone else's figure is cut to their
    accounts, which can change between runs: never tagged.
    """
    user = request.user
    if not (user.is_authenticated and user.is_active and user.sees_all_accounts):
        return None
    run = _current_run(request)
    if run is None:
        return None
    renderer = "webgl" if _figure_webgl(request) else "svg"
    return f"run-{run.pk}-{run.updated_at.timestamp()}-all-{renderer}"


def _figure_webgl(request: HttpRequest) -> bool:
    # static/js/portfolio.js asks for ?renderer=svg where the browser opens
    # no WebGL context, or where plotly.js still showed its no-WebGL notice.
    return request.GET.get("renderer") != "svg"


@login_required
@require_GET
@condition(etag_func=_figure_etag)
def portfolio_figure(request: AuthenticatedHttpRequest) -> JsonResponse:
    """Return the quadrant figure of the accounts this user may see.

    The portfolio page fetches it, so the page itself stays small however
    many accounts the chart holds. With ?renderer=svg the figure holds no
    WebGL trace, for a browser that cannot draw one.
    """
    run = _current_run(request)
    figure = (
        selectors.quadrant_figure_for_user(
            user=request.user, run=run, webgl=_figure_webgl(request)
        )
        if run
        else None
    )
    response = JsonResponse({"figure": figure})
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@require_POST
def run_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    # A run scores the whole portfolio, beyond any one team, so it is for
    # sales ops alone, as the README's roles say.
    if not request.user.is_ops:
        raise PermissionDenied("Only sales ops recompute scores.")

    try:
        run = score_run_request(trigger="manual", user=request.user)
    except ScoringInputError as error:
        # With no broker the run executes inside this request; it is already
        # recorded as failed and the previous scores stay current.
        messages.error(request, f"The score run failed: {error}")
        return redirect("scoring:portfolio")

    messages.info(request, f"Score run {run.pk} requested.")
    return redirect("scoring:portfolio")


@login_required
@require_GET
def run_progress(request: AuthenticatedHttpRequest) -> JsonResponse:
    current, pending = selectors.score_run_current_and_pending()
    return JsonResponse(
        {
            "pending": _run_state(pending),
            "current": _run_state(current),
        }
    )
