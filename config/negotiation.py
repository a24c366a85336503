"""How the API picks what to answer in: JSON, always.

There is no browsable API. Its forms cannot send If-Match, so every update
made through it was refused with 428; integrators try requests in the
interactive docs at /api/docs/, whose forms send If-Match and the CSRF
token.
"""

from typing import Any

from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.request import Request

JSON_ONLY = (
    "The API answers JSON only: leave format out or send format=json. "
    "Try requests in the interactive docs at /api/docs/."
)


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, naming a format the API does not serve in a 400.

    DRF would answer `?format=api` with a bare 404 once the browsable
    renderer is gone, as if the endpoint did not exist.
    """

    def select_renderer(
        self, request: Request, renderers: Any, format_suffix: str | None = None
    ) -> tuple[Any, str]:
        override = self.settings.URL_FORMAT_OVERRIDE
        asked = format_suffix or (override and request.query_params.get(override))
        if asked and asked not in {renderer.format for renderer in renderers}:
            raise exceptions.ValidationError({"format": [JSON_ONLY]})
        return super().select_renderer(request, renderers, format_suffix)


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
