"""Lists of plans, pursuits and reviews across visible accounts.

The plan list is also where a plan is created: one route, GET and POST.
"""

from typing import Any, cast

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import AmountField
from accounts.models import User
from accounts.selectors import account_get_for_user
from config.api import LodePagination, StrictInputSerializer, paginated_response
from config.bounds import DATE_MAX
from plans import services
from plans.apis import (
    CREATED_RESPONSES,
    PLAN_ITEM_EXAMPLE,
    item_response,
    plan_error_response,
    require_edit,
)
from plans.errors import PlanError
from plans.models import ExecutiveReview, ManagerReview, Plan, Pursuit
from plans.review_selectors import executive_review_list
from plans.selectors import plan_list_for_user

PLAN_ORDERINGS = [
    "account__name",
    "-account__name",
    "fiscal_year",
    "-fiscal_year",
    "updated_at",
    "-updated_at",
]
PURSUIT_ORDERINGS = [
    "name",
    "-name",
    "amount",
    "-amount",
    "expected_close_on",
    "-expected_close_on",
    "updated_at",
    "-updated_at",
]


def _user(request: Request) -> User:
    return cast(User, request.user)


def _filters(request: Request, serializer: type[serializers.Serializer]) -> Any:
    """Validate the query string, so junk answers 400 naming the parameter."""
    filters = serializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return filters.validated_data


