"""REST endpoints for scoring models, score runs and account scores."""

from typing import Any, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import AmountField
from accounts.models import User
from accounts.selectors import account_get_for_user
from config.api import (
    LodePagination,
    StrictInputSerializer,
    body_require_empty,
    etag_for,
    ordering_param,
    paginated_response,
    query_params_refuse_unknown,
    versioned_update_respond,
)
from config.api_schema import write_examples
from scoring.api_services import EDITABLE_FIELDS, scoring_model_update
from scoring.models import AccountScore, ScoreRun, ScoringModel
from scoring.selectors import account_score_queryset_for_user, score_run_current
from scoring.services import score_run_request

SCORE_ORDERINGS = {
    "account__name",
    "-account__name",
    "performance",
    "-performance",
    "potential",
    "-potential",
    "ttm_revenue",
    "-ttm_revenue",
}


def _user(request: Request) -> User:
    return cast(User, request.user)


def _weight() -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )


class ScoringModelOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScoringModel
        fields = ["id", "name", "is_active", *EDITABLE_FIELDS, "updated_at"]


SCORING_MODEL_EXAMPLE = {
    "id": 1,
    "name": "Default",
    "is_active": True,
    "weight_ttm_revenue": "50.00",
    "weight_growth": "25.00",
    "weight_breadth": "25.00",
    "weight_relationship_health": "20.00",
    "weight_wallet_headroom": "50.00",
    "weight_product_whitespace": "25.00",
    "weight_subsidiary_whitespace": "10.00",
    "weight_capacity": "15.00",
    "performance_threshold": "50.00",
    "potential_threshold": "50.00",
    "tier_a_share": "70.00",
    "tier_b_share": "90.00",
    "min_peer_group": 5,
    "reporting_currency": "USD",
    "score_as_of": None,
    "updated_at": "2026-12-01T10:00:00Z",
}


