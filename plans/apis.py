"""The plan API: the same services, gates, versions and history as the page.

Editing takes the item's version in If-Match (the ETag of its last read):
a stale one answers 412 with the current state, a missing one 428.
"""

from decimal import Decimal
from typing import Any, cast

from django.db import models
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.currency_codes import amount_kept
from accounts.models import Account, ChangeRecord, User
from accounts.selectors import account_can_edit
from config.api import (
    LodePagination,
    QueryDateField,
    RangeFilterSerializer,
    StrictInputSerializer,
    body_require_empty,
    id_filter,
    if_match_version,
    paginated_response,
    precondition_failure,
    query_params_refuse_unknown,
)
from plans import services
from plans.errors import GateClosed, PlanClosed, PlanError, VersionConflict
from plans.models import (
    Checkpoint,
    Comment,
    Pursuit,
    PursuitStage,
    SellCycleTemplate,
)
from plans.selectors import (
    ITEM_KINDS,
    item_get_for_user,
    item_kind,
    plan_detail,
    plan_get_for_user,
    plan_history_all,
    plan_team_overview,
)

CREATE_SERVICES = {
    "strategy": services.strategy_create,
    "alignment": services.alignment_create,
    "action": services.action_create,
    "force": services.external_force_create,
}


def _user(request: Request) -> User:
    """Return the signed-in user; IsAuthenticated has already refused others."""
    return cast(User, request.user)


def _etag(item: models.Model) -> str:
    return f'"{item.version}"'  # type: ignore[attr-defined]


def require_edit(*, user: User, account: Account) -> None:
    if not account_can_edit(user=user, account=account):
        raise PermissionDenied("You can read this plan but not change it.")


def _display(item: models.Model, name: str) -> str:
    field = cast(models.Field, item._meta.get_field(name))
    if field.many_to_many:
        return ", ".join(str(obj) for obj in getattr(item, name).all())
    if field.choices:
        return getattr(item, f"get_{name}_display")()
    value = getattr(item, name)
    if isinstance(value, Decimal):
        # As stored: "26768.00", or "12.345" for an amount in KWD.
        value = amount_kept(value)
    if isinstance(value, User):
        # The page shows people by name; a login name here would read as a
        # change, and as a conflict, where there is none.
        return value.display_name
    return "" if value is None else str(value)


def item_data(item: models.Model) -> dict[str, Any]:
    """Serialize any plan item: its editable fields, raw and for display."""
    model = type(item)
    fields = services.EDITABLE_FIELDS[model]
    values: dict[str, Any] = {}
    for name in fields:
        field = cast(models.Field, model._meta.get_field(name))
        if field.many_to_many:
            values[name] = [obj.pk for obj in getattr(item, name).all()]
        elif field.is_relation:
            values[name] = getattr(item, field.attname)
        else:
            value = getattr(item, name)
            if isinstance(value, Decimal):
                value = amount_kept(value)
            values[name] = value if value is None else str(value)
            if isinstance(value, bool):
                values[name] = value
    data = {
        "kind": item_kind(item),
        "id": item.pk,
        "version": item.version,  # type: ignore[attr-defined]
        "fields": values,
        "display": {name: _display(item, name) for name in fields},
    }
    if isinstance(item, Checkpoint):
        data["validated"] = item.is_validated
        data["evidence"] = item.evidence
        data["happened_on"] = item.happened_on and item.happened_on.isoformat()
        data["validated_by"] = item.validated_by and item.validated_by.display_name
    if isinstance(item, Pursuit):
        data["current_stage"] = item.current_stage and item.current_stage.name
    return data


class ItemOutputSerializer(serializers.Serializer):
    """One plan item as `item_data` writes it; the extras by kind are optional."""

    kind = serializers.CharField()
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    fields = serializers.DictField(help_text="The editable fields, raw values.")  # type: ignore[assignment]
    display = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text="The same fields as people read them.",
    )
    validated = serializers.BooleanField(required=False)
    evidence = serializers.CharField(required=False, allow_blank=True)
    happened_on = serializers.DateField(required=False, allow_null=True)
    validated_by = serializers.CharField(required=False, allow_null=True)
    current_stage = serializers.CharField(required=False, allow_null=True)


class DetailOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ConflictOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = ItemOutputSerializer(allow_null=True)


