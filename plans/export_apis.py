"""The dashboard and review downloads, for API clients with a token.

Each view hands the authenticated request to the page's own export view, so
the API serves the same file under the same access rules and audit trail;
DRF has already put the token's user on the underlying request.
"""

from typing import cast

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.http import AuthenticatedHttpRequest
from plans import review_views, views
from plans.calendar import QuarterOutOfRange, fiscal_quarter_parse

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def _signed_in(request: Request) -> AuthenticatedHttpRequest:
    """Return the underlying request; IsAuthenticated let only users through."""
    return cast(AuthenticatedHttpRequest, request._request)


class DashboardExportApi(APIView):
    @extend_schema(
        tags=["exports"],
        summary="Download the dashboard's tables as CSV (one table) or XLSX",
        description=(
            "`file_format` is `csv` or `xlsx`. Takes the dashboard's filters "
            "in the query string; `table` picks the CSV table (default "
            "`accounts`). Counts only the accounts you may see; the download "
            "is recorded in the audit log. Reads the stored dashboard, as of "
            "its time; while a large one is first being prepared, answers 202 "
            "with a Retry-After header and no file. Example: "
            "`GET /api/plans/exports/dashboard.csv?table=accounts`."
        ),
        parameters=[
            OpenApiParameter("table", str, description="CSV only: which table."),
        ],
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
            )
        ],
    )
    def get(self, request: Request, file_format: str) -> HttpResponse:
        return views.dashboard_export_view(_signed_in(request), file_format=file_format)


class ReviewExportApi(APIView):
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
    )
    def get(
        self, request: Request, account_pk: int, quarter: str, file_format: str
    ) -> HttpResponse:
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
