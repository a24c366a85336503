"""REST endpoints that change the buying-role taxonomy (sales ops).

Everyone reads the roles; only sales ops add, change or delete one. Anyone
else gets 403, as the roles are everyone's to see.
"""

from typing import cast

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.directory_apis import (
    directory_editor_require,
    in_use_refuse,
    in_use_response,
)
from accounts.models import User
from config.api import (
    StrictInputSerializer,
    etag_for,
    versioned_delete_respond,
    versioned_update_respond,
)
from config.api_schema import write_examples
from stakeholders.apis import BUYING_ROLE_EXAMPLE, BuyingRoleListApi
from stakeholders.models import BuyingRole
from stakeholders.services import buying_role_delete, buying_role_save

TAGS = ["stakeholders"]
RoleOutputSerializer = BuyingRoleListApi.OutputSerializer


def _role_get(pk: int) -> BuyingRole:
    role = BuyingRole.objects.filter(pk=pk).first()
    if role is None:
        raise Http404("No such buying role.")
    return role


class BuyingRoleInputSerializer(StrictInputSerializer):
    key = serializers.SlugField(max_length=50)
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=BuyingRole.Kind.choices, required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)


class BuyingRoleCreateApi(APIView):
    InputSerializer = BuyingRoleInputSerializer
    OutputSerializer = RoleOutputSerializer

    @extend_schema(
        tags=TAGS,
        summary="Add a buying role or business function (sales ops)",
        responses={201: RoleOutputSerializer},
        examples=write_examples(
            request=(
                "A new buying role",
                {
                    "key": "legal-counsel",
                    "name": "Legal counsel",
                    "kind": "buying",
                    "description": "Reviews the contract terms.",
                    "position": 12,
                },
            ),
            response=(
                "The role as created",
                {
                    "id": 13,
                    "key": "legal-counsel",
                    "name": "Legal counsel",
                    "kind": "buying",
                    "description": "Reviews the contract terms.",
                    "position": 12,
                },
            ),
        ),
    )
    def post(self, request: Request) -> Response:
        directory_editor_require(request)
        serializer = BuyingRoleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        role = BuyingRole()
        buying_role_save(role=role, data=dict(serializer.validated_data))

        return Response(
            RoleOutputSerializer(role).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag_for(instance=role)},
        )


class BuyingRoleDetailApi(APIView):
    if_match_methods = frozenset({"PATCH", "DELETE"})
    InputSerializer = BuyingRoleInputSerializer
    OutputSerializer = RoleOutputSerializer

    @extend_schema(
        tags=TAGS,
        summary="Read one buying role; the ETag header is its version",
        examples=[OpenApiExample("A buying role", value=BUYING_ROLE_EXAMPLE)],
    )
    def get(self, request: Request, pk: int) -> Response:
        role = _role_get(pk)

        return Response(
            RoleOutputSerializer(role).data, headers={"ETag": etag_for(instance=role)}
        )

    @extend_schema(
        tags=TAGS,
        summary="Rename, describe or reorder a buying role (sales ops)",
        description="Send the ETag from your last read in If-Match.",
        examples=write_examples(
            request=("Reword the description", {"description": "Signs the budget."}),
            response=(
                "The role as saved",
                {**BUYING_ROLE_EXAMPLE, "description": "Signs the budget."},
            ),
        ),
    )
    def patch(self, request: Request, pk: int) -> Response:
        role = _role_get(pk)
        directory_editor_require(request)

        return versioned_update_respond(
            request=request,
            instance=role,
            input_serializer=BuyingRoleInputSerializer,
            output_serializer=RoleOutputSerializer,
            save=lambda data, version: buying_role_save(
                role=role, data=data, expected_version=version
            ),
        )

    @extend_schema(
        tags=TAGS,
        summary="Delete a buying role nobody holds (sales ops)",
        description=(
            "Send the ETag from your last read in If-Match. A role a person "
            "holds or an account expects is not deleted: 409 says how many, "
            "as taking it from them would leave no trace in their history. "
            "The sector defaults that name the role go with it. The "
            "deletion, with what the role was and the sectors that "
            "expected it, is audited as an erasure."
        ),
        request=None,
        responses={
            204: None,
            409: in_use_response(
                noun="buying role",
                example=(
                    "This buying role is still used (accounts expecting it: "
                    "2, people holding it: 14). Take it off those people and "
                    "accounts first."
                ),
            ),
        },
    )
    def delete(self, request: Request, pk: int) -> Response:
        role = _role_get(pk)
        directory_editor_require(request)

        return versioned_delete_respond(
            request=request,
            instance=role,
            output_serializer=RoleOutputSerializer,
            delete=in_use_refuse(
                lambda version: buying_role_delete(
                    role=role,
                    actor=cast(User, request.user),
                    request=request._request,
                    expected_version=version,
                )
            ),
        )