ITEM_RESPONSES: dict[int, Any] = {
    200: ItemOutputSerializer,
    400: OpenApiResponse(description="A field is refused; the body names it."),
    403: DetailOutputSerializer,
    404: DetailOutputSerializer,
    409: DetailOutputSerializer,
    412: ConflictOutputSerializer,
    428: DetailOutputSerializer,
}
CREATED_RESPONSES: dict[int, Any] = {
    201: ItemOutputSerializer,
    400: OpenApiResponse(description="A field is refused; the body names it."),
    403: DetailOutputSerializer,
    404: DetailOutputSerializer,
    409: DetailOutputSerializer,
}


STRATEGY_EXAMPLE = {
    "kind": "strategy",
    "id": 3,
    "version": 2,
    "fields": {
        "kind": "initiative",
        "title": "Cut onboarding time for new field staff this year",
        "description": "The COO wants new technicians productive in four weeks.",
        "horizon": "year",
        "priority": "high",
        "source": "meeting",
        "source_detail": "Quarterly business review, 14 Nov 2026",
        "status": "open",
        "stakeholders": [31],
    },
    "display": {
        "kind": "Short-term initiative",
        "title": "Cut onboarding time for new field staff this year",
        "description": "The COO wants new technicians productive in four weeks.",
        "horizon": "Within a year",
        "priority": "High",
        "source": "Meeting",
        "source_detail": "Quarterly business review, 14 Nov 2026",
        "status": "Open",
        "stakeholders": "Tamsin Fontaine",
    },
}
CHECKPOINT_EXAMPLE = {
    "kind": "checkpoint",
    "id": 12,
    "version": 1,
    "fields": {
        "description": "The finance lead reviewed the commercial terms",
        "required": True,
    },
    "display": {
        "description": "The finance lead reviewed the commercial terms",
        "required": "True",
    },
    "validated": False,
    "evidence": "",
    "happened_on": None,
    "validated_by": None,
}
CHECKPOINT_VALIDATED_EXAMPLE = {
    **CHECKPOINT_EXAMPLE,
    "version": 2,
    "validated": True,
    "evidence": "Marked-up terms came back from the CFO's office.",
    "happened_on": "2026-11-27",
    "validated_by": "Boris Faz",
}
PURSUIT_EXAMPLE = {
    "kind": "pursuit",
    "id": 5,
    "version": 3,
    "fields": {
        "name": "GTK 500 for Acme Corporation",
        "product": 7,
        "strategy": 1,
        "amount": "26768.00",
        "currency": "USD",
        "expected_close_on": "2027-01-29",
        "owner": 28,
        "outcome": "open",
        "outcome_reason": "",
        "reengage_on": None,
    },
    "display": {
        "name": "GTK 500 for Acme Corporation",
        "product": "GTK 500",
        "strategy": "Grow recurring revenue outside the home market",
        "amount": "26768.00",
        "currency": "USD",
        "expected_close_on": "2027-01-29",
        "owner": "Boris Faz",
        "outcome": "Open",
        "outcome_reason": "",
        "reengage_on": "",
    },
    "current_stage": "Propose",
}
STAGE_FIELDS_EXAMPLE = {
    "name": "Propose",
    "our_activities": "Build the business case with the sponsor; price the expansion.",
    "exit_criteria": "Proposal delivered and walked through.",
    "buyer_step": "Customer evaluates the options",
}
PLAN_ITEM_EXAMPLE: dict[str, Any] = {
    "kind": "plan",
    "id": 9,
    "version": 1,
    "fields": {
        "status": "active",
        "summary": "Carry the open GTK 500 pursuit into the new year.",
        "owner": 28,
    },
    "display": {
        "status": "Active",
        "summary": "Carry the open GTK 500 pursuit into the new year.",
        "owner": "Boris Faz",
    },
}
BALANCE_EXAMPLE = [
    {
        "key": "strategy",
        "label": "Long-term strategies",
        "pipeline": 27500.0,
        "pipeline_share": 52,
        "effort_days": 20,
        "effort_share": 100,
        "pursuits": 2,
    },
    {
        "key": "initiative",
        "label": "Short-term initiatives",
        "pipeline": 25000.0,
        "pipeline_share": 48,
        "effort_days": 0,
        "effort_share": 0,
        "pursuits": 1,
    },
    {
        "key": "none",
        "label": "Not tied to either",
        "pipeline": 0.0,
        "pipeline_share": 0,
        "effort_days": 0,
        "effort_share": 0,
        "pursuits": 0,
    },
]
OUTCOMES_EXAMPLE = {
    "open": {"count": 3, "amount": 52500.0, "currency": "USD", "note": ""},
    "won": {"count": 1, "amount": 26768.0, "currency": "USD", "note": ""},
    "lost": {"count": 0, "amount": 0.0, "currency": "USD", "note": ""},
    "no_decision": {"count": 1, "amount": 4821.0, "currency": "USD", "note": ""},
}


