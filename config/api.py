"""Shared pieces of the REST API: errors, preconditions, paging, throttles.

Errors are always JSON. A validation error keeps DRF's field-level shape,
`{"field": ["message"]}`; every other error is `{"detail": "message"}`.
Updates carry the ETag from the last read in If-Match: without it they are
refused with 428, with a stale one or `*` with 412 and the current state.
"""

import abc
import base64
import binascii
import bisect
import datetime
import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxLengthValidator
from django.db import DataError, IntegrityError, models
from django.db.models.expressions import OrderBy
from django.http import Http404
from django.utils import timezone
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import (
    AnonRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)
from rest_framework.utils import humanize_datetime
from rest_framework.utils.urls import remove_query_param, replace_query_param

from config.bounds import TEXT_MAX, TEXT_MESSAGE, date_problem

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

    if isinstance(exc, PreconditionFailed) and context.get("request") is not None:
        exc.reword(precondition_failure(context["request"]))

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


STALE = (
    "Someone changed this since you read it. Here is the current version; "
    "apply your change to it and send its ETag."
)


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self, *, current: dict[str, Any], etag: str) -> None:
        # The body carries the current state so the client can merge and
        # retry without another read; the header carries its ETag. The
        # error handler words the detail after the If-Match that was sent.
        self.current = current
        self.etag = etag
        self.reword(STALE)

    def reword(self, message: str) -> None:
        """Set the message, keeping the current state beside it."""
        self.detail = {
            "detail": exceptions.ErrorDetail(message, code=self.default_code),
            "current": self.current,
        }


def precondition_failure(request: Request, stale: str = STALE) -> str:
    """Say why an If-Match failed: a stale version, or a tag no read gave.

    Every endpoint refuses `*`, weak tags and unquoted text, but only a
    stale version means that someone else changed the record: that case
    keeps the endpoint's own words, `stale`.
    """
    header = request.headers.get("If-Match", "")
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    if "*" in tags:
        return (
            "If-Match: * is not accepted, as it would overwrite whatever is "
            "stored now. Here is the current version; apply your change to "
            "it and send its ETag."
        )
    if tags and all(tag.startswith("W/") for tag in tags):
        return (
            'A weak ETag (W/"...") cannot name one exact version. Here is '
            "the current version; send its ETag as given, without W/."
        )
    if not any(re.fullmatch(r'"[^"]*"|\d+', tag) for tag in tags):
        return (
            "If-Match holds no ETag that Lode gives out: send the ETag header "
            "of your last read as it came, quotes included. Here is the "
            "current version; apply your change to it and send its ETag."
        )
    return stale


