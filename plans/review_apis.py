"""The API for scorecards, voice of customer, reviews, snapshots and links.

The same selectors and services as the pages, so the API enforces what the
pages enforce: executives read, only the account team writes. Updating a
recorded review takes its version in If-Match, as plan items do; measures
and voice entries take the ETag of their last read, for edits and deletes.
"""

import hashlib
from collections.abc import Callable
from typing import Any, cast

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Account, User
from accounts.numbers import EXACT_DIGITS
from accounts.selectors import account_can_edit, account_get_for_user
from config.api import (
    LodePagination,
    StrictInputSerializer,
    body_require_empty,
    etag_for,
    etag_require,
    if_match_version,
    paginated_response,
    precondition_failure,
    versioned_delete_respond,
    versioned_update_respond,
)
from config.api_schema import PRECONDITION_FAILED, PRECONDITION_REQUIRED
from plans.calendar import (
    FiscalQuarter,
    QuarterOutOfRange,
    fiscal_quarter_current,
    fiscal_quarter_parse,
    fiscal_quarters_ending_with,
)
from plans.errors import PlanError, VersionConflict
from plans.models import (
    Checkpoint,
    CustomerLink,
    CustomerRating,
    ExecutiveReview,
    MeasureQuarter,
    PlanSnapshot,
    ValueMeasure,
    VoiceOfCustomer,
)
from plans.review_selectors import (
    Scorecard,
    customer_link_list,
    executive_review_pack,
    plan_snapshot_list,
    scorecard_for_account,
)
from plans.review_services import (
    LINK_DAYS_DEFAULT,
    LINK_DAYS_MAX,
    customer_link_create,
    customer_link_revoke,
    customer_rating_record,
    executive_review_save,
    measure_quarter_set,
    plan_snapshot_take,
    value_measure_create,
    value_measure_delete,
    value_measure_update,
    voice_create,
    voice_delete,
    voice_update,
)
from plans.selectors import plan_get_for_user
from plans.services import NO_SUCH_PERSON
from plans.snapshots import snapshot_capture, snapshot_diff
from stakeholders.models import Stakeholder


def _user(request: Request) -> User:
    return cast(User, request.user)


def _quarter(slug: str) -> FiscalQuarter:
    try:
        return fiscal_quarter_parse(slug)
    except QuarterOutOfRange as error:
        raise ValidationError({"quarter": [str(error)]}) from error
    except ValueError as error:
        raise Http404(
            "No such quarter: use the first day of a fiscal quarter."
        ) from error


def _refused(error: PlanError) -> PermissionDenied | ValidationError:
    """Map a refused write to 403 (not allowed) or 400 under its field."""
    if "not change" in str(error):
        return PermissionDenied(str(error))
    return ValidationError(error.field_errors() or {"non_field_errors": [str(error)]})


class ScorecardOutputSerializer(serializers.Serializer):
    """Four quarters of measures and ratings; numbers are JSON numbers."""

    class QuarterSerializer(serializers.Serializer):
        label = serializers.CharField()  # type: ignore[assignment]
        start = serializers.DateField()
        end = serializers.DateField()

    class MeasureRowSerializer(serializers.Serializer):
        class CellSerializer(serializers.Serializer):
            quarter_start = serializers.DateField()
            target = serializers.FloatField(allow_null=True)
            actual = serializers.FloatField(allow_null=True)
            note = serializers.CharField(allow_blank=True)

        id = serializers.IntegerField()
        name = serializers.CharField()
        unit = serializers.CharField(allow_blank=True)
        direction = serializers.ChoiceField(choices=ValueMeasure.Direction.choices)
        baseline = serializers.FloatField()
        source = serializers.CharField(allow_blank=True)  # type: ignore[assignment]
        quarters = CellSerializer(many=True)

    class RatingSerializer(serializers.Serializer):
        quarter_start = serializers.DateField()
        contact = serializers.CharField()
        score = serializers.IntegerField()
        comment = serializers.CharField(allow_blank=True)
        entered_by_customer = serializers.BooleanField()
        entered_by = serializers.CharField()

    account = serializers.IntegerField()
    quarters = QuarterSerializer(many=True)
    measures = MeasureRowSerializer(many=True)
    ratings = RatingSerializer(many=True)


def scorecard_data(scorecard: Scorecard) -> dict[str, Any]:
    return {
        "account": scorecard.account.pk,
        "quarters": [
            {"label": q.label, "start": q.start, "end": q.end}
            for q in scorecard.quarters
        ],
        "measures": [
            {
                "id": row.measure.pk,
                "name": row.measure.name,
                "unit": row.measure.unit,
                "direction": row.measure.direction,
                "baseline": row.measure.baseline,
                "source": row.measure.source,
                "quarters": [
                    {
                        "quarter_start": quarter.start,
                        "target": cell.target if cell else None,
                        "actual": cell.actual if cell else None,
                        "note": cell.note if cell else "",
                    }
                    for quarter, cell in zip(scorecard.quarters, row.cells, strict=True)
                ],
            }
            for row in scorecard.rows
        ],
        "ratings": [
            {
                "quarter_start": rating.quarter_start,
                "contact": rating.stakeholder.name,
                "score": rating.score,
                "comment": rating.comment,
                "entered_by_customer": rating.by_customer,
                "entered_by": rating.entered_by,
            }
            for rating in scorecard.ratings
        ],
    }


QUARTERS_EXAMPLE = [
    {"label": "FY2026 Q1", "start": "2026-01-01", "end": "2026-03-31"},
    {"label": "FY2026 Q2", "start": "2026-04-01", "end": "2026-06-30"},
    {"label": "FY2026 Q3", "start": "2026-07-01", "end": "2026-09-30"},
    {"label": "FY2026 Q4", "start": "2026-10-01", "end": "2026-12-31"},
]
SCORECARD_EXAMPLE = {
    "account": 1,
    "quarters": QUARTERS_EXAMPLE,
    "measures": [
        {
            "id": 1,
            "name": "Hours saved per month",
            "unit": "hours",
            "direction": "up",
            "baseline": 400.0,
            "source": "Joint monthly report",
            "quarters": [
                {
                    "quarter_start": "2026-01-01",
                    "target": 520.0,
                    "actual": 555.5,
                    "note": "",
                },
                {
                    "quarter_start": "2026-04-01",
                    "target": 640.0,
                    "actual": 622.0,
                    "note": "",
                },
                {
                    "quarter_start": "2026-07-01",
                    "target": 760.0,
                    "actual": 827.6,
                    "note": "",
                },
                {
                    "quarter_start": "2026-10-01",
                    "target": 880.0,
                    "actual": None,
                    "note": "Reported in January.",
                },
            ],
        }
    ],
    "ratings": [
        {
            "quarter_start": "2026-07-01",
            "contact": "Ximena Dubois",
            "score": 7,
            "comment": "The planning module paid for itself.",
            "entered_by_customer": True,
            "entered_by": "the customer (own link)",
        }
    ],
}