class ScoringModelListApi(APIView):
    pagination_class = LodePagination

    @extend_schema(
        tags=["scoring"],
        summary="List the scoring models",
        responses=ScoringModelOutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "The scoring models",
                value=SCORING_MODEL_EXAMPLE,
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        models = ScoringModel.objects.order_by("-is_active", "name", "pk")

        return paginated_response(
            request=request,
            view=self,
            queryset=models,
            serializer=ScoringModelOutputSerializer,
        )


class ScoringModelDetailApi(APIView):
    if_match_methods = frozenset({"PATCH"})

    class InputSerializer(StrictInputSerializer):
        weight_ttm_revenue = _weight()
        weight_growth = _weight()
        weight_breadth = _weight()
        weight_relationship_health = _weight()
        weight_wallet_headroom = _weight()
        weight_product_whitespace = _weight()
        weight_subsidiary_whitespace = _weight()
        weight_capacity = _weight()
        performance_threshold = _weight()
        potential_threshold = _weight()
        tier_a_share = _weight()
        tier_b_share = _weight()
        min_peer_group = serializers.IntegerField(
            min_value=1, max_value=1000, required=False
        )
        reporting_currency = serializers.RegexField(
            r"^[A-Z]{3}$",
            required=False,
            error_messages={"invalid": "Give a three-letter currency code, e.g. EUR."},
        )
        score_as_of = serializers.DateField(
            required=False,
            allow_null=True,
            help_text="null: the window ends with the latest revenue quarter; "
            "a date (YYYY-MM-DD): every run scores the twelve months to it.",
            error_messages={
                "invalid": "Give a date as YYYY-MM-DD, or null to follow the "
                "latest revenue."
            },
        )

    @extend_schema(
        tags=["scoring"],
        summary="Read one scoring model; the ETag header is its version",
        responses=ScoringModelOutputSerializer,
        examples=[OpenApiExample("A scoring model", value=SCORING_MODEL_EXAMPLE)],
    )
    def get(self, request: Request, pk: int) -> Response:
        model = _scoring_model_get(pk=pk)

        return Response(
            ScoringModelOutputSerializer(model).data,
            headers={"ETag": etag_for(instance=model)},
        )

    @extend_schema(
        tags=["scoring"],
        summary="Change weights or thresholds (sales ops only)",
        description=(
            "Weights are 0-100; each axis needs at least one weight above 0. "
            "score_as_of pins where the scoring window ends (null follows the "
            "latest revenue quarter). "
            "Send the ETag from your last read in If-Match: without it 428, "
            "stale 412 with the current model. The next run uses the change."
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
        responses={200: ScoringModelOutputSerializer},
        examples=write_examples(
            request=(
                "Weigh growth more",
                {"weight_growth": "40.00", "weight_breadth": "10.00"},
            ),
            response=(
                "The model as saved",
                {
                    **SCORING_MODEL_EXAMPLE,
                    "weight_growth": "40.00",
                    "weight_breadth": "10.00",
                },
            ),
        ),
    )
    def patch(self, request: Request, pk: int) -> Response:
        model = _scoring_model_get(pk=pk)
        if not _user(request).is_ops:
            raise PermissionDenied("Only sales ops change scoring models.")
        return versioned_update_respond(
            request=request,
            instance=model,
            input_serializer=self.InputSerializer,
            output_serializer=ScoringModelOutputSerializer,
            save=lambda data, version: scoring_model_update(
                model=model,
                user=_user(request),
                data=data,
                expected_version=version,
            ),
        )


def _scoring_model_get(*, pk: int) -> ScoringModel:
    model = ScoringModel.objects.filter(pk=pk).first()
    if model is None:
        raise NotFound()
    return model


class ScoreRunOutputSerializer(serializers.ModelSerializer):
    scoring_model = serializers.CharField(source="scoring_model.name")
    reporting_currency = serializers.SerializerMethodField()
    left_out_lines = serializers.SerializerMethodField(
        help_text="Revenue lines per currency left out: no rate was stored."
    )
    window = serializers.SerializerMethodField(
        help_text="The trailing-twelve-month window: as_of, its quarters "
        "(label), and the accounts with revenue only outside it "
        "(idle_accounts, and the warning in words)."
    )

    def get_window(self, run: ScoreRun) -> dict[str, Any]:
        return dict((run.summary or {}).get("window") or {})

    def get_reporting_currency(self, run: ScoreRun) -> str:
        return run.reporting_currency

    def get_left_out_lines(self, run: ScoreRun) -> dict[str, int]:
        return dict((run.summary or {}).get("left_out_lines") or {})

    class Meta:
        model = ScoreRun
        fields = [
            "id",
            "scoring_model",
            "status",
            "is_current",
            "progress",
            "message",
            "trigger",
            "as_of",
            "accounts_scored",
            "revenue_lines_read",
            "reporting_currency",
            "left_out_lines",
            "window",
            "timings",
            "created_at",
            "started_at",
            "finished_at",
        ]


SCORE_RUN_EXAMPLE = {
    "id": 42,
    "scoring_model": "Default",
    "status": "succeeded",
    "is_current": True,
    "progress": 100,
    "message": "",
    "trigger": "api",
    "as_of": "2026-12-01",
    "accounts_scored": 1500,
    "revenue_lines_read": 96000,
    "reporting_currency": "USD",
    "left_out_lines": {"SEK": 3},
    "window": {
        "as_of": "2026-09-30",
        "label": "Q4 2025\u2013Q3 2026",
        "idle_accounts": 12,
        "warning": "12 accounts have no revenue in the window Q4 2025\u2013Q3 2026",
    },
    "timings": {
        "load_seconds": 0.41,
        "score_seconds": 0.22,
        "save_seconds": 0.35,
        "render_seconds": 0.3,
        "total_seconds": 1.28,
    },
    "created_at": "2026-12-01T10:00:00Z",
    "started_at": "2026-12-01T10:00:01Z",
    "finished_at": "2026-12-01T10:00:03Z",
}


class ScoreRunListApi(APIView):
    pagination_class = LodePagination

    @extend_schema(
        tags=["scoring"],
        summary="List score runs, newest first",
        parameters=[
            OpenApiParameter(
                "status", str, enum=[choice.value for choice in ScoreRun.Status]
            )
        ],
        responses=ScoreRunOutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "Recent runs",
                value=SCORE_RUN_EXAMPLE,
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        runs = ScoreRun.objects.select_related("scoring_model").order_by("-pk")
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in ScoreRun.Status.values:
                raise ValidationError(
                    {"status": [f"One of: {', '.join(ScoreRun.Status.values)}."]}
                )
            runs = runs.filter(status=wanted)

        return paginated_response(
            request=request,
            view=self,
            queryset=runs,
            serializer=ScoreRunOutputSerializer,
        )


class ScoreRunCreateApi(APIView):
    @extend_schema(
        tags=["scoring"],
        summary="Start a score run (sales ops)",
        description=(
            "Answers 202 with the pending run at once; follow it at "
            "/api/scoring/runs/{id}/. A run already waiting is reused."
        ),
        request=None,
        responses={202: ScoreRunOutputSerializer},
        examples=[
            OpenApiExample(
                "The pending run",
                value={
                    **SCORE_RUN_EXAMPLE,
                    "status": "pending",
                    "is_current": False,
                    "progress": 0,
                    "started_at": None,
                    "finished_at": None,
                },
                response_only=True,
                status_codes=["202"],
            )
        ],
    )
    def post(self, request: Request) -> Response:
        user = _user(request)
        if not user.is_ops:
            raise PermissionDenied("Only sales ops recompute scores.")
        body_require_empty(request)

        run = score_run_request(trigger="api", user=user)

        run.refresh_from_db()
        return Response(
            ScoreRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED
        )


class ScoreRunDetailApi(APIView):
    @extend_schema(
        tags=["scoring"],
        summary="Follow one score run: status, progress and message",
        responses=ScoreRunOutputSerializer,
        examples=[OpenApiExample("A finished run", value=SCORE_RUN_EXAMPLE)],
    )
    def get(self, request: Request, pk: int) -> Response:
        run = ScoreRun.objects.select_related("scoring_model").filter(pk=pk).first()
        if run is None:
            raise NotFound()

        return Response(ScoreRunOutputSerializer(run).data)


class ScoreRunCurrentApi(APIView):
    @extend_schema(
        tags=["scoring"],
        summary="The run whose scores the pages show",
        description="404 until a run has succeeded.",
        responses=ScoreRunOutputSerializer,
        examples=[OpenApiExample("The current run", value=SCORE_RUN_EXAMPLE)],
    )
    def get(self, request: Request) -> Response:
        query_params_refuse_unknown(request, view=self)
        run = score_run_current()
        if run is None:
            raise NotFound("No score run has finished yet.")

        return Response(ScoreRunOutputSerializer(run).data)


class AccountScoreOutputSerializer(serializers.ModelSerializer):
    account_id = serializers.IntegerField()
    account = serializers.CharField(source="account.name")
    sector = serializers.CharField(source="account.sector")
    run_id = serializers.IntegerField()
    # In the run's reporting currency: "1500.00", "12.345" in KWD.
    ttm_revenue = AmountField(read_only=True)

    class Meta:
        model = AccountScore
        fields = [
            "account_id",
            "account",
            "sector",
            "run_id",
            "performance",
            "potential",
            "quadrant",
            "tier",
            "ttm_revenue",
        ]


class AccountScoreDetailSerializer(AccountScoreOutputSerializer):
    run_finished_at = serializers.DateTimeField(source="run.finished_at")
    # Built from the stored breakdown numbers and the run's layout.
    components = serializers.JSONField(read_only=True)

    class Meta(AccountScoreOutputSerializer.Meta):
        fields = [
            *AccountScoreOutputSerializer.Meta.fields,
            "run_finished_at",
            "components",
        ]


SCORE_EXAMPLE = {
    "account_id": 1,
    "account": "Acme Corporation",
    "sector": "technology",
    "run_id": 42,
    "performance": 42.0,
    "potential": 24.1,
    "quadrant": "monitor",
    "tier": "B",
    "ttm_revenue": "101744.00",
}


# What moved the score: each input, raw and normalised across the
# portfolio, its weight and the points it gave.
SCORE_COMPONENTS_EXAMPLE = {
    "performance": {
        "ttm_revenue": {
            "raw": 101744.0,
            "normalised": 41.18,
            "weight": 50.0,
            "share": 0.6667,
            "points": 27.45,
            "status": "used",
        },
        "growth": {
            "raw": 2.0,
            "normalised": 50.0,
            "weight": 25.0,
            "share": 0.0,
            "points": 0.0,
            "status": "no_prior_revenue",
            "prior_revenue": 0.0,
        },
        "breadth": {
            "raw": 0.86,
            "normalised": 43.53,
            "weight": 25.0,
            "share": 0.3333,
            "points": 14.51,
            "status": "used",
        },
        "relationship_health": {
            "raw": None,
            "normalised": 0.0,
            "weight": 20.0,
            "share": 0.0,
            "points": 0.0,
            "status": "no_signals",
            "satisfaction": None,
            "nps": None,
            "tickets": None,
            "outside_first": None,
            "outside_last": None,
        },
    },
    "potential": {
        "wallet_headroom": {
            "raw": 0.0,
            "normalised": 0.0,
            "weight": 50.0,
            "share": 0.5556,
            "points": 0.0,
            "status": "used",
        },
        "product_whitespace": {
            "raw": 0.14,
            "normalised": 57.65,
            "weight": 25.0,
            "share": 0.2778,
            "points": 16.01,
            "status": "used",
        },
        "subsidiary_whitespace": {
            "raw": 0.0,
            "normalised": 0.0,
            "weight": 10.0,
            "share": 0.0,
            "points": 0.0,
            "status": "no_separation",
        },
        "capacity_revenue": {
            "raw": 1100.04,
            "normalised": 45.88,
            "weight": 7.5,
            "share": 0.0833,
            "points": 3.82,
            "status": "used",
        },
        "capacity_employees": {
            "raw": 2822.0,
            "normalised": 51.76,
            "weight": 7.5,
            "share": 0.0833,
            "points": 4.31,
            "status": "used",
        },
    },
    "peer_group": {
        "level": "sector_size",
        "sector": "technology",
        "size_band": "mid",
        "peers": 5,
        "spend_per_musd": 82.95,
        "expected_spend": 91253.38,
    },
    "currency": "USD",
    "left_out": {},
}


class ScoreListApi(APIView):
    pagination_class = LodePagination

    @extend_schema(
        tags=["scoring"],
        summary="Scores of the current run for the accounts you may see",
        parameters=[
            OpenApiParameter(
                "quadrant", str, enum=[q.value for q in AccountScore.Quadrant]
            ),
            OpenApiParameter("tier", str, enum=[t.value for t in AccountScore.Tier]),
            OpenApiParameter("sector", str, description="Exact sector."),
            OpenApiParameter(
                "ordering", str, enum=sorted(SCORE_ORDERINGS), default="account__name"
            ),
        ],
        responses=AccountScoreOutputSerializer(many=True),
        examples=[
            OpenApiExample(
                "A page of scores",
                value=SCORE_EXAMPLE,
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        ordering = ordering_param(
            request, allowed=SCORE_ORDERINGS, default="account__name"
        )
        run = score_run_current()
        if run is None:
            scores = AccountScore.objects.none()
        else:
            scores = account_score_queryset_for_user(user=_user(request), run=run)
        for name, choices in (
            ("quadrant", AccountScore.Quadrant.values),
            ("tier", AccountScore.Tier.values),
        ):
            value = params.get(name)
            if value:
                if value not in choices:
                    raise ValidationError({name: [f"One of: {', '.join(choices)}."]})
                scores = scores.filter(**{name: value})
        if params.get("sector"):
            scores = scores.filter(account__sector=params["sector"])
        scores = scores.select_related("account").order_by(ordering, "account_id", "pk")

        return paginated_response(
            request=request,
            view=self,
            queryset=scores,
            serializer=AccountScoreOutputSerializer,
        )


class AccountScoreApi(APIView):
    @extend_schema(
        tags=["scoring"],
        summary="One account's current score with its components",
        description="404 if you may not see the account or it has no score yet.",
        responses=AccountScoreDetailSerializer,
        examples=[
            OpenApiExample(
                "A score and why",
                value={
                    **SCORE_EXAMPLE,
                    "run_finished_at": "2026-12-01T10:00:03Z",
                    "components": SCORE_COMPONENTS_EXAMPLE,
                },
            )
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        score = (
            AccountScore.objects.filter(account=account, run__is_current=True)
            .select_related("account", "run")
            .first()
        )
        if score is None:
            raise NotFound("This account has no score in the current run.")

        return Response(AccountScoreDetailSerializer(score).data)


class AccountScoreHistoryApi(APIView):
    pagination_class = LodePagination

    @extend_schema(
        tags=["scoring"],
        summary="One account's scores across the kept runs, newest first",
        responses=AccountScoreDetailSerializer(many=True),
        examples=[
            OpenApiExample(
                "The latest run",
                value={
                    **SCORE_EXAMPLE,
                    "run_finished_at": "2026-11-30T02:00:41Z",
                    "components": SCORE_COMPONENTS_EXAMPLE,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        scores = (
            AccountScore.objects.filter(
                account=account, run__status=ScoreRun.Status.SUCCEEDED
            )
            .select_related("account", "run")
            .order_by("-run__created_at", "-run_id", "-pk")
        )

        return paginated_response(
            request=request,
            view=self,
            queryset=scores,
            serializer=AccountScoreDetailSerializer,
        )
