"""The sell-cycle template API: everyone reads, sales ops change.

Templates belong to no account: whoever may see a pursuit may read the
templates pursuits copy. Only sales ops change them, as on the pages. Every
change to a template, its stages or checkpoints takes the template's
revision in If-Match: without it the answer is 428, with an older one 412
with the current template.
"""

from collections.abc import Callable
from typing import Any, cast

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from config.api import (
    LodePagination,
    PreconditionFailed,
    PreconditionRequired,
    StrictInputSerializer,
    paginated_response,
)
from plans.errors import PlanError
from plans.models import SellCycleTemplate, TemplateCheckpoint, TemplateStage
from plans.template_services import (
    sell_cycle_template_create,
    sell_cycle_template_update,
    template_checkpoint_create,
    template_checkpoint_delete,
    template_stage_create,
    template_stage_delete,
    template_stage_update,
)

TAGS = ["templates"]
TEMPLATE_ORDERINGS = ["name", "-name", "updated_at", "-updated_at"]


def _user(request: Request) -> User:
    return cast(User, request.user)


def _require_ops(request: Request) -> None:
    if not _user(request).is_ops:
        raise PermissionDenied("Only sales ops change sell-cycle templates.")


def _template_get(pk: int) -> SellCycleTemplate:
    checkpoints = TemplateCheckpoint.objects.order_by("order", "id")
    stages = TemplateStage.objects.order_by("order", "id").prefetch_related(
        Prefetch("checkpoints", queryset=checkpoints)
    )
    return get_object_or_404(
        SellCycleTemplate.objects.prefetch_related(Prefetch("stages", queryset=stages)),
        pk=pk,
    )


def _etag(template: SellCycleTemplate) -> str:
    return f'"{template.revision}"'


class TemplateCheckpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = TemplateCheckpoint
        fields = ["id", "order", "description", "required"]


class TemplateStageSerializer(serializers.ModelSerializer):
    template = serializers.IntegerField(source="template_id", read_only=True)
    checkpoints = TemplateCheckpointSerializer(many=True, read_only=True)

    class Meta:
        model = TemplateStage
        fields = [
            "id",
            "template",
            "order",
            "name",
            "our_activities",
            "exit_criteria",
            "buyer_step",
            "checkpoints",
        ]


class TemplateSerializer(serializers.ModelSerializer):
    stages = TemplateStageSerializer(many=True, read_only=True)

    class Meta:
        model = SellCycleTemplate
        fields = [
            "id",
            "name",
            "description",
            "is_active",
            "revision",
            "created_at",
            "updated_at",
            "stages",
        ]


TEMPLATE_EXAMPLE: dict[str, Any] = {
    "id": 3,
    "name": "Enterprise expansion",
    "description": "For a new business unit at an existing customer.",
    "is_active": True,
    "revision": 7,
    "created_at": "2026-09-01T08:00:00Z",
    "updated_at": "2026-11-20T10:12:00Z",
    "stages": [
        {
            "id": 11,
            "template": 3,
            "order": 0,
            "name": "Qualify",
            "our_activities": "Map the buying group.",
            "exit_criteria": "A budget owner is named.",
            "buyer_step": "Recognises the need",
            "checkpoints": [
                {
                    "id": 31,
                    "order": 0,
                    "description": "CFO confirmed the budget",
                    "required": True,
                }
            ],
        }
    ],
}


STAGE_EXAMPLE: dict[str, Any] = TEMPLATE_EXAMPLE["stages"][0]
PROPOSE_STAGE_EXAMPLE = {
    "id": 12,
    "template": 3,
    "order": 1,
    "name": "Propose",
    "our_activities": "Build the business case with the sponsor.",
    "exit_criteria": "Proposal walked through with the buying group.",
    "buyer_step": "Evaluates the options",
    "checkpoints": [],
}
# The template after each kind of change, as the change answers it.
TEMPLATE_WITH_TWO_STAGES_EXAMPLE = {
    **TEMPLATE_EXAMPLE,
    "revision": 8,
    "updated_at": "2026-12-01T09:30:00Z",
    "stages": [STAGE_EXAMPLE, PROPOSE_STAGE_EXAMPLE],
}
TEMPLATE_WITH_TWO_CHECKPOINTS_EXAMPLE = {
    **TEMPLATE_EXAMPLE,
    "revision": 8,
    "updated_at": "2026-12-01T09:30:00Z",
    "stages": [
        {
            **STAGE_EXAMPLE,
            "checkpoints": [
                *STAGE_EXAMPLE["checkpoints"],
                {
                    "id": 32,
                    "order": 1,
                    "description": "The IT lead attended the technical demo",
                    "required": True,
                },
            ],
        }
    ],
}
TEMPLATE_WITHOUT_STAGES_EXAMPLE = {
    **TEMPLATE_EXAMPLE,
    "revision": 8,
    "updated_at": "2026-12-01T09:30:00Z",
    "stages": [],
}


