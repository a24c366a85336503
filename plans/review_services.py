"""Writes for scorecards, the executive review, snapshots and customer links.

Every write is checked against the account's edit rule here, not only in
the view: executives read reviews but never change them.
"""

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from accounts.history import change_record_many
from accounts.models import Account, User
from accounts.selectors import account_can_edit
from config.api import instance_save_if_unchanged
from plans.calendar import FiscalQuarter, fiscal_quarter_for
from plans.errors import (
    CANNOT_CHANGE,
    PlanError,
    VersionConflict,
    validation_field_errors,
    validation_message,
)
from plans.models import (
    Checkpoint,
    CustomerLink,
    CustomerLinkEvent,
    CustomerRating,
    ExecutiveReview,
    MeasureQuarter,
    Plan,
    PlanSnapshot,
    ValueMeasure,
    VoiceOfCustomer,
)
from plans.services import NO_SUCH_PERSON
from plans.snapshots import snapshot_capture
from stakeholders.models import Stakeholder

logger = logging.getLogger(__name__)

LINK_SALT = "plans.customer_link"
LINK_DAYS_DEFAULT = 30
LINK_DAYS_MAX = 90
MEASURE_FIELDS = ("name", "unit", "direction", "baseline", "source")
VOICE_FIELDS = (
    "kind",
    "body",
    "score",
    "score_max",
    "stakeholder",
    "speaker",
    "said_on",
)


def _require_edit(user: User, account: Account) -> None:
    if not account_can_edit(user=user, account=account):
        raise PlanError("You can read this account's reviews but not change them.")


def _clean(item: models.Model, exclude: Iterable[str] = ()) -> None:
    try:
        item.full_clean(exclude=list(exclude))
    except ValidationError as error:
        raise PlanError(
            validation_message(item, error),
            errors=validation_field_errors(error),
        ) from error


# Scorecard


@transaction.atomic
def value_measure_create(
    *, user: User, account: Account, values: Mapping[str, Any]
) -> ValueMeasure:
    _require_edit(user, account)
    measure = ValueMeasure(
        account=account,
        created_by=user,
        position=ValueMeasure.objects.filter(account=account).count(),
        **values,
    )
    _clean(measure)
    measure.save()
    change_record_many(
        user=user,
        account=account,
        target=measure,
        changes={name: ("", value) for name, value in values.items()},
        action="create",
    )
    return measure


@transaction.atomic
def measure_quarter_set(
    *,
    user: User,
    measure: ValueMeasure,
    quarter: FiscalQuarter,
    target: Decimal | None,
    actual: Decimal | None,
    note: str = "",
) -> MeasureQuarter:
    """Set a measure's target and actual for a quarter, recording the change."""
    _require_edit(user, measure.account)
    cell, _ = MeasureQuarter.objects.select_for_update().get_or_create(
        measure=measure, quarter_start=quarter.start
    )
    before = {"target": cell.target, "actual": cell.actual, "note": cell.note}
    cell.target, cell.actual, cell.note = target, actual, note.strip()
    cell.updated_by = user
    _clean(cell)
    cell.save()
    change_record_many(
        user=user,
        account=measure.account,
        target=measure,
        changes={
            f"{name} {quarter.label}": (old, getattr(cell, name))
            for name, old in before.items()
        },
    )
    return cell


def _rating_save(
    *,
    account: Account,
    stakeholder: Stakeholder,
    quarter: FiscalQuarter,
    score: int,
    comment: str,
    user: User | None,
    link: CustomerLink | None,
) -> CustomerRating:
    if stakeholder.account_id != account.pk:
        raise PlanError(NO_SUCH_PERSON, field="stakeholder")
    # The customer's own rating and the team's entry for the same contact are
    # kept apart: neither ever overwrites the other.
    rating, _ = CustomerRating.objects.get_or_create(
        account=account,
        quarter_start=quarter.start,
        stakeholder=stakeholder,
        by_customer=link is not None,
        defaults={"score": score},
    )
    rating.score, rating.comment = score, comment.strip()
    rating.recorded_by, rating.link = user, link
    _clean(rating)
    rating.save()
    return rating


@transaction.atomic
def customer_rating_record(
    *,
    user: User,
    account: Account,
    stakeholder: Stakeholder,
    quarter: FiscalQuarter,
    score: int,
    comment: str = "",
) -> CustomerRating:
    """Record a rating the customer gave us in person or by mail."""
    _require_edit(user, account)
    return _rating_save(
        account=account,
        stakeholder=stakeholder,
        quarter=quarter,
        score=score,
        comment=comment,
        user=user,
        link=None,
    )