def etag_for(*, instance: models.Model, version_field: str = "updated_at") -> str:
    """Return a strong ETag for the stored version of the instance."""
    version = getattr(instance, version_field)
    if hasattr(version, "isoformat"):
        version = version.isoformat()
    raw = f"{instance._meta.label}:{instance.pk}:{version}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def etag_for_state(*, label: str, pk: Any, state: Any) -> str:
    """Return a strong ETag for a row without a version field: its state.

    For rows such as users that keep no updated_at, the tag is a hash of
    what a reader was shown; a writer holds the row locked while it
    compares, so two writers with one tag cannot both pass.
    """
    raw = f"{label}:{pk}:{json.dumps(state, sort_keys=True, default=str)}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def etag_require(
    *, request: Request, etag: str, current: dict[str, Any] | None = None
) -> None:
    """Refuse an update without If-Match (428) or with a stale one (412).

    `*` is refused like a stale tag: it would overwrite whatever is there,
    and every endpoint, hash or version, needs the version that was read.
    A weak tag (`W/"..."`) is refused too: If-Match compares strongly
    (RFC 9110, 13.1.1), and a weak tag never names one exact version.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()

    sent = {tag.strip() for tag in header.split(",")}
    if etag in sent:
        return
    raise PreconditionFailed(current=current or {}, etag=etag)


def if_match_version(request: Request) -> int | None:
    """Return the integer version sent in If-Match, None if absent, -1 if junk.

    A weak tag counts as junk: If-Match compares strongly (RFC 9110).
    """
    header = request.headers.get("If-Match", "").strip()
    if not header:
        return None
    if header.startswith("W/"):
        return -1
    raw = header.strip('"')
    try:
        return int(raw)
    except ValueError:
        return -1


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


def versioned_update_respond(
    *,
    request: Request,
    instance: models.Model,
    input_serializer: type[serializers.Serializer],
    output_serializer: type[serializers.Serializer],
    save: Callable[[dict[str, Any], Any], bool],
    partial: bool = True,
) -> Response:
    """Apply a PATCH under If-Match and answer with the new state and ETag.

    `save(data, expected_version)` writes the validated data only if the row
    is still at the version that was read, and says whether it did. A PUT
    passes partial=False: every field the input requires must be sent.
    """
    version = instance.updated_at  # type: ignore[attr-defined]
    etag_require(
        request=request,
        etag=etag_for(instance=instance),
        current=output_serializer(instance).data,
    )
    serializer = input_serializer(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)

    saved = save(serializer.validated_data, version)

    if not saved:
        current = type(instance)._default_manager.get(pk=instance.pk)
        raise PreconditionFailed(
            current=output_serializer(current).data,
            etag=etag_for(instance=current),
        )
    return Response(
        output_serializer(instance).data,
        headers={"ETag": etag_for(instance=instance)},
    )


def versioned_delete_respond(
    *,
    request: Request,
    instance: models.Model,
    output_serializer: type[serializers.Serializer],
    delete: Callable[[Any], bool],
) -> Response:
    """Apply a DELETE under If-Match: 428 without it, 412 with the current state.

    `delete(expected_version)` deletes only if the row is still at the
    version that was read, and says whether it did. Answer 204, or 404 when
    someone deleted it first.
    """
    version = instance.updated_at  # type: ignore[attr-defined]
    etag_require(
        request=request,
        etag=etag_for(instance=instance),
        current=output_serializer(instance).data,
    )

    if not delete(version):
        current = type(instance)._default_manager.filter(pk=instance.pk).first()
        if current is None:
            raise Http404("Someone deleted this already.")
        raise PreconditionFailed(
            current=output_serializer(current).data, etag=etag_for(instance=current)
        )
    return Response(status=status.HTTP_204_NO_CONTENT)


# Paging


def ordering_param(request: Request, *, allowed: set[str], default: str) -> str:
    """Return the requested ordering, refusing one not in the allowed set."""
    ordering = request.query_params.get("ordering", default)
    if ordering not in allowed:
        raise exceptions.ValidationError(
            {"ordering": [f"Order by one of: {', '.join(sorted(allowed))}."]}
        )
    return ordering


def paginated_response(
    *, request: Request, view: Any, queryset: Any, serializer: type
) -> Response:
    """Answer one page of the queryset in the paged envelope."""
    paginator = LodePagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


def id_filter(help_text: str) -> serializers.IntegerField:
    """Return an optional list filter on a row id, within a database integer."""
    return serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, help_text=help_text
    )


class RangeFilterSerializer(serializers.Serializer):
    """A list's filters, with a range whose end may not come before its start.

    A subclass names the range's two fields and the message for the end.
    """

    range_fields: tuple[str, str, str]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end, message = self.range_fields
        low, high = attrs.get(start), attrs.get(end)
        if low and high and low > high:
            raise exceptions.ValidationError({end: [message]})
        return attrs


def _query_int(request: Request, *, name: str, minimum: int, maximum: int) -> int:
    raw = request.query_params[name]
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not minimum <= value <= maximum:
        raise exceptions.ValidationError(
            {name: [f"Give a whole number from {minimum} to {maximum}."]}
        )
    return value


# Query parameters any request may carry: DRF's renderer choice.
ALWAYS_ALLOWED_PARAMS = frozenset({"format"})


@functools.cache
def schema_query_params() -> dict[tuple[type, str], frozenset[str]]:
    # The query parameters /api/schema/ documents for each view and method,
    # read from the schema the process built (config.schema_view): what the
    # docs promise is exactly what an operation accepts.
    from drf_spectacular.generators import SchemaGenerator

    from config.schema_view import api_schema

    generator = SchemaGenerator()
    generator._initialise_endpoints()
    paths = api_schema()["paths"]
    known: dict[tuple[type, str], frozenset[str]] = {}
    for path, _, method, view in generator._get_paths_and_endpoints():
        operation = paths.get(path, {}).get(method.lower())
        if operation is None:
            continue
        names = {
            parameter["name"]
            for parameter in operation.get("parameters", [])
            if parameter["in"] == "query"
        }
        key = (type(view), method.upper())
        known[key] = known.get(key, frozenset()) | names
    return known


def query_params_refuse_unknown(
    request: Request, *, view: Any, also: Iterable[str] = ()
) -> None:
    """Refuse query parameters the operation does not document, naming each.

    A list that ignored `page_size` or `?account=`, or a read that ignored
    `?fields=`, would answer as if it had applied them. An operation the
    schema leaves out is not checked.
    """
    method = "GET" if request.method == "HEAD" else request.method or "GET"
    documented = schema_query_params().get((type(view), method))
    if documented is None:
        return
    known = documented | ALWAYS_ALLOWED_PARAMS | set(also)
    unknown = sorted(set(request.query_params) - known)
    if not unknown:
        return
    takes = ", ".join(sorted(known - ALWAYS_ALLOWED_PARAMS))
    if "limit" in known or type(view).__name__.endswith("ListApi"):
        message = (
            f"Unknown query parameter; this list takes: {takes or 'no parameters'}."
        )
    elif takes:
        message = f"Unknown query parameter; this takes: {takes}."
    else:
        message = "Unknown query parameter; this takes no query parameters."
    raise exceptions.ValidationError({name: [message] for name in unknown})


# Keyset paging


class CursorRefused(exceptions.ValidationError):
    """A cursor that cannot be read, or read for another ordering."""

    def __init__(self, why: str) -> None:
        super().__init__({"cursor": [why]})


class SortKey(NamedTuple):
    """One field a list sorts by: its path, direction and where nulls go."""

    path: str
    descending: bool
    nulls_first: bool


def _sort_key(part: Any) -> SortKey | None:
    # A name ("-closed_on"), or F("closed_on").desc(nulls_last=True). Nulls
    # go after the values going up and before them going down unless the
    # expression says otherwise, as PostgreSQL does by default.
    if isinstance(part, str):
        descending = part.startswith("-")
        return SortKey(part.lstrip("-"), descending, descending)
    if isinstance(part, OrderBy) and isinstance(part.expression, models.F):
        descending = part.descending
        nulls_first = bool(part.nulls_first) or (descending and not part.nulls_last)
        path = part.expression.name  # type: ignore[attr-defined]
        return SortKey(path, descending, nulls_first)
    return None


def _ordering_fields(queryset: Any) -> list[SortKey] | None:
    """Return the keys a queryset is ordered by.

    The primary key ends them when the last field is not unique, in that
    field's direction: rows tying on every field would otherwise come in
    any order, and a page could repeat or skip them. A grouped list
    (`values(...).annotate(...)`) is unique on its grouped fields, so it
    must sort by all of them instead. None when a keyset cannot walk it:
    no ordering, an ordering by another expression, or a grouped list not
    sorted by every grouped field.
    """
    if not isinstance(queryset, models.QuerySet):
        return None
    ordering = list(queryset.query.order_by)
    if not ordering and queryset.query.default_ordering:
        ordering = list(queryset.model._meta.ordering)
    fields = [_sort_key(part) for part in ordering]
    if not fields or None in fields:
        return None
    keys = [key for key in fields if key is not None]
    if any(_sort_field(queryset, key.path) is None for key in keys):
        return None
    grouped = set(queryset.query.values_select)
    if grouped and queryset.query.group_by is not None:
        return keys if grouped <= {key.path for key in keys} else None
    last = _sort_field(queryset, keys[-1].path)
    if not (last.primary_key or (last.unique and not last.null)):
        descending = keys[-1].descending
        keys.append(SortKey("pk", descending, descending))
    return keys


def _sort_field(queryset: models.QuerySet, path: str) -> Any:
    """Return the field a queryset sorts by at `path`: a model field, or
    the output field of an annotation (such as a revenue in USD)."""
    annotation = queryset.query.annotations.get(path)
    if annotation is not None:
        return annotation.output_field
    return _model_field(queryset.model, path)


def _model_field(model: type[models.Model], path: str) -> Any:
    # The field at the end of a double-underscore path, or None.
    field: Any = None
    for part in path.split("__"):
        if field is not None:
            if field.related_model is None:
                return None
            model = field.related_model
        try:
            field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        except Exception:
            return None
    return field


def _row_value(row: Any, path: str) -> Any:
    if isinstance(row, dict):
        # A grouped list's row, keyed by the paths it was grouped by.
        return row[path]
    for part in path.split("__"):
        row = getattr(row, part)
        if row is None:
            return None
    return row


def _ordered(fields: list[SortKey]) -> list[Any]:
    # Nulls placed as each key says on every database, so one cursor reads
    # the same rows on SQLite as on PostgreSQL.
    return [
        OrderBy(
            models.F(key.path),
            descending=key.descending,
            nulls_first=key.nulls_first or None,
            nulls_last=not key.nulls_first or None,
        )
        for key in fields
    ]


def _after(key: SortKey, value: Any) -> models.Q:
    # Rows strictly after `value` in one key's order.
    path = key.path
    if value is None:
        if key.nulls_first:
            return models.Q(**{f"{path}__isnull": False})
        return models.Q(pk__in=[])
    after = models.Q(**{f"{path}__{'lt' if key.descending else 'gt'}": value})
    if key.nulls_first:
        return after
    return after | models.Q(**{f"{path}__isnull": True})


def _same(path: str, value: Any) -> models.Q:
    if value is None:
        return models.Q(**{f"{path}__isnull": True})
    return models.Q(**{path: value})


def keyset_after(
    queryset: models.QuerySet, fields: list[SortKey], values: list[Any]
) -> models.QuerySet:
    """Return the rows after the row with these values, in the keys' order.

    Lexicographic: after on the first key, or equal on it and after on
    the second, and so on; the keys together are unique, so no row is the
    cursor's equal and none is read twice or passed over.
    """
    condition = models.Q(pk__in=[])
    equal = models.Q()
    for key, value in zip(fields, values, strict=True):
        condition |= equal & _after(key, value)
        equal &= _same(key.path, value)
    return queryset.filter(condition).order_by(*_ordered(fields))


class _CursorEncoder(DjangoJSONEncoder):
    # Django's encoder cuts times to the millisecond, so a cursor after
    # 23:07:17.111400 would also pass over a row at 23:07:17.111900. Times
    # keep every digit; decimals are already written as exact strings.
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _cursor_ordering(fields: list[SortKey]) -> str:
    return ",".join(
        f"{'-' if key.descending else ''}{key.path}"
        f"{'' if key.nulls_first == key.descending else '~'}"
        for key in fields
    )


CURSOR_VALUE_REFUSED = (
    "This cursor holds a value this list cannot sort by; start without a cursor."
)


def _cursor_token(*, ordering: str, values: list[Any]) -> str:
    raw = json.dumps({"o": ordering, "v": values}, cls=_CursorEncoder)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor_values(*, cursor: str, ordering: str, length: int) -> list[Any]:
    """Return the values a cursor holds if it was made for this ordering."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        held, values = data["o"], data["v"]
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise CursorRefused(
            "This cursor cannot be read; use the `next` link of the page "
            "before, as it was given."
        ) from None
    if held != ordering or not isinstance(values, list) or len(values) != length:
        raise CursorRefused(
            "This cursor was made for another ordering; ask again with the "
            "ordering it was given for, or start without a cursor."
        )
    return values