QUARTER_PARAMETER = OpenApiParameter(
    "quarter",
    str,
    description="The first day of the last quarter shown; the current one if left out.",
)


def _quarter_cells(account: Account, fiscal: FiscalQuarter) -> list[MeasureQuarter]:
    return list(
        MeasureQuarter.objects.filter(
            measure__account=account, quarter_start=fiscal.start
        ).order_by("measure_id")
    )


def scorecard_quarter_etag(
    *, account: Account, fiscal: FiscalQuarter, cells: list[MeasureQuarter]
) -> str:
    """Return the ETag of the account's figures for one quarter.

    It hashes every figure's version, so any write to the quarter, by
    anyone and to any measure, makes an older ETag stale.
    """
    versions = ",".join(f"{cell.pk}:{cell.updated_at.isoformat()}" for cell in cells)
    raw = f"scorecard:{account.pk}:{fiscal.start.isoformat()}:{versions}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


class ScorecardApi(APIView):
    """GET the account's scorecard over the four quarters up to `quarter`.

    The ETag is that of the last quarter's figures, the one a PUT to
    `scorecard/<quarter>/` needs; GET that address for another quarter's.
    """

    OutputSerializer = ScorecardOutputSerializer

    @extend_schema(
        summary="Read an account's scorecard over four quarters",
        tags=["reviews"],
        parameters=[QUARTER_PARAMETER],
        examples=[OpenApiExample("A year of one measure", value=SCORECARD_EXAMPLE)],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        raw = request.query_params.get("quarter")
        try:
            quarter = _quarter(raw) if raw else fiscal_quarter_current()
        except Http404 as error:
            # In the path a bad quarter is a page not found; in the query it
            # is a bad value of a parameter, named like any other.
            raise ValidationError({"quarter": [str(error)]}) from error
        quarters = fiscal_quarters_ending_with(quarter, 4)
        scorecard = scorecard_for_account(account=account, quarters=quarters)

        etag = scorecard_quarter_etag(
            account=account, fiscal=quarter, cells=_quarter_cells(account, quarter)
        )
        return Response(
            self.OutputSerializer(scorecard_data(scorecard)).data,
            headers={"ETag": etag},
        )


# Measures


class MeasureOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ValueMeasure
        fields = [
            "id",
            "name",
            "unit",
            "direction",
            "baseline",
            "source",
            "position",
            "updated_at",
        ]


MEASURE_EXAMPLE = {
    "id": 1,
    "name": "Hours saved per month",
    "unit": "hours",
    "direction": "up",
    "baseline": "400.00",
    "source": "Joint monthly report",
    "position": 0,
    "updated_at": "2026-11-03T10:15:00Z",
}
MEASURE_REQUEST_EXAMPLE = {
    "name": "Hours saved per month",
    "unit": "hours",
    "direction": "up",
    "baseline": "400.00",
    "source": "Joint monthly report",
}


class MeasureInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=150)
    unit = serializers.CharField(max_length=30, required=False, allow_blank=True)
    direction = serializers.ChoiceField(choices=ValueMeasure.Direction.choices)
    # 15 digits: what SQLite keeps exactly (accounts.numbers).
    baseline = serializers.DecimalField(max_digits=EXACT_DIGITS, decimal_places=2)
    source = serializers.CharField(max_length=200, required=False, allow_blank=True)  # type: ignore[assignment]


def _measure(request: Request, account_pk: int, pk: int) -> ValueMeasure:
    account = account_get_for_user(user=_user(request), pk=account_pk)
    return get_object_or_404(ValueMeasure, pk=pk, account=account)


def _refusing(save: Callable[..., bool]) -> Callable[..., bool]:
    """Wrap a versioned save so a refused write answers 403 or 400."""

    def run(*args: Any, **kwargs: Any) -> bool:
        try:
            return save(*args, **kwargs)
        except PlanError as error:
            raise _refused(error) from error

    return run


class MeasureCreateApi(APIView):
    InputSerializer = MeasureInputSerializer
    OutputSerializer = MeasureOutputSerializer

    @extend_schema(
        summary="Add a value measure to an account's scorecard",
        tags=["reviews"],
        responses={201: MeasureOutputSerializer},
        examples=[
            OpenApiExample(
                "A measure the customer agreed to",
                value=MEASURE_REQUEST_EXAMPLE,
                request_only=True,
            ),
            OpenApiExample(
                "The new measure", value=MEASURE_EXAMPLE, response_only=True
            ),
        ],
    )
    def post(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        try:
            measure = value_measure_create(
                user=_user(request), account=account, values=serializer.validated_data
            )
        except PlanError as error:
            raise _refused(error) from error
        return Response(
            self.OutputSerializer(measure).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag_for(instance=measure)},
        )