def voice_score_problem(score: Any, score_max: Any) -> str | None:
    """Return why a survey score and its scale do not fit, or None if they do."""
    if score is None and score_max is None:
        return None
    if score is None or score_max is None:
        return "Survey score: give the score and what it is out of, or neither."
    if score_max <= 0:
        return "Out of: the top of the scale must be above 0."
    if not 0 <= score <= score_max:
        top = Decimal(str(score_max)).normalize()
        return f"Survey score: must lie between 0 and {top:f}."
    return None


def _voice_check_score(score: Any, score_max: Any) -> None:
    problem = voice_score_problem(score, score_max)
    if problem:
        label, _, reason = problem.partition(": ")
        raise PlanError(
            problem,
            field="score_max" if label == "Out of" else "score",
            reason=reason[:1].upper() + reason[1:],
        )


@transaction.atomic
def voice_create(
    *, user: User, account: Account, values: Mapping[str, Any]
) -> VoiceOfCustomer:
    _require_edit(user, account)
    stakeholder = values.get("stakeholder")
    if stakeholder is not None and stakeholder.account_id != account.pk:
        raise PlanError(NO_SUCH_PERSON, field="stakeholder")
    _voice_check_score(values.get("score"), values.get("score_max"))
    entry = VoiceOfCustomer(account=account, recorded_by=user, **values)
    _clean(entry)
    entry.save()
    return entry


def _save_versioned(
    *,
    user: User,
    account: Account,
    item: models.Model,
    values: Mapping[str, Any],
    expected_version: Any,
) -> bool:
    """Apply the values if the row is still at the version read; record them.

    Return False, changing nothing, when someone saved it in between.
    """
    _require_edit(user, account)
    before = {name: getattr(item, name) for name in values}
    for name, value in values.items():
        setattr(item, name, value)
    _clean(item)

    if not instance_save_if_unchanged(
        instance=item, fields=list(values), expected_version=expected_version
    ):
        return False
    change_record_many(
        user=user,
        account=account,
        target=item,
        changes={name: (before[name], values[name]) for name in values},
    )
    return True


def _delete_versioned(
    *, user: User, account: Account, item: models.Model, expected_version: Any
) -> bool:
    """Delete the row if it is still at the version read, keeping its history."""
    _require_edit(user, account)
    label = str(item)
    deleted, _ = (
        type(item)
        ._default_manager.filter(pk=item.pk, updated_at=expected_version)
        .delete()
    )
    if not deleted:
        return False
    change_record_many(
        user=user,
        account=account,
        target=item,
        changes={"deleted": (label, "")},
        action="delete",
    )
    return True


@transaction.atomic
def value_measure_update(
    *,
    user: User,
    measure: ValueMeasure,
    values: Mapping[str, Any],
    expected_version: Any,
) -> bool:
    """Change a measure's name, unit, direction, baseline or source."""
    unknown = set(values) - set(MEASURE_FIELDS)
    if unknown:
        raise PlanError(
            f"Cannot change {', '.join(sorted(unknown))} on a measure.",
            errors=dict.fromkeys(sorted(unknown), [CANNOT_CHANGE]),
        )
    return _save_versioned(
        user=user,
        account=measure.account,
        item=measure,
        values=values,
        expected_version=expected_version,
    )


@transaction.atomic
def value_measure_delete(
    *, user: User, measure: ValueMeasure, expected_version: Any
) -> bool:
    """Delete a measure with its quarters; its history stays on the account."""
    return _delete_versioned(
        user=user,
        account=measure.account,
        item=measure,
        expected_version=expected_version,
    )


@transaction.atomic
def voice_update(
    *,
    user: User,
    entry: VoiceOfCustomer,
    values: Mapping[str, Any],
    expected_version: Any,
) -> bool:
    """Correct a voice-of-customer entry: what was said, by whom, when."""
    unknown = set(values) - set(VOICE_FIELDS)
    if unknown:
        raise PlanError(
            f"Cannot change {', '.join(sorted(unknown))} on an entry.",
            errors=dict.fromkeys(sorted(unknown), [CANNOT_CHANGE]),
        )
    stakeholder = values.get("stakeholder")
    if stakeholder is not None and stakeholder.account_id != entry.account_id:
        raise PlanError(NO_SUCH_PERSON, field="stakeholder")
    _voice_check_score(
        values.get("score", entry.score), values.get("score_max", entry.score_max)
    )
    return _save_versioned(
        user=user,
        account=entry.account,
        item=entry,
        values=values,
        expected_version=expected_version,
    )


@transaction.atomic
def voice_delete(*, user: User, entry: VoiceOfCustomer, expected_version: Any) -> bool:
    return _delete_versioned(
        user=user, account=entry.account, item=entry, expected_version=expected_version
    )


# Executive review

