"""REST endpoints for people, roles, links, owners, activities and findings.

Every endpoint starts from the account access rule: a person, link or
finding at an account the user may not see answers 404, exactly as the
pages do.
"""

from dataclasses import asdict
from typing import Any, cast

from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Account, User
from accounts.selectors import account_can_edit, account_get_for_user
from config.api import LodePagination, PreconditionFailed, etag_for, etag_require
from stakeholders.models import Activity, BuyingRole, InfluenceLink, Stakeholder
from stakeholders.selectors import (
    account_stakeholder_board,
    coverage_for_account,
    coverage_rollup_for_user,
    influence_link_get_for_user,
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
    return ValidationError({error.field or "non_field_errors": [error.message]})


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
            "sentiment_confirmed_at",
            "influence_confirmed_at",
            "left_at",
            "erased_at",
            "created_at",
            "updated_at",
        ]

    def get_owner_name(self, stakeholder: Stakeholder) -> str:
        return stakeholder.owner.display_name if stakeholder.owner else ""


class StakeholderInputSerializer(serializers.Serializer):
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


class StakeholderListApi(APIView):
    OutputSerializer = StakeholderOutputSerializer

    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)

        people = (
            account.stakeholders.select_related("owner")
            .prefetch_related("roles")
            .order_by("last_name", "first_name", "id")
        )

        return Response(self.OutputSerializer(people, many=True).data)


class StakeholderCreateApi(APIView):
    InputSerializer = StakeholderInputSerializer
    OutputSerializer = StakeholderOutputSerializer

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

    InputSerializer = StakeholderInputSerializer
    OutputSerializer = StakeholderOutputSerializer

    def get(self, request: Request, pk: int) -> Response:
        person = stakeholder_get_for_user(user=_user(request), pk=pk)

        return Response(
            self.OutputSerializer(person).data,
            headers={"ETag": etag_for(instance=person)},
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
            current = Stakeholder.objects.get(pk=person.pk)
            raise PreconditionFailed(
                current=self.OutputSerializer(current).data,
                etag=etag_for(instance=current),
            ) from error
        except StakeholderError as error:
            raise _refused(error) from error

        return Response(
            self.OutputSerializer(person).data,
            headers={"ETag": etag_for(instance=person)},
        )


class StakeholderLeaveApi(APIView):
    OutputSerializer = StakeholderOutputSerializer

    def post(self, request: Request, pk: int) -> Response:
        person = stakeholder_get_for_user(user=_user(request), pk=pk)
        _require_edit(_user(request), person.account)

        try:
            stakeholder_mark_left(user=_user(request), stakeholder=person)
        except StakeholderError as error:
            raise _refused(error) from error

        return Response(self.OutputSerializer(person).data)


class StakeholderEraseApi(APIView):
    OutputSerializer = StakeholderOutputSerializer

    def post(self, request: Request, pk: int) -> Response:
        person = stakeholder_get_for_user(user=_user(request), pk=pk)
        _require_edit(_user(request), person.account)

        stakeholder_erase(user=_user(request), stakeholder=person)

        return Response(self.OutputSerializer(person).data)


class StakeholderOwnerApi(APIView):
    """Set who on our team owns the relationship, and at which level."""

    class InputSerializer(serializers.Serializer):
        owner = serializers.IntegerField(allow_null=True)
        relationship_current = serializers.ChoiceField(
            choices=Stakeholder.RelationshipLevel.choices, required=False
        )
        relationship_desired = serializers.ChoiceField(
            choices=Stakeholder.RelationshipLevel.choices, required=False
        )

    OutputSerializer = StakeholderOutputSerializer

    def put(self, request: Request, pk: int) -> Response:
        person = stakeholder_get_for_user(user=_user(request), pk=pk)
        _require_edit(_user(request), person.account)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        try:
            stakeholder_update(
                user=_user(request),
                stakeholder=person,
                data=_resolve(person.account, dict(serializer.validated_data)),
            )
        except StakeholderError as error:
            raise _refused(error) from error

        return Response(self.OutputSerializer(person).data)


class OwnerListApi(APIView):
    """Our side of each relationship at one account."""

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

    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)

        people = account.stakeholders.filter(
            status=Stakeholder.Status.ACTIVE
        ).select_related("owner")

        return Response(self.OutputSerializer(people, many=True).data)


