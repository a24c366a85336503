"""Reads for people, links and coverage, always through account access."""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    BooleanField,
    DateTimeField,
    Field,
    Max,
    Prefetch,
    QuerySet,
)
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format

from accounts.history import ERASED, change_list_for_target
from accounts.models import Account, ChangeRecord, User
from accounts.selectors import account_can_edit, account_list_for_user
from stakeholders.coverage import Finding, Person, coverage_findings
from stakeholders.graph import reporting_loops
from stakeholders.models import (
    AccountExpectedRole,
    Activity,
    BuyingRole,
    InfluenceLink,
    SectorRoleDefault,
    Stakeholder,
)


def stakeholder_list_for_user(*, user: User) -> QuerySet[Stakeholder]:
    """Return the people at the accounts this user may see."""
    return Stakeholder.objects.filter(
        account__in=account_list_for_user(user=user).values("pk")
    )


def stakeholder_get_for_user(*, user: User, pk: int) -> Stakeholder:
    """Return the person if the user may see their account, else raise 404."""
    try:
        return stakeholder_list_for_user(user=user).select_related("account").get(pk=pk)
    except Stakeholder.DoesNotExist as error:
        raise Http404("No such person.") from error


def influence_link_get_for_user(*, user: User, pk: int) -> InfluenceLink:
    """Return the link if the user may see its account, else raise 404."""
    visible = account_list_for_user(user=user).values("pk")
    try:
        return InfluenceLink.objects.select_related("account").get(
            pk=pk, account__in=visible
        )
    except InfluenceLink.DoesNotExist as error:
        raise Http404("No such link.") from error


def stakeholder_can_edit(*, user: User, account: Account) -> bool:
    return account_can_edit(user=user, account=account)


def stale_days() -> int:
    return settings.STAKEHOLDER_STALE_DAYS


def _people_queryset() -> QuerySet[Stakeholder]:
    # The Max() makes this a GROUP BY query, which drops Meta.ordering: name
    # the order, or PostgreSQL hands people back in hash order.
    return (
        Stakeholder.objects.exclude(status=Stakeholder.Status.ERASED)
        .select_related("owner")
        .annotate(last_touch_at=Max("activities__occurred_at"))
        .prefetch_related(
            Prefetch("roles", queryset=BuyingRole.objects.only("id", "key", "name"))
        )
        .order_by("last_name", "first_name", "id")
    )


def account_expected_roles_map(
    *, accounts: list[Account]
) -> dict[int, list[BuyingRole]]:
    """Return each account's expected roles in two queries for any number."""
    explicit: dict[int, list[BuyingRole]] = defaultdict(list)
    for expected in AccountExpectedRole.objects.filter(
        account__in=[account.pk for account in accounts]
    ).select_related("role"):
        explicit[expected.account_id].append(expected.role)

    by_sector: dict[str, list[BuyingRole]] = defaultdict(list)
    for default in SectorRoleDefault.objects.select_related("role"):
        by_sector[default.sector].append(default.role)

    result = {}
    for account in accounts:
        if account.pk in explicit:
            roles = explicit[account.pk]
        else:
            roles = by_sector.get(account.sector.strip().lower()) or by_sector[""]
        result[account.pk] = sorted(roles, key=lambda role: (role.position, role.name))
    return result


def _as_person(stakeholder: Stakeholder) -> Person:
    return Person(
        id=stakeholder.pk,
        name=stakeholder.name,
        seniority=stakeholder.seniority,
        influence=stakeholder.influence,
        sentiment=stakeholder.sentiment,
        owner_id=stakeholder.owner_id,
        role_ids=frozenset(role.pk for role in stakeholder.roles.all()),
        last_touch_at=stakeholder.last_touch_at,  # type: ignore[attr-defined]
        added_at=stakeholder.created_at,
        action_plan=stakeholder.action_plan,
        title=stakeholder.title,
    )


def _findings(
    people: list[Stakeholder], roles: list[BuyingRole], now: datetime
) -> list[Finding]:
    return coverage_findings(
        people=[_as_person(person) for person in people if person.is_active],
        expected_roles=[(role.pk, role.name) for role in roles],
        stale_days=stale_days(),
        now=now,
    )


@dataclass
class AccountCoverage:
    account: Account
    people: int
    findings: list[Finding]


def coverage_for_account(*, account: Account) -> list[Finding]:
    people = list(_people_queryset().filter(account=account))
    roles = account_expected_roles_map(accounts=[account])[account.pk]
    return _findings(people, roles, timezone.now())


