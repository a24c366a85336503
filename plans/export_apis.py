"""The dashboard and review downloads, for API clients with a token.

Each view hands the authenticated request to the page's own export view, so
the API serves the same file under the same access rules and audit trail;
DRF has already put the token's user on the underlying request.
"""

from typing import cast

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from config.api import query_params_refuse_unknown
from config.downloads import DownloadApi
from plans import review_views, views
from plans.calendar import QuarterOutOfRange, fiscal_quarter_parse
from plans.dashboard import (
    DASHBOARD_TABLE_SLUGS,
    STALE_DAYS_MAX,
    STALE_DAYS_MIN,
    dashboard_filter_choices,
)
from scoring.models import AccountScore

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def _signed_in(request: Request) -> AuthenticatedHttpRequest:
    """Return the underlying request; IsAuthenticated let only users through."""
    return cast(AuthenticatedHttpRequest, request._request)


DASHBOARD_FORMATS = ("csv", "xlsx")
REVIEW_FORMATS = ("pdf", "pptx", "csv", "xlsx")


class DashboardExportApi(DownloadApi):
    class FilterSerializer(serializers.Serializer):
        table = serializers.ChoiceField(
            choices=DASHBOARD_TABLE_SLUGS,
            required=False,
            help_text="CSV only: which table (default accounts). XLSX holds all.",
        )
        rep = serializers.IntegerField(
            min_value=1,
            max_value=2**31 - 1,
            required=False,
            help_text="Only this rep's accounts: a user id you may filter by.",
        )
        region = serializers.CharField(
            max_length=100,
            required=False,
            help_text="Only accounts worked by teams of this region.",
        )
        quadrant = serializers.ChoiceField(
            choices=AccountScore.Quadrant.choices, required=False
        )
        tier = serializers.ChoiceField(
            choices=AccountScore.Tier.choices, required=False
        )
        stale = serializers.IntegerField(
            min_value=STALE_DAYS_MIN,
            max_value=STALE_DAYS_MAX,
            required=False,
            help_text="Days after which a plan counts as untouched.",
        )

    @extend_schema(
        tags=["exports"],
        summary="Download the dashboard's tables as CSV (one table) or XLSX",
        description=(
            "`file_format` is `csv` or `xlsx`. Takes the dashboard's filters "
            "in the query string; `table` picks the CSV table (default "
            "`accounts`). A parameter not listed here, a value out of its "
            "range, a rep or region you cannot filter by, and `format` are "
            "refused with 400. Counts only the accounts you may see; the download "
            "is recorded in the audit log. Reads the stored dashboard, as of "
            "its time; while a large one is first being prepared, answers 202 "
            "with a Retry-After header and no file. Example: "
            "`GET /api/plans/exports/dashboard.csv?table=accounts`."
        ),
        parameters=[FilterSerializer],
        responses={
            (200, CSV): OpenApiTypes.BINARY,
            (200, XLSX): OpenApiTypes.BINARY,
            (202, "text/plain"): OpenApiTypes.STR,
        },
        examples=[
            OpenApiExample(
                "The accounts table as CSV",
                value=(
                    "Account,Reps,Regions,Quadrant,Tier,Performance,Potential,"
                    "TTM revenue,Quadrant FY2026 Q4,Touches in 90 days,"
                    "Plan completeness %,Plan last changed\r\n"
                    "Harbor Bank of the South,Dana Whitfield,EMEA,grow,A,72.4,"
                    "81.0,1250000.00,grow,6,80,2026-11-18\r\n"
                ),
                media_type=CSV,
                response_only=True,
            ),
            OpenApiExample(
                "Figures still being prepared",
                value="These figures are being prepared. Ask for the export again "
                "in a minute or two.",
                media_type="text/plain",
                status_codes=[202],
                response_only=True,
            ),
        ],
    )
    def get(
        self, request: Request, file_format: str
    ) -> HttpResponse | StreamingHttpResponse:
        if file_format not in DASHBOARD_FORMATS:
            raise NotFound("No such export format: ask for dashboard.csv or .xlsx.")
        query_params_refuse_unknown(request, view=self)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        _dashboard_filters_check(
            user=cast(User, request.user),
            file_format=file_format,
            filters=filters.validated_data,
        )

        # The page's own export reads the same, now valid, query string.
        return views.dashboard_export_view(_signed_in(request), file_format=file_format)


def _dashboard_filters_check(
    *, user: User, file_format: str, filters: dict[str, object]
) -> None:
    """Refuse what the page would ignore with a notice: a file has no notices."""
    if file_format == "xlsx" and "table" in filters:
        raise ValidationError(
            {"table": ["An XLSX download holds every table; table is for CSV only."]}
        )
    if "rep" not in filters and "region" not in filters:
        return

    reps, regions = dashboard_filter_choices(user=user)
    if "rep" in filters and filters["rep"] not in reps:
        raise ValidationError({"rep": ["Not one of the reps you can filter by."]})
    if "region" in filters and filters["region"] not in regions:
        raise ValidationError({"region": ["None of your accounts is in this region."]})


class ReviewExportApi(DownloadApi):
    @extend_schema(
        tags=["exports"],
        summary="Download an executive review as PDF or PowerPoint",
        description=(
            "`file_format` is `pdf` or `pptx`, or `csv`/`xlsx` for its "
            "scorecard; `quarter` is the quarter's first day. 404 for an "
            "account you may not see. Example: "
            "`GET /api/plans/accounts/12/reviews/2026-10-01/export.pdf`."
        ),
        responses={
            (200, PDF): OpenApiTypes.BINARY,
            (200, PPTX): OpenApiTypes.BINARY,
            (200, CSV): OpenApiTypes.BINARY,
            (200, XLSX): OpenApiTypes.BINARY,
        },
        examples=[
            OpenApiExample(
                "The scorecard as CSV",
                value=(
                    "\ufeffMeasure,Unit,Direction,Baseline,Quarter,Quarter start,"
                    "Target,Actual,Source\r\n"
                    "Hours saved per month,hours,Higher is better,400.00,FY2026 Q3,"
                    "2026-07-01,760.00,827.60,Joint monthly report\r\n"
                    "Order-to-cash cycle,days,Lower is better,46.00,FY2026 Q3,"
                    "2026-07-01,37.00,37.00,Joint monthly report\r\n"
                ),
                media_type=CSV,
                response_only=True,
            )
        ],
    )
    def get(
        self, request: Request, account_pk: int, quarter: str, file_format: str
    ) -> HttpResponse:
        if file_format not in REVIEW_FORMATS:
            raise NotFound("No such export format: ask for .pdf, .pptx, .csv or .xlsx.")
        query_params_refuse_unknown(request, view=self)
        # The page answers 404 to a quarter out of range; the API names it.
        try:
            fiscal_quarter_parse(quarter)
        except QuarterOutOfRange as error:
            raise ValidationError({"quarter": [str(error)]}) from error
        except ValueError:
            pass  # any other malformed quarter gets the page's 404
        return review_views.review_export(
            _signed_in(request),
            account_pk=account_pk,
            quarter=quarter,
            file_format=file_format,
        )
