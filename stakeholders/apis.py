"""REST endpoints for people, roles, links, owners, activities and findings.

Every endpoint starts from the account access rule: a person, link or
finding at an account the user may not see answers 404, exactly as the
pages do.
"""

from collections.abc import Callable
from dataclasses import asdict
from typing import Any, cast

from django.db import transaction
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Account, User
from accounts.selectors import (
    account_can_edit,
    account_get_for_user,
    account_list_for_user,
)
from config.api import (
    LodePagination,
    PreconditionFailed,
    SortedRows,
    StrictInputSerializer,
    body_require_empty,
    etag_for,
    etag_require,
    paginated_response,
    query_params_refuse_unknown,
)
from stakeholders.coverage import KIND_TITLES, finding_sort_key
from stakeholders.models import Activity, BuyingRole, InfluenceLink, Stakeholder
from stakeholders.selectors import (
    account_expected_roles_map,
    account_stakeholder_board,
    coverage_findings_for_accounts,
    coverage_for_account,
    expected_roles_etag,
    influence_link_get_for_user,
    stakeholder_can_erase,
    stakeholder_erasers_text,
    stakeholder_get_for_user,
)
from stakeholders.services import (
    NO_SUCH_PERSON,
    STAKEHOLDER_FIELDS,
    StakeholderConflict,
    StakeholderError,
    account_expected_roles_set,
    activity_log,
    influence_link_create,
    influence_link_delete,
    influence_link_update,
    stakeholder_create,
    stakeholder_erase,
    stakeholder_mark_back,
    stakeholder_mark_left,
    stakeholder_update,
)


def _user(request: Request) -> User:
    # The default permission class lets only signed-in users through.
    return cast(User, request.user)


def _require_edit(user: User, account: Account) -> None:
    if not account_can_edit(user=user, account=account):
        raise PermissionDenied("You may read this account but not change it.")


def _refused(error: StakeholderError) -> ValidationError:
    # Under a field's key the reason goes alone, as the serializer's own
    # refusals do; the page puts the field's label in front.
    if error.errors:
        return ValidationError(error.errors)
    if error.field:
        return ValidationError({error.field: [error.reason]})
    return ValidationError({"non_field_errors": [error.message]})


def _roles(keys: list[str]) -> list[BuyingRole]:
    roles = list(BuyingRole.objects.filter(key__in=keys))
    missing = set(keys) - {role.key for role in roles}
    if missing:
        raise ValidationError(
            {"roles": [f"Unknown roles: {', '.join(sorted(missing))}."]}
        )
    return roles


def _resolve(account: Account, data: dict[str, Any]) -> dict[str, Any]:
    """Turn the ids in validated input into rows of this account."""
    values = dict(data)
    if values.get("reports_to") is not None:
        manager = account.stakeholders.exclude(status=Stakeholder.Status.ERASED).filter(
            pk=values["reports_to"]
        )
        if not manager.exists():
            raise ValidationError({"reports_to": [NO_SUCH_PERSON]})
        values["reports_to"] = manager.get()
    if values.get("owner") is not None:
        owner = User.objects.filter(pk=values["owner"]).first()
        if owner is None:
            raise ValidationError(
                {"owner": ["That user is not on this account's team."]}
            )
        values["owner"] = owner
    return values


class StakeholderOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    roles = serializers.SlugRelatedField(  # type: ignore[var-annotated]
        slug_field="key", many=True, read_only=True
    )
    owner_name = serializers.SerializerMethodField()

    class Meta:
        model = Stakeholder
        fields = [
            "id",
            "account",
            "status",
            "name",
            *STAKEHOLDER_FIELDS,
            "roles",
            "owner_name",
            "custom_values",
            "sentiment_confirmed_at",
            "influence_confirmed_at",
            "left_at",
            "erased_at",
            "created_at",
            "updated_at",
        ]
        # Written only by an import: the CRM's own fields, by column.
        read_only_fields = ["custom_values"]

    def get_owner_name(self, stakeholder: Stakeholder) -> str:
        return stakeholder.owner.display_name if stakeholder.owner else ""


