"""The API for a manager's reviews of a plan: record one, read them.

Who may record is decided in plans.manager_reviews, as for the page: a
manager of the account's team. Anyone who may see the plan reads them.
"""

from typing import cast

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from config.api import LodePagination, StrictInputSerializer, paginated_response
from plans.errors import PlanError
from plans.list_apis import MANAGER_REVIEW_EXAMPLE, ManagerReviewListApi
from plans.manager_reviews import (
    manager_review_can_record,
    manager_review_create,
    manager_review_list,
)
from plans.models import ManagerReview
from plans.selectors import plan_get_for_user, plan_list_for_user

ReviewOutputSerializer = ManagerReviewListApi.OutputSerializer


def _user(request: Request) -> User:
    return cast(User, request.user)


class PlanManagerReviewListApi(APIView):
    """GET a plan's manager reviews, newest first; POST records one."""

    pagination_class = LodePagination

    class InputSerializer(StrictInputSerializer):
        reviewed_on = serializers.DateField()
        coaching_points = serializers.CharField()
        agreed_actions = serializers.CharField(
            required=False, allow_blank=True, default=""
        )
        next_review_on = serializers.DateField(required=False, allow_null=True)
        attendees = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
            required=False,
            default=list,
            max_length=100,
            help_text="Ids of account team members who attended.",
        )
        other_attendees = serializers.CharField(
            max_length=300, required=False, allow_blank=True, default=""
        )

    OutputSerializer = ReviewOutputSerializer

    @extend_schema(
        summary="Read a plan's manager reviews, newest first",
        tags=["reviews"],
        responses=ReviewOutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A page of reviews", value=MANAGER_REVIEW_EXAMPLE, response_only=True
            )
        ],
    )
    def get(self, request: Request, plan_pk: int) -> Response:
        plan = plan_get_for_user(user=_user(request), pk=plan_pk)
        reviews = manager_review_list(plan=plan).order_by("-reviewed_on", "-pk")

        return paginated_response(
            request=request,
            view=self,
            queryset=reviews,
            serializer=self.OutputSerializer,
        )

    @extend_schema(
        summary="Record a manager's review of a plan",
        tags=["reviews"],
        responses={201: ReviewOutputSerializer},
        examples=[
            OpenApiExample(
                "Record a coaching session",
                value={
                    "reviewed_on": "2026-11-14",
                    "coaching_points": "Meet the CFO before proposing.",
                    "agreed_actions": "Book the CFO meeting.",
                    "next_review_on": "2026-12-12",
                    "attendees": [28],
                    "other_attendees": "",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The review as recorded",
                value=MANAGER_REVIEW_EXAMPLE,
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, plan_pk: int) -> Response:
        user = _user(request)
        plan = plan_get_for_user(user=user, pk=plan_pk)
        if not manager_review_can_record(user=user, plan=plan):
            raise PermissionDenied(
                "Only a manager of this account's team can record a review."
            )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        # Attendees come from the account team only, so an id says nothing
        # about who else exists.
        wanted = set(data.pop("attendees"))
        attendees = list(
            plan.account.team_members.filter(pk__in=wanted)
            | User.objects.filter(pk=user.pk, pk__in=wanted)
        )
        unknown = wanted - {person.pk for person in attendees}
        if unknown:
            raise ValidationError(
                {
                    "attendees": [
                        "Not on the account team: "
                        + ", ".join(str(pk) for pk in sorted(unknown))
                        + "; name them under other attendees."
                    ]
                }
            )

        try:
            review = manager_review_create(
                user=user, plan=plan, attendees=attendees, **data
            )
        except PlanError as error:
            raise ValidationError(
                error.field_errors() or {"non_field_errors": [str(error)]}
            ) from error
        return Response(
            self.OutputSerializer(review).data, status=status.HTTP_201_CREATED
        )


class ManagerReviewApi(APIView):
    """GET one manager review of a plan you may see."""

    OutputSerializer = ReviewOutputSerializer

    @extend_schema(
        summary="Read one manager review of a plan",
        tags=["reviews"],
        examples=[OpenApiExample("A review", value=MANAGER_REVIEW_EXAMPLE)],
    )
    def get(self, request: Request, pk: int) -> Response:
        reviews = ManagerReview.objects.filter(
            plan__in=plan_list_for_user(user=_user(request)).values("pk")
        )
        review = get_object_or_404(
            reviews.select_related("reviewer").prefetch_related("attendees"), pk=pk
        )
        return Response(self.OutputSerializer(review).data)
