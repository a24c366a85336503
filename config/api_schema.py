"""How the OpenAPI schema reads our API views.

Kept apart from config.api: drf-spectacular imports DRF's views, which read
the API settings, which name the throttles and paginator in config.api.
"""

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, inline_serializer
from rest_framework import serializers

NOT_FOUND = inline_serializer(
    "NotFound",
    {"detail": serializers.CharField(help_text="What was not found.")},
)
# A refused query parameter answers {"name": ["why"]}, as a refused field;
# a request refused as a whole, {"detail": "why"}.
REFUSED = {
    "type": "object",
    "description": "Each refused query parameter with its reasons, or detail.",
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string"},
        ]
    },
}


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag from your last read of what you change.",
)
PRECONDITION_REQUIRED = inline_serializer(
    "PreconditionRequired",
    {"detail": serializers.CharField(help_text="Send If-Match with the ETag.")},
)
PRECONDITION_FAILED = {
    "type": "object",
    "description": (
        "Someone changed it since your read: `detail` says so and `current` "
        "holds the current state; its ETag is in the ETag header."
    ),
    "properties": {
        "detail": {"type": "string"},
        "current": {"type": "object", "nullable": True},
    },
    "required": ["detail"],
}


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

    def get_serializer_name(
        self, serializer: Any, direction: Literal["request", "response"]
    ) -> str:
        # Nested serializers share names across views (every view has an
        # InputSerializer); name their components after the view instead.
        qualname = type(serializer).__qualname__.split(".")
        if len(qualname) >= 2 and qualname[-2].endswith("Api"):
            view, inner = qualname[-2], qualname[-1]
            return view.removesuffix("Api") + inner.removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)

    def _needs_if_match(self) -> bool:
        # A view lists the methods that refuse a write without If-Match;
        # tests/security walks the API to check that the list is right.
        return self.method in getattr(self.view, "if_match_methods", ())

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self._needs_if_match() and not any(
            isinstance(parameter, OpenApiParameter) and parameter.name == "If-Match"
            for parameter in parameters
        ):
            parameters.append(IF_MATCH)
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> Any:
        # A read documents its refusals too: 404 when the path names an
        # object, 400 when it takes query parameters a client can get wrong.
        # A write under If-Match documents its 428 and 412.
        responses = super()._get_response_bodies(direction)
        if self._needs_if_match():
            if "428" not in responses:
                responses["428"] = self._get_response_for_code(
                    PRECONDITION_REQUIRED, "428", direction=direction
                )
            if "412" not in responses:
                responses["412"] = self._get_response_for_code(
                    PRECONDITION_FAILED, "412", direction=direction
                )
        if self.method != "GET":
            return responses
        if "{" in self.path and "404" not in responses:
            responses["404"] = self._get_response_for_code(
                NOT_FOUND, "404", direction=direction
            )
        if self._takes_query_parameters() and "400" not in responses:
            responses["400"] = self._get_response_for_code(
                REFUSED, "400", direction=direction
            )
        return responses

    def _takes_query_parameters(self) -> bool:
        # Every list refuses a query parameter it does not document.
        if self._is_list_view() or (
            getattr(self.view, "pagination_class", None) is not None
            and type(self.view).__name__.endswith("ListApi")
        ):
            return True
        return any(
            isinstance(parameter, OpenApiParameter)
            and parameter.location == OpenApiParameter.QUERY
            or not isinstance(parameter, OpenApiParameter)
            for parameter in self.get_override_parameters()
        )


# Errors any operation can answer, added to every operation in one place
# after the schema is built, so a view never lists them by hand. A client
# reading the docs, and a fuzzer checking answers against them, sees every
# status the API can give.

ERROR = {
    "type": "object",
    "description": "Why the request was refused.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": (
        "Each refused field or query parameter with its reasons, as "
        '`{"field": ["why"]}`; `non_field_errors` for the body as a whole; '
        "or `detail` when the request could not be read at all."
    ),
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string"},
            {"type": "object"},
        ]
    },
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}
WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "How to authenticate: `Token`.",
        "schema": {"type": "string"},
    }
}
PRECONDITION_FAILED_HEADERS = {
    "ETag": {
        "description": "The ETag of the current state, for the retry.",
        "schema": {"type": "string"},
    }
}


def write_examples(
    *, request: tuple[str, Any], response: tuple[str, Any]
) -> list[OpenApiExample]:
    """Return a write's two examples: the body it sends and the answer to it."""
    return [
        OpenApiExample(request[0], value=request[1], request_only=True),
        OpenApiExample(response[0], value=response[1], response_only=True),
    ]


def _error(
    description: str, schema: str, headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
        },
    }
    if headers:
        response["headers"] = headers
    return response


def _common_errors(path: str, method: str, operation: dict[str, Any]) -> dict:
    parameters = operation.get("parameters", [])
    errors = {
        "400": _error(
            "Refused input: each field or query parameter at fault with why.",
            "FieldErrors",
        ),
        "401": _error(
            "No valid session or API token.", "Error", headers=WWW_AUTHENTICATE
        ),
        "403": _error(
            "Signed in but not allowed: a read-only role, or a missing CSRF "
            "token on a session write.",
            "Error",
        ),
        "429": _error(
            "Too many requests, or too many failed tokens from this address.",
            "Error",
            headers=RETRY_AFTER,
        ),
    }
    paged = any(parameter["name"] == "limit" for parameter in parameters)
    if "{" in path or paged or path.startswith("/api/accounts/imports/"):
        # Someone else's object is not found rather than forbidden; a page
        # past the end is not found; the import wizard exists for ops only.
        errors["404"] = _error("No such object for you, or no such page.", "Error")
    if method != "get":
        errors["413"] = _error("The request body is over the size limit.", "Error")
    if "requestBody" in operation:
        errors["415"] = _error(
            "The body is not JSON (or, where files go, multipart).", "Error"
        )
    if any(
        parameter["in"] == "header" and parameter["name"] == "If-Match"
        for parameter in parameters
    ):
        errors["428"] = _error(
            "No If-Match: send the ETag from your last read.", "Error"
        )
        errors["412"] = {
            **_error(
                "Stale, weak or `*` If-Match: the current state is in `current`.",
                "PreconditionFailed",
                headers=PRECONDITION_FAILED_HEADERS,
            )
        }
    return errors


def error_responses_add(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Add the errors every operation can answer, keeping any it documents."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("FieldErrors", FIELD_ERRORS)
    schemas.setdefault("PreconditionFailed", PRECONDITION_FAILED)
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            for code, response in _common_errors(path, method, operation).items():
                responses.setdefault(code, response)
            operation["responses"] = dict(
                sorted(responses.items(), key=lambda item: item[0])
            )
    return result
