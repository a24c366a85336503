"""Error pages that answer JSON under /api/ and HTML everywhere else."""

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from drf_spectacular.views import SpectacularSwaggerSplitView

API_PREFIX = "/api/"

# The split view serves Swagger UI's start-up code as a file, which the
# content security policy needs: it allows no inline script.
_swagger = SpectacularSwaggerSplitView.as_view(url_name="schema")


def api_docs(request: HttpRequest) -> HttpResponse:
    """Show the API docs; send a browser without a session to log in first."""
    # A person opening the docs gets the login page rather than a bare 401;
    # a client sending a token is answered by the API's own checks.
    if not request.user.is_authenticated and "Authorization" not in request.headers:
        return redirect_to_login(request.get_full_path())
    return _swagger(request)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not request.path.startswith(API_PREFIX):
        return defaults.page_not_found(request, exception)

    if isinstance(exception, Resolver404):
        detail = "No such API endpoint. The endpoints are listed at /api/docs/."
    else:
        # A plain view under /api/, such as an export, said what it missed.
        said = exception.args[0] if exception.args else None
        detail = said if isinstance(said, str) and said else "Not found."
    return JsonResponse({"detail": detail}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # A DRF view answers its own errors as JSON; this covers the rest, such
    # as an export under /api/ that renders through a plain Django view.
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": "Something went wrong on our side. It has been logged."},
            status=500,
        )
    return defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Refuse a write whose CSRF token is missing or stale, in Lode's words."""
    if request.path.startswith(API_PREFIX) or _wants_json(request):
        return JsonResponse(
            {
                "detail": f"CSRF Failed: {reason} Reload the page for a fresh "
                "token and send the request again."
            },
            status=403,
        )

    # Back to the page the form was on, when it is one of ours.
    back = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("home")
    cause, remedy = _csrf_said(reason)
    return render(
        request,
        "403_csrf.html",
        {"back": back, "cause": cause, "remedy": remedy},
        status=403,
    )


def _csrf_said(reason: str) -> tuple[str, str]:
    """Return why a form was refused and what to do, in a user's words.

    Django's reason ("CSRF token from POST incorrect.") is for the log,
    where its CSRF middleware already writes it.
    """
    if reason.startswith("CSRF cookie"):
        return (
            "Your browser sent the form without the cookie Lode gave it with the page.",
            "Check that your browser accepts cookies from this site, then go "
            "back, reload the page and send the form again.",
        )
    if reason.startswith(("Origin checking", "Referer checking")):
        return (
            "The form came from another address than this site's.",
            "Open Lode at its own address, then reload the page and send the "
            "form again.",
        )
    return (
        "This happens when a page stays open a long time, or after you signed "
        "in or out in another tab.",
        "Go back, reload the page and send the form again.",
    )


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept
