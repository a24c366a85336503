"""REST endpoints for users, teams and products.

Everyone reads what the access model lets them see (accounts.directory);
only sales ops create, change or delete anything. Someone else gets 403
for a write to what they can see and 404 for what they cannot, as for
every object.
"""

from typing import Any, cast

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import ProductOutputSerializer
from accounts.directory import (
    ONLY_OPS,
    InUseError,
    directory_can_edit,
    product_delete,
    product_save,
    team_delete,
    team_get_for_user,
    team_list_for_user,
    team_save,
    user_create,
    user_delete,
    user_get_for_user,
    user_list_for_user,
    user_update,
)
from accounts.models import Product, Team, User
from config.api import (
    Conflict,
    LodePagination,
    StrictInputSerializer,
    etag_for,
    etag_for_state,
    etag_require,
    ordering_param,
    paginated_response,
    versioned_delete_respond,
    versioned_update_respond,
)
from config.api_schema import write_examples

TAG = "directory"


def _user(request: Request) -> User:
    """Return the signed-in user; IsAuthenticated has already refused others."""
    return cast(User, request.user)


def directory_editor_require(request: Request) -> None:
    """Refuse with 403 anyone but sales ops, who alone change the directory."""
    if not directory_can_edit(user=_user(request)):
        raise PermissionDenied(ONLY_OPS)


class InUseSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What still uses it, and what to do.")


def in_use_response(*, noun: str, example: str) -> OpenApiResponse:
    """Document the 409 of a delete refused because something still uses it."""
    return OpenApiResponse(
        response=InUseSerializer,
        description=f"Something still uses the {noun}; the detail says what.",
        examples=[
            OpenApiExample(
                f"The {noun} is in use",
                value={"detail": example},
                response_only=True,
                status_codes=["409"],
            )
        ],
    )


def in_use_refuse(delete: Any) -> Any:
    """Wrap a delete so that InUseError answers 409 with its message."""

    def refusing(version: Any) -> bool:
        try:
            return bool(delete(version))
        except InUseError as error:
            raise Conflict(str(error)) from error

    return refusing


def _id_input(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        allow_null=True,
        required=False,
        help_text=help_text,
    )


# Users


class UserOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    # Text, not an email format: a user may have none, which is "".
    email = serializers.CharField(read_only=True)
    team_id = serializers.IntegerField(read_only=True, allow_null=True)
    team = serializers.CharField(
        source="team.name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "name",
            "first_name",
            "last_name",
            "email",
            "role",
            "team_id",
            "team",
            "is_active",
        ]
        read_only_fields = fields


USER_EXAMPLE = {
    "id": 5,
    "username": "rita",
    "name": "Rita Rep",
    "first_name": "Rita",
    "last_name": "Rep",
    "email": "rita@example.com",
    "role": "rep",
    "team_id": 2,
    "team": "North",
    "is_active": True,
}
USER_ORDERINGS = {"username", "-username", "last_name", "-last_name"}


def _user_etag(target: User) -> str:
    return etag_for_state(
        label="accounts.User",
        pk=target.pk,
        state=dict(UserOutputSerializer(target).data),
    )


class UserListApi(APIView):
    pagination_class = LodePagination

    @extend_schema(
        tags=[TAG],
        summary="List the users you may see",
        description=(
            "Executives and sales ops see everyone; anyone else sees "
            "themselves, their team, the teams they manage and the account "
            "team of every account they see."
        ),
        parameters=[
            OpenApiParameter("team", int, description="Only this team's members."),
            OpenApiParameter(
                "role", str, enum=[value for value, _ in User.Role.choices]
            ),
            OpenApiParameter(
                "ordering", str, enum=sorted(USER_ORDERINGS), default="username"
            ),
        ],
        responses=UserOutputSerializer(many=True),
        examples=[
            OpenApiExample("A page of users", value=USER_EXAMPLE, response_only=True)
        ],
    )
    def get(self, request: Request) -> Response:
        users: QuerySet[User] = user_list_for_user(user=_user(request))
        params = request.query_params
        if params.get("team"):
            team = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
            try:
                users = users.filter(team_id=team.run_validation(params["team"]))
            except serializers.ValidationError as error:
                raise ValidationError({"team": error.detail}) from error
        if params.get("role"):
            if params["role"] not in User.Role.values:
                raise ValidationError(
                    {"role": [f"Give one of: {', '.join(User.Role.values)}."]}
                )
            users = users.filter(role=params["role"])
        ordering = ordering_param(request, allowed=USER_ORDERINGS, default="username")

        return paginated_response(
            request=request,
            view=self,
            queryset=users.select_related("team").order_by(ordering, "pk"),
            serializer=UserOutputSerializer,
        )


class UserCreateApi(APIView):
    class InputSerializer(StrictInputSerializer):
        username = serializers.CharField(
            max_length=150,
            help_text="Letters, digits and @ . + - _ only; unique, whatever the case.",
        )
        first_name = serializers.CharField(
            max_length=150, allow_blank=True, required=False
        )
        last_name = serializers.CharField(
            max_length=150, allow_blank=True, required=False
        )
        email = serializers.EmailField(
            max_length=254,
            allow_blank=True,
            required=False,
            help_text="No other user may have it, whatever the case.",
        )
        role = serializers.ChoiceField(choices=User.Role.choices, required=False)
        team_id = _id_input("The user's team, or null for none.")
        is_active = serializers.BooleanField(required=False)
        password = serializers.CharField(
            write_only=True,
            required=False,
            max_length=128,
            trim_whitespace=False,
            style={"input_type": "password"},
            help_text=(
                "Checked as the admin checks it (length, common, numeric, "
                "like the username). Never answered back. Without it the "
                "user cannot sign in until a password is set."
            ),
        )

    OutputSerializer = UserOutputSerializer

    @extend_schema(
        tags=[TAG],
        summary="Create a user (sales ops)",
        description=(
            "The new user's role, team and active flag are audited as a "
            "permission change. The password, if sent, is only ever stored "
            "as its hash: no answer and no audit entry carries it."
        ),
        responses={201: UserOutputSerializer},
        examples=write_examples(
            request=(
                "A rep on the North team",
                {
                    "username": "nina",
                    "first_name": "Nina",
                    "last_name": "North",
                    "email": "nina@example.com",
                    "role": "rep",
                    "team_id": 2,
                    "password": "a long passphrase of her own",
                },
            ),
            response=(
                "The user as created",
                {
                    **USER_EXAMPLE,
                    "id": 36,
                    "username": "nina",
                    "name": "Nina North",
                    "first_name": "Nina",
                    "last_name": "North",
                    "email": "nina@example.com",
                },
            ),
        ),
    )
    def post(self, request: Request) -> Response:
        directory_editor_require(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        password = data.pop("password", None)
        if "team_id" in data:
            data["team"] = _team_from_id(data.pop("team_id"))

        target = user_create(
            actor=_user(request),
            data=data,
            password=password,
            request=request._request,
        )
        target = User.objects.select_related("team").get(pk=target.pk)

        return Response(
            UserOutputSerializer(target).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": _user_etag(target)},
        )


def _team_from_id(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ValidationError({"team_id": ["No team has this id."]})
    return team


def _user_locked(request: Request, pk: int) -> User:
    """Return the user `pk` locked for a write by sales ops, under If-Match."""
    actor = _user(request)
    user_get_for_user(user=actor, pk=pk)
    directory_editor_require(request)

    # Locked from the comparison to the write: the ETag is a hash of the
    # state, not a version an UPDATE could compare against.
    target = User.objects.select_for_update().get(pk=pk)
    if target.is_superuser and not actor.is_superuser:
        raise PermissionDenied("Only a superuser changes a superuser.")
    etag_require(
        request=request,
        etag=_user_etag(target),
        current=UserOutputSerializer(target).data,
    )
    return target


class UserDetailApi(APIView):
    if_match_methods = frozenset({"PATCH", "DELETE"})

    class InputSerializer(StrictInputSerializer):
        first_name = serializers.CharField(
            max_length=150, allow_blank=True, required=False
        )
        last_name = serializers.CharField(
            max_length=150, allow_blank=True, required=False
        )
        email = serializers.EmailField(max_length=254, allow_blank=True, required=False)
        role = serializers.ChoiceField(choices=User.Role.choices, required=False)
        team_id = _id_input("The user's team, or null for none.")
        is_active = serializers.BooleanField(required=False)

    OutputSerializer = UserOutputSerializer

    @extend_schema(
        tags=[TAG],
        summary="Read one user; the ETag header is their version",
        examples=[OpenApiExample("A user", value=USER_EXAMPLE)],
    )
    def get(self, request: Request, pk: int) -> Response:
        target = user_get_for_user(user=_user(request), pk=pk)

        return Response(
            UserOutputSerializer(target).data, headers={"ETag": _user_etag(target)}
        )

    @extend_schema(
        tags=[TAG],
        summary="Change a user's names, role, team or active flag (sales ops)",
        description=(
            "Send the ETag from your last read in If-Match: 428 without it, "
            "412 with the current user if they changed since. A change of "
            "role, team or active flag is audited as a permission change. "
            "Anyone but sales ops gets 403 (404 for a user they cannot see); "
            "only a superuser changes a superuser."
        ),
        examples=write_examples(
            request=("Move a rep to another team", {"team_id": 3}),
            response=(
                "The user as saved",
                {**USER_EXAMPLE, "team_id": 3, "team": "South"},
            ),
        ),
    )
    def patch(self, request: Request, pk: int) -> Response:
        with transaction.atomic():
            target = _user_locked(request, pk)
            serializer = self.InputSerializer(data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            if "team_id" in data:
                data["team"] = _team_from_id(data.pop("team_id"))

            user_update(
                target=target,
                actor=_user(request),
                data=data,
                request=request._request,
            )
        target = User.objects.select_related("team").get(pk=pk)

        return Response(
            UserOutputSerializer(target).data, headers={"ETag": _user_etag(target)}
        )

    @extend_schema(
        tags=[TAG],
        summary="Delete a user (sales ops)",
        description=(
            "Send the ETag from your last read in If-Match. Whatever named "
            "the user (owner of a person, plan or deal, author of a "
            "comment...) is cleared and its version moves, so an edit read "
            "before fails with 412. The deletion, with the access the user "
            "had, is audited as an erasure. To keep a leaver's name on "
            "their work, deactivate them instead (PATCH is_active). Nobody "
            "deletes themselves; only a superuser deletes a superuser."
        ),
        request=None,
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        with transaction.atomic():
            target = _user_locked(request, pk)
            user_delete(target=target, actor=_user(request), request=request._request)

        return Response(status=status.HTTP_204_NO_CONTENT)


# Teams


class TeamOutputSerializer(serializers.ModelSerializer):
    manager_id = serializers.IntegerField(read_only=True, allow_null=True)
    manager = serializers.CharField(
        source="manager.display_name", read_only=True, default=None, allow_null=True
    )
    members = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "region",
            "manager_id",
            "manager",
            "members",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_members(self, team: Team) -> list[int]:
        """The ids of the team's members, in username order."""
        return list(team.members.order_by("username").values_list("pk", flat=True))


TEAM_EXAMPLE = {
    "id": 2,
    "name": "North",
    "region": "Northern Europe",
    "manager_id": 4,
    "manager": "Max Manager",
    "members": [4, 5, 9],
    "created_at": "2026-10-01T08:00:00Z",
    "updated_at": "2026-12-01T10:30:00Z",
}


class TeamInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=150)
    region = serializers.CharField(max_length=100, allow_blank=True, required=False)
    manager_id = _id_input("The team's manager, or null for none.")


def _team_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {key: value for key, value in data.items() if key != "manager_id"}
    if "manager_id" in data:
        values["manager"] = None
        if data["manager_id"] is not None:
            values["manager"] = User.objects.filter(
                pk=data["manager_id"], is_active=True
            ).first()
            if values["manager"] is None:
                raise ValidationError({"manager_id": ["No active user has this id."]})
    return values


class TeamListApi(APIView):
    pagination_class = LodePagination

    @extend_schema(
        tags=[TAG],
        summary="List the teams you may see",
        description=(
            "Executives and sales ops see every team; anyone else their own "
            "team and the teams they manage."
        ),
        responses=TeamOutputSerializer(many=True),
        examples=[
            OpenApiExample("A page of teams", value=TEAM_EXAMPLE, response_only=True)
        ],
    )
    def get(self, request: Request) -> Response:
        teams = team_list_for_user(user=_user(request)).select_related("manager")

        return paginated_response(
            request=request,
            view=self,
            queryset=teams.order_by("name", "pk"),
            serializer=TeamOutputSerializer,
        )


class TeamCreateApi(APIView):
    InputSerializer = TeamInputSerializer
    OutputSerializer = TeamOutputSerializer

    @extend_schema(
        tags=[TAG],
        summary="Create a team (sales ops)",
        description="Its manager is audited as a permission change.",
        responses={201: TeamOutputSerializer},
        examples=write_examples(
            request=(
                "A team with a manager",
                {"name": "Nordics", "region": "Northern Europe", "manager_id": 4},
            ),
            response=(
                "The team as created",
                {**TEAM_EXAMPLE, "name": "Nordics", "members": []},
            ),
        ),
    )
    def post(self, request: Request) -> Response:
        directory_editor_require(request)
        serializer = TeamInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        team = Team()
        team_save(
            team=team,
            actor=_user(request),
            data=_team_values(dict(serializer.validated_data)),
            request=request._request,
        )

        return Response(
            TeamOutputSerializer(team).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag_for(instance=team)},
        )


class TeamDetailApi(APIView):
    if_match_methods = frozenset({"PATCH", "DELETE"})
    InputSerializer = TeamInputSerializer
    OutputSerializer = TeamOutputSerializer

    @extend_schema(
        tags=[TAG],
        summary="Read one team; the ETag header is its version",
        examples=[OpenApiExample("A team", value=TEAM_EXAMPLE)],
    )
    def get(self, request: Request, pk: int) -> Response:
        team = team_get_for_user(user=_user(request), pk=pk)

        return Response(
            TeamOutputSerializer(team).data, headers={"ETag": etag_for(instance=team)}
        )

    @extend_schema(
        tags=[TAG],
        summary="Rename a team or change its manager (sales ops)",
        description=(
            "Send the ETag from your last read in If-Match. A new manager "
            "changes who sees the team's accounts and is audited as a "
            "permission change. Members join a team through their user."
        ),
        examples=write_examples(
            request=("Give the team a new manager", {"manager_id": 7}),
            response=(
                "The team as saved",
                {**TEAM_EXAMPLE, "manager_id": 7, "manager": "Nora New"},
            ),
        ),
    )
    def patch(self, request: Request, pk: int) -> Response:
        actor = _user(request)
        team = team_get_for_user(user=actor, pk=pk)
        directory_editor_require(request)

        return versioned_update_respond(
            request=request,
            instance=team,
            input_serializer=TeamInputSerializer,
            output_serializer=TeamOutputSerializer,
            save=lambda data, version: team_save(
                team=team,
                actor=actor,
                data=_team_values(data),
                request=request._request,
                expected_version=version,
            ),
        )

    @extend_schema(
        tags=[TAG],
        summary="Delete a team (sales ops)",
        description=(
            "Send the ETag from your last read in If-Match. Its members are "
            "left without a team and its manager stops seeing its accounts "
            "through it; each of them, and the team, is audited as a "
            "permission change. Accounts stay with their account teams."
        ),
        request=None,
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        actor = _user(request)
        team = team_get_for_user(user=actor, pk=pk)
        directory_editor_require(request)

        return versioned_delete_respond(
            request=request,
            instance=team,
            output_serializer=TeamOutputSerializer,
            delete=lambda version: team_delete(
                team=team,
                actor=actor,
                request=request._request,
                expected_version=version,
            ),
        )


# Products


class ProductInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=150)
    series = serializers.CharField(max_length=100, allow_blank=True, required=False)
    list_price = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        allow_null=True,
        required=False,
    )


PRODUCT_EXAMPLE = {
    "id": 7,
    "name": "GTK 500",
    "series": "GTK",
    "list_price": "26768.00",
}


class ProductCreateApi(APIView):
    InputSerializer = ProductInputSerializer
    OutputSerializer = ProductOutputSerializer

    @extend_schema(
        tags=["accounts"],
        summary="Add a product to the catalogue (sales ops)",
        responses={201: ProductOutputSerializer},
        examples=write_examples(
            request=(
                "A new product",
                {"name": "GTK 700", "series": "GTK", "list_price": "31990.00"},
            ),
            response=(
                "The product as created",
                {"id": 8, "name": "GTK 700", "series": "GTK", "list_price": "31990.00"},
            ),
        ),
    )
    def post(self, request: Request) -> Response:
        directory_editor_require(request)
        serializer = ProductInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        product = Product()
        product_save(product=product, data=dict(serializer.validated_data))

        return Response(
            ProductOutputSerializer(product).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag_for(instance=product)},
        )