def _current_response(template: SellCycleTemplate, code: int = 200) -> Response:
    template = _template_get(template.pk)
    return Response(
        TemplateSerializer(template).data,
        status=code,
        headers={"ETag": _etag(template)},
    )


def _stale(template: SellCycleTemplate) -> PreconditionFailed:
    current = _template_get(template.pk)
    return PreconditionFailed(
        current=TemplateSerializer(current).data, etag=_etag(current)
    )


def _revision_require(request: Request, template: SellCycleTemplate) -> int:
    """Return the revision sent in If-Match: 428 without one, 412 if stale."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()
    # A weak tag stays as sent and so never matches: If-Match is strong.
    raw = header.strip('"')
    if raw != str(template.revision):
        raise _stale(template)
    return template.revision


def _refusal(error: PlanError) -> ValidationError:
    """Name the field a refused change is about, or the body as a whole."""
    if error.field:
        return ValidationError({error.field: [error.reason]})
    return ValidationError({"non_field_errors": [str(error)]})


def _template_change(
    request: Request,
    template: SellCycleTemplate,
    change: Callable[[int, dict[str, Any]], object],
    *,
    input_serializer: type[serializers.Serializer] | None = None,
    partial: bool = False,
    code: int = status.HTTP_200_OK,
) -> Response:
    """Change a template, or anything in it, and answer the whole template.

    The revision comes first (428 without If-Match, 412 when stale), then
    the body (400); `change` gets the revision and the body's values.
    """
    revision = _revision_require(request, template)
    values: dict[str, Any] = {}
    if input_serializer is not None:
        serializer = input_serializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data

    try:
        change(revision, values)
    except PlanError as error:
        current = SellCycleTemplate.objects.get(pk=template.pk)
        if current.revision != revision:
            # Someone saved between our check and the lock.
            raise _stale(template) from error
        raise _refusal(error) from error
    return _current_response(template, code)


class TemplateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=150)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    is_active = serializers.BooleanField(required=False, default=True)


class StageInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    our_activities = serializers.CharField(allow_blank=True, required=False, default="")
    exit_criteria = serializers.CharField(allow_blank=True, required=False, default="")
    buyer_step = serializers.CharField(
        max_length=200, allow_blank=True, required=False, default=""
    )


class TemplateListApi(APIView):
    """GET the sell-cycle templates, paged; sales ops POST a new one."""

    pagination_class = LodePagination

    class FilterSerializer(serializers.Serializer):
        is_active = serializers.BooleanField(
            required=False,
            allow_null=True,
            default=None,
            help_text="true: only templates new pursuits may copy.",
        )
        ordering = serializers.ChoiceField(
            choices=TEMPLATE_ORDERINGS, required=False, default="name"
        )

    class OutputSerializer(serializers.ModelSerializer):
        stage_count = serializers.IntegerField()

        class Meta:
            model = SellCycleTemplate
            fields = [
                "id",
                "name",
                "description",
                "is_active",
                "revision",
                "stage_count",
                "updated_at",
            ]

    InputSerializer = TemplateInputSerializer

    @extend_schema(
        tags=TAGS,
        summary="List the sell-cycle templates pursuits copy",
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "The active templates",
                value={
                    "id": 3,
                    "name": "Enterprise expansion",
                    "description": "For a new business unit.",
                    "is_active": True,
                    "revision": 7,
                    "stage_count": 4,
                    "updated_at": "2026-11-20T10:12:00Z",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        templates = SellCycleTemplate.objects.annotate(stage_count=Count("stages"))
        if filters.validated_data["is_active"] is not None:
            templates = templates.filter(is_active=filters.validated_data["is_active"])
        templates = templates.order_by(filters.validated_data["ordering"], "pk")

        return paginated_response(
            request=request,
            view=self,
            queryset=templates,
            serializer=self.OutputSerializer,
        )

    @extend_schema(
        tags=TAGS,
        summary="Create a sell-cycle template (sales ops)",
        responses={201: TemplateSerializer},
        examples=[
            OpenApiExample(
                "A new template",
                value={"name": "Renewal", "description": "Yearly renewal."},
                request_only=True,
            ),
            OpenApiExample(
                "The new template, still without stages",
                value={
                    **TEMPLATE_WITHOUT_STAGES_EXAMPLE,
                    "id": 4,
                    "name": "Renewal",
                    "description": "Yearly renewal.",
                    "revision": 1,
                    "created_at": "2026-12-01T09:30:00Z",
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        _require_ops(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        try:
            template = sell_cycle_template_create(
                user=_user(request), values=serializer.validated_data
            )
        except PlanError as error:
            raise _refusal(error) from error
        return _current_response(template, status.HTTP_201_CREATED)


class TemplateApi(APIView):
    """GET a template with its stages and checkpoints; ops PATCH it."""

    if_match_methods = frozenset({"PATCH"})
    OutputSerializer = TemplateSerializer

    class InputSerializer(TemplateInputSerializer):
        pass

    @extend_schema(
        tags=TAGS,
        summary="Read a template, its stages and their buyer checkpoints",
        description="The ETag is the template's revision; send it in "
        "If-Match to change the template or anything in it.",
        examples=[
            OpenApiExample("A template", value=TEMPLATE_EXAMPLE, response_only=True)
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        return _current_response(_template_get(pk))

    @extend_schema(
        tags=TAGS,
        summary="Rename, describe or retire a template",
        examples=[
            OpenApiExample(
                "Retire the template", value={"is_active": False}, request_only=True
            ),
            OpenApiExample(
                "The retired template",
                value={
                    **TEMPLATE_EXAMPLE,
                    "is_active": False,
                    "revision": 8,
                    "updated_at": "2026-12-01T09:30:00Z",
                },
                response_only=True,
            ),
        ],
    )
    def patch(self, request: Request, pk: int) -> Response:
        _require_ops(request)
        template = _template_get(pk)

        return _template_change(
            request,
            template,
            lambda revision, values: sell_cycle_template_update(
                user=_user(request), template=template, revision=revision, values=values
            ),
            input_serializer=self.InputSerializer,
            partial=True,
        )


class TemplateStageCreateApi(APIView):
    """POST a stage at the end of a template (sales ops, with If-Match)."""

    if_match_methods = frozenset({"POST"})
    InputSerializer = StageInputSerializer
    OutputSerializer = TemplateSerializer

    @extend_schema(
        tags=TAGS,
        summary="Add a stage at the end of a template",
        responses={201: TemplateSerializer},
        examples=[
            OpenApiExample(
                "A proposal stage",
                value={
                    "name": "Propose",
                    "our_activities": "Build the business case with the sponsor.",
                    "exit_criteria": "Proposal walked through with the buying group.",
                    "buyer_step": "Evaluates the options",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The template with its new stage",
                value=TEMPLATE_WITH_TWO_STAGES_EXAMPLE,
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        _require_ops(request)
        template = _template_get(pk)

        return _template_change(
            request,
            template,
            lambda revision, values: template_stage_create(
                user=_user(request), template=template, revision=revision, values=values
            ),
            input_serializer=self.InputSerializer,
            code=status.HTTP_201_CREATED,
        )


def _stage_get(pk: int) -> TemplateStage:
    return get_object_or_404(TemplateStage.objects.select_related("template"), pk=pk)


class TemplateStageApi(APIView):
    """GET a template stage; ops PATCH or DELETE it with the template's ETag."""

    if_match_methods = frozenset({"PATCH", "DELETE"})
    InputSerializer = StageInputSerializer
    OutputSerializer = TemplateStageSerializer

    @extend_schema(
        tags=TAGS,
        summary="Read one stage of a template",
        examples=[OpenApiExample("A stage", value=STAGE_EXAMPLE)],
    )
    def get(self, request: Request, pk: int) -> Response:
        stage = _stage_get(pk)
        return Response(
            self.OutputSerializer(stage).data,
            headers={"ETag": _etag(stage.template)},
        )

    @extend_schema(
        tags=TAGS,
        summary="Change a stage; answers with the whole template",
        responses={200: TemplateSerializer},
        examples=[
            OpenApiExample(
                "Sharpen the exit criteria",
                value={"exit_criteria": "A budget owner is named and has met us."},
                request_only=True,
            ),
            OpenApiExample(
                "The template with the changed stage",
                value={
                    **TEMPLATE_EXAMPLE,
                    "revision": 8,
                    "updated_at": "2026-12-01T09:30:00Z",
                    "stages": [
                        {
                            **STAGE_EXAMPLE,
                            "exit_criteria": "A budget owner is named and has met us.",
                        }
                    ],
                },
                response_only=True,
            ),
        ],
    )
    def patch(self, request: Request, pk: int) -> Response:
        _require_ops(request)
        stage = _stage_get(pk)

        return _template_change(
            request,
            stage.template,
            lambda revision, values: template_stage_update(
                user=_user(request), stage=stage, revision=revision, values=values
            ),
            input_serializer=self.InputSerializer,
            partial=True,
        )

    @extend_schema(
        tags=TAGS,
        summary="Remove a stage and its checkpoints; answers with the template",
        request=None,
        responses={200: TemplateSerializer},
        examples=[
            OpenApiExample(
                "The template without the stage",
                value=TEMPLATE_WITHOUT_STAGES_EXAMPLE,
                response_only=True,
            )
        ],
    )
    def delete(self, request: Request, pk: int) -> Response:
        _require_ops(request)
        stage = _stage_get(pk)

        return _template_change(
            request,
            stage.template,
            lambda revision, _: template_stage_delete(
                user=_user(request), stage=stage, revision=revision
            ),
        )