def _input_serializer(
    model: type[models.Model], extra: dict[str, serializers.Field] | None = None
) -> type[serializers.ModelSerializer]:
    """Build the strict input serializer for a plan item's editable fields."""
    fields = list(services.EDITABLE_FIELDS[model]) + list(extra or {})
    # An unknown id reads the same as one from another account or plan, so
    # the answer tells nothing about what exists elsewhere.
    neutral = {
        "stakeholder": services.NO_SUCH_PERSON,
        "stakeholders": services.NO_SUCH_PERSON,
        "owner": services.NOT_ON_TEAM,
        **services.NO_SUCH_ITEM,
    }
    extra_kwargs = {
        name: {"error_messages": {"does_not_exist": neutral[name]}}
        for name in fields
        if name in neutral
    }
    meta = type(
        "Meta", (), {"model": model, "fields": fields, "extra_kwargs": extra_kwargs}
    )
    return type(
        f"{model.__name__}InputSerializer",
        (StrictInputSerializer, serializers.ModelSerializer),
        {"Meta": meta, **(extra or {})},
    )


def _conflict_response(request: Request, error: VersionConflict) -> Response:
    current = error.current
    body = {
        "detail": precondition_failure(request, str(error)),
        "current": current and item_data(current),
    }
    response = Response(body, status=status.HTTP_412_PRECONDITION_FAILED)
    if current is not None:
        response["ETag"] = _etag(current)
    return response


def plan_error_response(error: PlanError) -> Response:
    """A closed plan or gate answers 409 (a state of the plan); others 400."""
    if isinstance(error, PlanClosed | GateClosed):
        return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
    return Response(
        error.field_errors() or {"detail": str(error)},
        status=status.HTTP_400_BAD_REQUEST,
    )


def item_response(item: models.Model, code: int = status.HTTP_200_OK) -> Response:
    response = Response(item_data(item), status=code)
    response["ETag"] = _etag(item)
    return response


