"""Lode's URLs plus two views that fail as no handler expects."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler500
from config.urls import urlpatterns as lode_urlpatterns

FAILURE = "the database password is hunter2"


def failing_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(FAILURE)


urlpatterns = [
    path("failing/", failing_view, name="failing_page"),
    path("api/failing/", failing_view, name="failing_api"),
    *lode_urlpatterns,
]
__all__ = ["handler500", "urlpatterns"]