class TemplateCheckpointCreateApi(APIView):
    """POST a buyer checkpoint to a template stage (ops, with If-Match)."""

    if_match_methods = frozenset({"POST"})
    OutputSerializer = TemplateSerializer

    class InputSerializer(StrictInputSerializer):
        description = serializers.CharField(max_length=300)
        required = serializers.BooleanField(default=True)  # type: ignore[assignment]

    @extend_schema(
        tags=TAGS,
        summary="Add a buyer checkpoint to a stage",
        responses={201: TemplateSerializer},
        examples=[
            OpenApiExample(
                "A checkpoint",
                value={
                    "description": "The IT lead attended the technical demo",
                    "required": True,
                },
                request_only=True,
            ),
            OpenApiExample(
                "The template with the new checkpoint",
                value=TEMPLATE_WITH_TWO_CHECKPOINTS_EXAMPLE,
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        _require_ops(request)
        stage = _stage_get(pk)

        return _template_change(
            request,
            stage.template,
            lambda revision, values: template_checkpoint_create(
                user=_user(request), stage=stage, revision=revision, **values
            ),
            input_serializer=self.InputSerializer,
            code=status.HTTP_201_CREATED,
        )


class TemplateCheckpointApi(APIView):
    """DELETE a buyer checkpoint from a template stage (ops, with If-Match)."""

    if_match_methods = frozenset({"DELETE"})
    OutputSerializer = TemplateSerializer

    @extend_schema(
        tags=TAGS,
        summary="Remove a buyer checkpoint; answers with the template",
        request=None,
        examples=[
            OpenApiExample(
                "The template without the checkpoint",
                value={
                    **TEMPLATE_EXAMPLE,
                    "revision": 8,
                    "updated_at": "2026-12-01T09:30:00Z",
                    "stages": [{**STAGE_EXAMPLE, "checkpoints": []}],
                },
                response_only=True,
            )
        ],
    )
    def delete(self, request: Request, pk: int) -> Response:
        _require_ops(request)
        checkpoint = get_object_or_404(
            TemplateCheckpoint.objects.select_related("stage__template"), pk=pk
        )

        return _template_change(
            request,
            checkpoint.stage.template,
            lambda revision, _: template_checkpoint_delete(
                user=_user(request), checkpoint=checkpoint, revision=revision
            ),
        )
