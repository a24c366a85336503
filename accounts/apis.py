"""REST endpoints for accounts, their revenue, products and API tokens."""

import functools
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, F, Q, Sum
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import (
    APIException,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_tokens import (
    BrowserSessionRequired,
    BrowserSessionRequiredToRevoke,
    api_token_create,
    api_token_get_for_user,
    api_token_list_for_user,
    api_token_revoke,
)
from accounts.currency_codes import MOST_MINOR_DIGITS, amount_kept, decimals_given
from accounts.day_text import DayTextError, day_from_text
from accounts.deal_keys import (
    IDEMPOTENCY_KEY_HEADER,
    KEY_MOST_CHARACTERS,
    KEY_REFUSED,
    KEY_REUSED,
    REPLAYED_HEADER,
    deal_key_for,
    deal_key_problem,
)
from accounts.directory import (
    account_parent_check,
    account_relations_update,
    account_team_users,
    directory_can_edit,
)
from accounts.models import (
    Account,
    AccountAlias,
    AccountTeamMember,
    AuditEvent,
    Opportunity,
    Product,
    RevenueLine,
    User,
)
from accounts.numbers import zero_unsigned
from accounts.selectors import (
    RelatedAccount,
    account_annual_revenue_usd,
    account_can_edit,
    account_get_for_user,
    account_list_for_user,
    account_relatives_for_user,
    deal_get_for_user,
    whitespace_bought_since,
)
from accounts.services import (
    ACCOUNT_EDITABLE_FIELDS,
    ANNUAL_REVENUE_GIVEN,
    DEAL_OWNER_NOT_ON_TEAM,
    DealKeyReused,
    account_annual_revenue_values,
    account_update,
    deal_create_once,
    deal_delete,
    deal_update,
)
from config.api import (
    LodePagination,
    QueryDateField,
    QueryDateTimeField,
    StrictInputSerializer,
    etag_for,
    ordering_param,
    paginated_response,
    query_params_refuse_unknown,
    versioned_delete_respond,
    versioned_update_respond,
)
from config.api_schema import write_examples

ACCOUNT_ORDERINGS = {
    "name",
    "-name",
    "annual_revenue",
    "-annual_revenue",
    "employees",
    "-employees",
    "updated_at",
    "-updated_at",
}


def _user(request: Request) -> User:
    """Return the signed-in user; IsAuthenticated has already refused others."""
    return cast(User, request.user)


class AmountField(serializers.DecimalField):
    """An amount in its own currency, of any size and any decimals.

    The model says what is too large and how many decimals the currency
    allows (12.345 USD is refused, 12.345 KWD kept), in the words the pages
    and the import use, not in DRF's own. Sent back as amount_kept gives it:
    "48000.00", "12.345".
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=None, decimal_places=None, **kwargs)

    def quantize(self, value: Decimal) -> Decimal:
        try:
            if decimals_given(value) > MOST_MINOR_DIGITS:
                # Never rounded: left for the model to refuse.
                return value
            return zero_unsigned(amount_kept(value))
        except InvalidOperation:
            # Too large to round: left for the model to refuse.
            return value

    def to_representation(self, value: Any) -> Any:
        if value is None:
            return None
        return f"{amount_kept(Decimal(value))}"


class AccountOutputSerializer(serializers.ModelSerializer):
    annual_revenue = AmountField(read_only=True, allow_null=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "external_id",
            "sector",
            "country",
            "year_established",
            "annual_revenue",
            "annual_revenue_currency",
            "annual_revenue_rate",
            "annual_revenue_rate_date",
            "employees",
            "custom_values",
            "created_at",
            "updated_at",
        ]
        # Written only by an import: the CRM's own fields, by column.
        read_only_fields = ["custom_values"]


ACCOUNT_EXAMPLE = {
    "id": 12,
    "name": "Acme Corporation",
    "external_id": "ACME-001",
    "sector": "retail",
    "country": "United States",
    "year_established": 1998,
    "annual_revenue": "1250500000.00",
    "annual_revenue_currency": "USD",
    "annual_revenue_rate": None,
    "annual_revenue_rate_date": None,
    "employees": 4200,
    "custom_values": {"Region__c": "North America", "Tier__c": "A"},
    "created_at": "2026-11-02T09:15:00Z",
    "updated_at": "2026-12-01T14:03:12.123456Z",
}


class RelatedAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True, help_text="Null when the account is not one you may see."
    )
    name = serializers.CharField()
    visible = serializers.BooleanField()


def _related(related: RelatedAccount) -> dict[str, Any]:
    # As the page: the name always, the link only to an account one may see.
    return {
        "id": related.pk if related.visible else None,
        "name": related.name,
        "visible": related.visible,
    }


class AccountDetailOutputSerializer(AccountOutputSerializer):
    """An account with its parent, subsidiaries, team and other names.

    Needs the reader in its context as `user`: which relatives they may
    open decides what each relative shows.
    """

    # The metaclass takes declared fields off the class, so this does not
    # shadow Field.parent at run time; the stubs cannot tell.
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]
    subsidiaries = serializers.SerializerMethodField()
    team = serializers.SerializerMethodField()
    aliases = serializers.SerializerMethodField()

    class Meta(AccountOutputSerializer.Meta):
        fields = [
            *AccountOutputSerializer.Meta.fields[:-2],
            "parent",
            "subsidiaries",
            "team",
            "aliases",
            "created_at",
            "updated_at",
        ]

    def _relatives(self, account: Account) -> Any:
        # Parent and subsidiaries come from one query, kept for this
        # serialization only: the account may change before the next.
        cache = self.__dict__.setdefault("_relatives_by_pk", {})
        if account.pk not in cache:
            cache[account.pk] = account_relatives_for_user(
                user=self.context["user"], account=account
            )
        return cache[account.pk]

    @extend_schema_field(RelatedAccountSerializer(allow_null=True))
    def get_parent(self, account: Account) -> dict[str, Any] | None:
        parent, _ = self._relatives(account)
        return _related(parent) if parent else None

    @extend_schema_field(RelatedAccountSerializer(many=True))
    def get_subsidiaries(self, account: Account) -> list[dict[str, Any]]:
        _, subsidiaries = self._relatives(account)
        return [_related(item) for item in subsidiaries]

    @extend_schema_field(
        inline_serializer(
            "AccountTeamMember",
            {
                "user_id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "role": serializers.CharField(),
                "team": serializers.CharField(allow_null=True),
                "source": serializers.CharField(),
            },
            many=True,
        )
    )
    def get_team(self, account: Account) -> list[dict[str, Any]]:
        members = (
            AccountTeamMember.objects.filter(account=account)
            .select_related("user", "user__team")
            .order_by("user__last_name", "user__first_name", "user__username")
        )
        return [
            {
                "user_id": member.user_id,
                "name": member.user.display_name,
                "role": member.user.role,
                "team": member.user.team.name if member.user.team else None,
                "source": member.source,
            }
            for member in members
        ]

    @extend_schema_field(
        inline_serializer(
            "AccountAlias",
            {
                "name": serializers.CharField(),
                "import_id": serializers.IntegerField(allow_null=True),
                "accepted_by": serializers.CharField(allow_null=True),
                "created_at": serializers.DateTimeField(),
            },
            many=True,
        )
    )
    def get_aliases(self, account: Account) -> list[dict[str, Any]]:
        # The import's issues run to megabytes; only who ran it is needed.
        aliases = (
            AccountAlias.objects.filter(account=account)
            .select_related("job__created_by")
            .only(
                "name",
                "job_id",
                "created_at",
                "job__created_by",
                "job__created_by_name",
            )
        )
        return [
            {
                "name": alias.name,
                "import_id": alias.job_id,
                "accepted_by": (alias.job.created_by_label or None)
                if alias.job
                else None,
                "created_at": alias.created_at,
            }
            for alias in aliases
        ]


ACCOUNT_DETAIL_EXAMPLE = {
    **{key: value for key, value in ACCOUNT_EXAMPLE.items() if "_at" not in key},
    "parent": {"id": 3, "name": "Acme Holdings", "visible": True},
    "subsidiaries": [{"id": None, "name": "Acme Retail GmbH", "visible": False}],
    "team": [
        {
            "user_id": 5,
            "name": "Rita Rep",
            "role": "rep",
            "team": "North",
            "source": "manual",
        }
    ],
    "aliases": [
        {
            "name": "ACME Corp.",
            "import_id": 31,
            "accepted_by": "Olga Ops",
            "created_at": "2026-11-20T09:14:37Z",
        }
    ],
    "created_at": ACCOUNT_EXAMPLE["created_at"],
    "updated_at": ACCOUNT_EXAMPLE["updated_at"],
}


class AccountListApi(APIView):
    # Named here so the schema describes the paged envelope, not a bare list.
    pagination_class = LodePagination

    @extend_schema(
        tags=["accounts"],
        summary="List the accounts you may see",
        parameters=[
            OpenApiParameter("search", str, description="Part of the name."),
            OpenApiParameter("sector", str, description="Exact sector."),
            OpenApiParameter("country", str, description="Exact country."),
            OpenApiParameter(
                "ordering", str, enum=sorted(ACCOUNT_ORDERINGS), default="name"
            ),
        ],
        responses=AccountOutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A page of accounts",
                value=ACCOUNT_EXAMPLE,
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        accounts = account_list_for_user(user=_user(request))
        params = request.query_params
        if params.get("search"):
            accounts = accounts.filter(
                Q(name__icontains=params["search"])
                | Q(external_id__iexact=params["search"])
            )
        if params.get("sector"):
            accounts = accounts.filter(sector=params["sector"])
        if params.get("country"):
            accounts = accounts.filter(country=params["country"])
        ordering = ordering_param(request, allowed=ACCOUNT_ORDERINGS, default="name")
        if ordering.lstrip("-") == "annual_revenue":
            # Revenues in several currencies sort by what they are in USD.
            accounts = accounts.annotate(revenue_usd=account_annual_revenue_usd())
            ordering = ordering.replace("annual_revenue", "revenue_usd")
        accounts = accounts.order_by(ordering, "pk")

        return paginated_response(
            request=request,
            view=self,
            queryset=accounts,
            serializer=AccountOutputSerializer,
        )


class AccountDetailApi(APIView):
    if_match_methods = frozenset({"PATCH"})

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(
            max_length=200,
            required=False,
            help_text=(
                "Shown as typed everywhere. Refused when another account "
                "has it, capitals aside."
            ),
        )
        sector = serializers.CharField(max_length=100, allow_blank=True, required=False)
        country = serializers.CharField(
            max_length=100, allow_blank=True, required=False
        )
        year_established = serializers.IntegerField(
            min_value=1800, max_value=2100, allow_null=True, required=False
        )
        annual_revenue = AmountField(
            min_value=0,
            allow_null=True,
            required=False,
            help_text="The amount exactly as the company reports it.",
        )
        annual_revenue_currency = serializers.CharField(
            max_length=3,
            allow_blank=True,
            required=False,
            help_text=(
                "Its ISO code; left out, the account's own (USD for a first "
                "revenue). Another than USD takes the latest stored rate into "
                "USD, and is refused without one."
            ),
        )
        employees = serializers.IntegerField(
            min_value=0, max_value=10_000_000, allow_null=True, required=False
        )
        parent_id = serializers.IntegerField(
            min_value=1,
            max_value=2**31 - 1,
            allow_null=True,
            required=False,
            help_text="An account you may see, or null for none.",
        )
        team_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
            max_length=500,
            required=False,
            help_text="The whole account team, by user id (sales ops only).",
        )

    @extend_schema(
        tags=["accounts"],
        summary="Read one account; the ETag header is its version",
        responses=AccountDetailOutputSerializer,
        examples=[OpenApiExample("An account", value=ACCOUNT_DETAIL_EXAMPLE)],
    )
    def get(self, request: Request, pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=pk)

        return Response(
            AccountDetailOutputSerializer(
                account, context={"user": _user(request)}
            ).data,
            headers={"ETag": etag_for(instance=account)},
        )

    @extend_schema(
        tags=["accounts"],
        summary="Change an account's name, firmographics, parent or team",
        description=(
            "Send the ETag from your last read in If-Match. Without it the "
            "answer is 428; if the account changed since, 412 with the "
            "current account in `current` and its ETag in the header. Each "
            "changed field goes to the account's history. "
            "`parent_id` names an account you may see; `team_ids` replaces "
            "the whole account team and is for sales ops only (403 for "
            "anyone else): each person added or removed is audited as a "
            "permission change. A new `name` is for sales ops only too, "
            "since a name must differ from every other account's, even "
            "those you cannot see: anyone else gets the same 400 on `name` "
            "whatever the name, and may send the name as it is."
        ),
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="The ETag from your last read.",
            )
        ],
        request=InputSerializer,
        responses={
            200: AccountDetailOutputSerializer,
            412: inline_serializer(
                "AccountPreconditionFailed",
                {
                    "detail": serializers.CharField(),
                    "current": AccountDetailOutputSerializer(),
                },
            ),
        },
        examples=write_examples(
            request=(
                "Correct the head count",
                {"employees": 4300},
            ),
            response=(
                "The account as saved",
                {
                    **ACCOUNT_DETAIL_EXAMPLE,
                    "employees": 4300,
                    "updated_at": "2026-12-02T10:41:07.518204Z",
                },
            ),
        ),
    )
    def patch(self, request: Request, pk: int) -> Response:
        user = _user(request)
        account = account_get_for_user(user=user, pk=pk)
        if not account_can_edit(user=user, account=account):
            raise PermissionDenied("You may read this account but not change it.")
        sent = request.data if isinstance(request.data, dict) else {}
        if "team_ids" in sent and not directory_can_edit(user=user):
            # Who is on the team decides who sees the account.
            raise PermissionDenied("Only sales operations change an account's team.")

        def save(data: dict[str, Any], version: Any) -> bool:
            if "parent_id" not in data and "team_ids" not in data:
                return account_update(
                    account=account, user=user, data=data, expected_version=version
                )
            values = {
                field: data[field] for field in ACCOUNT_EDITABLE_FIELDS if field in data
            }
            if any(field in data for field in ANNUAL_REVENUE_GIVEN):
                values.update(account_annual_revenue_values(account=account, data=data))
            if "parent_id" in data:
                values["parent"] = account_parent_check(
                    user=user, account=account, parent_id=data["parent_id"]
                )
            team = None
            if "team_ids" in data:
                team = account_team_users(user_ids=data["team_ids"])
            return account_relations_update(
                account=account,
                actor=user,
                values=values,
                team=team,
                expected_version=version,
                request=request._request,
            )

        return versioned_update_respond(
            request=request,
            instance=account,
            input_serializer=self.InputSerializer,
            output_serializer=cast(
                type[serializers.Serializer],
                functools.partial(
                    AccountDetailOutputSerializer, context={"user": user}
                ),
            ),
            save=save,
        )


class RevenueQuarterOutputSerializer(serializers.Serializer):
    product = serializers.CharField(source="product__name")
    quarter_start = serializers.DateField()
    amount = AmountField(source="total")
    currency = serializers.CharField()
    lines = serializers.IntegerField(help_text="Invoice or won-deal lines summed.")


class AccountRevenueListApi(APIView):
    pagination_class = LodePagination

    @extend_schema(
        tags=["accounts"],
        summary="Realised revenue of one account, per product and quarter",
        description=(
            "Each entry sums the account's invoice lines (or won deals) of one "
            "product, quarter and currency."
        ),
        parameters=[
            OpenApiParameter("product", str, description="Exact product name."),
            OpenApiParameter("since", OpenApiTypes.DATE, description="First quarter."),
            OpenApiParameter(
                "ordering",
                str,
                enum=["quarter_start", "-quarter_start", "amount", "-amount"],
                default="quarter_start",
            ),
        ],
        responses=RevenueQuarterOutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "Revenue lines",
                value={
                    "product": "GTX Pro",
                    "quarter_start": "2026-07-01",
                    "amount": "48000.00",
                    "currency": "USD",
                    "lines": 3,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        # Won deals that invoices cover are not revenue twice.
        lines = RevenueLine.objects.counted().filter(account=account)
        params = request.query_params
        if params.get("product"):
            lines = lines.filter(product__name=params["product"])
        if params.get("since"):
            try:
                since = QueryDateField().run_validation(params["since"])
            except ValidationError as error:
                raise ValidationError({"since": error.detail}) from error
            lines = lines.filter(quarter_start__gte=since)
        ordering = ordering_param(
            request,
            allowed={"quarter_start", "-quarter_start", "amount", "-amount"},
            default="quarter_start",
        )
        quarters = (
            lines.values("product_id", "product__name", "quarter_start", "currency")
            .annotate(total=Sum("amount"), lines=Count("pk"))
            .order_by(
                ordering.replace("amount", "total"),
                "quarter_start",
                "product__name",
                "product_id",
                "currency",
            )
        )

        return paginated_response(
            request=request,
            view=self,
            queryset=quarters,
            serializer=RevenueQuarterOutputSerializer,
        )


class DealOutputSerializer(serializers.ModelSerializer):
    account_id = serializers.IntegerField(read_only=True)
    product_id = serializers.IntegerField(read_only=True)
    product = serializers.CharField(source="product.name", read_only=True)
    owner_id = serializers.IntegerField(read_only=True, allow_null=True)
    owner = serializers.CharField(
        source="owner.display_name", read_only=True, default=""
    )
    close_value = AmountField(read_only=True, allow_null=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "external_id",
            "name",
            "account_id",
            "product_id",
            "product",
            "owner_id",
            "owner",
            "stage",
            "engaged_on",
            "closed_on",
            "close_value",
            "currency",
            "custom_values",
            "updated_at",
        ]
        read_only_fields = fields


DEAL_ORDERINGS = {"closed_on", "-closed_on", "external_id", "-external_id"}

DEAL_EXAMPLE = {
    "id": 7,
    "external_id": "0065g00000Q1w2eAAB",
    "name": "Northwind renewal 2026",
    "account_id": 12,
    "product_id": 3,
    "product": "GTX Pro",
    "owner_id": 5,
    "owner": "Rita Rep",
    "stage": "won",
    "engaged_on": "2026-01-12",
    "closed_on": "2026-03-31",
    "close_value": "48000.00",
    "currency": "USD",
    "custom_values": {"Forecast_Category__c": "Closed"},
    "updated_at": "2026-12-01T09:00:00Z",
}
# The input names the product and owner by id, as the output's *_id.
DEAL_INPUT_NAMES = {"product": "product_id", "owner": "owner_id"}


class DayField(serializers.DateField):
    """A date sent as YYYY-MM-DD, refused in the deal page's words otherwise."""

    def to_internal_value(self, value: Any) -> date:
        if isinstance(value, date):
            return value
        try:
            return day_from_text(str(value))
        except DayTextError as error:
            raise ValidationError(error.message) from error


# As long as the deal's field; blank is a deal with no name, as one added
# by hand starts.
DEAL_NAME_MOST = 200


class DealInputSerializer(StrictInputSerializer):
    name = serializers.CharField(
        max_length=DEAL_NAME_MOST, allow_blank=True, required=False
    )
    product_id = serializers.IntegerField(min_value=1)
    stage = serializers.ChoiceField(choices=Opportunity.Stage.choices)
    close_value = AmountField(allow_null=True, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    engaged_on = DayField(allow_null=True, required=False)
    closed_on = DayField(allow_null=True, required=False)
    owner_id = serializers.IntegerField(min_value=1, allow_null=True, required=False)


class DealReplaceInputSerializer(DealInputSerializer):
    """Every field a user may set, each sent: a PUT leaves none as it was."""

    name = serializers.CharField(max_length=DEAL_NAME_MOST, allow_blank=True)
    close_value = AmountField(allow_null=True)
    currency = serializers.CharField(max_length=3)
    engaged_on = DayField(allow_null=True)
    closed_on = DayField(allow_null=True)
    owner_id = serializers.IntegerField(min_value=1, allow_null=True)


def _deal_values(data: dict[str, Any]) -> dict[str, Any]:
    """Turn the ids in validated input into the product and owner rows."""
    values = {
        name: value
        for name, value in data.items()
        if name not in DEAL_INPUT_NAMES.values()
    }
    if "product_id" in data:
        product = Product.objects.filter(pk=data["product_id"]).first()
        if product is None:
            raise ValidationError({"product_id": ["No product has this id."]})
        values["product"] = product
    if "owner_id" in data:
        owner = None
        if data["owner_id"] is not None:
            owner = User.objects.filter(pk=data["owner_id"], is_active=True).first()
            if owner is None:
                # Unnamed: any user id may be sent, and who exists is not
                # for the sender to learn.
                raise ValidationError({"owner_id": [DEAL_OWNER_NOT_ON_TEAM]})
        values["owner"] = owner
    return values


def _deal_refused(error: DjangoValidationError) -> ValidationError:
    """Name each refused field as the client sent it: `owner_id`, not `owner`."""
    return ValidationError(
        {
            DEAL_INPUT_NAMES.get(field, field): messages
            for field, messages in error.message_dict.items()
        }
    )


DEAL_STALE = inline_serializer(
    "DealPreconditionFailed",
    {"detail": serializers.CharField(), "current": DealOutputSerializer()},
)


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = KEY_REUSED
    default_code = "idempotency_key_reused"


DEAL_KEY_REUSED = inline_serializer(
    "DealIdempotencyKeyReused", {"detail": serializers.CharField()}
)


class DealCreateApi(APIView):
    @extend_schema(
        tags=["accounts"],
        summary="Add a deal to an account by hand",
        description=(
            "The deal gets an id of Lode's own (`lode-...`) in `external_id`. "
            "A won or lost deal needs `closed_on`; a won one needs "
            "`close_value`. `owner_id` is someone on the account's team. "
            "The ETag header is the new deal's version.\n\n"
            f"Send an `{IDEMPOTENCY_KEY_HEADER}` (a UUID, say) to retry "
            "safely after a timeout: the same key and the same values to "
            "the same account add the deal once, and a retry answers 201 "
            "with that deal as it is now and "
            f"`{REPLAYED_HEADER}: true`. The same key with other values or "
            "to another account is refused with 422, adding nothing. Keys "
            "are per user; a key whose deal was deleted since adds a new one."
        ),
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_KEY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description=(
                    "Your own key for this deal, 1 to "
                    f"{KEY_MOST_CHARACTERS} visible ASCII characters: send "
                    "the same one when you retry the same request."
                ),
                pattern=f"^[!-~]{{1,{KEY_MOST_CHARACTERS}}}$",
            ),
            OpenApiParameter(
                REPLAYED_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[201],
                enum=["true"],
                description=(
                    "Sent as `true` when the key added the deal before and "
                    "this request added nothing."
                ),
            ),
        ],
        request=DealInputSerializer,
        responses={201: DealOutputSerializer, 422: DEAL_KEY_REUSED},
        examples=write_examples(
            request=(
                "A renewal in play",
                {
                    "product_id": 3,
                    "stage": "engaging",
                    "close_value": "52000.00",
                    "currency": "EUR",
                    "engaged_on": "2026-11-20",
                    "closed_on": "2027-03-31",
                },
            ),
            response=(
                "The deal as recorded",
                {
                    **DEAL_EXAMPLE,
                    "external_id": "lode-3f9c2a7be41d4c08",
                    "name": "",
                    "owner_id": None,
                    "owner": "",
                    "stage": "engaging",
                    "engaged_on": "2026-11-20",
                    "closed_on": "2027-03-31",
                    "close_value": "52000.00",
                    "currency": "EUR",
                    "custom_values": {},
                    "updated_at": "2026-12-05T09:12:44.208311Z",
                },
            ),
        ),
    )
    def post(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        if not account_can_edit(user=_user(request), account=account):
            raise PermissionDenied("You may read this account but not change it.")
        key_text = request.headers.get(IDEMPOTENCY_KEY_HEADER)
        if key_text is not None and deal_key_problem(key_text):
            raise ValidationError({IDEMPOTENCY_KEY_HEADER: [KEY_REFUSED]})
        serializer = DealInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        key = None
        if key_text is not None:
            key = deal_key_for(user=_user(request), text=key_text)
        try:
            deal, added = deal_create_once(
                account=account,
                user=_user(request),
                data=_deal_values(serializer.validated_data),
                key=key,
                same_values=True,
            )
        except DjangoValidationError as error:
            raise _deal_refused(error) from error
        except DealKeyReused as error:
            raise IdempotencyKeyReused() from error

        headers = {"ETag": etag_for(instance=deal)}
        if not added:
            headers[REPLAYED_HEADER] = "true"
        return Response(
            DealOutputSerializer(deal).data,
            status=status.HTTP_201_CREATED,
            headers=headers,
        )


class DealDetailApi(APIView):
    if_match_methods = frozenset({"PATCH", "PUT", "DELETE"})

    @extend_schema(
        tags=["accounts"],
        summary="Read one deal; the ETag header is its version",
        responses=DealOutputSerializer,
        examples=[OpenApiExample("A deal", value=DEAL_EXAMPLE)],
    )
    def get(self, request: Request, pk: int) -> Response:
        deal = deal_get_for_user(user=_user(request), pk=pk)

        return Response(
            DealOutputSerializer(deal).data,
            headers={"ETag": etag_for(instance=deal)},
        )

    @extend_schema(
        tags=["accounts"],
        summary="Change a deal: name, stage, amount, dates, product or owner",
        description=(
            "Send the ETag from your last read in If-Match. Without it the "
            "answer is 428; if the deal changed since, 412 with the current "
            "deal in `current` and its ETag in the header. `name` is the "
            "deal's name as people know it, up to 200 characters, or blank. "
            "Each changed field is recorded in the account's history, so "
            "undoing an import that touched the deal keeps it."
        ),
        request=DealInputSerializer,
        responses={200: DealOutputSerializer, 412: DEAL_STALE},
        examples=write_examples(
            request=(
                "The deal slipped a quarter",
                {"closed_on": "2026-06-30", "close_value": "45000.00"},
            ),
            response=(
                "The deal as saved",
                {
                    **DEAL_EXAMPLE,
                    "closed_on": "2026-06-30",
                    "close_value": "45000.00",
                    "updated_at": "2026-12-05T10:41:07.518204Z",
                },
            ),
        ),
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, DealInputSerializer, partial=True)

    @extend_schema(
        tags=["accounts"],
        summary="Replace a deal: every field a user may set, all sent",
        description=(
            "As PATCH, but every field is required: `name` may be blank, "
            "and `close_value`, `engaged_on`, `closed_on` and `owner_id` may "
            "be null, not left out. Send the ETag from your last read in "
            "If-Match: 428 without it, 412 with the current deal when it "
            "changed since. A won deal's revenue by quarter follows in the "
            "same write."
        ),
        request=DealReplaceInputSerializer,
        responses={200: DealOutputSerializer, 412: DEAL_STALE},
        examples=write_examples(
            request=(
                "The deal lost, as the CRM now has it",
                {
                    "name": "Northwind renewal 2026",
                    "product_id": 3,
                    "owner_id": 5,
                    "stage": "lost",
                    "engaged_on": "2026-01-12",
                    "closed_on": "2026-03-31",
                    "close_value": None,
                    "currency": "USD",
                },
            ),
            response=(
                "The deal as saved",
                {
                    **DEAL_EXAMPLE,
                    "stage": "lost",
                    "close_value": None,
                    "updated_at": "2026-12-05T11:02:31.904117Z",
                },
            ),
        ),
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, DealReplaceInputSerializer, partial=False)

    @extend_schema(
        tags=["accounts"],
        summary="Delete a deal; the next import skips it",
        description=(
            "Send the ETag from your last read in If-Match: 428 without it, "
            "412 with the current deal when it changed since. The deal's "
            "values go to the account's history as removed, its won revenue "
            "goes with it, and its `external_id` is recorded as deleted: an "
            "import that reads it again skips the row and says "
            '"deleted by <user> on <day>, skipped" in its row report.'
        ),
        request=None,
        responses={204: None, 412: DEAL_STALE},
        examples=[
            OpenApiExample(
                "The deal changed since it was read",
                value={
                    "detail": (
                        "Someone changed this since you read it. Here is the "
                        "current version; apply your change to it and send "
                        "its ETag."
                    ),
                    "current": DEAL_EXAMPLE,
                },
                response_only=True,
                status_codes=["412"],
            ),
        ],
    )
    def delete(self, request: Request, pk: int) -> Response:
        deal = self._editable(request, pk)

        return versioned_delete_respond(
            request=request,
            instance=deal,
            output_serializer=DealOutputSerializer,
            delete=lambda version: deal_delete(
                deal=deal, user=_user(request), expected_version=version
            ),
        )

    def _update(
        self,
        request: Request,
        pk: int,
        input_serializer: type[serializers.Serializer],
        *,
        partial: bool,
    ) -> Response:
        deal = self._editable(request, pk)

        return versioned_update_respond(
            request=request,
            instance=deal,
            input_serializer=input_serializer,
            output_serializer=DealOutputSerializer,
            save=_deal_save(request, deal),
            partial=partial,
        )

    def _editable(self, request: Request, pk: int) -> Opportunity:
        deal = deal_get_for_user(user=_user(request), pk=pk)
        if not account_can_edit(
            user=_user(request), account=cast(Account, deal.account)
        ):
            raise PermissionDenied("You may read this account but not change it.")
        return deal


def _deal_save(request: Request, deal: Opportunity) -> Callable[[dict, Any], bool]:
    """Return the versioned save a PATCH or PUT of this deal applies."""

    def save(data: dict[str, Any], version: Any) -> bool:
        try:
            return deal_update(
                deal=deal,
                user=_user(request),
                data=_deal_values(data),
                expected_version=version,
            )
        except DjangoValidationError as error:
            raise _deal_refused(error) from error

    return save


class AccountDealListApi(APIView):
    pagination_class = LodePagination

    @extend_schema(
        tags=["accounts"],
        summary="The CRM deals of one account, with the CRM's own fields",
        description=(
            "Deals come from imports or are added by hand; `custom_values` "
            "holds the CRM's own columns (Salesforce `__c` fields) as text, "
            "by column, and only an import writes it."
        ),
        parameters=[
            OpenApiParameter(
                "stage", str, enum=Opportunity.Stage.values, description="Stage."
            ),
            OpenApiParameter(
                "ordering", str, enum=sorted(DEAL_ORDERINGS), default="-closed_on"
            ),
        ],
        responses=DealOutputSerializer(many=True),
        examples=[
            OpenApiExample("A page of deals", value=DEAL_EXAMPLE, response_only=True)
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        deals = Opportunity.objects.filter(account=account).select_related(
            "product", "owner"
        )
        stage = request.query_params.get("stage")
        if stage:
            try:
                serializers.ChoiceField(Opportunity.Stage.choices).run_validation(stage)
            except ValidationError as error:
                raise ValidationError({"stage": error.detail}) from error
            deals = deals.filter(stage=stage)
        ordering = ordering_param(request, allowed=DEAL_ORDERINGS, default="-closed_on")
        # Deals without a close date go last either way, on every database.
        name = ordering.removeprefix("-")
        order = (
            F(name).desc(nulls_last=True)
            if ordering.startswith("-")
            else F(name).asc(nulls_last=True)
        )

        return paginated_response(
            request=request,
            view=self,
            queryset=deals.order_by(order, "pk"),
            serializer=DealOutputSerializer,
        )


class ProductOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "series", "list_price"]


class ProductListApi(APIView):
    pagination_class = LodePagination

    @extend_schema(
        tags=["accounts"],
        summary="Our product catalogue",
        responses=ProductOutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A page of products",
                value={
                    "id": 7,
                    "name": "GTK 500",
                    "series": "GTK",
                    "list_price": "26768.00",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        products = Product.objects.order_by("name", "pk")

        return paginated_response(
            request=request,
            view=self,
            queryset=products,
            serializer=ProductOutputSerializer,
        )


class ApiTokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


TOKEN_EXAMPLE = {
    "id": 3,
    "name": "CRM nightly sync",
    "prefix": "lode_1UgC",
    "created_at": "2026-11-28T16:05:12Z",
    "last_used_at": "2026-12-04T02:00:09Z",
    "revoked_at": None,
}


class ApiTokenListApi(APIView):
    pagination_class = LodePagination

    @extend_schema(
        tags=["tokens"],
        summary="Your personal API tokens",
        responses=ApiTokenOutputSerializer(many=True),
        examples=[
            OpenApiExample("A page of tokens", value=TOKEN_EXAMPLE, response_only=True)
        ],
    )
    def get(self, request: Request) -> Response:
        tokens = api_token_list_for_user(user=_user(request))

        return paginated_response(
            request=request,
            view=self,
            queryset=tokens,
            serializer=ApiTokenOutputSerializer,
        )


class ApiTokenCreateApi(APIView):
    permission_classes = [BrowserSessionRequired]

    class InputSerializer(StrictInputSerializer):
        name = serializers.CharField(max_length=100)

    class OutputSerializer(ApiTokenOutputSerializer):
        secret = serializers.CharField(help_text="Shown this once only.")

    @extend_schema(
        tags=["tokens"],
        summary="Create a personal API token; its secret is shown once",
        request=InputSerializer,
        responses={201: OutputSerializer},
        examples=write_examples(
            request=(
                "Name the token after where it will live",
                {"name": "CRM nightly sync"},
            ),
            response=(
                "The new token with its secret",
                {
                    **TOKEN_EXAMPLE,
                    "last_used_at": None,
                    "secret": "lode_1UgC7hQ2vR9xKpW4sT8mYb3nLd6fJz0cXe5aGu1H",
                },
            ),
        ),
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        token, secret = api_token_create(
            user=_user(request),
            name=serializer.validated_data["name"],
            request=request,
        )

        data: dict[str, Any] = {
            **ApiTokenOutputSerializer(token).data,
            "secret": secret,
        }
        return Response(data, status=status.HTTP_201_CREATED)


class ApiTokenRevokeApi(APIView):
    permission_classes = [BrowserSessionRequiredToRevoke]

    @extend_schema(
        tags=["tokens"],
        summary="Revoke one of your tokens; its next use is refused",
        description=(
            "Only a signed-in browser session may revoke, as only one may "
            "create: a request made with an API token is refused with 403."
        ),
        request=None,
        responses=ApiTokenOutputSerializer,
        examples=[
            OpenApiExample(
                "The token, revoked",
                value={**TOKEN_EXAMPLE, "revoked_at": "2026-12-05T08:30:00Z"},
                response_only=True,
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        token = api_token_get_for_user(user=_user(request), pk=pk)

        api_token_revoke(token=token, user=_user(request), request=request)

        return Response(ApiTokenOutputSerializer(token).data)


class WhitespaceProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    series = serializers.CharField()
    list_price = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True
    )
    bought_since = serializers.DateField(allow_null=True)


class AccountWhitespaceApi(APIView):
    class OutputSerializer(serializers.Serializer):
        account_id = serializers.IntegerField()
        bought = WhitespaceProductSerializer(many=True)
        not_bought = WhitespaceProductSerializer(many=True)

    @extend_schema(
        tags=["accounts"],
        summary="Products the account buys and the whitespace it does not",
        responses=OutputSerializer,
        description=(
            "A product counts as bought while the account's net revenue on it "
            "is positive, as on the dashboard; a refunded one is whitespace."
        ),
        examples=[
            OpenApiExample(
                "Bought and not",
                value={
                    "account_id": 12,
                    "bought": [
                        {
                            "id": 3,
                            "name": "GTX Pro",
                            "series": "GTX",
                            "list_price": "4800.00",
                            "bought_since": "2025-04-01",
                        }
                    ],
                    "not_bought": [
                        {
                            "id": 5,
                            "name": "MG Special",
                            "series": "MG",
                            "list_price": "1200.00",
                            "bought_since": None,
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        query_params_refuse_unknown(request, view=self)
        account = account_get_for_user(user=_user(request), pk=account_pk)

        since = whitespace_bought_since(account_ids=[account.pk])

        bought: list[dict[str, Any]] = []
        not_bought: list[dict[str, Any]] = []
        for product in Product.objects.catalogue().order_by("name", "pk"):
            row = {
                "id": product.pk,
                "name": product.name,
                "series": product.series,
                "list_price": product.list_price,
                "bought_since": since.get((account.pk, product.pk)),
            }
            (bought if row["bought_since"] else not_bought).append(row)
        data = {"account_id": account.pk, "bought": bought, "not_bought": not_bought}
        return Response(self.OutputSerializer(data).data)


class AuditEventListApi(APIView):
    pagination_class = LodePagination

    class FilterSerializer(serializers.Serializer):
        action = serializers.ChoiceField(
            choices=AuditEvent.Action.choices, required=False
        )
        actor = serializers.CharField(
            max_length=150, required=False, help_text="Username, as recorded."
        )
        since = QueryDateTimeField(required=False)
        until = QueryDateTimeField(required=False)

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            if "since" in data and "until" in data and data["since"] > data["until"]:
                raise ValidationError({"until": ["Must not be before since."]})
            return data

    class OutputSerializer(serializers.ModelSerializer):
        actor = serializers.CharField(source="actor_label")
        target_type = serializers.CharField(
            source="target_type.model", allow_null=True, default=None
        )

        class Meta:
            model = AuditEvent
            fields = [
                "id",
                "created_at",
                "action",
                "actor_id",
                "actor",
                "target_type",
                "target_id",
                "target_label",
                "ip_address",
                "user_agent",
                "detail",
            ]

    @extend_schema(
        tags=["audit"],
        summary="The audit log, newest first (admins and sales ops)",
        description="Anyone else gets 404. `since` and `until` are inclusive.",
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A failed login",
                value={
                    "id": 981,
                    "created_at": "2026-12-03T08:14:02Z",
                    "action": "login_failed",
                    "actor_id": None,
                    "actor": "rita",
                    "target_type": None,
                    "target_id": None,
                    "target_label": "",
                    "ip_address": "192.0.2.15",
                    "user_agent": "Mozilla/5.0",
                    "detail": {},
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        if not _user(request).is_ops:
            raise NotFound()
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data

        events = AuditEvent.objects.select_related("target_type").order_by(
            "-created_at", "-pk"
        )
        if "action" in wanted:
            events = events.filter(action=wanted["action"])
        if "actor" in wanted:
            events = events.filter(actor_label=wanted["actor"])
        if "since" in wanted:
            events = events.filter(created_at__gte=wanted["since"])
        if "until" in wanted:
            events = events.filter(created_at__lte=wanted["until"])

        return paginated_response(
            request=request,
            view=self,
            queryset=events,
            serializer=self.OutputSerializer,
        )
