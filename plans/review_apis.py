"""The API for scorecards, executive reviews and snapshots.

The same selectors and services as the pages, so the API enforces what the
pages enforce: executives read, only the account team writes. Updating a
recorded review takes its version in If-Match, as plan items do.
"""

from typing import Any, cast

from django.http import Http404
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.selectors import account_get_for_user
from config.api import if_match_version
from plans.calendar import (
    FiscalQuarter,
    fiscal_quarter_current,
    fiscal_quarter_parse,
    fiscal_quarters_ending_with,
)
from plans.errors import PlanError, VersionConflict
from plans.models import ExecutiveReview, PlanSnapshot, ValueMeasure
from plans.review_selectors import (
    Scorecard,
    executive_review_pack,
    plan_snapshot_list,
    scorecard_for_account,
)
from plans.review_services import (
    executive_review_save,
    measure_quarter_set,
    plan_snapshot_take,
    value_measure_create,
)
from plans.selectors import plan_get_for_user
from plans.snapshots import snapshot_capture, snapshot_diff


def _user(request: Request) -> User:
    return cast(User, request.user)


def _quarter(slug: str) -> FiscalQuarter:
    try:
        return fiscal_quarter_parse(slug)
    except ValueError as error:
        raise Http404(
            "No such quarter: use the first day of a fiscal quarter."
        ) from error


def _refused(error: PlanError) -> PermissionDenied | ValidationError:
    """Map a refused write to 403 (not allowed) or 400 (bad values)."""
    if "not change" in str(error):
        return PermissionDenied(str(error))
    return ValidationError({"detail": str(error)})


def scorecard_data(scorecard: Scorecard) -> dict[str, Any]:
    return {
        "account": scorecard.account.pk,
        "quarters": [
            {"label": q.label, "start": q.start, "end": q.end}
            for q in scorecard.quarters
        ],
        "measures": [
            {
                "id": row.measure.pk,
                "name": row.measure.name,
                "unit": row.measure.unit,
                "direction": row.measure.direction,
                "baseline": row.measure.baseline,
                "source": row.measure.source,
                "quarters": [
                    {
                        "quarter_start": quarter.start,
                        "target": cell.target if cell else None,
                        "actual": cell.actual if cell else None,
                        "note": cell.note if cell else "",
                    }
                    for quarter, cell in zip(scorecard.quarters, row.cells, strict=True)
                ],
            }
            for row in scorecard.rows
        ],
        "ratings": [
            {
                "quarter_start": rating.quarter_start,
                "contact": rating.stakeholder.name,
                "score": rating.score,
                "comment": rating.comment,
                "entered_by_customer": rating.by_customer,
                "entered_by": rating.entered_by,
            }
            for rating in scorecard.ratings
        ],
    }


class ScorecardApi(APIView):
    """GET the account's scorecard over the four quarters up to `quarter`."""

    def get(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        raw = request.query_params.get("quarter")
        quarter = _quarter(raw) if raw else fiscal_quarter_current()
        quarters = fiscal_quarters_ending_with(quarter, 4)
        return Response(
            scorecard_data(scorecard_for_account(account=account, quarters=quarters))
        )


class MeasureCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=150)
        unit = serializers.CharField(max_length=30, required=False, default="")
        direction = serializers.ChoiceField(choices=ValueMeasure.Direction.choices)
        baseline = serializers.DecimalField(max_digits=16, decimal_places=2)
        source = serializers.CharField(max_length=200, required=False, default="")  # type: ignore[assignment]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()

    def post(self, request: Request, account_pk: int) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        try:
            measure = value_measure_create(
                user=_user(request), account=account, values=serializer.validated_data
            )
        except PlanError as error:
            raise _refused(error) from error
        return Response(
            {"id": measure.pk, "name": measure.name}, status=status.HTTP_201_CREATED
        )


class MeasureQuarterSetApi(APIView):
    """PUT one measure's target and actual for a quarter."""

    class InputSerializer(serializers.Serializer):
        measure = serializers.IntegerField()
        target = serializers.DecimalField(
            max_digits=16, decimal_places=2, allow_null=True
        )
        actual = serializers.DecimalField(
            max_digits=16, decimal_places=2, allow_null=True
        )
        note = serializers.CharField(max_length=300, required=False, default="")

    class OutputSerializer(serializers.Serializer):
        measure = serializers.IntegerField()
        quarter_start = serializers.DateField()
        target = serializers.DecimalField(max_digits=16, decimal_places=2)
        actual = serializers.DecimalField(max_digits=16, decimal_places=2)
        note = serializers.CharField()

    def put(self, request: Request, account_pk: int, quarter: str) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        fiscal = _quarter(quarter)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        measure = ValueMeasure.objects.filter(
            pk=data["measure"], account=account
        ).first()
        if measure is None:
            raise ValidationError({"measure": "No such measure on this account."})

        try:
            cell = measure_quarter_set(
                user=_user(request),
                measure=measure,
                quarter=fiscal,
                target=data["target"],
                actual=data["actual"],
                note=data["note"],
            )
        except PlanError as error:
            raise _refused(error) from error
        return Response(
            {
                "measure": measure.pk,
                "quarter_start": cell.quarter_start,
                "target": cell.target,
                "actual": cell.actual,
                "note": cell.note,
            }
        )