def coverage_rollup_for_user(*, user: User) -> list[AccountCoverage]:
    """Return every visible account's findings, in a fixed number of queries."""
    accounts = list(account_list_for_user(user=user).order_by("name"))
    people: dict[int, list[Stakeholder]] = defaultdict(list)
    for person in _people_queryset().filter(
        account__in=[account.pk for account in accounts]
    ):
        people[person.account_id].append(person)
    roles = account_expected_roles_map(accounts=accounts)
    now = timezone.now()
    return [
        AccountCoverage(
            account=account,
            people=sum(1 for person in people[account.pk] if person.is_active),
            findings=_findings(people[account.pk], roles[account.pk], now),
        )
        for account in accounts
    ]


def _graph(people: list[Stakeholder], links: list[InfluenceLink]) -> dict[str, Any]:
    """Return the plain data the org chart and the influence map draw."""
    shown = [person for person in people if person.is_active]
    shown_ids = {person.pk for person in shown}
    managers = {
        person.pk: person.reports_to_id
        for person in shown
        if person.reports_to_id in shown_ids
    }
    loops = reporting_loops(managers)
    in_loop = {pk for loop in loops for pk in loop}
    return {
        "people": [
            {
                "id": person.pk,
                "name": person.name,
                "title": person.title,
                "department": person.department,
                "seniority": person.get_seniority_display(),
                "sentiment": person.sentiment,
                "sentimentLabel": person.get_sentiment_display(),
                "influence": person.influence,
                "owner": person.owner.display_name if person.owner else "",
                "reportsTo": managers.get(person.pk),
                "inLoop": person.pk in in_loop,
            }
            for person in shown
        ],
        "links": [
            {
                "id": link.pk,
                "source": link.source_id,
                "target": link.target_id,
                "kind": link.kind,
                "kindLabel": link.get_kind_display(),
                "strength": link.strength,
            }
            for link in links
            if link.source_id in shown_ids and link.target_id in shown_ids
        ],
        "loops": loops,
    }


def expected_roles_etag(*, account: Account, roles: list[BuyingRole]) -> str:
    """Return an ETag for the account's expected roles, from their keys.

    The set has no row of its own to carry a version, so its content is
    the version: the same roles give the same tag.
    """
    keys = ",".join(sorted(role.key for role in roles))
    raw = f"expected-roles:{account.pk}:{keys}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def findings_by_kind(*, findings: list[Finding]) -> list[dict[str, Any]]:
    """Group findings by kind, in the order each kind first appears.

    With sixty people a flat list of findings pushes the maps off the
    screen; the page shows one line per kind with a count to open.
    """
    groups: dict[str, dict[str, Any]] = {}
    for finding in findings:
        group = groups.setdefault(
            finding.kind, {"kind": finding.kind, "title": finding.title, "items": []}
        )
        group["items"].append(finding)
    return list(groups.values())


def account_stakeholder_board(*, user: User, account: Account) -> dict[str, Any]:
    """Return everything the stakeholder section shows for one account.

    A fixed number of queries whatever the number of people: the people with
    their last touch, their roles, the links, the expected roles, the
    sector defaults, the team and the edit right.
    """
    people = list(_people_queryset().filter(account=account))
    links = list(InfluenceLink.objects.filter(account=account))
    expected = account_expected_roles_map(accounts=[account])[account.pk]
    team = list(
        User.objects.filter(account_memberships__account=account).order_by(
            "first_name", "last_name", "username"
        )
    )
    roles = list(BuyingRole.objects.all())
    now = timezone.now()
    findings = _findings(people, expected, now)
    names = {person.pk: person.name for person in people}
    active = [person for person in people if person.is_active]
    stale_after = stale_days()
    for person in people:
        touch = person.last_touch_at  # type: ignore[attr-defined]
        person.days_since_touch = (now - touch).days if touch else None  # type: ignore[attr-defined]
        untouched = (now - (touch or person.created_at)).days
        person.is_stale = bool(  # type: ignore[attr-defined]
            person.is_active and person.owner_id and untouched > stale_after
        )
    return {
        "account": account,
        "people": people,
        "active_count": len(active),
        "left_count": len(people) - len(active),
        "links": [
            {
                "link": link,
                "source": names.get(link.source_id, ""),
                "target": names.get(link.target_id, ""),
            }
            for link in links
            if link.source_id in names and link.target_id in names
        ],
        "expected_roles": expected,
        "expected_roles_etag": expected_roles_etag(account=account, roles=expected),
        "roles": roles,
        "team": team,
        "findings": findings,
        "finding_groups": findings_by_kind(findings=findings),
        "graph": _graph(people, links),
        "can_edit": account_can_edit(user=user, account=account),
        "stale_days": stale_after,
        "choices": {
            "sentiment": Stakeholder.Sentiment.choices,
            "influence": Stakeholder.Influence.choices,
            "relationship": Stakeholder.RelationshipLevel.choices,
            "seniority": Stakeholder.Seniority.choices,
            "link_kind": InfluenceLink.Kind.choices,
            "link_strength": InfluenceLink.Strength.choices,
            "activity_kind": Activity.Kind.choices,
        },
    }