class StakeholderInputSerializer(StrictInputSerializer):
    first_name = serializers.CharField(max_length=100, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=100, allow_blank=True, required=False)
    title = serializers.CharField(max_length=200, allow_blank=True, required=False)
    department = serializers.CharField(max_length=200, allow_blank=True, required=False)
    seniority = serializers.ChoiceField(
        choices=[("", "Derive from the title"), *Stakeholder.Seniority.choices],
        allow_blank=True,
        required=False,
    )
    email = serializers.EmailField(allow_blank=True, required=False)
    phone = serializers.CharField(max_length=50, allow_blank=True, required=False)
    # A field named like Field.source: fine at runtime, confusing to mypy.
    source = serializers.CharField(  # type: ignore[assignment]
        max_length=100, allow_blank=True, required=False
    )
    external_id = serializers.CharField(
        max_length=100, allow_blank=True, required=False
    )
    reports_to = serializers.IntegerField(allow_null=True, required=False)
    sentiment = serializers.ChoiceField(
        choices=Stakeholder.Sentiment.choices, required=False
    )
    sentiment_confirmed = serializers.BooleanField(required=False)
    influence = serializers.ChoiceField(
        choices=Stakeholder.Influence.choices, required=False
    )
    influence_confirmed = serializers.BooleanField(required=False)
    goals = serializers.CharField(allow_blank=True, required=False)
    personal_wins = serializers.CharField(allow_blank=True, required=False)
    kpis = serializers.CharField(allow_blank=True, required=False)
    concerns = serializers.CharField(allow_blank=True, required=False)
    action_plan = serializers.CharField(allow_blank=True, required=False)
    owner = serializers.IntegerField(allow_null=True, required=False)
    relationship_current = serializers.ChoiceField(
        choices=Stakeholder.RelationshipLevel.choices, required=False
    )
    relationship_desired = serializers.ChoiceField(
        choices=Stakeholder.RelationshipLevel.choices, required=False
    )
    roles = serializers.ListField(
        child=serializers.SlugField(), required=False, allow_empty=True
    )


TAGS = ["stakeholders"]

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag from your last read.",
)

STAKEHOLDER_EXAMPLE = {
    "id": 41,
    "account": 12,
    "status": "active",
    "name": "Dana Whitfield",
    "first_name": "Dana",
    "last_name": "Whitfield",
    "title": "Chief Financial Officer",
    "department": "Finance",
    "seniority": "executive",
    "email": "dana.whitfield@example.com",
    "phone": "+1 555 0100",
    "source": "entered by hand",
    "external_id": "",
    "reports_to": None,
    "sentiment": 1,
    "sentiment_confirmed": True,
    "influence": 5,
    "influence_confirmed": False,
    "goals": "Cut the cost of the fleet by a tenth.",
    "personal_wins": "",
    "kpis": "",
    "concerns": "",
    "action_plan": "",
    "owner": 3,
    "relationship_current": 2,
    "relationship_desired": 4,
    "roles": ["economic-buyer"],
    "owner_name": "Rita Rep",
    "custom_values": {},
    "sentiment_confirmed_at": "2026-11-20T09:00:00Z",
    "influence_confirmed_at": None,
    "left_at": None,
    "erased_at": None,
    "created_at": "2026-11-02T09:15:00Z",
    "updated_at": "2026-12-01T14:03:12.123456Z",
}


STAKEHOLDER_LEFT_EXAMPLE = {
    **STAKEHOLDER_EXAMPLE,
    "status": "left",
    "left_at": "2026-12-03T11:20:00Z",
    "updated_at": "2026-12-03T11:20:00Z",
}
STAKEHOLDER_ERASED_EXAMPLE = {
    **STAKEHOLDER_EXAMPLE,
    "status": "erased",
    "name": "Erased person #41",
    "first_name": "",
    "last_name": "",
    "title": "",
    "email": "",
    "phone": "",
    "goals": "",
    "sentiment_confirmed_at": None,
    "erased_at": "2026-12-04T15:02:41Z",
    "updated_at": "2026-12-04T15:02:41Z",
}
INFLUENCE_LINK_EXAMPLE = {
    "id": 8,
    "account": 12,
    "source": 41,
    "target": 42,
    "kind": "influences",
    "strength": 3,
    "note": "The CIO checks every purchase with the CFO first.",
}


STAKEHOLDER_STALE = inline_serializer(
    "StakeholderPreconditionFailed",
    {"detail": serializers.CharField(), "current": StakeholderOutputSerializer()},
)


def _stale_person(person: Stakeholder) -> PreconditionFailed:
    current = Stakeholder.objects.get(pk=person.pk)
    return PreconditionFailed(
        current=StakeholderOutputSerializer(current).data,
        etag=etag_for(instance=current),
    )


class StakeholderListApi(APIView):
    OutputSerializer = StakeholderOutputSerializer
    pagination_class = LodePagination

    @extend_schema(
        tags=TAGS,
        summary="Everyone recorded at one account, including who left",
        responses=StakeholderOutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "The people at an account",
                value=STAKEHOLDER_EXAMPLE,
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)

        people = (
            account.stakeholders.select_related("owner")
            .prefetch_related("roles")
            .order_by("last_name", "first_name", "id")
        )

        return paginated_response(
            request=request,
            view=self,
            queryset=people,
            serializer=self.OutputSerializer,
        )