def cursor_encode(*, fields: list[SortKey], row: Any) -> str:
    """Return the cursor that reads on after this row, its values exact."""
    values = [_row_value(row, key.path) for key in fields]
    return _cursor_token(ordering=_cursor_ordering(fields), values=values)


def cursor_decode(
    *, cursor: str, queryset: models.QuerySet, fields: list[SortKey]
) -> list[Any]:
    """Return the values a cursor holds, refusing one this list cannot use."""
    values = _cursor_values(
        cursor=cursor, ordering=_cursor_ordering(fields), length=len(fields)
    )
    try:
        return [
            None if value is None else _sort_field(queryset, key.path).to_python(value)
            for key, value in zip(fields, values, strict=True)
        ]
    except DjangoValidationError:
        raise CursorRefused(CURSOR_VALUE_REFUSED) from None


class CursorRows(abc.ABC):
    """A list that is not a query and still pages by an exact cursor.

    Its rows come in a fixed order that ends on a unique key. A cursor holds
    the exact values the last row shown sorts by, under `ordering`, and the
    next page starts at the first row after them: a row added or removed
    before it since shifts no row into the page or out of it.
    """

    ordering: str
    length: int

    def __len__(self) -> int:
        return self.length

    @abc.abstractmethod
    def __getitem__(self, index: slice) -> list[Any]:
        """Return the rows of an offset page."""

    @abc.abstractmethod
    def cursor_values(self, row: Any) -> list[Any]:
        """Return the exact values the row sorts by, as JSON holds them."""

    @abc.abstractmethod
    def rows_after(self, values: list[Any], *, limit: int) -> list[Any]:
        """Return up to `limit` rows after these values; CursorRefused if
        a value cannot be sorted by."""


