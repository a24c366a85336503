"""Error pages that answer JSON under /api/ and HTML everywhere else."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404
from django.views import defaults

API_PREFIX = "/api/"


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
