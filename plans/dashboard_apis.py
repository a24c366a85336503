"""The manager dashboard for API clients: its figures and their accounts.

The same stored dashboard as the page (dashboard_summary_for_user), so a
figure counts only the accounts the caller may see, and the accounts
behind it are exactly those the page's drill-down lists.
"""

from typing import Any, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import AmountField
from accounts.models import User
from config.api import LodePagination, query_params_refuse_unknown
from plans.dashboard import (
    STALE_DAYS_MAX,
    STALE_DAYS_MIN,
    AccountRow,
    Dashboard,
    DashboardFilters,
    figure_title,
)
from plans.dashboard_summaries import (
    DashboardPreparing,
    FigureRows,
    dashboard_summary_for_user,
)
from scoring.models import AccountScore

TAGS = ["dashboard"]
PREPARING = (
    "These figures are being prepared. Ask again in a minute or two; "
    "Retry-After says when."
)


def _user(request: Request) -> User:
    return cast(User, request.user)


class FilterSerializer(serializers.Serializer):
    rep = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text="Only this rep's accounts (one you may filter by).",
    )
    region = serializers.CharField(max_length=100, required=False)
    quadrant = serializers.ChoiceField(
        choices=AccountScore.Quadrant.choices, required=False
    )
    tier = serializers.ChoiceField(choices=AccountScore.Tier.choices, required=False)
    stale = serializers.IntegerField(
        min_value=STALE_DAYS_MIN,
        max_value=STALE_DAYS_MAX,
        required=False,
        help_text="Days after which a plan counts as untouched.",
    )


def _dashboard(
    request: Request,
    view: APIView,
    filter_serializer: type[serializers.Serializer],
    *,
    paged: bool = False,
) -> Dashboard | Response:
    """Return the caller's dashboard for the filters, or the 202 answer."""
    query_params_refuse_unknown(
        request, view=view, also={"limit", "offset", "cursor"} if paged else ()
    )
    filters = filter_serializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    query = {name: str(value) for name, value in filters.validated_data.items()}

    dashboard = dashboard_summary_for_user(
        user=_user(request), filters=DashboardFilters.from_query(query)
    )
    if isinstance(dashboard, DashboardPreparing):
        return Response(
            {"detail": PREPARING, "accounts": dashboard.accounts},
            status=status.HTTP_202_ACCEPTED,
            headers={"Retry-After": "60"},
        )
    return dashboard


def _filters_data(dashboard: Dashboard) -> dict[str, Any]:
    filters = dashboard.filters
    return {
        "rep": filters.rep,
        "region": filters.region,
        "quadrant": filters.quadrant,
        "tier": filters.tier,
        "stale": filters.stale_days,
    }


class DashboardFiltersSerializer(serializers.Serializer):
    rep = serializers.IntegerField(allow_null=True)
    region = serializers.CharField(allow_blank=True)
    quadrant = serializers.CharField(allow_blank=True)
    tier = serializers.CharField(allow_blank=True)
    stale = serializers.IntegerField()


class DashboardQuarterSerializer(serializers.Serializer):
    start = serializers.DateField()
    label = serializers.CharField()  # type: ignore[assignment]


class DashboardFigureSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Name it in `figure` to list its accounts.")
    title = serializers.CharField()
    count = serializers.IntegerField()
    accounts = serializers.IntegerField(
        help_text="How many accounts are behind the figure."
    )