class SortedRows(CursorRows):
    """Rows worked out in Python, sorted by `sort_key` of their cursor values.

    `sort_key` raises KeyError, TypeError or ValueError for values no row
    could hold, such as a cursor someone edited.
    """

    def __init__(
        self,
        rows: Iterable[Any],
        *,
        ordering: str,
        values: Callable[[Any], list[Any]],
        sort_key: Callable[[list[Any]], Any],
    ) -> None:
        self.ordering = ordering
        self._values = values
        self._sort_key = sort_key
        self.rows = sorted(rows, key=lambda row: sort_key(values(row)))
        self.keys = [sort_key(values(row)) for row in self.rows]
        self.length = len(self.rows)

    def __getitem__(self, index: slice) -> list[Any]:
        return self.rows[index]

    def cursor_values(self, row: Any) -> list[Any]:
        return self._values(row)

    def rows_after(self, values: list[Any], *, limit: int) -> list[Any]:
        try:
            start = bisect.bisect_right(self.keys, self._sort_key(values))
        except (KeyError, TypeError, ValueError):
            raise CursorRefused(CURSOR_VALUE_REFUSED) from None
        return self.rows[start : start + limit]


class LodePagination(LimitOffsetPagination):
    """Limit/offset paging with a ceiling, so no one pulls a table in one go.

    A malformed limit or offset, or a `page` parameter (we page by offset),
    answers 400 naming it rather than quietly serving the first page; so
    does any query parameter the list does not document. An offset past
    the end answers 404.

    The count stops at `count_limit`: a list longer than that answers
    `count: null` and is walked by `next`, which the page knows of by
    reading one row more than it shows. Counting every row of a large list
    on every request grew with the table (100,000 accounts counted for each
    page of 100); this count reads at most count_limit + 1 rows.
    """

    default_limit = 100
    max_limit = 1000
    count_limit = 10_000

    def get_limit(self, request: Request) -> int:
        if self.limit_query_param not in request.query_params:
            return self.default_limit
        return _query_int(
            request, name=self.limit_query_param, minimum=1, maximum=self.max_limit
        )

    def get_offset(self, request: Request) -> int:
        if self.offset_query_param not in request.query_params:
            return 0
        return _query_int(
            request, name=self.offset_query_param, minimum=0, maximum=2**31 - 1
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # The docs wrap each list's example item in a page built from these
        # values: one page holding that one item, not DRF's made-up URLs.
        paged = super().get_paginated_response_schema(schema)
        for name, example in (("count", 1), ("next", None), ("previous", None)):
            paged["properties"][name]["example"] = example
        paged["properties"]["count"] |= {
            "nullable": True,
            "description": (
                f"How many items the list holds; null when it holds more than "
                f"{self.count_limit:,}, which are not counted: follow `next` "
                "until it is null."
            ),
        }
        return paged

    cursor_query_param = "cursor"

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Where to read on from, as the `next` link of a list of "
                    f"more than {self.count_limit:,} items gives it; instead "
                    "of `offset`, which stops at "
                    f"{self.count_limit:,}."
                ),
                "schema": {"type": "string"},
            },
        ]

    def get_next_link(self) -> str | None:
        if self.request is None:
            return None
        if self._next_cursor is not None:
            url = self.request.build_absolute_uri()
            url = remove_query_param(url, self.offset_query_param)
            url = replace_query_param(url, self.limit_query_param, self.limit)
            return replace_query_param(url, self.cursor_query_param, self._next_cursor)
        if self.cursor_query_param in self.request.query_params:
            return None
        if self.count is not None:
            return super().get_next_link()
        if not self._more or self.limit is None or self.offset is None:
            return None
        # DRF's link stops at the count; past the cap, the extra row read
        # says whether another page follows.
        url = self.request.build_absolute_uri()
        url = replace_query_param(url, self.limit_query_param, self.limit)
        return replace_query_param(
            url, self.offset_query_param, self.offset + self.limit
        )

    def get_previous_link(self) -> str | None:
        # A cursor reads forward only: the page before is the one the
        # client came from.
        if self.request is None or self.cursor_query_param in self.request.query_params:
            return None
        return super().get_previous_link()

    def paginate_queryset(
        self, queryset: Any, request: Request, view: Any = None
    ) -> list[Any]:
        if "page" in request.query_params:
            raise exceptions.ValidationError(
                {"page": ["This list pages with limit and offset, not page."]}
            )
        if view is not None:
            query_params_refuse_unknown(
                request,
                view=view,
                also={
                    self.limit_query_param,
                    self.offset_query_param,
                    self.cursor_query_param,
                },
            )
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        self._next_cursor: str | None = None
        if isinstance(queryset, CursorRows):
            return self._rows_page(queryset, request)
        fields = _ordering_fields(queryset)
        if fields is not None:
            queryset = queryset.order_by(*_ordered(fields))
        if self.cursor_query_param in request.query_params:
            return self._cursor_page(queryset, request, fields=fields)
        if fields is not None:
            self._offset_check()
        # Unordered: the rows counted are any count_limit + 1 of them, read
        # as they come rather than sorted first.
        unordered = (
            queryset.order_by() if isinstance(queryset, models.QuerySet) else queryset
        )
        counted = self.get_count(unordered[: self.count_limit + 1])
        self._more = False
        if counted <= self.count_limit:
            self.count = counted
            if self.offset > 0 and self.offset >= counted:
                raise exceptions.NotFound(
                    f"Offset {self.offset} is past the end of the list "
                    f"({counted} items)."
                )
            return list(queryset[self.offset : self.offset + self.limit])

        self.count = None
        rows = list(queryset[self.offset : self.offset + self.limit + 1])
        if not rows:
            raise exceptions.NotFound(
                f"Offset {self.offset} is past the end of the list (more than "
                f"{self.count_limit:,} items)."
            )
        self._more = len(rows) > self.limit
        if self._more and fields is not None:
            self._next_cursor = cursor_encode(fields=fields, row=rows[self.limit - 1])
        return rows[: self.limit]

    def _offset_check(self) -> None:
        # An offset makes the database read every row before it; past the
        # count's cap a cursor reads on from the last row by the index.
        if self.offset is not None and self.offset > self.count_limit:
            raise exceptions.ValidationError(
                {
                    self.offset_query_param: [
                        f"An offset goes up to {self.count_limit:,}. Past "
                        "that, follow `next`: it carries a `cursor` that "
                        "reads on from the last item."
                    ]
                }
            )

    def _rows_page(self, rows: CursorRows, request: Request) -> list[Any]:
        """Return a page of rows that are not a query, by offset or cursor."""
        assert self.limit is not None and self.offset is not None
        total = len(rows)
        self.count = total if total <= self.count_limit else None
        if self.cursor_query_param in request.query_params:
            if self.offset_query_param in request.query_params:
                raise CursorRefused("Give a cursor or an offset, not both.")
            values = _cursor_values(
                cursor=request.query_params[self.cursor_query_param],
                ordering=rows.ordering,
                length=len(rows.ordering.split(",")),
            )
            page = rows.rows_after(values, limit=self.limit + 1)
        else:
            self._offset_check()
            if self.offset > 0 and self.offset >= total:
                raise exceptions.NotFound(
                    f"Offset {self.offset} is past the end of the list ({total} items)."
                )
            page = rows[self.offset : self.offset + self.limit + 1]

        self._more = len(page) > self.limit
        cursor_page = self.cursor_query_param in request.query_params
        if self._more and (cursor_page or self.count is None):
            self._next_cursor = _cursor_token(
                ordering=rows.ordering,
                values=rows.cursor_values(page[self.limit - 1]),
            )
        return page[: self.limit]

    def _cursor_page(
        self, queryset: Any, request: Request, *, fields: list[SortKey] | None
    ) -> list[Any]:
        """Return the page after the cursor's row, counted as an offset page is."""
        if fields is None:
            raise CursorRefused("This list pages with limit and offset only.")
        if self.offset_query_param in request.query_params:
            raise CursorRefused("Give a cursor or an offset, not both.")
        values = cursor_decode(
            cursor=request.query_params[self.cursor_query_param],
            queryset=queryset,
            fields=fields,
        )
        limit = self.get_limit(request)
        counted = self.get_count(queryset.order_by()[: self.count_limit + 1])
        self.count = counted if counted <= self.count_limit else None
        rows = list(keyset_after(queryset, fields, values)[: limit + 1])
        self._more = len(rows) > limit
        if self._more:
            self._next_cursor = cursor_encode(fields=fields, row=rows[limit - 1])
        return rows[:limit]