REVIEW_FIELDS = ("held_on", "attendees", "decisions", "next_steps")


@transaction.atomic
def executive_review_save(
    *,
    user: User,
    account: Account,
    quarter: FiscalQuarter,
    values: Mapping[str, Any],
    version: int | None,
) -> ExecutiveReview:
    """Record what the meeting decided; refuse to overwrite a newer save."""
    _require_edit(user, account)
    unknown = set(values) - set(REVIEW_FIELDS)
    if unknown:
        raise PlanError(
            f"Cannot change {', '.join(sorted(unknown))} on a review.",
            errors=dict.fromkeys(sorted(unknown), [CANNOT_CHANGE]),
        )

    # The unique constraint makes concurrent first saves queue here: one
    # creates the row, the rest find it locked, then read it at version 1+.
    review, created = ExecutiveReview.objects.select_for_update().get_or_create(
        account=account, quarter_start=quarter.start
    )
    # A review not yet saved is at version 0, the ETag its GET sends.
    stored = 0 if created else review.version
    if version is not None and stored != version:
        raise VersionConflict(
            f"{review.updated_by or 'Someone'} saved this review first; "
            "reload to see their changes.",
            current=review,
        )
    before = {name: getattr(review, name) for name in values}
    for name, value in values.items():
        setattr(review, name, value)
    review.updated_by = user
    _clean(review, exclude=["snapshot"])
    review.save()
    ExecutiveReview.objects.filter(pk=review.pk).update(version=F("version") + 1)
    review.refresh_from_db()
    change_record_many(
        user=user,
        account=account,
        target=review,
        changes={name: (before[name], values[name]) for name in values},
        action="create" if created else "update",
    )
    return review


# Snapshots


def plan_snapshot_take(
    *,
    plan: Plan,
    user: User | None = None,
    quarter: FiscalQuarter | None = None,
    label: str = "",
) -> PlanSnapshot:
    """Capture the plan now: on demand, or as the close of a quarter.

    A quarter-end snapshot is taken once per plan and quarter; a repeat
    returns the one already taken.
    """
    if user is not None:
        _require_edit(user, plan.account)
    if quarter is not None:
        existing = PlanSnapshot.objects.filter(
            plan=plan,
            trigger=PlanSnapshot.Trigger.QUARTER_END,
            quarter_start=quarter.start,
        ).first()
        if existing is not None:
            return existing

    snapshot = PlanSnapshot(
        plan=plan,
        trigger=PlanSnapshot.Trigger.QUARTER_END
        if quarter
        else PlanSnapshot.Trigger.ON_DEMAND,
        quarter_start=quarter.start if quarter else None,
        label=label or (f"End of {quarter.label}" if quarter else ""),
        data=snapshot_capture(plan=plan),
        taken_by=user,
    )
    try:
        with transaction.atomic():
            snapshot.save()
    except IntegrityError:
        # Two beat runs raced; the other one's snapshot stands.
        return PlanSnapshot.objects.get(
            plan=plan,
            trigger=PlanSnapshot.Trigger.QUARTER_END,
            quarter_start=quarter.start if quarter else None,
        )
    return snapshot


def plan_snapshots_quarter_end(*, today: date | None = None) -> int:
    """Close the quarter that ended before today for every open plan.

    Run hourly by beat: the first run after local midnight on a quarter's
    first day snapshots the quarter that just ended; later runs find every
    plan done in one query and take nothing.
    """
    today = today or timezone.localdate()
    ended = fiscal_quarter_for(today).previous
    done = PlanSnapshot.objects.filter(
        trigger=PlanSnapshot.Trigger.QUARTER_END, quarter_start=ended.start
    ).values("plan_id")
    plans = (
        Plan.objects.exclude(status=Plan.Status.CLOSED)
        .exclude(pk__in=done)
        .select_related("account")
    )
    taken = 0
    for plan in plans.iterator():
        plan_snapshot_take(plan=plan, quarter=ended)
        taken += 1
    if taken:
        logger.info("Quarter-end snapshots for %s: %s taken", ended.label, taken)
    return taken


# Customer links


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def customer_link_token(*, link: CustomerLink, secret: str) -> str:
    """Return the signed token that goes in the link's URL."""
    return signing.dumps({"link": link.pk, "secret": secret}, salt=LINK_SALT)