class DashboardApi(APIView):
    """GET the dashboard's figures for the accounts you may see."""

    class OutputSerializer(serializers.Serializer):
        built_at = serializers.DateTimeField(allow_null=True)
        outdated = serializers.BooleanField(
            help_text="The data changed since; newer figures are being built."
        )
        filters = DashboardFiltersSerializer(help_text="The filters applied.")
        notices = serializers.ListField(
            child=serializers.CharField(),
            help_text="Filters that were ignored, and why.",
        )
        quarters = DashboardQuarterSerializer(many=True)
        figures = DashboardFigureSerializer(many=True)

    @extend_schema(
        tags=TAGS,
        summary="The manager dashboard's figures",
        description=(
            "Counts only the accounts you may see. Reads the stored "
            "dashboard, as of `built_at`; while a large one is first being "
            "prepared, answers 202 with a Retry-After header. A rep or "
            "region you cannot filter by is ignored and named in `notices`."
        ),
        parameters=[FilterSerializer],
        responses={
            200: OutputSerializer,
            202: OpenApiTypes.OBJECT,
        },
        examples=[
            OpenApiExample(
                "Two figures",
                value={
                    "built_at": "2026-12-04T07:00:00Z",
                    "outdated": False,
                    "filters": {
                        "rep": None,
                        "region": "",
                        "quadrant": "grow",
                        "tier": "",
                        "stale": 30,
                    },
                    "notices": [],
                    "quarters": [{"start": "2026-10-01", "label": "FY2026 Q4"}],
                    "figures": [
                        {
                            "key": "quadrant.grow",
                            "title": "Grow quadrant",
                            "count": 12,
                            "accounts": 12,
                        },
                        {
                            "key": "coverage.unowned",
                            "title": "Important people without an owner",
                            "count": 31,
                            "accounts": 9,
                        },
                    ],
                },
                response_only=True,
            ),
            OpenApiExample(
                "Figures still being prepared",
                value={"detail": PREPARING, "accounts": 12480},
                status_codes=[202],
                response_only=True,
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        dashboard = _dashboard(request, self, FilterSerializer)
        if isinstance(dashboard, Response):
            return dashboard

        return Response(
            {
                "built_at": dashboard.built_at,
                "outdated": dashboard.outdated,
                "filters": _filters_data(dashboard),
                "notices": list(dashboard.filters.notices),
                "quarters": [
                    {"start": quarter.start, "label": quarter.label}
                    for quarter in dashboard.quarters
                ],
                "figures": [
                    {
                        "key": key,
                        "title": figure_title(dashboard=dashboard, key=key),
                        "count": figure.count,
                        "accounts": figure.account_count,
                    }
                    for key, figure in dashboard.figures.items()
                ],
            }
        )


class DashboardAccountOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    reps = serializers.ListField(child=serializers.CharField())
    regions = serializers.ListField(child=serializers.CharField())
    quadrant = serializers.CharField(allow_null=True)
    tier = serializers.CharField(allow_null=True)
    performance = serializers.FloatField(allow_null=True)
    potential = serializers.FloatField(allow_null=True)
    ttm_revenue = AmountField(read_only=True, allow_null=True)
    plan = serializers.IntegerField(allow_null=True)
    plan_completeness = serializers.IntegerField(allow_null=True)
    last_touched_on = serializers.DateField(allow_null=True)
    touches = serializers.IntegerField()


def _row_data(row: AccountRow) -> dict[str, Any]:
    score = row.score
    return {
        "id": row.pk,
        "name": row.name,
        "reps": row.reps,
        "regions": row.regions,
        "quadrant": score and score.quadrant,
        "tier": score and score.tier,
        "performance": score and score.performance,
        "potential": score and score.potential,
        "ttm_revenue": row.ttm_revenue,
        "plan": row.plan_id,
        "plan_completeness": row.completeness and row.completeness.percent,
        "last_touched_on": row.last_touched_on,
        "touches": row.touches,
    }


class DashboardAccountListApi(APIView):
    """GET the accounts behind one dashboard figure, paged."""

    pagination_class = LodePagination

    class FilterSerializer(FilterSerializer):
        figure = serializers.CharField(
            max_length=100, help_text="A figure's `key` from the dashboard."
        )

    @extend_schema(
        tags=TAGS,
        summary="The accounts behind one dashboard figure",
        description=(
            "The same accounts, in the same order, as the page's drill-down: "
            "by name, then by id. "
            "Takes the dashboard's filters too; a figure the dashboard does "
            "not have is refused by name."
        ),
        parameters=[FilterSerializer],
        responses=DashboardAccountOutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "The accounts in Grow",
                value={
                    "id": 12,
                    "name": "Harbor Bank of the South",
                    "reps": ["Dana Whitfield"],
                    "regions": ["EMEA"],
                    "quadrant": "grow",
                    "tier": "A",
                    "performance": 72.4,
                    "potential": 81.0,
                    "ttm_revenue": "1250000.00",
                    "plan": 8,
                    "plan_completeness": 80,
                    "last_touched_on": "2026-11-18",
                    "touches": 6,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        dashboard = _dashboard(request, self, self.FilterSerializer, paged=True)
        if isinstance(dashboard, Response):
            return dashboard
        key = request.query_params["figure"]
        if key not in dashboard.figures:
            raise ValidationError(
                {"figure": ["No such figure; use a `key` from /api/plans/dashboard/."]}
            )

        paginator = LodePagination()
        rows = paginator.paginate_queryset(
            FigureRows(dashboard=dashboard, key=key), request, view=self
        )
        return paginator.get_paginated_response(
            DashboardAccountOutputSerializer(
                [_row_data(row) for row in rows], many=True
            ).data
        )