class ItemApi(APIView):
    """GET one plan item; PATCH its fields with If-Match."""

    if_match_methods = frozenset({"PATCH"})

    OutputSerializer = ItemOutputSerializer

    @extend_schema(
        summary="Read one plan item",
        tags=["plans"],
        responses=ItemOutputSerializer,
        examples=[OpenApiExample("A strategy", value=STRATEGY_EXAMPLE)],
    )
    def get(self, request: Request, kind: str, pk: int) -> Response:
        item = item_get_for_user(user=_user(request), kind=kind, pk=pk)
        return item_response(item)

    @extend_schema(
        summary="Change a plan item's fields",
        tags=["plans"],
        request={"application/json": {"type": "object"}},
        responses=ITEM_RESPONSES,
        description="Send only the fields to change; which fields depends on "
        "`kind`. A field the item does not have is refused by name.",
        examples=[
            OpenApiExample(
                "Raise a strategy's priority",
                value={"priority": "high"},
                request_only=True,
            ),
            OpenApiExample(
                "The strategy as saved",
                value=STRATEGY_EXAMPLE,
                response_only=True,
            ),
        ],
    )
    def patch(self, request: Request, kind: str, pk: int) -> Response:
        item = item_get_for_user(user=_user(request), kind=kind, pk=pk)
        require_edit(user=_user(request), account=services.item_account(item))
        version = if_match_version(request)
        if version is None:
            return Response(
                {"detail": "Send the version you edited in If-Match."},
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        serializer = _input_serializer(type(item))(
            instance=item, data=request.data, partial=True
        )
        serializer.is_valid(raise_exception=True)

        try:
            item = services.plan_item_update(
                user=_user(request),
                item=item,
                version=version,
                values=serializer.validated_data,
            )
        except VersionConflict as error:
            return _conflict_response(request, error)
        except PlanError as error:
            return plan_error_response(error)
        return item_response(item)


class ItemCreateApi(APIView):
    """POST a new strategy, alignment, pursuit, action or external force."""

    OutputSerializer = ItemOutputSerializer

    @extend_schema(
        summary="Add an item to a plan",
        tags=["plans"],
        request={"application/json": {"type": "object"}},
        responses=CREATED_RESPONSES,
        description="Send the new item's fields; a pursuit may also name its "
        "sell-cycle `template`. A field the item does not have is refused.",
        examples=[
            OpenApiExample(
                "Add a short-term initiative (kind strategy)",
                value={
                    "kind": "initiative",
                    "title": "Cut onboarding time for new field staff this year",
                    "description": (
                        "The COO wants new technicians productive in four weeks."
                    ),
                    "horizon": "year",
                    "priority": "high",
                    "source": "meeting",
                    "source_detail": "Quarterly business review, 14 Nov 2026",
                    "stakeholders": [31],
                },
                request_only=True,
            ),
            OpenApiExample(
                "The new initiative",
                value={**STRATEGY_EXAMPLE, "version": 1},
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, plan_pk: int, kind: str) -> Response:
        plan = plan_get_for_user(user=_user(request), pk=plan_pk)
        require_edit(user=_user(request), account=plan.account)
        if kind not in {*CREATE_SERVICES, "pursuit"}:
            return Response(
                {"detail": f"Cannot create a {kind} here."},
                status=status.HTTP_404_NOT_FOUND,
            )
        extra: dict[str, serializers.Field] = {}
        if kind == "pursuit":
            extra["template"] = serializers.PrimaryKeyRelatedField(
                queryset=SellCycleTemplate.objects.filter(is_active=True),
                required=False,
                allow_null=True,
            )
        serializer = _input_serializer(ITEM_KINDS[kind], extra)(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        template = values.pop("template", None)

        item: models.Model
        try:
            if kind == "pursuit":
                item = services.pursuit_create(
                    user=_user(request), plan=plan, values=values, template=template
                )
            else:
                item = CREATE_SERVICES[kind](
                    user=_user(request), plan=plan, values=values
                )
        except PlanError as error:
            return plan_error_response(error)
        return item_response(item, status.HTTP_201_CREATED)


class CheckpointCreateApi(APIView):
    class InputSerializer(StrictInputSerializer):
        description = serializers.CharField(max_length=300)
        required = serializers.BooleanField(default=True)  # type: ignore[assignment]

    OutputSerializer = ItemOutputSerializer

    @extend_schema(
        summary="Add a buyer checkpoint to a pursuit's stage",
        tags=["plans"],
        responses=CREATED_RESPONSES,
        examples=[
            OpenApiExample(
                "A buyer step that shows intent",
                value={
                    "description": "The finance lead reviewed the commercial terms",
                    "required": True,
                },
                request_only=True,
            ),
            OpenApiExample(
                "The new checkpoint", value=CHECKPOINT_EXAMPLE, response_only=True
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        stage = item_get_for_user(user=_user(request), kind="stage", pk=pk)
        assert isinstance(stage, PursuitStage)
        require_edit(user=_user(request), account=services.item_account(stage))
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        try:
            checkpoint = services.checkpoint_create(
                user=_user(request), stage=stage, **serializer.validated_data
            )
        except PlanError as error:
            return plan_error_response(error)
        return item_response(checkpoint, status.HTTP_201_CREATED)


class CheckpointValidateApi(APIView):
    if_match_methods = frozenset({"POST"})

    class InputSerializer(StrictInputSerializer):
        evidence = serializers.CharField(allow_blank=True)
        happened_on = serializers.DateField(required=False, allow_null=True)
        evidence_link = serializers.URLField(required=False, allow_blank=True)

    OutputSerializer = ItemOutputSerializer

    @extend_schema(
        summary="Record the evidence that a buyer checkpoint happened",
        tags=["plans"],
        responses=ITEM_RESPONSES,
        examples=[
            OpenApiExample(
                "Validate with what the buyer did",
                value={
                    "evidence": "Marked-up terms came back from the CFO's office.",
                    "happened_on": "2026-11-27",
                    "evidence_link": "https://crm.example.com/activities/88412",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The validated checkpoint",
                value=CHECKPOINT_VALIDATED_EXAMPLE,
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        checkpoint = item_get_for_user(user=_user(request), kind="checkpoint", pk=pk)
        assert isinstance(checkpoint, Checkpoint)
        require_edit(user=_user(request), account=services.item_account(checkpoint))
        version = if_match_version(request)
        if version is None:
            return Response(
                {"detail": "Send the version you edited in If-Match."},
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        try:
            checkpoint = services.checkpoint_validate(
                user=_user(request),
                checkpoint=checkpoint,
                version=version,
                evidence=serializer.validated_data["evidence"],
                happened_on=serializer.validated_data.get("happened_on"),
                evidence_link=serializer.validated_data.get("evidence_link", ""),
            )
        except VersionConflict as error:
            return _conflict_response(request, error)
        except PlanError as error:
            return plan_error_response(error)
        return item_response(checkpoint)


class PursuitAdvanceApi(APIView):
    """Move a pursuit to its next stage; a closed gate answers 409."""

    if_match_methods = frozenset({"POST"})

    class InputSerializer(StrictInputSerializer):
        override_reason = serializers.CharField(required=False, allow_blank=True)
        direction = serializers.ChoiceField(
            choices=["forward", "back"], default="forward"
        )

    class GateClosedOutputSerializer(serializers.Serializer):
        detail = serializers.CharField()
        missing = serializers.ListField(child=serializers.CharField(), required=False)

    OutputSerializer = ItemOutputSerializer

    @extend_schema(
        summary="Move a pursuit to its next stage",
        tags=["plans"],
        responses={**ITEM_RESPONSES, 409: GateClosedOutputSerializer},
        examples=[
            OpenApiExample(
                "Advance past a closed gate, as a manager",
                value={
                    "direction": "forward",
                    "override_reason": "CFO sign-off is booked for Monday; "
                    "the proposal has to go out first.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The pursuit in its next stage",
                value={**PURSUIT_EXAMPLE, "version": 4, "current_stage": "Commit"},
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        pursuit = cast(
            Pursuit, item_get_for_user(user=_user(request), kind="pursuit", pk=pk)
        )
        require_edit(user=_user(request), account=pursuit.plan.account)
        version = if_match_version(request)
        if version is None:
            return Response(
                {"detail": "Send the version you edited in If-Match."},
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        try:
            if serializer.validated_data["direction"] == "back":
                services.pursuit_move_back(
                    user=_user(request), pursuit=pursuit, version=version
                )
            else:
                services.pursuit_advance(
                    user=_user(request),
                    pursuit=pursuit,
                    version=version,
                    override_reason=serializer.validated_data.get(
                        "override_reason", ""
                    ),
                    request=request,
                )
        except VersionConflict as error:
            return _conflict_response(request, error)
        except GateClosed as error:
            return Response(
                {"detail": str(error), "missing": error.missing},
                status=status.HTTP_409_CONFLICT,
            )
        except PlanError as error:
            return plan_error_response(error)
        return item_response(pursuit)


class BalanceRowSerializer(serializers.Serializer):
    """One kind of strategy's share of the pipeline and of the effort."""

    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    pipeline = serializers.FloatField()
    pipeline_share = serializers.IntegerField()
    effort_days = serializers.FloatField()
    effort_share = serializers.IntegerField()
    pursuits = serializers.IntegerField()


class PlanDetailOutputSerializer(ItemOutputSerializer):
    """The whole plan: its own fields, then every section and the totals."""

    class AccountSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()

    account = AccountSerializer()
    fiscal_year = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    can_edit = serializers.BooleanField()
    strategies = serializers.ListField(child=serializers.DictField())
    alignments = serializers.ListField(child=serializers.DictField())
    pursuits = serializers.ListField(child=serializers.DictField())
    actions = serializers.ListField(child=serializers.DictField())
    forces = serializers.ListField(child=serializers.DictField())
    outcomes = serializers.DictField(child=serializers.DictField())
    balance = BalanceRowSerializer(many=True)
    progress = serializers.DictField()


class PlanDetailApi(APIView):
    """GET the whole plan: every section, totals and balance."""

    OutputSerializer = PlanDetailOutputSerializer

    @extend_schema(
        summary="Read a whole plan: sections, totals and balance",
        tags=["plans"],
        responses=PlanDetailOutputSerializer,
        examples=[
            OpenApiExample(
                "A plan with one item in each section",
                value={
                    **PLAN_ITEM_EXAMPLE,
                    "id": 1,
                    "version": 4,
                    "account": {"id": 1, "name": "Acme Corporation"},
                    "fiscal_year": 2026,
                    "period_start": "2026-01-01",
                    "period_end": "2026-12-31",
                    "can_edit": True,
                    "strategies": [{**STRATEGY_EXAMPLE, "at_risk": False}],
                    "alignments": [
                        {
                            "kind": "alignment",
                            "id": 1,
                            "version": 1,
                            "fields": {
                                "strategy": 1,
                                "product": 7,
                                "customer_value": "Fewer hours lost to manual work.",
                                "effort_days": "5",
                            },
                            "display": {
                                "strategy": "Grow recurring revenue outside the "
                                "home market",
                                "product": "GTK 500",
                                "customer_value": "Fewer hours lost to manual work.",
                                "effort_days": "5",
                            },
                        }
                    ],
                    "pursuits": [
                        {
                            **PURSUIT_EXAMPLE,
                            "at_risk": False,
                            "progress": {
                                "stages": 4,
                                "claimed": 2,
                                "validated": 1,
                                "checkpoints": 5,
                                "checkpoints_validated": 1,
                            },
                            "stages": [
                                {
                                    "kind": "stage",
                                    "id": 2,
                                    "version": 1,
                                    # A stage's texts read the same raw.
                                    "fields": STAGE_FIELDS_EXAMPLE,
                                    "display": STAGE_FIELDS_EXAMPLE,
                                    "checkpoints": [CHECKPOINT_EXAMPLE],
                                }
                            ],
                            "overrides": [
                                {
                                    "from": "Qualify",
                                    "to": "Propose",
                                    "reason": "The sponsor asked for the proposal "
                                    "before the budget review.",
                                    "by": "Dustin Brinkmann",
                                    "at": "2026-11-18T10:02:44Z",
                                }
                            ],
                        }
                    ],
                    "actions": [
                        {
                            "kind": "action",
                            "id": 1,
                            "version": 1,
                            "fields": {
                                "title": "Book the value review with the sponsor",
                                "owner": 28,
                                "due_on": "2026-12-02",
                                "status": "open",
                                "strategy": 1,
                                "pursuit": None,
                                "stakeholder": None,
                            },
                            "display": {
                                "title": "Book the value review with the sponsor",
                                "owner": "Boris Faz",
                                "due_on": "2026-12-02",
                                "status": "Open",
                                "strategy": "Grow recurring revenue outside the "
                                "home market",
                                "pursuit": "",
                                "stakeholder": "",
                            },
                            "overdue": True,
                        }
                    ],
                    "forces": [
                        {
                            "kind": "force",
                            "id": 1,
                            "version": 1,
                            "fields": {
                                "kind": "regulation",
                                "title": "New data-residency rules in the EU",
                                "description": "Customer data must stay in the EU "
                                "from July.",
                                "impact": "high",
                                "review_on": "2027-01-19",
                                "status": "active",
                                "strategies": [1],
                                "pursuits": [5],
                            },
                            "display": {
                                "kind": "Regulation",
                                "title": "New data-residency rules in the EU",
                                "description": "Customer data must stay in the EU "
                                "from July.",
                                "impact": "High",
                                "review_on": "2027-01-19",
                                "status": "Active",
                                "strategies": "Grow recurring revenue outside the "
                                "home market",
                                "pursuits": "GTK 500 for Acme Corporation",
                            },
                        }
                    ],
                    "outcomes": OUTCOMES_EXAMPLE,
                    "balance": BALANCE_EXAMPLE,
                    "progress": {"claimed": 4, "validated": 1},
                },
            )
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        plan = plan_get_for_user(user=_user(request), pk=pk)
        detail = plan_detail(plan=plan, user=_user(request))
        data = item_data(plan)
        data.update(
            {
                "account": {"id": plan.account_id, "name": plan.account.name},
                "fiscal_year": plan.fiscal_year,
                "period_start": plan.period_start,
                "period_end": plan.period_end,
                "can_edit": detail["can_edit"],
                "strategies": [
                    {**item_data(s), "at_risk": s.at_risk} for s in detail["strategies"]
                ],
                "alignments": [item_data(a) for a in detail["alignments"]],
                "pursuits": [
                    {
                        **item_data(p),
                        "at_risk": p.at_risk,
                        "progress": p.progress,
                        "stages": [
                            {
                                **item_data(stage),
                                "checkpoints": [
                                    item_data(c) for c in stage.checkpoints.all()
                                ],
                            }
                            for stage in p.stages.all()
                        ],
                        "overrides": [
                            {
                                "from": o.from_stage.name,
                                "to": o.to_stage.name,
                                "reason": o.reason,
                                "by": o.overridden_by and o.overridden_by.display_name,
                                "at": o.created_at,
                            }
                            for o in p.gate_overrides.all()
                        ],
                    }
                    for p in detail["pursuits"]
                ],
                "actions": [
                    {**item_data(a), "overdue": a.flag_overdue}
                    for a in detail["actions"]
                ],
                "forces": [item_data(f) for f in detail["forces"]],
                "outcomes": {
                    key: {
                        "count": total.count,
                        "amount": total.amount,
                        "currency": total.currency,
                        "note": total.note,
                    }
                    for key, total in detail["outcomes"].items()
                },
                "balance": detail["balance"].percentages(),
                "progress": detail["progress"],
            }
        )
        response = Response(data)
        response["ETag"] = _etag(plan)
        return response


class PlanNextApi(APIView):
    """POST to start the next period's plan, carrying forward what is open."""

    OutputSerializer = ItemOutputSerializer

    @extend_schema(
        summary="Start the next period's plan, carrying forward what is open",
        tags=["plans"],
        request=None,
        responses=CREATED_RESPONSES,
        examples=[
            OpenApiExample(
                "Next year's plan, open work carried over",
                value=PLAN_ITEM_EXAMPLE,
                response_only=True,
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = plan_get_for_user(user=_user(request), pk=pk)
        require_edit(user=_user(request), account=plan.account)
        body_require_empty(request)

        try:
            new = services.plan_start_next(user=_user(request), plan=plan)
        except PlanError as error:
            return plan_error_response(error)
        return item_response(new, status.HTTP_201_CREATED)


COMMENT_ORDERINGS = ["created_at", "-created_at"]


class CommentOutputSerializer(serializers.ModelSerializer):
    author_id = serializers.IntegerField(allow_null=True)
    author = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "body", "author_id", "author", "created_at"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_author(self, comment: Comment) -> str | None:
        return comment.author.display_name if comment.author else None


class CommentListApi(APIView):
    """GET a plan's comments, newest first, paged; POST adds one."""

    pagination_class = LodePagination
    OutputSerializer = CommentOutputSerializer

    class InputSerializer(StrictInputSerializer):
        body = serializers.CharField()

    class FilterSerializer(serializers.Serializer):
        author = serializers.IntegerField(
            min_value=1, max_value=2**31 - 1, required=False
        )
        ordering = serializers.ChoiceField(
            choices=COMMENT_ORDERINGS, required=False, default="-created_at"
        )

    @extend_schema(
        tags=["plans"],
        summary="Read a plan's comments, newest first",
        parameters=[FilterSerializer],
        responses=CommentOutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A page of comments",
                value={
                    "id": 17,
                    "body": "CFO wants the business case by Friday.",
                    "author_id": 4,
                    "author": "Rita Rep",
                    "created_at": "2026-11-30T16:20:00Z",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        plan = plan_get_for_user(user=_user(request), pk=pk)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        comments = plan.comments.select_related("author")
        if "author" in filters.validated_data:
            comments = comments.filter(author_id=filters.validated_data["author"])
        ordering = filters.validated_data["ordering"]

        return paginated_response(
            request=request,
            view=self,
            queryset=comments.order_by(ordering, ordering.replace("created_at", "id")),
            serializer=self.OutputSerializer,
        )

    @extend_schema(
        tags=["plans"],
        summary="Comment on a plan",
        responses={**CREATED_RESPONSES, 201: CommentOutputSerializer},
        examples=[
            OpenApiExample(
                "Ask the team",
                value={"body": "CFO wants the business case by Friday."},
                request_only=True,
            ),
            OpenApiExample(
                "The comment",
                value={
                    "id": 17,
                    "body": "CFO wants the business case by Friday.",
                    "author_id": 28,
                    "author": "Boris Faz",
                    "created_at": "2026-11-30T16:20:00Z",
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = plan_get_for_user(user=_user(request), pk=pk)
        require_edit(user=_user(request), account=plan.account)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        try:
            comment = services.comment_create(
                user=_user(request), plan=plan, body=serializer.validated_data["body"]
            )
        except PlanError as error:
            return plan_error_response(error)
        return Response(
            self.OutputSerializer(comment).data, status=status.HTTP_201_CREATED
        )


HISTORY_ORDERINGS = ["changed_at", "-changed_at"]


class PlanHistoryApi(APIView):
    """GET the recorded changes to a plan's items, newest first, paged."""

    pagination_class = LodePagination

    class FilterSerializer(RangeFilterSerializer):
        range_fields = (
            "changed_from",
            "changed_to",
            "Must be on or after changed_from.",
        )

        field = serializers.CharField(
            max_length=100, required=False, help_text="Only changes to this field."
        )
        author = id_filter("Only changes by this user.")
        changed_from = QueryDateField(
            required=False, help_text="Only changes on or after this day."
        )
        changed_to = QueryDateField(
            required=False, help_text="Only changes on or before this day."
        )
        ordering = serializers.ChoiceField(
            choices=HISTORY_ORDERINGS, required=False, default="-changed_at"
        )

    class OutputSerializer(serializers.Serializer):
        object = serializers.CharField(source="object_label", allow_blank=True)
        action = serializers.CharField()
        field = serializers.CharField(allow_blank=True)
        old = serializers.CharField(
            source="old_value", allow_blank=True, allow_null=True
        )
        new = serializers.CharField(
            source="new_value", allow_blank=True, allow_null=True
        )
        by = serializers.SerializerMethodField()
        at = serializers.DateTimeField(source="changed_at")

        @extend_schema_field(serializers.CharField(allow_null=True))
        def get_by(self, record: ChangeRecord) -> str | None:
            return record.changed_by_label or None

    @extend_schema(
        tags=["plans"],
        summary="The plan's recorded changes, newest first",
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A page of changes",
                value={
                    "object": "Win the fleet renewal",
                    "action": "update",
                    "field": "priority",
                    "old": "medium",
                    "new": "high",
                    "by": "Rita Rep",
                    "at": "2026-11-30T16:20:00Z",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        plan = plan_get_for_user(user=_user(request), pk=pk)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        records = plan_history_all(plan=plan)
        if "field" in data:
            records = records.filter(field=data["field"])
        if "author" in data:
            records = records.filter(changed_by_id=data["author"])
        if "changed_from" in data:
            records = records.filter(changed_at__date__gte=data["changed_from"])
        if "changed_to" in data:
            records = records.filter(changed_at__date__lte=data["changed_to"])
        ordering = data["ordering"]

        return paginated_response(
            request=request,
            view=self,
            queryset=records.order_by(ordering, ordering.replace("changed_at", "id")),
            serializer=self.OutputSerializer,
        )


class PlanBalanceApi(APIView):
    """GET the balance and outcome totals across the user's visible plans."""

    class OutputSerializer(serializers.Serializer):
        balance = BalanceRowSerializer(many=True)
        outcomes = serializers.DictField(
            child=serializers.DictField(),
            help_text="Open pursuits of the open plans; won, lost and no "
            "decision closed in outcome_period on any plan, as on the dashboard.",
        )
        outcome_period = serializers.CharField()
        plans = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        summary="Balance and outcome totals across your visible plans",
        tags=["plans"],
        responses=OutputSerializer,
        examples=[
            OpenApiExample(
                "Your plans' balance",
                value={
                    "balance": BALANCE_EXAMPLE,
                    "outcomes": OUTCOMES_EXAMPLE,
                    "outcome_period": "FY2026 Q1 to FY2026 Q4",
                    "plans": [
                        {
                            "id": 1,
                            "account": "Acme Corporation",
                            "fiscal_year": 2026,
                            "balance": BALANCE_EXAMPLE,
                            "overdue_actions": 1,
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        query_params_refuse_unknown(request, view=self)
        overview = plan_team_overview(user=_user(request))
        return Response(
            {
                "balance": overview["balance"].percentages(),
                "outcomes": {
                    key: {
                        "count": total.count,
                        "amount": total.amount,
                        "currency": total.currency,
                        "note": total.note,
                    }
                    for key, total in overview["outcomes"].items()
                },
                "outcome_period": overview["outcome_period"],
                "plans": [
                    {
                        "id": row["plan"].pk,
                        "account": row["plan"].account.name,
                        "fiscal_year": row["plan"].fiscal_year,
                        "balance": row["balance"].percentages(),
                        "overdue_actions": row["overdue"],
                    }
                    for row in overview["rows"]
                ],
            }
        )