class BuyingRoleListApi(APIView):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = BuyingRole
            fields = ["key", "name", "kind", "description"]

    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(BuyingRole.objects.all(), many=True).data)


class ExpectedRoleApi(APIView):
    """Read or replace the roles an account is expected to have."""

    class InputSerializer(serializers.Serializer):
        roles = serializers.ListField(child=serializers.SlugField(), allow_empty=True)

    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)

        board = account_stakeholder_board(user=_user(request), account=account)

        return Response({"roles": [role.key for role in board["expected_roles"]]})

    def put(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        _require_edit(_user(request), account)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        roles = account_expected_roles_set(
            user=_user(request),
            account=account,
            roles=_roles(serializer.validated_data["roles"]),
        )

        return Response({"roles": [role.key for role in roles]})


class InfluenceLinkOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = InfluenceLink
        fields = ["id", "account", "source", "target", "kind", "strength", "note"]


class InfluenceLinkListApi(APIView):
    OutputSerializer = InfluenceLinkOutputSerializer

    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)

        links = account.influence_links.all()

        return Response(self.OutputSerializer(links, many=True).data)


class InfluenceLinkCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
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

    def post(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        _require_edit(_user(request), account)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        people = account.stakeholders.filter(status=Stakeholder.Status.ACTIVE)
        source = people.filter(pk=data["source"]).first()
        target = people.filter(pk=data["target"]).first()
        if source is None or target is None:
            raise ValidationError({"target": [NO_SUCH_PERSON]})

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
            self.OutputSerializer(link).data, status=status.HTTP_201_CREATED
        )


class InfluenceLinkDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(
            choices=InfluenceLink.Kind.choices, required=False
        )
        strength = serializers.ChoiceField(
            choices=InfluenceLink.Strength.choices, required=False
        )
        note = serializers.CharField(allow_blank=True, required=False)

    OutputSerializer = InfluenceLinkOutputSerializer

    def get(self, request: Request, pk: int) -> Response:
        link = influence_link_get_for_user(user=_user(request), pk=pk)

        return Response(self.OutputSerializer(link).data)

    def patch(self, request: Request, pk: int) -> Response:
        link = influence_link_get_for_user(user=_user(request), pk=pk)
        _require_edit(_user(request), link.account)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)

        try:
            influence_link_update(
                user=_user(request), link=link, data=serializer.validated_data
            )
        except StakeholderError as error:
            raise _refused(error) from error

        return Response(self.OutputSerializer(link).data)

    def delete(self, request: Request, pk: int) -> Response:
        link = influence_link_get_for_user(user=_user(request), pk=pk)
        _require_edit(_user(request), link.account)

        influence_link_delete(user=_user(request), link=link)

        return Response(status=status.HTTP_204_NO_CONTENT)


class ActivityCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        stakeholders = serializers.ListField(
            child=serializers.IntegerField(), allow_empty=False
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


def _finding_data(finding: Any) -> dict[str, Any]:
    return asdict(finding)


class FindingListApi(APIView):
    """Coverage findings for one account."""

    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)

        findings = coverage_for_account(account=account)

        return Response([_finding_data(finding) for finding in findings])


class FindingRollupApi(APIView):
    """Coverage findings for every account the user may see."""

    def get(self, request: Request) -> Response:
        rollup = coverage_rollup_for_user(user=_user(request))
        paginator = LodePagination()
        page = paginator.paginate_queryset(rollup, request, view=self) or []

        return paginator.get_paginated_response(
            [
                {
                    "account": item.account.pk,
                    "account_name": item.account.name,
                    "people": item.people,
                    "findings": [_finding_data(finding) for finding in item.findings],
                }
                for item in page
            ]
        )


class BoardApi(APIView):
    """The org chart and influence map data for one account."""

    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)

        board = account_stakeholder_board(user=_user(request), account=account)

        return Response(board["graph"])
