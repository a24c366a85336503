"""The base of API endpoints that answer a file: CSV, XLSX, PDF, PowerPoint.

Kept apart from config.api, which DRF's settings import: importing DRF's
views there would import those settings back.
"""

from typing import Any

from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from config.negotiation import DownloadNegotiation


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


class DownloadApi(APIView):
    """A GET that answers a file; errors are JSON and `?format=` is refused."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = DownloadNegotiation

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        download_format_refuse(request)
