"""Serve the OpenAPI schema built once per process, not once per request.

Building it walks every API view (seconds on a busy machine), and it only
changes with the code, which a deploy restarts. Each web process builds and
renders it as it starts (config.wsgi), before it takes requests, and keeps
each rendered format. A request with query parameters (?lang=, ?version=)
is built for itself, as drf-spectacular does.
"""

import logging
import threading
import time
from typing import Any

from django.db import connections
from django.http import HttpResponse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import schema_query_params

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_schema: dict[str, Any] | None = None
_rendered: dict[str, str | bytes] = {}


def api_schema() -> dict[str, Any]:
    """Return the public schema, building it on the first call."""
    global _schema
    with _lock:
        if _schema is None:
            started = time.monotonic()
            _schema = SchemaGenerator().get_schema(request=None, public=True)
            logger.info("API schema built in %.2fs", time.monotonic() - started)
        return _schema


def api_schema_warm() -> None:
    """Build the schema and render it in each format the view serves.

    Called as a web process starts, before it takes requests; the database
    connection the build may open is closed, so nothing opened here is
    shared with a process forked from this one.
    """
    started = time.monotonic()
    try:
        schema = api_schema()
        for renderer_class in SchemaApi.renderer_classes:
            renderer = renderer_class()
            key = f"{renderer_class.__qualname__}:{renderer.media_type}"
            _rendered[key] = renderer.render(schema, renderer.media_type, {})
        # The query parameters each operation accepts are read from it too.
        schema_query_params()
    except Exception:
        # The process still serves pages; the first API request builds the
        # schema again and shows the error there.
        logger.exception("API schema not built at start")
        return
    finally:
        connections.close_all()
    logger.info("API schema ready in %.2fs", time.monotonic() - started)


def api_schema_forget() -> None:
    """Drop the built schema; the next request builds it again (tests)."""
    global _schema
    with _lock:
        _schema = None
        _rendered.clear()


class SchemaApi(SpectacularAPIView):
    def _get_schema_response(self, request: Request) -> Response | HttpResponse:
        if request.query_params:
            return super()._get_schema_response(request)

        renderer = request.accepted_renderer
        media_type = request.accepted_media_type
        key = f"{type(renderer).__qualname__}:{media_type}"
        if key not in _rendered:
            _rendered[key] = renderer.render(
                api_schema(), media_type, {"request": request, "view": self}
            )
        content = _rendered[key]
        charset = renderer.charset
        response = HttpResponse(
            content,
            content_type=f"{media_type}; charset={charset}" if charset else media_type,
        )
        response["Content-Disposition"] = (
            f'inline; filename="{self._get_filename(request, None)}"'
        )
        return response