def _review_data(pack: dict[str, Any]) -> dict[str, Any]:
    review: ExecutiveReview | None = pack["review"]
    return {
        "account": pack["account"].pk,
        "quarter": pack["quarter"].label,
        "quarter_start": pack["quarter"].start,
        "version": review.version if review else None,
        "held_on": review.held_on if review else None,
        "attendees": review.attendees if review else "",
        "decisions": review.decisions if review else "",
        "next_steps": review.next_steps if review else "",
        "scorecard": scorecard_data(pack["scorecard"]),
        "path": pack["path"],
        "changes": [change.text for change in pack["changes"]],
    }


class ReviewApi(APIView):
    """GET the quarterly review; PUT the meeting's decisions and next steps."""

    class InputSerializer(serializers.Serializer):
        held_on = serializers.DateField(required=False, allow_null=True)
        attendees = serializers.CharField(required=False, allow_blank=True)
        decisions = serializers.CharField(required=False, allow_blank=True)
        next_steps = serializers.CharField(required=False, allow_blank=True)

    def get(self, request: Request, account_pk: int, quarter: str) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        pack = executive_review_pack(
            account=account, quarter=_quarter(quarter), user=_user(request)
        )
        response = Response(_review_data(pack))
        if pack["review"] is not None:
            response["ETag"] = f'"{pack["review"].version}"'
        return response

    def put(self, request: Request, account_pk: int, quarter: str) -> Response:
        account = account_get_for_user(user=_user(request), pk=account_pk)
        fiscal = _quarter(quarter)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exists = ExecutiveReview.objects.filter(
            account=account, quarter_start=fiscal.start
        ).exists()
        version = if_match_version(request)
        if exists and version is None:
            return Response(
                {"detail": "Send the review's ETag in If-Match to change it."},
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )

        try:
            review = executive_review_save(
                user=_user(request),
                account=account,
                quarter=fiscal,
                values=serializer.validated_data,
                version=version if exists else None,
            )
        except VersionConflict as error:
            return Response(
                {"detail": str(error), "version": error.current.version},
                status=status.HTTP_412_PRECONDITION_FAILED,
                headers={"ETag": f'"{error.current.version}"'},
            )
        except PlanError as error:
            raise _refused(error) from error
        pack = executive_review_pack(account=account, quarter=fiscal)
        return Response(_review_data(pack), headers={"ETag": f'"{review.version}"'})


def _snapshot_data(snapshot: PlanSnapshot) -> dict[str, Any]:
    return {
        "id": snapshot.pk,
        "label": str(snapshot),
        "trigger": snapshot.trigger,
        "quarter_start": snapshot.quarter_start,
        "taken_at": snapshot.taken_at,
        "taken_by": snapshot.taken_by and snapshot.taken_by.display_name,
    }


class SnapshotListApi(APIView):
    """GET a plan's snapshots, newest first; POST takes one now."""

    class InputSerializer(serializers.Serializer):
        label = serializers.CharField(max_length=200, required=False, default="")  # type: ignore[assignment]

    def get(self, request: Request, plan_pk: int) -> Response:
        plan = plan_get_for_user(user=_user(request), pk=plan_pk)
        return Response([_snapshot_data(s) for s in plan_snapshot_list(plan=plan)])

    def post(self, request: Request, plan_pk: int) -> Response:
        plan = plan_get_for_user(user=_user(request), pk=plan_pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        try:
            snapshot = plan_snapshot_take(
                plan=plan, user=_user(request), label=serializer.validated_data["label"]
            )
        except PlanError as error:
            raise _refused(error) from error
        return Response(_snapshot_data(snapshot), status=status.HTTP_201_CREATED)


class SnapshotCompareApi(APIView):
    """GET what changed between snapshot `from` and snapshot `to` (or now)."""

    def get(self, request: Request, plan_pk: int) -> Response:
        plan = plan_get_for_user(user=_user(request), pk=plan_pk)
        snapshots = {s.pk: s for s in plan_snapshot_list(plan=plan)}

        def pick(name: str, default: str) -> PlanSnapshot | None:
            raw = request.query_params.get(name, default)
            if raw == "now":
                return None
            try:
                return snapshots[int(raw)]
            except (KeyError, ValueError) as error:
                raise ValidationError(
                    {name: "No such snapshot of this plan."}
                ) from error

        before = pick("from", "")
        if before is None:
            raise ValidationError({"from": "Name the snapshot to compare from."})
        after = pick("to", "now")
        changes = snapshot_diff(
            before.data, after.data if after else snapshot_capture(plan=plan)
        )
        return Response(
            {
                "from": _snapshot_data(before),
                "to": _snapshot_data(after) if after else "now",
                "changes": [
                    {
                        "section": change.section,
                        "name": change.name,
                        "kind": change.kind,
                        "field": change.field,
                        "old": change.old,
                        "new": change.new,
                        "text": change.text,
                    }
                    for change in changes
                ],
            }
        )