class MeasureApi(APIView):
    """GET a measure; PATCH or DELETE it with the ETag of that read."""

    if_match_methods = frozenset({"PATCH", "DELETE"})

    InputSerializer = MeasureInputSerializer
    OutputSerializer = MeasureOutputSerializer

    @extend_schema(
        summary="Read one value measure",
        tags=["reviews"],
        examples=[OpenApiExample("A measure", value=MEASURE_EXAMPLE)],
    )
    def get(self, request: Request, account_pk: int, pk: int) -> Response:
        measure = _measure(request, account_pk, pk)
        return Response(
            self.OutputSerializer(measure).data,
            headers={"ETag": etag_for(instance=measure)},
        )

    @extend_schema(
        summary="Change a value measure",
        tags=["reviews"],
        examples=[
            OpenApiExample(
                "Name where the figures come from",
                value={"source": "Customer's ERP, monthly extract"},
                request_only=True,
            ),
            OpenApiExample(
                "The measure as saved",
                value={
                    **MEASURE_EXAMPLE,
                    "source": "Customer's ERP, monthly extract",
                    "updated_at": "2026-12-02T10:41:07.518204Z",
                },
                response_only=True,
            ),
        ],
    )
    def patch(self, request: Request, account_pk: int, pk: int) -> Response:
        measure = _measure(request, account_pk, pk)
        return versioned_update_respond(
            request=request,
            instance=measure,
            input_serializer=self.InputSerializer,
            output_serializer=self.OutputSerializer,
            save=_refusing(
                lambda data, version: value_measure_update(
                    user=_user(request),
                    measure=measure,
                    values=data,
                    expected_version=version,
                )
            ),
        )

    @extend_schema(
        summary="Delete a value measure", tags=["reviews"], responses={204: None}
    )
    def delete(self, request: Request, account_pk: int, pk: int) -> Response:
        measure = _measure(request, account_pk, pk)
        return versioned_delete_respond(
            request=request,
            instance=measure,
            output_serializer=self.OutputSerializer,
            delete=_refusing(
                lambda version: value_measure_delete(
                    user=_user(request), measure=measure, expected_version=version
                )
            ),
        )