def _date_bound(value: Any) -> None:
    problem = date_problem(value)
    if problem:
        raise serializers.ValidationError(problem)


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_parse(value: str, input_format: str) -> datetime.datetime:
    """Read a date as YYYY-MM-DD only: strptime alone also takes 2026-1-5."""
    if not ISO_DATE.fullmatch(value):
        raise ValueError(f"{value!r} is not YYYY-MM-DD")
    return datetime.datetime.strptime(value, input_format)


# The date part every moment in a query begins with, then a time or nothing.
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ].*)?", re.DOTALL)


class QueryDateField(serializers.DateField):
    """A date in a query string: YYYY-MM-DD only, in the plausible range.

    A bare DateField reads with strptime, which also takes 2026-1-5; the
    strict input serializers get the same parser in `get_fields`.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.datetime_parser = _iso_date_parse
        self.validators.append(_date_bound)


class QueryDateTimeField(serializers.DateTimeField):
    """A moment in a query string whose date is YYYY-MM-DD, in range.

    DRF reads a moment with fromisoformat and then a looser pattern, which
    take 20260105 and 2026-1-5T09:00.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(_date_bound)

    def to_internal_value(self, value: Any) -> datetime.datetime:
        if isinstance(value, str) and not ISO_MOMENT.fullmatch(value):
            formats = getattr(
                self, "input_formats", api_settings.DATETIME_INPUT_FORMATS
            )
            self.fail("invalid", format=humanize_datetime.datetime_formats(formats))
        return super().to_internal_value(value)


