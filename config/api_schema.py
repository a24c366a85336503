"""How the OpenAPI schema reads our API views.

Kept apart from config.api: drf-spectacular imports DRF's views, which read
the API settings, which name the throttles and paginator in config.api.
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema


class LodeAutoSchema(AutoSchema):
    """Read an APIView's nested Input/OutputSerializer into the schema.

    Our views follow one shape (an APIView per operation with nested
    serializers), so the schema can find bodies without every view
    repeating them in extend_schema. List views say how they page with
    extend_schema; a bare OutputSerializer would describe one item.
    """

    def get_request_serializer(self) -> Any:
        serializer = getattr(self.view, "InputSerializer", None)
        if serializer is not None and self.method in {"POST", "PUT", "PATCH"}:
            return serializer
        return super().get_request_serializer()

    def get_response_serializers(self) -> Any:
        serializer = getattr(self.view, "OutputSerializer", None)
        if serializer is not None and not type(self.view).__name__.endswith("ListApi"):
            return serializer
        return super().get_response_serializers()

    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        # Nested serializers share names across views (every view has an
        # InputSerializer); name their components after the view instead.
        qualname = type(serializer).__qualname__.split(".")
        if len(qualname) >= 2 and qualname[-2].endswith("Api"):
            view, inner = qualname[-2], qualname[-1]
            return view.removesuffix("Api") + inner.removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)