class ProductDetailApi(APIView):
    if_match_methods = frozenset({"PATCH", "DELETE"})
    InputSerializer = ProductInputSerializer
    OutputSerializer = ProductOutputSerializer

    @extend_schema(
        tags=["accounts"],
        summary="Read one product; the ETag header is its version",
        examples=[OpenApiExample("A product", value=PRODUCT_EXAMPLE)],
    )
    def get(self, request: Request, pk: int) -> Response:
        product = _product_get(pk)

        return Response(
            ProductOutputSerializer(product).data,
            headers={"ETag": etag_for(instance=product)},
        )

    @extend_schema(
        tags=["accounts"],
        summary="Rename or reprice a product (sales ops)",
        description="Send the ETag from your last read in If-Match.",
        examples=write_examples(
            request=("Raise the list price", {"list_price": "27500.00"}),
            response=(
                "The product as saved",
                {**PRODUCT_EXAMPLE, "list_price": "27500.00"},
            ),
        ),
    )
    def patch(self, request: Request, pk: int) -> Response:
        product = _product_get(pk)
        directory_editor_require(request)

        return versioned_update_respond(
            request=request,
            instance=product,
            input_serializer=ProductInputSerializer,
            output_serializer=ProductOutputSerializer,
            save=lambda data, version: product_save(
                product=product, data=data, expected_version=version
            ),
        )

    @extend_schema(
        tags=["accounts"],
        summary="Delete a product nothing uses (sales ops)",
        description=(
            "Send the ETag from your last read in If-Match. A product that "
            "deals, revenue lines or plans still name is not deleted: 409 "
            "says what uses it, as their history would go with it. The "
            "deletion, with what the product was, is audited as an erasure."
        ),
        request=None,
        responses={
            204: None,
            409: in_use_response(
                noun="product",
                example=(
                    "This product is still used (deals: 412, revenue lines: "
                    "96). Move those to another product first."
                ),
            ),
        },
    )
    def delete(self, request: Request, pk: int) -> Response:
        product = _product_get(pk)
        directory_editor_require(request)

        return versioned_delete_respond(
            request=request,
            instance=product,
            output_serializer=ProductOutputSerializer,
            delete=in_use_refuse(
                lambda version: product_delete(
                    product=product,
                    actor=_user(request),
                    request=request._request,
                    expected_version=version,
                )
            ),
        )


def _product_get(pk: int) -> Product:
    # The catalogue is everyone's, as the list shows it.
    product = Product.objects.filter(pk=pk).first()
    if product is None:
        raise Http404("No such product.")
    return product