@transaction.atomic
def customer_link_create(
    *,
    user: User,
    account: Account,
    stakeholder: Stakeholder,
    checkpoints: Iterable[Checkpoint] = (),
    days: int = LINK_DAYS_DEFAULT,
) -> tuple[CustomerLink, str]:
    """Create a link for a named contact; return it and its URL token.

    The token is shown once: only a hash of its secret is kept.
    """
    _require_edit(user, account)
    if stakeholder.account_id != account.pk:
        raise PlanError(NO_SUCH_PERSON, field="stakeholder")
    if not stakeholder.is_active:
        raise PlanError(
            f"{stakeholder} is no longer active at {account}.", field="stakeholder"
        )
    if not 1 <= days <= LINK_DAYS_MAX:
        raise PlanError(f"A link lasts from 1 to {LINK_DAYS_MAX} days.", field="days")
    checkpoints = list(checkpoints)
    for checkpoint in checkpoints:
        if checkpoint.stage.pursuit.plan.account_id != account.pk:
            raise PlanError(
                f"{checkpoint} belongs to another account.", field="checkpoints"
            )

    secret = secrets.token_urlsafe(32)
    link = CustomerLink.objects.create(
        account=account,
        stakeholder=stakeholder,
        secret_hash=_secret_hash(secret),
        expires_at=timezone.now() + timedelta(days=days),
        created_by=user,
    )
    link.checkpoints.set(checkpoints)
    change_record_many(
        user=user,
        account=account,
        target=link,
        changes={"customer link": ("", f"for {stakeholder}, {days} days")},
        action="create",
    )
    return link, customer_link_token(link=link, secret=secret)


def customer_link_revoke(*, user: User, link: CustomerLink) -> CustomerLink:
    _require_edit(user, link.account)
    if link.revoked_at is None:
        link.revoked_at, link.revoked_by = timezone.now(), user
        link.save(update_fields=["revoked_at", "revoked_by"])
        change_record_many(
            user=user,
            account=link.account,
            target=link,
            changes={"customer link": ("active", "revoked")},
        )
    return link


def customer_link_resolve(*, token: str) -> CustomerLink | None:
    """Return the usable link a token names, or None for any bad token.

    The signature keeps forged ids out; the secret's hash, compared in
    constant time, means a leaked database row alone opens nothing.
    """
    try:
        payload = signing.loads(token, salt=LINK_SALT)
        link_id, secret = int(payload["link"]), str(payload["secret"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    link = (
        CustomerLink.objects.select_related("account", "stakeholder")
        .filter(pk=link_id)
        .first()
    )
    if link is None or not hmac.compare_digest(link.secret_hash, _secret_hash(secret)):
        return None
    if not link.is_usable() or not link.stakeholder.is_active:
        return None
    return link


def _customer_event(link: CustomerLink, action: str, detail: str) -> None:
    CustomerLinkEvent.objects.create(link=link, action=action, detail=detail)
    CustomerLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())


def customer_link_opened(*, link: CustomerLink) -> None:
    _customer_event(link, CustomerLinkEvent.Action.OPENED, "")


@transaction.atomic
def customer_rating_by_link(
    *, link: CustomerLink, quarter: FiscalQuarter, score: int, comment: str
) -> CustomerRating:
    """Take the contact's own rating; it is recorded as theirs, not ours."""
    rating = _rating_save(
        account=link.account,
        stakeholder=link.stakeholder,
        quarter=quarter,
        score=score,
        comment=comment,
        user=None,
        link=link,
    )
    _customer_event(
        link,
        CustomerLinkEvent.Action.RATED,
        f"{quarter.label}: {score}/10. {comment.strip()}".strip(),
    )
    change_record_many(
        user=None,
        account=link.account,
        target=rating,
        changes={
            "rating": ("", f"{score}/10 by {link.stakeholder} (customer link)"),
            "comment": ("", comment.strip()),
        },
        action="customer",
    )
    return rating


@transaction.atomic
def customer_checkpoint_confirm(
    *, link: CustomerLink, checkpoint_id: int, note: str = ""
) -> Checkpoint:
    """Let the contact confirm a checkpoint assigned to them, as evidence."""
    checkpoint = link.checkpoints.select_for_update().filter(pk=checkpoint_id).first()
    if checkpoint is None:
        raise PlanError("This checkpoint is not yours to confirm.")
    if checkpoint.is_validated:
        return checkpoint

    today = timezone.localdate()
    evidence = f"Confirmed by {link.stakeholder} through their customer link."
    if note.strip():
        evidence += f" They wrote: {note.strip()}"
    Checkpoint.objects.filter(pk=checkpoint.pk).update(
        evidence=evidence,
        happened_on=today,
        validated_at=timezone.now(),
        validated_by=None,
        version=F("version") + 1,
    )
    checkpoint.refresh_from_db()
    _customer_event(link, CustomerLinkEvent.Action.CONFIRMED, checkpoint.description)
    change_record_many(
        user=None,
        account=link.account,
        target=checkpoint,
        changes={"evidence": ("", evidence), "happened_on": ("", today)},
        action="customer",
    )
    return checkpoint
