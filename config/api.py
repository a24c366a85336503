"""Shared pieces of the REST API: errors, preconditions, paging, throttles.

Errors are always JSON. A validation error keeps DRF's field-level shape,
`{"field": ["message"]}`; every other error is `{"detail": "message"}`.
Updates carry the ETag from the last read in If-Match: without it they are
refused with 428, with a stale one with 412 and the current state.
"""

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, models
from django.http import Http404
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import (
    AnonRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)

logger = logging.getLogger(__name__)


# Errors


def _django_validation_detail(error: DjangoValidationError) -> Any:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn any error into a JSON response; never a stack trace, never HTML."""
    # Imported here: rest_framework.views reads the API settings on import,
    # and those name the throttles and paginator in this module.
    from rest_framework.views import exception_handler

    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DataError):
        # The database refused a value the serializer let through, such as
        # a number too large for its column: bad input, not a server fault.
        exc = exceptions.ValidationError(
            {"non_field_errors": ["A value is out of range or malformed."]}
        )
    elif isinstance(exc, OverflowError):
        # SQLite's answer to an id or number past 64 bits in a query, where
        # PostgreSQL raises DataError: the client's value, not our fault.
        exc = exceptions.ValidationError(
            {"non_field_errors": ["A value is out of range or malformed."]}
        )
    elif isinstance(exc, IntegrityError):
        exc = Conflict()

    response = exception_handler(exc, context)
    if response is not None:
        etag = getattr(exc, "etag", None)
        if etag:
            response["ETag"] = etag
        return response
    if settings.DEBUG:
        return None

    view = context.get("view")
    logger.exception("unhandled error in %s", type(view).__name__ if view else "?")
    return Response(
        {"detail": "Something went wrong on our side. It has been logged."},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This conflicts with data that already exists."
    default_code = "conflict"


# Preconditions


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = (
        "Send the ETag from your last read in an If-Match header to change this."
    )
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self, *, current: dict[str, Any], etag: str) -> None:
        # The body carries the current state so the client can merge and
        # retry without another read; the header carries its ETag.
        self.detail = {
            "detail": exceptions.ErrorDetail(
                "Someone changed this since you read it. Here is the current "
                "version; apply your change to it and send its ETag.",
                code=self.default_code,
            ),
            "current": current,
        }
        self.etag = etag


def etag_for(*, instance: models.Model, version_field: str = "updated_at") -> str:
    """Return a strong ETag for the stored version of the instance."""
    version = getattr(instance, version_field)
    if hasattr(version, "isoformat"):
        version = version.isoformat()
    raw = f"{instance._meta.label}:{instance.pk}:{version}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def etag_require(
    *, request: Request, etag: str, current: dict[str, Any] | None = None
) -> None:
    """Refuse an update without If-Match (428) or with a stale one (412)."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()

    sent = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" in sent or etag in sent:
        return
    raise PreconditionFailed(current=current or {}, etag=etag)


def instance_save_if_unchanged(
    *,
    instance: models.Model,
    fields: list[str],
    expected_version: Any,
    version_field: str = "updated_at",
) -> bool:
    """Save the fields only if the row is still at the expected version.

    A compare-and-set in one UPDATE, so of several concurrent writers that
    read the same version exactly one wins. Return whether this one did.
    """
    now = timezone.now()
    values = {field: getattr(instance, field) for field in fields}
    values[version_field] = now
    rows = type(instance)._default_manager.filter(
        pk=instance.pk, **{version_field: expected_version}
    )

    if not rows.update(**values):
        return False
    setattr(instance, version_field, now)
    return True


# Paging


class LodePagination(LimitOffsetPagination):
    """Limit/offset paging with a ceiling, so no one pulls a table in one go."""

    default_limit = 100
    max_limit = 1000


# Throttles. They fail open when the cache is down: a Redis outage must not
# take the API with it.


class _FailOpenMixin:
    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except Exception:
            logger.exception("throttle %s skipped: cache unavailable", type(self))
            return True


class LodeAnonRateThrottle(_FailOpenMixin, AnonRateThrottle):
    pass


class LodeUserRateThrottle(_FailOpenMixin, UserRateThrottle):
    pass


class ApiTokenRateThrottle(_FailOpenMixin, SimpleRateThrottle):
    """Limit the requests each API token makes, apart from the session user."""

    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = request.auth
        if token is None or not hasattr(token, "secret_hash"):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}