class StrictInputSerializer(serializers.Serializer):
    # DRF drops unknown keys silently, so a client sending a read-only field
    # such as `name` or `id` would think it had changed it. The docstring is
    # the body's description in /api/schema/ for every input, so it speaks
    # to the API's users.
    """Send only the fields listed: any other is refused, named in the error."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # Bound every free text and date once here rather than in each
        # view: a text field without its own limit gets the general one.
        fields = super().get_fields()
        for field in fields.values():
            if isinstance(field, serializers.CharField) and field.max_length is None:
                field.max_length = TEXT_MAX
                # A MaxLengthValidator, so /api/schema/ shows maxLength.
                field.validators.append(MaxLengthValidator(TEXT_MAX, TEXT_MESSAGE))
            elif isinstance(field, serializers.DateField | serializers.DateTimeField):
                field.validators.append(_date_bound)
            if isinstance(field, serializers.DateField):
                # DATE_INPUT_FORMATS names the one format, YYYY-MM-DD.
                field.datetime_parser = _iso_date_parse
        return fields

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            writable = {
                name for name, field in self.fields.items() if not field.read_only
            }
            unknown = sorted(str(key) for key in data if key not in writable)
            if unknown:
                raise exceptions.ValidationError(
                    {
                        key: [
                            "This field cannot be set here; it is read-only or unknown."
                        ]
                        for key in unknown
                    }
                )
        return super().to_internal_value(data)


class NoInputSerializer(StrictInputSerializer):
    """Send no body or an empty object: this action takes no fields."""


def body_require_empty(request: Request) -> None:
    """Refuse a body an action would ignore: malformed JSON or any field.

    An ignored field reads as accepted, so a client sending `{"force": true}`
    to an action would believe it did something.
    """
    NoInputSerializer(data=request.data).is_valid(raise_exception=True)


# Permissions


class ReadOnlyRoleWritesNothing(BasePermission):
    """Refuse every write by an executive before the body is read.

    Executives read everything and change nothing; telling them first that
    a body is malformed would suggest a fixed one might go through.
    """

    message = "Executives read Lode but do not change it."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if not hasattr(view, (request.method or "").lower()):
            # Not an operation here at all: let DRF answer 405, as to anyone.
            return True
        from accounts.models import User

        user = request.user
        return not (
            isinstance(user, User)
            and user.role == User.Role.EXECUTIVE
            and not user.is_superuser
        )


class QueryParamsDocumented(BasePermission):
    """Refuse a read's query parameters that /api/schema/ does not document.

    One check for every GET, detail or list, after authentication (so an
    anonymous client still gets 401) and before the view runs.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in {"GET", "HEAD"}:
            query_params_refuse_unknown(request, view=view)
        return True


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