@dataclass(frozen=True)
class HistoryEntry:
    changed_at: datetime
    changed_by: str
    action: str
    field: str
    old: str
    new: str
    # Which import made the change, or whose undo did; blank for a hand edit.
    source: str = ""


HISTORY_ACTIONS = {
    "create": "Added",
    "update": "Changed",
    "delete": "Removed",
    "erase": "Erased",
    "undo": "Set back",
}


def _history_field(name: str) -> str:
    """Return a recorded field's name: "owner" for "owner_id", not "external"."""
    bare = name.removesuffix("_id")
    try:
        field = Stakeholder._meta.get_field(bare)
    except FieldDoesNotExist:
        return name
    return bare if field.is_relation else name


def _history_source(record: ChangeRecord) -> str:
    if record.import_job_id is None:
        return ""
    if record.action == "undo":
        return f"undo of import {record.import_job_id}"
    return f"import {record.import_job_id}"


def stakeholder_history(
    *, stakeholder: Stakeholder, limit: int = 200
) -> list[HistoryEntry]:
    """Return the person's history as a reader sees it, newest first.

    The history stores raw values: ids for the manager and the owner, choice
    keys, role keys. They turn into names and labels here, in three queries
    whatever the length, and a value erasure blanked stays blank.
    """
    records = list(change_list_for_target(target=stakeholder)[:limit])
    wanted: dict[str, set[int]] = {"reports_to": set(), "owner": set()}
    for record in records:
        field = record.field.removesuffix("_id")
        if field in wanted:
            wanted[field].update(
                int(value)
                for value in (record.old_value, record.new_value)
                if value.isdigit()
            )
    people = {
        person.pk: person.name
        for person in Stakeholder.objects.filter(pk__in=wanted["reports_to"])
    }
    users = {
        user.pk: user.display_name
        for user in User.objects.filter(pk__in=wanted["owner"])
    }
    roles = dict(BuyingRole.objects.values_list("key", "name"))

    def shown(field: str, value: str) -> str:
        if value in ("", ERASED):
            return value
        if field == "reports_to" and value.isdigit():
            return people.get(int(value), "a person no longer recorded")
        if field == "owner" and value.isdigit():
            return users.get(int(value), "a former user")
        if field == "roles":
            keys = [key.strip() for key in value.split(",")]
            return ", ".join(roles.get(key, key) for key in keys)
        return history_value_display(field=field, value=value)

    entries = []
    for record in records:
        field = _history_field(record.field)
        entries.append(
            HistoryEntry(
                changed_at=record.changed_at,
                changed_by=(
                    record.changed_by.display_name if record.changed_by else "system"
                ),
                action=HISTORY_ACTIONS.get(record.action, record.action),
                field=Stakeholder.field_label(field) if field else "",
                old=shown(field, record.old_value),
                new=shown(field, record.new_value),
                source=_history_source(record),
            )
        )
    return entries


def history_value_display(*, field: str, value: str) -> str:
    """Return one stored value of a person field as its label or plain text."""
    try:
        model_field = Stakeholder._meta.get_field(field)
    except FieldDoesNotExist:
        return value
    if not isinstance(model_field, Field):
        return value
    if model_field.choices:
        labels = {str(key): str(label) for key, label in model_field.flatchoices}
        return labels.get(value, value)
    if isinstance(model_field, BooleanField):
        return {"True": "Yes", "False": "No"}.get(value, value)
    if isinstance(model_field, DateTimeField):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, UTC)
        return date_format(timezone.localtime(moment), "j M Y H:i")
    return value