class MeasureQuarterSetApi(APIView):
    """GET one quarter's figures with their ETag; PUT one measure's figures.

    A PUT needs the ETag from the last read in If-Match: 428 without it,
    412 with the quarter's current figures when someone wrote since.
    """

    if_match_methods = frozenset({"PUT"})

    class FigureSerializer(serializers.Serializer):
        measure = serializers.IntegerField(source="measure_id")
        quarter_start = serializers.DateField()
        target = serializers.DecimalField(
            max_digits=16, decimal_places=2, allow_null=True
        )
        actual = serializers.DecimalField(
            max_digits=16, decimal_places=2, allow_null=True
        )
        note = serializers.CharField(allow_blank=True)

    class QuarterOutputSerializer(serializers.Serializer):
        account = serializers.IntegerField()
        quarter = serializers.CharField()
        quarter_start = serializers.DateField()
        figures = serializers.ListField(child=serializers.DictField())

    def _current(
        self, account: Account, fiscal: FiscalQuarter, cells: list[MeasureQuarter]
    ) -> dict[str, Any]:
        return self.QuarterOutputSerializer(
            {
                "account": account.pk,
                "quarter": fiscal.label,
                "quarter_start": fiscal.start,
                "figures": self.FigureSerializer(cells, many=True).data,
            }
        ).data

    @extend_schema(
        tags=["reviews"],
        operation_id="plans_accounts_scorecard_quarter_retrieve",
        summary="One quarter's figures, with the ETag a PUT needs",
        responses=QuarterOutputSerializer,
        examples=[
            OpenApiExample(
                "Two measures' figures",
                value={
                    "account": 1,
                    "quarter": "FY2026 Q3",
                    "quarter_start": "2026-07-01",
                    "figures": [
                        {
                            "measure": 1,
                            "quarter_start": "2026-07-01",
                            "target": "760.00",
                            "actual": "827.60",
                            "note": "",
                        },
                        {
                            "measure": 2,
                            "quarter_start": "2026-07-01",
                            "target": "37.00",
                            "actual": "37.00",
                            "note": "",
                        },
                    ],
                },
            )
        ],
    )
    def get(self, request: Request, account_pk: int, quarter: str) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        fiscal = _quarter(quarter)

        cells = _quarter_cells(account, fiscal)

        etag = scorecard_quarter_etag(account=account, fiscal=fiscal, cells=cells)
        return Response(self._current(account, fiscal, cells), headers={"ETag": etag})

    class InputSerializer(StrictInputSerializer):
        measure = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
        target = serializers.DecimalField(
            max_digits=EXACT_DIGITS, decimal_places=2, allow_null=True
        )
        actual = serializers.DecimalField(
            max_digits=EXACT_DIGITS, decimal_places=2, allow_null=True
        )
        note = serializers.CharField(
            max_length=300, required=False, default="", allow_blank=True
        )

    class OutputSerializer(serializers.Serializer):
        measure = serializers.IntegerField(source="measure_id")
        quarter_start = serializers.DateField()
        target = serializers.DecimalField(
            max_digits=16, decimal_places=2, allow_null=True
        )
        actual = serializers.DecimalField(
            max_digits=16, decimal_places=2, allow_null=True
        )
        note = serializers.CharField(allow_blank=True)

    @extend_schema(
        summary="Set one measure's figures for a quarter",
        tags=["reviews"],
        examples=[
            OpenApiExample(
                "Enter the quarter's target and actual",
                value={
                    "measure": 1,
                    "target": "880.00",
                    "actual": "843.90",
                    "note": "From the December report.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The figures as saved",
                value={
                    "measure": 1,
                    "quarter_start": "2026-10-01",
                    "target": "880.00",
                    "actual": "843.90",
                    "note": "From the December report.",
                },
                response_only=True,
            ),
        ],
    )
    def put(self, request: Request, account_pk: int, quarter: str) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        fiscal = _quarter(quarter)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        measure = ValueMeasure.objects.filter(
            pk=data["measure"], account=account
        ).first()
        if measure is None:
            raise ValidationError({"measure": ["No such measure on this account."]})

        with transaction.atomic():
            # Locking the account's measures makes check-and-write one step:
            # of two writers holding the same ETag, the second sees the
            # first's figure and gets 412.
            list(
                ValueMeasure.objects.select_for_update()
                .filter(account=account)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            cells = _quarter_cells(account, fiscal)
            etag_require(
                request=request,
                etag=scorecard_quarter_etag(
                    account=account, fiscal=fiscal, cells=cells
                ),
                current=self._current(account, fiscal, cells),
            )
            try:
                cell = measure_quarter_set(
                    user=_user(request),
                    measure=measure,
                    quarter=fiscal,
                    target=data["target"],
                    actual=data["actual"],
                    note=data["note"],
                )
            except PlanError as error:
                raise _refused(error) from error

        etag = scorecard_quarter_etag(
            account=account, fiscal=fiscal, cells=_quarter_cells(account, fiscal)
        )
        return Response(self.OutputSerializer(cell).data, headers={"ETag": etag})


# Voice of customer


class VoiceOutputSerializer(serializers.ModelSerializer):
    stakeholder = serializers.CharField(source="stakeholder.name", allow_null=True)
    recorded_by = serializers.CharField(
        source="recorded_by.display_name", allow_null=True
    )

    class Meta:
        model = VoiceOfCustomer
        fields = [
            "id",
            "kind",
            "body",
            "score",
            "score_max",
            "stakeholder_id",
            "stakeholder",
            "speaker",
            "said_on",
            "recorded_by",
            "created_at",
            "updated_at",
        ]


VOICE_EXAMPLE = {
    "id": 8,
    "kind": "quote",
    "body": "Planning used to take a week; now it takes an afternoon.",
    "score": None,
    "score_max": None,
    "stakeholder_id": 41,
    "stakeholder": "Dana Whitfield",
    "speaker": "",
    "said_on": "2026-11-19",
    "recorded_by": "Boris Faz",
    "created_at": "2026-11-19T16:02:00Z",
    "updated_at": "2026-11-19T16:02:00Z",
}


class VoiceInputSerializer(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=VoiceOfCustomer.Kind.choices)
    body = serializers.CharField(required=False, allow_blank=True)
    score = serializers.DecimalField(
        max_digits=6, decimal_places=1, required=False, allow_null=True
    )
    score_max = serializers.DecimalField(
        max_digits=6, decimal_places=1, required=False, allow_null=True
    )
    stakeholder = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        allow_null=True,
        help_text="A person on this account who said it.",
    )
    speaker = serializers.CharField(max_length=200, required=False, allow_blank=True)
    said_on = serializers.DateField()


def _voice_values(account: Account, data: dict[str, Any]) -> dict[str, Any]:
    """Return the entry's values with the speaker's id turned into the person."""
    values = dict(data)
    if values.get("stakeholder") is not None:
        person = Stakeholder.objects.filter(
            pk=values["stakeholder"], account=account
        ).first()
        if person is None:
            raise ValidationError({"stakeholder": [NO_SUCH_PERSON]})
        values["stakeholder"] = person
    return values


def _voice(request: Request, account_pk: int, pk: int) -> VoiceOfCustomer:
    account = account_get_for_user(user=_user(request), pk=account_pk)
    return get_object_or_404(
        VoiceOfCustomer.objects.select_related("stakeholder", "recorded_by"),
        pk=pk,
        account=account,
    )


class VoiceListApi(APIView):
    """GET an account's voice-of-customer entries, newest first; POST adds one."""

    pagination_class = LodePagination
    InputSerializer = VoiceInputSerializer
    OutputSerializer = VoiceOutputSerializer

    @extend_schema(
        summary="Read an account's voice-of-customer entries, newest first",
        tags=["reviews"],
        responses=VoiceOutputSerializer(many=True),
        examples=[
            OpenApiExample("A page of entries", value=VOICE_EXAMPLE, response_only=True)
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        entries = account.voice_entries.select_related(
            "stakeholder", "recorded_by"
        ).order_by("-said_on", "-pk")

        return paginated_response(
            request=request,
            view=self,
            queryset=entries,
            serializer=self.OutputSerializer,
        )

    @extend_schema(
        summary="Add a voice-of-customer entry",
        tags=["reviews"],
        responses={201: VoiceOutputSerializer},
        examples=[
            OpenApiExample(
                "What the CFO said at the review",
                value={
                    "kind": "quote",
                    "body": "Planning used to take a week; now it takes an afternoon.",
                    "stakeholder": 41,
                    "said_on": "2026-11-19",
                },
                request_only=True,
            ),
            OpenApiExample("The entry", value=VOICE_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = _voice_values(account, serializer.validated_data)

        try:
            entry = voice_create(user=_user(request), account=account, values=values)
        except PlanError as error:
            raise _refused(error) from error
        return Response(
            self.OutputSerializer(entry).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag_for(instance=entry)},
        )


class VoiceApi(APIView):
    """GET a voice-of-customer entry; PATCH or DELETE it with its ETag."""

    if_match_methods = frozenset({"PATCH", "DELETE"})

    InputSerializer = VoiceInputSerializer
    OutputSerializer = VoiceOutputSerializer

    @extend_schema(
        summary="Read one voice-of-customer entry",
        tags=["reviews"],
        examples=[OpenApiExample("An entry", value=VOICE_EXAMPLE)],
    )
    def get(self, request: Request, account_pk: int, pk: int) -> Response:
        entry = _voice(request, account_pk, pk)
        return Response(
            self.OutputSerializer(entry).data,
            headers={"ETag": etag_for(instance=entry)},
        )

    @extend_schema(
        summary="Change a voice-of-customer entry",
        tags=["reviews"],
        examples=[
            OpenApiExample(
                "Correct the day it was said",
                value={"said_on": "2026-11-18"},
                request_only=True,
            ),
            OpenApiExample(
                "The entry as saved",
                value={
                    **VOICE_EXAMPLE,
                    "said_on": "2026-11-18",
                    "updated_at": "2026-11-20T08:45:00Z",
                },
                response_only=True,
            ),
        ],
    )
    def patch(self, request: Request, account_pk: int, pk: int) -> Response:
        entry = _voice(request, account_pk, pk)
        return versioned_update_respond(
            request=request,
            instance=entry,
            input_serializer=self.InputSerializer,
            output_serializer=self.OutputSerializer,
            save=_refusing(
                lambda data, version: voice_update(
                    user=_user(request),
                    entry=entry,
                    values=_voice_values(entry.account, data),
                    expected_version=version,
                )
            ),
        )

    @extend_schema(
        summary="Delete a voice-of-customer entry",
        tags=["reviews"],
        responses={204: None},
    )
    def delete(self, request: Request, account_pk: int, pk: int) -> Response:
        entry = _voice(request, account_pk, pk)
        return versioned_delete_respond(
            request=request,
            instance=entry,
            output_serializer=self.OutputSerializer,
            delete=_refusing(
                lambda version: voice_delete(
                    user=_user(request), entry=entry, expected_version=version
                )
            ),
        )


# Executive review


class ReviewOutputSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    quarter = serializers.CharField()
    quarter_start = serializers.DateField()
    version = serializers.IntegerField(allow_null=True)
    held_on = serializers.DateField(allow_null=True)
    attendees = serializers.CharField(allow_blank=True)
    decisions = serializers.CharField(allow_blank=True)
    next_steps = serializers.CharField(allow_blank=True)
    scorecard = ScorecardOutputSerializer()
    path = serializers.ListField(child=serializers.DictField())
    changes = serializers.ListField(child=serializers.CharField())


def _review_data(pack: dict[str, Any]) -> dict[str, Any]:
    review: ExecutiveReview | None = pack["review"]
    return ReviewOutputSerializer(
        {
            "account": pack["account"].pk,
            "quarter": pack["quarter"].label,
            "quarter_start": pack["quarter"].start,
            "version": review.version if review else None,
            "held_on": review.held_on if review else None,
            "attendees": review.attendees if review else "",
            "decisions": review.decisions if review else "",
            "next_steps": review.next_steps if review else "",
            "scorecard": scorecard_data(pack["scorecard"]),
            "path": pack["path"],
            "changes": [change.text for change in pack["changes"]],
        }
    ).data


REVIEW_EXAMPLE = {
    "account": 1,
    "quarter": "FY2026 Q4",
    "quarter_start": "2026-10-01",
    "version": 2,
    "held_on": "2026-12-10",
    "attendees": "Ximena Dubois, Zofia Okafor, Boris Faz",
    "decisions": "Add the planning module to next year's budget request.",
    "next_steps": "Joint business case to the CFO before budget lock.",
    "scorecard": SCORECARD_EXAMPLE,
    "path": [
        {
            "quarter": "FY26 Q3",
            "performance": 39.7,
            "potential": 23.2,
            "performance_text": "39.7",
            "potential_text": "23.2",
            "quadrant": "Monitor",
        },
        {
            "quarter": "FY26 Q4",
            "performance": 59.0,
            "potential": 30.0,
            "performance_text": "59.0",
            "potential_text": "30.0",
            "quadrant": "Maintain",
        },
    ],
    "changes": ["Zofia Okafor: sentiment Supporter → Neutral"],
}


class ReviewApi(APIView):
    """GET the quarterly review; PUT the meeting's decisions and next steps."""

    if_match_methods = frozenset({"PUT"})

    class InputSerializer(StrictInputSerializer):
        held_on = serializers.DateField(required=False, allow_null=True)
        attendees = serializers.CharField(required=False, allow_blank=True)
        decisions = serializers.CharField(required=False, allow_blank=True)
        next_steps = serializers.CharField(required=False, allow_blank=True)

    OutputSerializer = ReviewOutputSerializer

    @extend_schema(
        summary="Read an account's quarterly executive review",
        tags=["reviews"],
        examples=[OpenApiExample("A held review", value=REVIEW_EXAMPLE)],
    )
    def get(self, request: Request, account_pk: int, quarter: str) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        pack = executive_review_pack(
            account=account, quarter=_quarter(quarter), user=_user(request)
        )
        # A review no one saved yet is at version 0: creating it takes that.
        version = pack["review"].version if pack["review"] is not None else 0
        return Response(_review_data(pack), headers={"ETag": f'"{version}"'})

    @extend_schema(
        summary="Record a quarterly review's decisions and next steps",
        tags=["reviews"],
        examples=[
            OpenApiExample(
                "Record the meeting",
                value={
                    "held_on": "2026-12-10",
                    "attendees": "Ximena Dubois, Zofia Okafor, Boris Faz",
                    "decisions": "Add the planning module to next year's budget "
                    "request.",
                    "next_steps": "Joint business case to the CFO before budget lock.",
                },
                request_only=True,
            ),
            OpenApiExample("The review", value=REVIEW_EXAMPLE, response_only=True),
        ],
    )
    def put(self, request: Request, account_pk: int, quarter: str) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        fiscal = _quarter(quarter)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = if_match_version(request)
        if version is None:
            return Response(
                {"detail": "Send the review's ETag in If-Match to change it."},
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )

        try:
            review = executive_review_save(
                user=_user(request),
                account=account,
                quarter=fiscal,
                values=serializer.validated_data,
                version=version,
            )
        except VersionConflict as error:
            current = executive_review_pack(
                account=account, quarter=fiscal, user=_user(request)
            )
            stored = current["review"].version if current["review"] else 0
            return Response(
                {
                    "detail": precondition_failure(request, str(error)),
                    "version": stored,
                    "current": _review_data(current),
                },
                status=status.HTTP_412_PRECONDITION_FAILED,
                headers={"ETag": f'"{stored}"'},
            )
        except PlanError as error:
            raise _refused(error) from error
        pack = executive_review_pack(account=account, quarter=fiscal)
        return Response(_review_data(pack), headers={"ETag": f'"{review.version}"'})


# Snapshots


class SnapshotOutputSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="__str__")  # type: ignore[assignment]
    taken_by = serializers.CharField(source="taken_by.display_name", allow_null=True)

    class Meta:
        model = PlanSnapshot
        fields = ["id", "label", "trigger", "quarter_start", "taken_at", "taken_by"]


class SnapshotDetailOutputSerializer(SnapshotOutputSerializer):
    data = serializers.JSONField(  # type: ignore[assignment]
        help_text="The captured plan: sections of rows keyed by id."
    )

    class Meta(SnapshotOutputSerializer.Meta):
        fields = [*SnapshotOutputSerializer.Meta.fields, "data"]


SNAPSHOT_EXAMPLE = {
    "id": 4,
    "label": "Before the Q4 executive review",
    "trigger": "on_demand",
    "quarter_start": "2026-10-01",
    "taken_at": "2026-12-09T17:30:00Z",
    "taken_by": "Boris Faz",
}


def _snapshot_data(snapshot: PlanSnapshot) -> dict[str, Any]:
    return SnapshotOutputSerializer(snapshot).data


class SnapshotListApi(APIView):
    """GET a plan's snapshots, newest first; POST takes one now."""

    pagination_class = LodePagination

    class InputSerializer(StrictInputSerializer):
        label = serializers.CharField(
            max_length=200, required=False, default="", allow_blank=True
        )  # type: ignore[assignment]

    OutputSerializer = SnapshotOutputSerializer

    @extend_schema(
        summary="Read a plan's snapshots, newest first",
        tags=["plans"],
        responses=SnapshotOutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A page of snapshots", value=SNAPSHOT_EXAMPLE, response_only=True
            )
        ],
    )
    def get(self, request: Request, plan_pk: int) -> Response:
        plan = plan_get_for_user(user=_user(request), pk=plan_pk)
        snapshots = plan_snapshot_list(plan=plan).select_related("plan__account")

        return paginated_response(
            request=request,
            view=self,
            queryset=snapshots.defer("data"),
            serializer=self.OutputSerializer,
        )

    @extend_schema(
        summary="Take a snapshot of a plan now",
        tags=["plans"],
        responses={201: SnapshotOutputSerializer},
        examples=[
            OpenApiExample(
                "Keep the plan as it stands before the review",
                value={"label": "Before the Q4 executive review"},
                request_only=True,
            ),
            OpenApiExample("The snapshot", value=SNAPSHOT_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request: Request, plan_pk: int) -> Response:
        plan = plan_get_for_user(user=_user(request), pk=plan_pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        try:
            snapshot = plan_snapshot_take(
                plan=plan, user=_user(request), label=serializer.validated_data["label"]
            )
        except PlanError as error:
            raise _refused(error) from error
        return Response(_snapshot_data(snapshot), status=status.HTTP_201_CREATED)


class SnapshotApi(APIView):
    """GET one snapshot of a plan with everything it captured."""

    OutputSerializer = SnapshotDetailOutputSerializer

    @extend_schema(
        summary="Read one snapshot of a plan",
        tags=["plans"],
        examples=[
            OpenApiExample(
                "A snapshot with what it captured",
                value={
                    **SNAPSHOT_EXAMPLE,
                    "data": {
                        "version": 1,
                        "plan": {
                            "id": 1,
                            "account": "Acme Corporation",
                            "label": "FY2026",
                        },
                        "details": {
                            "plan": {
                                "name": "Plan",
                                "summary": "Carry the open GTK 500 pursuit into "
                                "the new year.",
                                "status": "Active",
                                "owner": "Boris Faz",
                                "period_start": "2026-01-01",
                                "period_end": "2026-12-31",
                            }
                        },
                        "score": {
                            "account": {
                                "name": "Account score",
                                "quadrant": "Maintain",
                                "performance": 59.0,
                                "potential": 30.0,
                                "tier": "B",
                            }
                        },
                        "strategies": {
                            "1": {
                                "name": "Grow recurring revenue outside the home "
                                "market",
                                "kind": "Long-term strategy",
                                "priority": "High",
                                "status": "Open",
                            }
                        },
                        "checkpoints": {
                            "12": {
                                "name": "The finance lead reviewed the commercial "
                                "terms",
                                "pursuit": "GTK 500 for Acme Corporation",
                                "validated": "no",
                            }
                        },
                        "whitespace": {"7": {"name": "GTK 500", "state": "pursued"}},
                        "people": {
                            "1": {
                                "name": "Ximena Dubois",
                                "title": "Chief Financial Officer",
                                "sentiment": "Supporter",
                                "influence": "Decisive",
                                "owner": "Boris Faz",
                                "status": "Active",
                            }
                        },
                        "pursuits": {
                            "5": {
                                "name": "GTK 500 for Acme Corporation",
                                "product": "GTK 500",
                                "amount": "26768.00",
                                "currency": "USD",
                                "stage": "Propose",
                                "outcome": "Open",
                                "expected_close_on": "2027-01-29",
                            }
                        },
                    },
                },
            )
        ],
    )
    def get(self, request: Request, plan_pk: int, pk: int) -> Response:
        plan = plan_get_for_user(user=_user(request), pk=plan_pk)
        snapshot = get_object_or_404(
            plan_snapshot_list(plan=plan).select_related("taken_by"), pk=pk
        )
        return Response(self.OutputSerializer(snapshot).data)


class SnapshotCompareApi(APIView):
    """GET what changed between snapshot `from` and snapshot `to` (or now)."""

    class OutputSerializer(serializers.Serializer):
        class ChangeSerializer(serializers.Serializer):
            section = serializers.CharField()
            name = serializers.CharField()
            kind = serializers.ChoiceField(choices=["added", "removed", "changed"])
            field = serializers.CharField(allow_blank=True)
            old = serializers.JSONField(allow_null=True)
            new = serializers.JSONField(allow_null=True)
            text = serializers.CharField()

        to_field = serializers.JSONField(
            help_text="The snapshot compared to, or the string `now`."
        )
        changes = ChangeSerializer(many=True)

        def get_fields(self) -> dict[str, serializers.Field]:
            # `from` and `to` are keywords or clash with them in Python.
            fields = super().get_fields()
            fields["from"] = SnapshotOutputSerializer()
            fields["to"] = fields.pop("to_field")
            return fields

    @extend_schema(
        summary="Compare two snapshots of a plan, or one with now",
        tags=["plans"],
        parameters=[
            OpenApiParameter("from", int, required=True),
            OpenApiParameter(
                "to", str, description="A snapshot id, or `now` (the default)."
            ),
        ],
        examples=[
            OpenApiExample(
                "What changed since the snapshot",
                value={
                    "from": SNAPSHOT_EXAMPLE,
                    "to": "now",
                    "changes": [
                        {
                            "section": "people",
                            "name": "Ximena Dubois",
                            "kind": "changed",
                            "field": "sentiment",
                            "old": "Neutral",
                            "new": "Supporter",
                            "text": "Ximena Dubois: sentiment Neutral → Supporter",
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request: Request, plan_pk: int) -> Response:
        plan = plan_get_for_user(user=_user(request), pk=plan_pk)
        snapshots = {s.pk: s for s in plan_snapshot_list(plan=plan)}

        def pick(name: str, default: str) -> PlanSnapshot | None:
            raw = request.query_params.get(name, default)
            if raw == "now":
                return None
            try:
                return snapshots[int(raw)]
            except (KeyError, ValueError, OverflowError) as error:
                raise ValidationError(
                    {name: ["No such snapshot of this plan."]}
                ) from error

        before = pick("from", "")
        if before is None:
            raise ValidationError({"from": ["Name the snapshot to compare from."]})
        after = pick("to", "now")
        changes = snapshot_diff(
            before.data, after.data if after else snapshot_capture(plan=plan)
        )
        return Response(
            {
                "from": _snapshot_data(before),
                "to": _snapshot_data(after) if after else "now",
                "changes": [
                    {
                        "section": change.section,
                        "name": change.name,
                        "kind": change.kind,
                        "field": change.field,
                        "old": change.old,
                        "new": change.new,
                        "text": change.text,
                    }
                    for change in changes
                ],
            }
        )


# Customer links, as the account team manages them


class CustomerLinkOutputSerializer(serializers.ModelSerializer):
    stakeholder = serializers.CharField(source="stakeholder.name")
    checkpoints: serializers.PrimaryKeyRelatedField = (
        serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    )
    revoked_at = serializers.SerializerMethodField()
    is_usable = serializers.SerializerMethodField()

    class Meta:
        model = CustomerLink
        fields = [
            "id",
            "stakeholder_id",
            "stakeholder",
            "checkpoints",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "created_at",
            "is_usable",
        ]

    # Erasing a person revokes their links; links of people erased before
    # that rule show revoked at the erasure, as no token of theirs resolves.
    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_revoked_at(self, link: CustomerLink) -> str | None:
        revoked_at = link.revoked_at or link.stakeholder.erased_at
        if revoked_at is None:
            return None
        return serializers.DateTimeField().to_representation(revoked_at)

    def get_is_usable(self, link: CustomerLink) -> bool:
        return link.is_usable() and link.stakeholder.is_active


class CustomerLinkCreatedSerializer(CustomerLinkOutputSerializer):
    url = serializers.CharField(
        help_text="The link to send the contact. Shown once: only a hash is kept."
    )

    class Meta(CustomerLinkOutputSerializer.Meta):
        fields = [*CustomerLinkOutputSerializer.Meta.fields, "url"]


def _account_for_links(request: Request, account_pk: int) -> Account:
    """Return the account if the user may manage its links: 404, then 403."""
    account = account_get_for_user(user=_user(request), pk=account_pk)
    if not account_can_edit(user=_user(request), account=account):
        raise PermissionDenied(
            "You can read this account's reviews but not change them."
        )
    return account


CUSTOMER_LINK_EXAMPLE = {
    "id": 7,
    "stakeholder_id": 41,
    "stakeholder": "Dana Whitfield",
    "checkpoints": [12],
    "expires_at": "2027-01-01T09:00:00Z",
    "revoked_at": None,
    "last_used_at": "2026-12-03T18:22:10Z",
    "created_at": "2026-12-02T09:00:00Z",
    "is_usable": True,
}


class CustomerLinkListApi(APIView):
    """GET the account's customer links, newest first; POST makes one."""

    pagination_class = LodePagination

    class InputSerializer(StrictInputSerializer):
        stakeholder = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
        days = serializers.IntegerField(
            min_value=1, max_value=LINK_DAYS_MAX, default=LINK_DAYS_DEFAULT
        )
        checkpoints = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
            required=False,
            default=list,
            max_length=100,
            help_text="Open checkpoints of this account the contact may confirm.",
        )

    OutputSerializer = CustomerLinkOutputSerializer

    @extend_schema(
        summary="Read an account's customer links, newest first",
        tags=["reviews"],
        responses=CustomerLinkOutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A page of links", value=CUSTOMER_LINK_EXAMPLE, response_only=True
            )
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        # Anyone who reads the account reads its links, executives too.
        account = account_get_for_user(user=_user(request), pk=account_pk)
        links = customer_link_list(account=account).prefetch_related("checkpoints")

        return paginated_response(
            request=request,
            view=self,
            queryset=links,
            serializer=self.OutputSerializer,
        )

    @extend_schema(
        summary="Make a link the customer can open to rate and comment",
        tags=["reviews"],
        responses={201: CustomerLinkCreatedSerializer},
        examples=[
            OpenApiExample(
                "Ask the CFO to rate the quarter and confirm a checkpoint",
                value={"stakeholder": 41, "days": 30, "checkpoints": [12]},
                request_only=True,
            ),
            OpenApiExample(
                "The link, with its address shown this once",
                value={
                    **CUSTOMER_LINK_EXAMPLE,
                    "last_used_at": None,
                    "url": "https://lode.example.com/plans/customer/"
                    "eyJsaW5rIjo3LCJzZWNyZXQiOiJxN1hiSmsyIn0:1vRx2Q:"
                    "Jf3kQ9sT2mWbXc8yLpZ0aVd5uE4gH7nR1oK6iC/",
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, account_pk: int) -> Response:
        account = _account_for_links(request, account_pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        person = Stakeholder.objects.filter(
            pk=data["stakeholder"], account=account
        ).first()
        if person is None:
            raise ValidationError({"stakeholder": [NO_SUCH_PERSON]})
        checkpoints = list(
            Checkpoint.objects.filter(
                pk__in=data["checkpoints"], stage__pursuit__plan__account=account
            ).select_related("stage__pursuit__plan")
        )
        unknown = set(data["checkpoints"]) - {c.pk for c in checkpoints}
        if unknown:
            raise ValidationError(
                {
                    "checkpoints": [
                        "No such checkpoint on this account: "
                        + ", ".join(str(pk) for pk in sorted(unknown))
                    ]
                }
            )

        try:
            link, token = customer_link_create(
                user=_user(request),
                account=account,
                stakeholder=person,
                checkpoints=checkpoints,
                days=data["days"],
            )
        except PlanError as error:
            raise _refused(error) from error
        link.url = request.build_absolute_uri(  # type: ignore[attr-defined]
            reverse("plans:customer", args=[token])
        )
        return Response(
            CustomerLinkCreatedSerializer(link).data, status=status.HTTP_201_CREATED
        )


class CustomerLinkRevokeApi(APIView):
    """POST to stop a customer link working; revoking twice is harmless."""

    OutputSerializer = CustomerLinkOutputSerializer

    @extend_schema(
        summary="Stop a customer link working",
        tags=["reviews"],
        request=None,
        examples=[
            OpenApiExample(
                "The link, revoked",
                value={
                    **CUSTOMER_LINK_EXAMPLE,
                    "revoked_at": "2026-12-05T08:30:00Z",
                    "is_usable": False,
                },
                response_only=True,
            )
        ],
    )
    def post(self, request: Request, account_pk: int, link_pk: int) -> Response:
        account = _account_for_links(request, account_pk)
        link = get_object_or_404(CustomerLink, pk=link_pk, account=account)
        body_require_empty(request)

        try:
            link = customer_link_revoke(user=_user(request), link=link)
        except PlanError as error:
            raise _refused(error) from error
        return Response(self.OutputSerializer(link).data)


# Customer ratings


RATING_ORDERINGS = ["quarter_start", "-quarter_start", "score", "-score"]


def _quarter_query(text: str) -> FiscalQuarter:
    """Return the quarter a query parameter names, or refuse it as a 400."""
    try:
        return fiscal_quarter_parse(text)
    except QuarterOutOfRange as error:
        raise ValidationError({"quarter": [str(error)]}) from error
    except ValueError as error:
        raise ValidationError(
            {"quarter": ["Give the first day of a fiscal quarter, as 2026-10-01."]}
        ) from error


class RatingOutputSerializer(serializers.ModelSerializer):
    quarter = serializers.DateField(source="quarter_start")
    stakeholder_name = serializers.CharField(source="stakeholder.name")
    entered_by = serializers.CharField()
    link = serializers.IntegerField(source="link_id", allow_null=True)

    class Meta:
        model = CustomerRating
        fields = [
            "id",
            "quarter",
            "stakeholder",
            "stakeholder_name",
            "score",
            "comment",
            "by_customer",
            "entered_by",
            "link",
            "created_at",
            "updated_at",
        ]


RATING_EXAMPLE = {
    "id": 52,
    "quarter": "2026-10-01",
    "stakeholder": 41,
    "stakeholder_name": "Dana Whitfield",
    "score": 8,
    "comment": "Fleet costs are down as agreed.",
    "by_customer": True,
    "entered_by": "the customer (own link)",
    "link": 7,
    "created_at": "2026-12-02T09:30:00Z",
    "updated_at": "2026-12-02T09:30:00Z",
}


class RatingListApi(APIView):
    """GET the customers' ratings of each quarter; POST the team's entry.

    A contact rates through their signed link; the team may enter a rating
    given in person. Each is kept apart: neither overwrites the other.
    """

    pagination_class = LodePagination
    OutputSerializer = RatingOutputSerializer

    class FilterSerializer(serializers.Serializer):
        quarter = serializers.CharField(
            required=False, help_text="The quarter's first day, as 2026-10-01."
        )
        stakeholder = serializers.IntegerField(
            min_value=1, max_value=2**31 - 1, required=False
        )
        by_customer = serializers.BooleanField(
            required=False,
            allow_null=True,
            default=None,
            help_text="true: only ratings the contact entered through a link.",
        )
        ordering = serializers.ChoiceField(
            choices=RATING_ORDERINGS, required=False, default="-quarter_start"
        )

    class InputSerializer(StrictInputSerializer):
        quarter = serializers.CharField(help_text="The quarter's first day.")
        stakeholder = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
        score = serializers.IntegerField(min_value=1, max_value=10)
        comment = serializers.CharField(allow_blank=True, required=False, default="")

    @extend_schema(
        tags=["reviews"],
        summary="The customers' ratings of the value delivered, by quarter",
        parameters=[FilterSerializer],
        responses=RatingOutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "Ratings of a quarter",
                value=RATING_EXAMPLE,
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        ratings = account.customer_ratings.select_related("stakeholder", "recorded_by")
        if "quarter" in data:
            ratings = ratings.filter(
                quarter_start=_quarter_query(data["quarter"]).start
            )
        if "stakeholder" in data:
            ratings = ratings.filter(stakeholder_id=data["stakeholder"])
        if data["by_customer"] is not None:
            ratings = ratings.filter(by_customer=data["by_customer"])

        return paginated_response(
            request=request,
            view=self,
            queryset=ratings.order_by(data["ordering"], "stakeholder_id", "pk"),
            serializer=self.OutputSerializer,
        )

    @extend_schema(
        tags=["reviews"],
        summary="Enter a rating the customer gave in person or by mail",
        description=(
            "Creates the team's rating of this contact for the quarter (201). "
            "If the team already entered one, this replaces it (200) and needs "
            "that rating's ETag in If-Match: 428 without it, 412 with the "
            "current rating when it changed since. A rating the contact "
            "entered through their link is never replaced."
        ),
        parameters=[
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Only to replace the team's earlier entry: its ETag.",
            )
        ],
        responses={
            200: RatingOutputSerializer,
            201: RatingOutputSerializer,
            412: PRECONDITION_FAILED,
            428: PRECONDITION_REQUIRED,
        },
        examples=[
            OpenApiExample(
                "The CFO's rating at the review",
                value={
                    "quarter": "2026-10-01",
                    "stakeholder": 41,
                    "score": 8,
                    "comment": "Said so at the review.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The team's entry",
                value={
                    **RATING_EXAMPLE,
                    "comment": "Said so at the review.",
                    "by_customer": False,
                    "entered_by": "Boris Faz",
                    "link": None,
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        if not account_can_edit(user=_user(request), account=account):
            raise PermissionDenied("You can read this account but not change it.")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        quarter = _quarter_query(data["quarter"])
        stakeholder = account.stakeholders.filter(pk=data["stakeholder"]).first()
        if stakeholder is None:
            raise ValidationError({"stakeholder": [NO_SUCH_PERSON]})

        with transaction.atomic():
            earlier = (
                CustomerRating.objects.select_for_update()
                .filter(
                    account=account,
                    quarter_start=quarter.start,
                    stakeholder=stakeholder,
                    by_customer=False,
                )
                .first()
            )
            if earlier is not None:
                etag_require(
                    request=request,
                    etag=etag_for(instance=earlier),
                    current=self.OutputSerializer(earlier).data,
                )
            try:
                rating = customer_rating_record(
                    user=_user(request),
                    account=account,
                    stakeholder=stakeholder,
                    quarter=quarter,
                    score=data["score"],
                    comment=data["comment"],
                )
            except PlanError as error:
                raise _refused(error) from error

        return Response(
            self.OutputSerializer(rating).data,
            status=status.HTTP_200_OK if earlier else status.HTTP_201_CREATED,
            headers={"ETag": etag_for(instance=rating)},
        )