# Failed token authentications, counted per client address in a fixed window.
# Past the limit every failing token attempt from the address answers 429
# until the window ends; a valid token still goes through, since secrets are
# too long to guess and an address may be shared by many people.


def _token_failure_limit() -> tuple[int, int]:
    rate = settings.API_TOKEN_FAILURE_RATE
    count, period = rate.split("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]
    return int(count), seconds


def _token_failure_key(request: Any) -> str | None:
    from config.security import client_address

    address = client_address(getattr(request, "_request", request))
    return f"throttle_token_failure_{address}" if address else None


def api_token_failure_wait(*, request: Any) -> int | None:
    """Return the seconds to wait if the address failed too often, else None."""
    from django.core.cache import cache

    key = _token_failure_key(request)
    if key is None:
        return None
    limit, seconds = _token_failure_limit()
    try:
        failures = cache.get(key, 0)
    except Exception:
        logger.exception("token failure count skipped: cache unavailable")
        return None
    return seconds if failures >= limit else None


def api_token_failure_record(*, request: Any) -> None:
    """Count one failed token authentication against the client's address."""
    from django.core.cache import cache

    key = _token_failure_key(request)
    if key is None:
        return
    _, seconds = _token_failure_limit()
    try:
        cache.add(key, 0, timeout=seconds)
        failures = cache.incr(key)
    except Exception:
        logger.exception("token failure not counted: cache unavailable")
        return
    logger.info("failed token authentication %s from %s", failures, key)
