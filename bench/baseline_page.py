"""The pages bench's baseline: the least a logged-in page can cost.

Each session runs on another machine, and a page whose code did not change
can time slower there. A request to this page goes through the same
middleware (session, CSRF, the user read from the database, audit) and
renders the same base template with the same navigation as every page, but
reads and shows nothing of its own. Timed beside each page in the same run,
it tells a slower machine (both grow) from slower code (the page alone).

The page is served only while the bench routes requests through this
module's URL configuration; the product has no such route.
"""

from functools import cache
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import URLPattern, URLResolver, include, path

from config.urls import handler404, handler500  # noqa: F401

if TYPE_CHECKING:
    # Only in django-stubs: the type from_string returns.
    from django.template.backends.base import _EngineTemplate

BASELINE_PATH = "/bench/baseline/"
_TEMPLATE = """{% extends "base.html" %}
{% block title %}Baseline{% endblock title %}
{% block content %}<h1>{{ user.display_name }}</h1>{% endblock content %}"""


@cache
def _template() -> "_EngineTemplate":
    # Compiled once, as the cached loader keeps every page's template.
    return engines["django"].from_string(_TEMPLATE)


@login_required
def baseline_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_template().render({}, request))


urlpatterns: list[URLPattern | URLResolver] = [
    path(BASELINE_PATH.strip("/") + "/", baseline_page, name="bench_baseline"),
    path("", include("config.urls")),
]
