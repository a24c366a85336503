"""The base of API endpoints that answer a file: CSV, XLSX, PDF, PowerPoint.

Kept apart from config.api, which DRF's settings import: importing DRF's
views there would import those settings back.
"""

from typing import Any

from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView


def download_format_refuse(request: Request) -> None:
    """Refuse `?format=` on a file download, whose path names its format.

    Elsewhere `format` picks DRF's renderer; a download is a file, not a
    rendered body, so `report.csv?format=json` would still answer CSV.
    """
    if "format" in request.query_params:
        raise exceptions.ValidationError(
            {
                "format": [
                    "A download's format is the extension in its path, such as "
                    ".csv; remove format from the query."
                ]
            }
        )


class DownloadNegotiation(BaseContentNegotiation):
    """Answer a download's errors in JSON, whatever the client accepts.

    Its file goes out as the file; only a refusal is rendered, and a client
    that sent `Accept: text/csv` for the file still gets a readable error
    rather than a 406.
    """

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(
        self, request: Request, renderers: Any, format_suffix: str | None = None
    ) -> tuple[Any, str]:
        renderer = renderers[0]
        return renderer, renderer.media_type


class DownloadApi(APIView):
    """A GET that answers a file; errors are JSON and `?format=` is refused."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = DownloadNegotiation

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        download_format_refuse(request)