class PlanListApi(APIView):
    """GET the plans you may see, paged; POST starts a plan for an account."""

    pagination_class = LodePagination

    class InputSerializer(StrictInputSerializer):
        account = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
        fiscal_year = serializers.IntegerField(
            required=False, min_value=2000, max_value=DATE_MAX.year
        )
        summary = serializers.CharField(required=False, allow_blank=True, default="")

    class FilterSerializer(serializers.Serializer):
        account = serializers.IntegerField(min_value=1, required=False)
        fiscal_year = serializers.IntegerField(
            min_value=1900, max_value=2200, required=False
        )
        status = serializers.ChoiceField(choices=Plan.Status.choices, required=False)
        owner = serializers.IntegerField(min_value=1, required=False)
        ordering = serializers.ChoiceField(
            choices=PLAN_ORDERINGS, required=False, default="account__name"
        )

    class OutputSerializer(serializers.ModelSerializer):
        account = serializers.CharField(source="account.name")
        owner = serializers.CharField(source="owner.username", allow_null=True)

        class Meta:
            model = Plan
            fields = [
                "id",
                "account_id",
                "account",
                "fiscal_year",
                "period_start",
                "period_end",
                "owner_id",
                "owner",
                "status",
                "version",
                "created_at",
                "updated_at",
            ]

    @extend_schema(
        tags=["plans"],
        summary="List the plans of the accounts you may see",
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A page of plans",
                value={
                    "id": 8,
                    "account_id": 12,
                    "account": "Acme Corporation",
                    "fiscal_year": 2027,
                    "period_start": "2026-07-01",
                    "period_end": "2027-06-30",
                    "owner_id": 4,
                    "owner": "rita",
                    "status": "active",
                    "version": 3,
                    "created_at": "2026-07-02T09:00:00Z",
                    "updated_at": "2026-11-30T16:20:00Z",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        filters = _filters(request, self.FilterSerializer)
        plans = plan_list_for_user(user=_user(request))
        for name, lookup in (
            ("account", "account_id"),
            ("fiscal_year", "fiscal_year"),
            ("status", "status"),
            ("owner", "owner_id"),
        ):
            if name in filters:
                plans = plans.filter(**{lookup: filters[name]})
        plans = plans.order_by(filters["ordering"], "pk")

        return paginated_response(
            request=request, view=self, queryset=plans, serializer=self.OutputSerializer
        )

    @extend_schema(
        tags=["plans"],
        summary="Start a plan for an account you may edit",
        request=InputSerializer,
        responses=CREATED_RESPONSES,
        examples=[
            OpenApiExample(
                "Start next year's plan",
                value={
                    "account": 12,
                    "fiscal_year": 2027,
                    "summary": "Land GTK 500 in the Ohio plants.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The new plan",
                value={
                    **PLAN_ITEM_EXAMPLE,
                    "fields": {
                        **PLAN_ITEM_EXAMPLE["fields"],
                        "summary": "Land GTK 500 in the Ohio plants.",
                    },
                    "display": {
                        **PLAN_ITEM_EXAMPLE["display"],
                        "summary": "Land GTK 500 in the Ohio plants.",
                    },
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = account_get_for_user(
            user=_user(request), pk=serializer.validated_data["account"]
        )
        require_edit(user=_user(request), account=account)

        try:
            plan = services.plan_create(
                user=_user(request),
                account=account,
                fiscal_year=serializer.validated_data.get("fiscal_year"),
                summary=serializer.validated_data["summary"],
            )
        except PlanError as error:
            return plan_error_response(error)
        return item_response(plan, status.HTTP_201_CREATED)


class PursuitListApi(APIView):
    pagination_class = LodePagination

    class FilterSerializer(serializers.Serializer):
        plan = serializers.IntegerField(min_value=1, required=False)
        account = serializers.IntegerField(min_value=1, required=False)
        stage = serializers.CharField(
            max_length=100, required=False, help_text="Current stage name."
        )
        outcome = serializers.ChoiceField(
            choices=Pursuit.Outcome.choices, required=False
        )
        ordering = serializers.ChoiceField(
            choices=PURSUIT_ORDERINGS, required=False, default="name"
        )

    class OutputSerializer(serializers.ModelSerializer):
        account_id = serializers.IntegerField(source="plan.account_id")
        account = serializers.CharField(source="plan.account.name")
        product = serializers.CharField(source="product.name")
        stage = serializers.CharField(source="current_stage.name", allow_null=True)
        amount = AmountField()

        class Meta:
            model = Pursuit
            fields = [
                "id",
                "plan_id",
                "account_id",
                "account",
                "name",
                "product",
                "amount",
                "currency",
                "expected_close_on",
                "stage",
                "outcome",
                "outcome_reason",
                "closed_on",
                "version",
                "updated_at",
            ]

    @extend_schema(
        tags=["plans"],
        summary="List the pursuits across the plans you may see",
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "Pursuits that ended with no decision",
                value={
                    "id": 31,
                    "plan_id": 8,
                    "account_id": 12,
                    "account": "Acme Corporation",
                    "name": "GTX Pro for the Ohio plant",
                    "product": "GTX Pro",
                    "amount": "240000.00",
                    "currency": "EUR",
                    "expected_close_on": "2027-03-31",
                    "stage": "Propose",
                    "outcome": "no_decision",
                    "outcome_reason": "Budget frozen",
                    "closed_on": "2026-11-20",
                    "version": 6,
                    "updated_at": "2026-11-20T11:00:00Z",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        filters = _filters(request, self.FilterSerializer)
        plans = plan_list_for_user(user=_user(request))
        pursuits = Pursuit.objects.filter(plan__in=plans.values("pk")).select_related(
            "plan__account", "product", "current_stage"
        )
        for name, lookup in (
            ("plan", "plan_id"),
            ("account", "plan__account_id"),
            ("stage", "current_stage__name__iexact"),
            ("outcome", "outcome"),
        ):
            if name in filters:
                pursuits = pursuits.filter(**{lookup: filters[name]})
        pursuits = pursuits.order_by(filters["ordering"], "pk")

        return paginated_response(
            request=request,
            view=self,
            queryset=pursuits,
            serializer=self.OutputSerializer,
        )


MANAGER_REVIEW_EXAMPLE = {
    "id": 5,
    "plan_id": 8,
    "reviewed_on": "2026-11-14",
    "reviewer": "dustin.brinkmann",
    "attendees": ["boris.faz"],
    "other_attendees": "",
    "coaching_points": "Meet the CFO before proposing.",
    "agreed_actions": "Book the CFO meeting.",
    "next_review_on": "2026-12-12",
    "created_at": "2026-11-14T15:00:00Z",
}


class ManagerReviewListApi(APIView):
    pagination_class = LodePagination

    class OutputSerializer(serializers.ModelSerializer):
        reviewer = serializers.CharField(source="reviewer.username", allow_null=True)
        attendees: serializers.SlugRelatedField = serializers.SlugRelatedField(
            many=True, read_only=True, slug_field="username"
        )

        class Meta:
            model = ManagerReview
            fields = [
                "id",
                "plan_id",
                "reviewed_on",
                "reviewer",
                "attendees",
                "other_attendees",
                "coaching_points",
                "agreed_actions",
                "next_review_on",
                "created_at",
            ]

    @extend_schema(
        tags=["reviews"],
        summary="The manager reviews of an account's plans, newest first",
        responses=OutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A manager review",
                value=MANAGER_REVIEW_EXAMPLE,
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        reviews = (
            ManagerReview.objects.filter(plan__account=account)
            .select_related("reviewer")
            .prefetch_related("attendees")
            .order_by("-reviewed_on", "-pk")
        )

        return paginated_response(
            request=request,
            view=self,
            queryset=reviews,
            serializer=self.OutputSerializer,
        )


class ExecutiveReviewListApi(APIView):
    pagination_class = LodePagination

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = ExecutiveReview
            fields = [
                "id",
                "quarter_start",
                "held_on",
                "attendees",
                "decisions",
                "next_steps",
                "snapshot_id",
                "version",
                "updated_at",
            ]

    @extend_schema(
        tags=["reviews"],
        summary="An account's executive reviews, newest quarter first",
        responses=OutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "An executive review",
                value={
                    "id": 2,
                    "quarter_start": "2026-10-01",
                    "held_on": "2026-11-03",
                    "attendees": "CFO, CIO, our VP Sales",
                    "decisions": "Pilot GTX Pro in Ohio.",
                    "next_steps": "Pilot plan by December.",
                    "snapshot_id": 17,
                    "version": 2,
                    "updated_at": "2026-11-03T17:00:00Z",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        reviews = executive_review_list(account=account).order_by(
            "-quarter_start", "-pk"
        )

        return paginated_response(
            request=request,
            view=self,
            queryset=reviews,
            serializer=self.OutputSerializer,
        )