class StakeholderCreateApi(APIView):
    InputSerializer = StakeholderInputSerializer
    OutputSerializer = StakeholderOutputSerializer

    @extend_schema(
        tags=TAGS,
        summary="Add a person to an account",
        description=(
            "Seniority left blank is derived from the title. `reports_to` is "
            "a person at the same account; `roles` are buying role keys."
        ),
        request=StakeholderInputSerializer,
        responses={201: StakeholderOutputSerializer},
        examples=[
            OpenApiExample(
                "A new finance chief",
                value={
                    "first_name": "Dana",
                    "last_name": "Whitfield",
                    "title": "Chief Financial Officer",
                    "sentiment": 1,
                    "roles": ["economic-buyer"],
                },
                request_only=True,
            ),
            OpenApiExample(
                "The person as recorded",
                value={
                    **STAKEHOLDER_EXAMPLE,
                    "email": "",
                    "phone": "",
                    "influence": 3,
                    "sentiment_confirmed": False,
                    "goals": "",
                    "owner": None,
                    "owner_name": "",
                    "relationship_current": 1,
                    "relationship_desired": 1,
                    "sentiment_confirmed_at": None,
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        _require_edit(_user(request), account)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        roles = _roles(data.pop("roles", []))

        try:
            person = stakeholder_create(
                user=_user(request),
                account=account,
                data=_resolve(account, data),
                roles=roles,
            )
        except StakeholderError as error:
            raise _refused(error) from error

        return Response(
            self.OutputSerializer(person).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag_for(instance=person)},
        )


class StakeholderDetailApi(APIView):
    """Read one person; change them with the ETag of that read in If-Match."""

    if_match_methods = frozenset({"PATCH"})

    InputSerializer = StakeholderInputSerializer
    OutputSerializer = StakeholderOutputSerializer

    @extend_schema(
        tags=TAGS,
        summary="Read one person; the ETag header is their version",
        responses=StakeholderOutputSerializer,
        examples=[OpenApiExample("A person", value=STAKEHOLDER_EXAMPLE)],
    )
    def get(self, request: Request, pk: int) -> Response:
        person = stakeholder_get_for_user(user=_user(request), pk=pk)

        return Response(
            self.OutputSerializer(person).data,
            headers={"ETag": etag_for(instance=person)},
        )

    @extend_schema(
        tags=TAGS,
        summary="Change a person",
        description=(
            "Send the ETag from your last read in If-Match. Without it the "
            "answer is 428; if the person changed since, 412 with the current "
            "person in `current` and its ETag in the header. `roles`, when "
            "sent, replaces all of the person's roles."
        ),
        parameters=[IF_MATCH],
        request=StakeholderInputSerializer,
        responses={200: StakeholderOutputSerializer, 412: STAKEHOLDER_STALE},
        examples=[
            OpenApiExample(
                "They warmed to us",
                value={"sentiment": 2, "sentiment_confirmed": True},
                request_only=True,
            ),
            OpenApiExample(
                "The person as saved",
                value={
                    **STAKEHOLDER_EXAMPLE,
                    "sentiment": 2,
                    "sentiment_confirmed_at": "2026-12-02T10:41:07Z",
                    "updated_at": "2026-12-02T10:41:07.518204Z",
                },
                response_only=True,
            ),
        ],
    )
    def patch(self, request: Request, pk: int) -> Response:
        person = stakeholder_get_for_user(user=_user(request), pk=pk)
        _require_edit(_user(request), person.account)
        etag_require(
            request=request,
            etag=etag_for(instance=person),
            current=self.OutputSerializer(person).data,
        )
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        roles = _roles(data.pop("roles")) if "roles" in data else None

        try:
            stakeholder_update(
                user=_user(request),
                stakeholder=person,
                data=_resolve(person.account, data),
                roles=roles,
                expected_version=person.updated_at,
            )
        except StakeholderConflict as error:
            raise _stale_person(person) from error
        except StakeholderError as error:
            raise _refused(error) from error

        return Response(
            self.OutputSerializer(person).data,
            headers={"ETag": etag_for(instance=person)},
        )


def _person_for_action(
    request: Request, pk: int, *, erase: bool = False
) -> Stakeholder:
    """Return the person an action changes, locked, once If-Match holds.

    The row is locked until the action's transaction ends, so a change
    that lands between the check and the action cannot be overwritten.
    """
    found = stakeholder_get_for_user(user=_user(request), pk=pk)
    _require_edit(_user(request), found.account)
    if erase and not stakeholder_can_erase(user=_user(request), stakeholder=found):
        raise PermissionDenied(stakeholder_erasers_text(stakeholder=found))
    body_require_empty(request)
    person = Stakeholder.objects.select_for_update().get(pk=found.pk)
    etag_require(
        request=request,
        etag=etag_for(instance=person),
        current=StakeholderOutputSerializer(person).data,
    )
    return person


ACTION_IF_MATCH = (
    "Send the person's ETag from your last read in If-Match: without it "
    "428, stale 412 with the current person and its ETag."
)


def _person_marked(
    request: Request, pk: int, *, mark: Callable[..., object]
) -> Response:
    """Mark a person as left or back, and answer with them and their ETag."""
    person = _person_for_action(request, pk)
    try:
        mark(user=_user(request), stakeholder=person)
    except StakeholderError as error:
        raise _refused(error) from error
    return Response(
        StakeholderOutputSerializer(person).data,
        headers={"ETag": etag_for(instance=person)},
    )


class StakeholderLeaveApi(APIView):
    if_match_methods = frozenset({"POST"})

    @extend_schema(
        tags=TAGS,
        summary="Mark a person as having left the account; they are kept",
        description=ACTION_IF_MATCH,
        parameters=[IF_MATCH],
        request=None,
        responses={200: StakeholderOutputSerializer, 412: STAKEHOLDER_STALE},
        examples=[
            OpenApiExample(
                "The person, marked as left",
                value=STAKEHOLDER_LEFT_EXAMPLE,
                response_only=True,
            )
        ],
    )
    @transaction.atomic
    def post(self, request: Request, pk: int) -> Response:
        return _person_marked(request, pk, mark=stakeholder_mark_left)


class StakeholderEraseApi(APIView):
    if_match_methods = frozenset({"POST"})

    OutputSerializer = StakeholderOutputSerializer

    @extend_schema(
        tags=TAGS,
        summary="Erase a person on request: personal fields go, history stays",
        description=ACTION_IF_MATCH,
        parameters=[IF_MATCH],
        request=None,
        responses={200: StakeholderOutputSerializer, 412: STAKEHOLDER_STALE},
        examples=[
            OpenApiExample(
                "What is left of the person",
                value=STAKEHOLDER_ERASED_EXAMPLE,
                response_only=True,
            )
        ],
    )
    @transaction.atomic
    def post(self, request: Request, pk: int) -> Response:
        person = _person_for_action(request, pk, erase=True)

        stakeholder_erase(user=_user(request), stakeholder=person, request=request)

        return Response(
            self.OutputSerializer(person).data,
            headers={"ETag": etag_for(instance=person)},
        )


class StakeholderOwnerApi(APIView):
    """Set who on our team owns the relationship, and at which level."""

    if_match_methods = frozenset({"PUT"})

    class InputSerializer(StrictInputSerializer):
        owner = serializers.IntegerField(allow_null=True)
        relationship_current = serializers.ChoiceField(
            choices=Stakeholder.RelationshipLevel.choices, required=False
        )
        relationship_desired = serializers.ChoiceField(
            choices=Stakeholder.RelationshipLevel.choices, required=False
        )

    OutputSerializer = StakeholderOutputSerializer

    @extend_schema(
        tags=TAGS,
        summary="Set our owner of the relationship and its levels",
        description=(
            "Send the person's ETag from your last read in If-Match: without "
            "it 428, stale 412 with the current person."
        ),
        parameters=[IF_MATCH],
        request=InputSerializer,
        responses={200: StakeholderOutputSerializer, 412: STAKEHOLDER_STALE},
        examples=[
            OpenApiExample(
                "Rita takes the CFO",
                value={"owner": 3, "relationship_desired": 5},
                request_only=True,
            ),
            OpenApiExample(
                "The person with their new owner",
                value={
                    **STAKEHOLDER_EXAMPLE,
                    "relationship_desired": 5,
                    "updated_at": "2026-12-02T10:41:07.518204Z",
                },
                response_only=True,
            ),
        ],
    )
    def put(self, request: Request, pk: int) -> Response:
        person = stakeholder_get_for_user(user=_user(request), pk=pk)
        _require_edit(_user(request), person.account)
        etag_require(
            request=request,
            etag=etag_for(instance=person),
            current=self.OutputSerializer(person).data,
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        try:
            stakeholder_update(
                user=_user(request),
                stakeholder=person,
                data=_resolve(person.account, dict(serializer.validated_data)),
                expected_version=person.updated_at,
            )
        except StakeholderConflict as error:
            raise _stale_person(person) from error
        except StakeholderError as error:
            raise _refused(error) from error

        return Response(
            self.OutputSerializer(person).data,
            headers={"ETag": etag_for(instance=person)},
        )


class OwnerListApi(APIView):
    """Our side of each relationship at one account."""

    pagination_class = LodePagination

    class OutputSerializer(serializers.ModelSerializer):
        name = serializers.CharField(read_only=True)
        owner_name = serializers.SerializerMethodField()

        class Meta:
            model = Stakeholder
            fields = [
                "id",
                "name",
                "owner",
                "owner_name",
                "relationship_current",
                "relationship_desired",
            ]

        def get_owner_name(self, stakeholder: Stakeholder) -> str:
            return stakeholder.owner.display_name if stakeholder.owner else ""

    @extend_schema(
        tags=TAGS,
        summary="Who on our team owns each active person at an account",
        responses=OutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A page of owners",
                value={
                    "id": 41,
                    "name": "Dana Whitfield",
                    "owner": 3,
                    "owner_name": "Rita Rep",
                    "relationship_current": 2,
                    "relationship_desired": 4,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)

        people = (
            account.stakeholders.filter(status=Stakeholder.Status.ACTIVE)
            .select_related("owner")
            .order_by("last_name", "first_name", "id")
        )

        return paginated_response(
            request=request,
            view=self,
            queryset=people,
            serializer=self.OutputSerializer,
        )


BUYING_ROLE_EXAMPLE = {
    "id": 3,
    "key": "economic-buyer",
    "name": "Economic buyer",
    "kind": "buying",
    "description": "Releases the budget.",
    "position": 2,
}


class BuyingRoleListApi(APIView):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = BuyingRole
            fields = ["id", "key", "name", "kind", "description", "position"]

    @extend_schema(
        tags=TAGS,
        summary="The buying roles and business functions a person can hold",
        responses=OutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A buying role",
                value=BUYING_ROLE_EXAMPLE,
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        query_params_refuse_unknown(request, view=self)

        return Response(self.OutputSerializer(BuyingRole.objects.all(), many=True).data)


class ExpectedRoleApi(APIView):
    """Read or replace the roles an account is expected to have."""

    if_match_methods = frozenset({"PUT"})

    class InputSerializer(StrictInputSerializer):
        roles = serializers.ListField(child=serializers.SlugField(), allow_empty=True)

    class OutputSerializer(serializers.Serializer):
        roles = serializers.ListField(child=serializers.SlugField())

    @extend_schema(
        tags=TAGS,
        summary="The roles an account is expected to have; the ETag is their version",
        description="The sector's default until someone edits it for the account.",
        responses=OutputSerializer,
        examples=[
            OpenApiExample(
                "A technology account's default",
                value={"roles": ["economic-buyer", "technical-buyer"]},
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)

        roles = account_expected_roles_map(accounts=[account])[account.pk]

        return _expected_roles_respond(account, roles)

    @extend_schema(
        tags=TAGS,
        summary="Replace the roles an account is expected to have",
        description=(
            "An empty list goes back to the sector's default, which the answer "
            "shows. Send the ETag from your last read in If-Match: without it "
            "428, stale 412 with the current roles."
        ),
        parameters=[IF_MATCH],
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            412: inline_serializer(
                "ExpectedRolePreconditionFailed",
                {"detail": serializers.CharField(), "current": OutputSerializer()},
            ),
        },
        examples=[
            OpenApiExample(
                "Expect a buyer and a coach",
                value={"roles": ["economic-buyer", "champion"]},
                request_only=True,
            ),
            OpenApiExample(
                "The roles now expected",
                value={"roles": ["economic-buyer", "champion"]},
                response_only=True,
            ),
        ],
    )
    def put(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        _require_edit(_user(request), account)
        current = account_expected_roles_map(accounts=[account])[account.pk]
        keys = [role.key for role in current]
        etag_require(
            request=request,
            etag=expected_roles_etag(account=account, roles=current),
            current={"roles": keys},
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        try:
            account_expected_roles_set(
                user=_user(request),
                account=account,
                roles=_roles(serializer.validated_data["roles"]),
                expected_keys=keys,
            )
        except StakeholderConflict as error:
            now = account_expected_roles_map(accounts=[account])[account.pk]
            raise PreconditionFailed(
                current={"roles": [role.key for role in now]},
                etag=expected_roles_etag(account=account, roles=now),
            ) from error

        roles = account_expected_roles_map(accounts=[account])[account.pk]
        return _expected_roles_respond(account, roles)


def _expected_roles_respond(account: Account, roles: list[BuyingRole]) -> Response:
    keys = [role.key for role in roles]
    return Response(
        ExpectedRoleApi.OutputSerializer({"roles": keys}).data,
        headers={"ETag": expected_roles_etag(account=account, roles=roles)},
    )


class InfluenceLinkOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = InfluenceLink
        fields = ["id", "account", "source", "target", "kind", "strength", "note"]


INFLUENCE_LINK_STALE = inline_serializer(
    "InfluenceLinkPreconditionFailed",
    {"detail": serializers.CharField(), "current": InfluenceLinkOutputSerializer()},
)


class InfluenceLinkListApi(APIView):
    OutputSerializer = InfluenceLinkOutputSerializer
    pagination_class = LodePagination

    @extend_schema(
        tags=TAGS,
        summary="Who influences whom at one account",
        responses=InfluenceLinkOutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A page of links", value=INFLUENCE_LINK_EXAMPLE, response_only=True
            )
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)

        links = account.influence_links.order_by("id")

        return paginated_response(
            request=request, view=self, queryset=links, serializer=self.OutputSerializer
        )


class InfluenceLinkCreateApi(APIView):
    class InputSerializer(StrictInputSerializer):
        source = serializers.IntegerField()  # type: ignore[assignment]
        target = serializers.IntegerField()
        kind = serializers.ChoiceField(
            choices=InfluenceLink.Kind.choices, default=InfluenceLink.Kind.INFLUENCES
        )
        strength = serializers.ChoiceField(
            choices=InfluenceLink.Strength.choices,
            default=InfluenceLink.Strength.MEDIUM,
        )
        note = serializers.CharField(allow_blank=True, required=False, default="")

    OutputSerializer = InfluenceLinkOutputSerializer

    @extend_schema(
        tags=TAGS,
        summary="Link two active people at an account",
        request=InputSerializer,
        responses={201: InfluenceLinkOutputSerializer},
        examples=[
            OpenApiExample(
                "The CFO sways the CIO",
                value={"source": 41, "target": 42, "kind": "influences"},
                request_only=True,
            ),
            OpenApiExample(
                "The new link",
                value={**INFLUENCE_LINK_EXAMPLE, "strength": 2, "note": ""},
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        _require_edit(_user(request), account)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        people = account.stakeholders.filter(status=Stakeholder.Status.ACTIVE)
        source = people.filter(pk=data["source"]).first()
        target = people.filter(pk=data["target"]).first()
        # Name each end that is not an active person here, so the client
        # fixes the id at fault rather than the one that was fine.
        missing = {
            name: [NO_SUCH_PERSON]
            for name, person in (("source", source), ("target", target))
            if person is None
        }
        if source is None or target is None:
            raise ValidationError(missing)

        try:
            link = influence_link_create(
                user=_user(request),
                source=source,
                target=target,
                kind=data["kind"],
                strength=data["strength"],
                note=data["note"],
            )
        except StakeholderError as error:
            raise _refused(error) from error

        return Response(
            self.OutputSerializer(link).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag_for(instance=link)},
        )


class InfluenceLinkDetailApi(APIView):
    if_match_methods = frozenset({"PATCH", "DELETE"})

    class InputSerializer(StrictInputSerializer):
        kind = serializers.ChoiceField(
            choices=InfluenceLink.Kind.choices, required=False
        )
        strength = serializers.ChoiceField(
            choices=InfluenceLink.Strength.choices, required=False
        )
        note = serializers.CharField(allow_blank=True, required=False)

    OutputSerializer = InfluenceLinkOutputSerializer

    @extend_schema(
        tags=TAGS,
        summary="Read one influence link; the ETag header is its version",
        responses=InfluenceLinkOutputSerializer,
        examples=[OpenApiExample("A link", value=INFLUENCE_LINK_EXAMPLE)],
    )
    def get(self, request: Request, pk: int) -> Response:
        link = influence_link_get_for_user(user=_user(request), pk=pk)

        return Response(
            self.OutputSerializer(link).data,
            headers={"ETag": etag_for(instance=link)},
        )

    @extend_schema(
        tags=TAGS,
        summary="Change the kind, strength or note of a link",
        description=(
            "Send the link's ETag from your last read in If-Match: without it "
            "428, stale 412 with the current link."
        ),
        parameters=[IF_MATCH],
        request=InputSerializer,
        responses={200: InfluenceLinkOutputSerializer, 412: INFLUENCE_LINK_STALE},
        examples=[
            OpenApiExample(
                "A stronger pull than we thought",
                value={
                    "strength": 3,
                    "note": "The CIO checks every purchase with the CFO first.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The link as saved", value=INFLUENCE_LINK_EXAMPLE, response_only=True
            ),
        ],
    )
    def patch(self, request: Request, pk: int) -> Response:
        link = influence_link_get_for_user(user=_user(request), pk=pk)
        _require_edit(_user(request), link.account)
        etag_require(
            request=request,
            etag=etag_for(instance=link),
            current=self.OutputSerializer(link).data,
        )
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)

        try:
            influence_link_update(
                user=_user(request),
                link=link,
                data=serializer.validated_data,
                expected_version=link.updated_at,
            )
        except StakeholderConflict as error:
            current = InfluenceLink.objects.get(pk=link.pk)
            raise PreconditionFailed(
                current=self.OutputSerializer(current).data,
                etag=etag_for(instance=current),
            ) from error
        except StakeholderError as error:
            raise _refused(error) from error

        return Response(
            self.OutputSerializer(link).data,
            headers={"ETag": etag_for(instance=link)},
        )

    @extend_schema(
        tags=TAGS,
        summary="Remove an influence link",
        description=(
            "Send the link's ETag from your last read in If-Match: without it "
            "428, stale 412 with the current link."
        ),
        parameters=[IF_MATCH],
        responses={204: None, 412: INFLUENCE_LINK_STALE},
    )
    def delete(self, request: Request, pk: int) -> Response:
        link = influence_link_get_for_user(user=_user(request), pk=pk)
        _require_edit(_user(request), link.account)
        etag_require(
            request=request,
            etag=etag_for(instance=link),
            current=self.OutputSerializer(link).data,
        )

        try:
            influence_link_delete(
                user=_user(request), link=link, expected_version=link.updated_at
            )
        except StakeholderConflict as error:
            current = InfluenceLink.objects.filter(pk=link.pk).first()
            if current is None:
                raise Http404("Someone removed this link already.") from error
            raise PreconditionFailed(
                current=self.OutputSerializer(current).data,
                etag=etag_for(instance=current),
            ) from error

        return Response(status=status.HTTP_204_NO_CONTENT)


class ActivityCreateApi(APIView):
    class InputSerializer(StrictInputSerializer):
        stakeholders = serializers.ListField(
            child=serializers.IntegerField(),
            allow_empty=False,
            error_messages={
                "empty": "Choose at least one person you were in touch with."
            },
        )
        kind = serializers.ChoiceField(
            choices=Activity.Kind.choices, default=Activity.Kind.MEETING
        )
        occurred_at = serializers.DateTimeField(required=False)
        note = serializers.CharField(allow_blank=True, required=False, default="")

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Activity
            fields = ["id", "account", "user", "stakeholders", "kind", "occurred_at"]

    @extend_schema(
        tags=TAGS,
        summary="Log a touch with one or more people; it counts as their last",
        request=InputSerializer,
        responses={201: OutputSerializer},
        examples=[
            OpenApiExample(
                "A call with the CFO",
                value={"stakeholders": [41], "kind": "call", "note": "Budget set."},
                request_only=True,
            ),
            OpenApiExample(
                "The touch as logged",
                value={
                    "id": 311,
                    "account": 12,
                    "user": 3,
                    "stakeholders": [41],
                    "kind": "call",
                    "occurred_at": "2026-12-02T15:30:00Z",
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        _require_edit(_user(request), account)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        people = list(
            account.stakeholders.filter(
                status=Stakeholder.Status.ACTIVE, pk__in=data["stakeholders"]
            )
        )
        if len(people) != len(set(data["stakeholders"])):
            raise ValidationError({"stakeholders": [NO_SUCH_PERSON]})

        activity = activity_log(
            user=_user(request),
            account=account,
            stakeholders=people,
            kind=data["kind"],
            occurred_at=data.get("occurred_at"),
            note=data["note"],
        )

        return Response(
            self.OutputSerializer(activity).data, status=status.HTTP_201_CREATED
        )


class FindingOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=sorted(KIND_TITLES))
    title = serializers.CharField()
    reason = serializers.CharField()
    person_id = serializers.IntegerField(allow_null=True)
    role_id = serializers.IntegerField(allow_null=True)


def _finding_data(finding: Any) -> dict[str, Any]:
    return asdict(finding)


class FindingListApi(APIView):
    """Coverage findings for one account."""

    OutputSerializer = FindingOutputSerializer
    pagination_class = LodePagination

    @extend_schema(
        tags=TAGS,
        summary="Where coverage of one account is thin, and why",
        description=(
            "By kind (missing_role, no_owner, unaddressed_opponent, "
            "single_threaded, stale, empty_suit, hidden_influencer), then by "
            "person and role id, a finding without one first."
        ),
        responses=FindingOutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "No owner for a decisive person",
                value={
                    "kind": "no_owner",
                    "title": "Important person with no owner",
                    "reason": "Influence is high and nobody on our side "
                    "owns the relationship.",
                    "person_id": 41,
                    "role_id": None,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)

        findings = SortedRows(
            [
                _finding_data(finding)
                for finding in coverage_for_account(account=account)
            ],
            ordering="kind,person_id,role_id",
            values=lambda row: [row["kind"], row["person_id"], row["role_id"]],
            sort_key=finding_sort_key,
        )

        return paginated_response(
            request=request,
            view=self,
            queryset=findings,
            serializer=self.OutputSerializer,
        )


class FindingRollupApi(APIView):
    """Coverage findings for every account the user may see."""

    pagination_class = LodePagination

    class OutputSerializer(serializers.Serializer):
        account = serializers.IntegerField()
        account_name = serializers.CharField()
        people = serializers.IntegerField()
        findings = FindingOutputSerializer(many=True)

    @extend_schema(
        tags=TAGS,
        summary="Coverage findings for every account you may see",
        responses=OutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A page of accounts with their findings",
                value={
                    "account": 1,
                    "account_name": "Acme Corporation",
                    "people": 7,
                    "findings": [
                        {
                            "kind": "no_owner",
                            "title": "Important person with no owner",
                            "reason": "Zofia Okafor has influence 5/5 and no one "
                            "on our team owns the relationship.",
                            "person_id": 2,
                            "role_id": None,
                        },
                        {
                            "kind": "stale",
                            "title": "Relationship going stale",
                            "reason": "Last touch with Hana Eriksen was 120 days "
                            "ago; relationships go stale after 90.",
                            "person_id": 7,
                            "role_id": None,
                        },
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        # A page of accounts by name, then the findings of those alone.
        accounts = account_list_for_user(user=_user(request)).order_by("name", "pk")
        paginator = LodePagination()
        page = coverage_findings_for_accounts(
            accounts=paginator.paginate_queryset(accounts, request, view=self) or []
        )

        return paginator.get_paginated_response(
            self.OutputSerializer(
                [
                    {
                        "account": item.account.pk,
                        "account_name": item.account.name,
                        "people": item.people,
                        "findings": [_finding_data(each) for each in item.findings],
                    }
                    for item in page
                ],
                many=True,
            ).data
        )


class BoardPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    department = serializers.CharField(allow_blank=True)
    seniority = serializers.CharField(allow_blank=True)
    sentiment = serializers.IntegerField()
    sentimentLabel = serializers.CharField()
    influence = serializers.IntegerField()
    owner = serializers.CharField(allow_blank=True)
    reportsTo = serializers.IntegerField(allow_null=True)
    inLoop = serializers.BooleanField()


class BoardLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.IntegerField()  # type: ignore[assignment]
    target = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=InfluenceLink.Kind.choices)
    kindLabel = serializers.CharField()
    strength = serializers.IntegerField()


class BoardApi(APIView):
    """The org chart and influence map data for one account."""

    class OutputSerializer(serializers.Serializer):
        people = BoardPersonSerializer(many=True)
        links = BoardLinkSerializer(many=True)
        loops = serializers.ListField(
            child=serializers.ListField(child=serializers.IntegerField()),
            help_text="Reporting loops in the data, each as the people in it.",
        )

    @extend_schema(
        tags=TAGS,
        summary="What the org chart and the influence map draw for an account",
        description="Active people only; `reportsTo` is null at the top.",
        responses=OutputSerializer,
        examples=[
            OpenApiExample(
                "Two people and how they sway each other",
                value={
                    "people": [
                        {
                            "id": 1,
                            "name": "Ximena Dubois",
                            "title": "Chief Financial Officer",
                            "department": "Finance",
                            "seniority": "C-level / executive",
                            "sentiment": 1,
                            "sentimentLabel": "Supporter",
                            "influence": 5,
                            "owner": "Boris Faz",
                            "reportsTo": None,
                            "inLoop": False,
                        },
                        {
                            "id": 3,
                            "name": "Tamsin Fontaine",
                            "title": "IT Director",
                            "department": "IT",
                            "seniority": "Director / head of",
                            "sentiment": 0,
                            "sentimentLabel": "Neutral",
                            "influence": 3,
                            "owner": "",
                            "reportsTo": 1,
                            "inLoop": False,
                        },
                    ],
                    "links": [
                        {
                            "id": 1,
                            "source": 1,
                            "target": 3,
                            "kind": "influences",
                            "kindLabel": "Influences",
                            "strength": 2,
                        }
                    ],
                    "loops": [],
                },
            )
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        query_params_refuse_unknown(request, view=self)
        account = account_get_for_user(user=_user(request), pk=account_pk)

        board = account_stakeholder_board(user=_user(request), account=account)

        return Response(self.OutputSerializer(board["graph"]).data)


ACTIVITY_ORDERINGS = ["occurred_at", "-occurred_at"]


class ActivityListApi(APIView):
    """GET the touches logged with an account's people, newest first."""

    pagination_class = LodePagination

    class FilterSerializer(serializers.Serializer):
        stakeholder = serializers.IntegerField(
            min_value=1,
            max_value=2**31 - 1,
            required=False,
            help_text="Only touches with this person.",
        )
        kind = serializers.ChoiceField(choices=Activity.Kind.choices, required=False)
        ordering = serializers.ChoiceField(
            choices=ACTIVITY_ORDERINGS, required=False, default="-occurred_at"
        )

    class OutputSerializer(serializers.ModelSerializer):
        user_name = serializers.SerializerMethodField()

        class Meta:
            model = Activity
            fields = [
                "id",
                "account",
                "user",
                "user_name",
                "stakeholders",
                "kind",
                "occurred_at",
                "note",
                "created_at",
            ]

        @extend_schema_field(serializers.CharField(allow_null=True))
        def get_user_name(self, activity: Activity) -> str | None:
            return activity.user.display_name if activity.user else None

    @extend_schema(
        tags=TAGS,
        summary="The touches logged with an account's people",
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A call with the CFO",
                value={
                    "id": 90,
                    "account": 12,
                    "user": 4,
                    "user_name": "Rita Rep",
                    "stakeholders": [41],
                    "kind": "call",
                    "occurred_at": "2026-11-30T15:00:00Z",
                    "note": "Budget set.",
                    "created_at": "2026-11-30T15:20:00Z",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        activities = account.stakeholder_activities.select_related(
            "user"
        ).prefetch_related("stakeholders")
        if "stakeholder" in data:
            activities = activities.filter(stakeholders__pk=data["stakeholder"])
        if "kind" in data:
            activities = activities.filter(kind=data["kind"])
        ordering = data["ordering"]

        return paginated_response(
            request=request,
            view=self,
            queryset=activities.order_by(
                ordering, ordering.replace("occurred_at", "id")
            ),
            serializer=self.OutputSerializer,
        )


class StakeholderRejoinApi(APIView):
    if_match_methods = frozenset({"POST"})

    @extend_schema(
        tags=TAGS,
        summary="Mark a person who left as back at the account",
        description=ACTION_IF_MATCH,
        parameters=[IF_MATCH],
        request=None,
        responses={200: StakeholderOutputSerializer, 412: STAKEHOLDER_STALE},
        examples=[
            OpenApiExample(
                "The person, back at the account",
                value={
                    **STAKEHOLDER_EXAMPLE,
                    "updated_at": "2026-12-05T09:12:30Z",
                },
                response_only=True,
            )
        ],
    )
    @transaction.atomic
    def post(self, request: Request, pk: int) -> Response:
        return _person_marked(request, pk, mark=stakeholder_mark_back)
