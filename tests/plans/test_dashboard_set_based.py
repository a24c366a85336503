"""The dashboard's coverage and completeness figures against a plain count.

The dashboard asks the database for people coverage and plan completeness
in a few statements over every account at once. Here the same figures are
counted the straightforward way, one account and one plan at a time, with
the coverage page's own rules (stakeholders.selectors.coverage_for_account)
and Python's own dates and strip(), on a portfolio built to sit on the
edges of those rules: sectors that match their defaults only once stripped
and lower-cased, an account's own role list beside its sector's, people who
left or were erased, stale days either side of the threshold, a summary of
Unicode blanks, and moments whose day differs between UTC and the
organisation's zone.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from pytest_django import Settings

from accounts.models import Account, ChangeRecord, User
from plans.dashboard import (
    BLANK_CHARACTERS,
    SECTION_NAMES,
    Dashboard,
    dashboard_for_user,
    plan_completeness_for,
)
from plans.models import Action, Alignment, ManagerReview, Plan, Strategy
from plans.selectors import ITEM_KINDS
from stakeholders.coverage import HIGH_INFLUENCE, Kind
from stakeholders.models import (
    AccountExpectedRole,
    BuyingRole,
    SectorRoleDefault,
    Stakeholder,
)
from stakeholders.selectors import coverage_for_account
from tests.accounts.factories import AccountFactory, ProductFactory, UserFactory
from tests.plans.factories import PlanFactory
from tests.stakeholders.factories import (
    ActivityFactory,
    BuyingRoleFactory,
    StakeholderFactory,
)

ZONE = "America/Los_Angeles"
STALE_DAYS = 30
FRESH_DAYS = 20
COVERAGE_KINDS = {
    Kind.MISSING_ROLE: "coverage.missing_role",
    Kind.NO_OWNER: "coverage.unowned",
    Kind.STALE: "coverage.stale",
}
OPEN_ACTIONS = [Action.Status.OPEN, Action.Status.IN_PROGRESS]


def _role(key: str) -> BuyingRole:
    return cast(BuyingRole, BuyingRoleFactory.create(key=key, name=key.title()))


def _account(name: str, sector: str) -> Account:
    return cast(Account, AccountFactory.create(name=name, sector=sector))


def _person(account: Account, **values: Any) -> Stakeholder:
    roles = values.pop("roles", [])
    person = cast(Stakeholder, StakeholderFactory.create(account=account, **values))
    person.roles.set(roles)
    return person


def _set(model: type[Any], pk: int, **values: Any) -> None:
    """Write timestamps the model sets itself (auto_now) as given."""
    model.objects.filter(pk=pk).update(**values)


def _local_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(ZONE))


@pytest.fixture
def portfolio(db: None, settings: Settings) -> dict[str, Any]:
    settings.TIME_ZONE = ZONE
    settings.STAKEHOLDER_STALE_DAYS = STALE_DAYS
    settings.PLAN_FRESH_DAYS = FRESH_DAYS
    now = timezone.now()
    today = timezone.localdate(now, timezone=ZoneInfo(ZONE))
    fresh_from = today - timedelta(days=FRESH_DAYS)
    owner = cast(User, UserFactory.create(username="olga"))

    # Expected roles: the blank sector's finance, medical's finance and IT,
    # retail's operations.
    finance, it, operations, buyer = (
        _role(key) for key in ("finance", "it", "operations", "buyer")
    )
    SectorRoleDefault.objects.all().delete()
    for sector, roles in (
        ("", [finance]),
        ("medical", [finance, it]),
        ("retail", [operations]),
    ):
        for role in roles:
            SectorRoleDefault.objects.create(sector=sector, role=role)

    accounts = {
        # Medical once stripped and lower-cased, tab and no-break space too.
        "Alpha": _account("Alpha", " Medical\t"),
        "Bravo": _account("Bravo", "MEDICAL\u00a0"),
        # Its own list wins over its sector's defaults.
        "Charlie": _account("Charlie", "Retail"),
        # A sector without defaults takes the blank sector's.
        "Delta": _account("Delta", "Mining"),
        "Echo": _account("Echo", ""),
        "Foxtrot": _account("Foxtrot", "retail"),
    }
    alpha, bravo, charlie, delta, echo, foxtrot = accounts.values()
    for role in (buyer, it):
        AccountExpectedRole.objects.create(account=charlie, role=role)

    # Roles held: only by active people.
    _person(alpha, roles=[finance], sentiment=2, influence=HIGH_INFLUENCE)
    _person(alpha, roles=[it], status=Stakeholder.Status.LEFT, influence=5)
    _person(charlie, roles=[buyer, operations], sentiment=-2, influence=3)
    _person(delta, roles=[finance], status=Stakeholder.Status.ERASED)
    _person(echo, roles=[finance], sentiment=-1, influence=5, owner=owner)

    # Staleness either side of STALE_DAYS whole days, an hour off.
    over = now - timedelta(days=STALE_DAYS + 1, hours=1)
    under = now - timedelta(days=STALE_DAYS + 1) + timedelta(hours=1)
    touched_over = _person(bravo, owner=owner, sentiment=1, influence=4)
    ActivityFactory.create(account=bravo, occurred_at=over).stakeholders.add(
        touched_over
    )
    touched_under = _person(bravo, owner=owner, sentiment=1)
    ActivityFactory.create(account=bravo, occurred_at=under).stakeholders.add(
        touched_under
    )
    touched_again = _person(delta, owner=owner, sentiment=0)
    for moment in (now - timedelta(days=200), now - timedelta(days=1)):
        ActivityFactory.create(account=delta, occurred_at=moment).stakeholders.add(
            touched_again
        )
    never_touched_old = _person(delta, owner=owner, sentiment=-2, influence=5)
    _set(Stakeholder, never_touched_old.pk, created_at=over)
    never_touched_new = _person(delta, owner=owner, sentiment=2)
    _set(Stakeholder, never_touched_new.pk, created_at=under)
    unowned_old = _person(echo, sentiment=0, influence=HIGH_INFLUENCE - 1)
    _set(Stakeholder, unowned_old.pk, created_at=over)

    # Plans. Alpha: every section, fresh, stale and closed items beside them.
    plans = {}
    plans["Alpha"] = plan = cast(
        Plan, PlanFactory.create(account=alpha, summary="Grow the lab business")
    )
    strategy = Strategy.objects.create(plan=plan, title="Lab growth")
    done = Strategy.objects.create(
        plan=plan, title="Old", status=Strategy.Status.ACHIEVED
    )
    _set(Strategy, done.pk, updated_at=now)
    _set(Strategy, strategy.pk, updated_at=_local_noon(fresh_from))
    alignment = Alignment.objects.create(
        plan=plan, strategy=strategy, product=ProductFactory.create()
    )
    _set(Alignment, alignment.pk, updated_at=_local_noon(fresh_from - timedelta(1)))
    action = Action.objects.create(plan=plan, title="Call")
    _set(Action, action.pk, updated_at=_local_noon(fresh_from))
    finished = Action.objects.create(plan=plan, title="Sent", status=Action.Status.DONE)
    _set(Action, finished.pk, updated_at=now)
    ManagerReview.objects.create(
        plan=plan,
        reviewed_on=fresh_from - timedelta(days=1),
        reviewer=owner,
        coaching_points="Go.",
    )

    # Bravo: a summary of blanks Python strips, the plan changed long ago.
    plans["Bravo"] = plan = cast(
        Plan, PlanFactory.create(account=bravo, summary=BLANK_CHARACTERS)
    )
    _set(Plan, plan.pk, updated_at=now - timedelta(days=100))

    # Charlie: changed at 03:00 UTC on the first fresh day, which is still
    # the day before in Los Angeles: stale there, fresh in UTC.
    plans["Charlie"] = plan = cast(
        Plan, PlanFactory.create(account=charlie, summary=" x ")
    )
    early = datetime.combine(fresh_from, time(3), tzinfo=ZoneInfo("UTC"))
    _set(Plan, plan.pk, updated_at=early)

    # Delta: nothing but its people; Echo: its plan old, an item recorded
    # as changed later, by the change history.
    plans["Delta"] = plan = cast(Plan, PlanFactory.create(account=delta, summary=""))
    plans["Echo"] = plan = cast(Plan, PlanFactory.create(account=echo, summary="Ok"))
    _set(Plan, plan.pk, updated_at=now - timedelta(days=300))
    record = ChangeRecord.objects.create(
        account=echo,
        content_type=ContentType.objects.get_for_model(Strategy),
        object_id=1,
    )
    _set(ChangeRecord, record.pk, changed_at=now - timedelta(days=40))
    ChangeRecord.objects.create(
        account=echo,
        content_type=ContentType.objects.get_for_model(Account),
        object_id=echo.pk,
    )
    del foxtrot  # no people and no plan
    return {"now": now, "today": today, "accounts": accounts, "plans": plans}


def _coverage_by_hand(accounts: list[Account]) -> dict[str, tuple[int, set[str]]]:
    """Count the coverage figures one account at a time, the page's way."""
    counted: dict[str, list[Any]] = defaultdict(lambda: [0, set()])
    for account in accounts:
        for finding in coverage_for_account(account=account):
            if finding.kind in COVERAGE_KINDS:
                counted[COVERAGE_KINDS[finding.kind]][0] += 1
                counted[COVERAGE_KINDS[finding.kind]][1].add(account.name)
        for person in account.stakeholders.filter(status=Stakeholder.Status.ACTIVE):
            keys = [f"sentiment.{person.sentiment}"]
            if person.influence >= HIGH_INFLUENCE:
                keys.append("coverage.important")
            for key in keys:
                counted[key][0] += 1
                counted[key][1].add(account.name)
    return {key: (count, names) for key, (count, names) in counted.items()}


def _completeness_by_hand(plan: Plan, today: date) -> tuple[int, list[Any]]:
    """Score one plan's sections from its items, day by day in Python."""

    def day(moments: Any) -> date | None:
        latest = max(moments, default=None)
        return timezone.localtime(latest).date() if latest else None

    days = [
        day([plan.updated_at]) if plan.summary.strip() else None,
        day(item.updated_at for item in plan.strategies.filter(status="open")),
        day(item.updated_at for item in plan.alignments.all()),
        day(item.updated_at for item in plan.pursuits.all()),
        day(item.updated_at for item in plan.actions.filter(status__in=OPEN_ACTIONS)),
        day(
            person.updated_at
            for person in plan.account.stakeholders.filter(status="active")
        ),
        max((item.reviewed_on for item in plan.manager_reviews.all()), default=None),
    ]
    states = [
        "missing"
        if last is None
        else ("fresh" if (today - last).days <= FRESH_DAYS else "stale")
        for last in days
    ]
    points = states.count("fresh") + states.count("stale") / 2
    return round(100 * points / 7), list(zip(SECTION_NAMES, states, days, strict=True))


def _last_change_by_hand(plan: Plan) -> date:
    kinds = [
        ContentType.objects.get_for_model(model).pk for model in ITEM_KINDS.values()
    ]
    moments = [plan.updated_at] + [
        record.changed_at
        for record in ChangeRecord.objects.filter(
            account=plan.account, content_type__in=kinds
        )
    ]
    return timezone.localtime(max(moments)).date()


def _shown(dashboard: Dashboard, key: str) -> tuple[int, set[str]]:
    figure = dashboard.figures[key]
    names = {dashboard.rows[pk].name for pk in figure.account_ids}
    return figure.count, names


def test_coverage_figures_equal_counting_each_account_by_hand(
    portfolio: dict[str, Any],
) -> None:
    # given
    ops = cast(User, UserFactory.create(role=User.Role.OPS))
    accounts = list(Account.objects.order_by("name"))

    # when
    dashboard = dashboard_for_user(user=ops, now=portfolio["now"])
    by_hand = _coverage_by_hand(accounts)

    # then: every coverage figure as counted account by account
    keys = [
        "coverage.missing_role",
        "coverage.unowned",
        "coverage.stale",
        "coverage.important",
        *(f"sentiment.{value}" for value in Stakeholder.Sentiment.values),
    ]
    assert {key: _shown(dashboard, key) for key in keys} == {
        key: by_hand.get(key, (0, set())) for key in keys
    }
    # and by name: Alpha misses IT (its holder left), Bravo finance and IT
    # (nobody holds a role), Charlie IT of its own list (operations is not
    # on it), Delta finance (its holder was erased), Foxtrot operations;
    # Echo holds the blank sector's finance.
    assert _shown(dashboard, "coverage.missing_role") == (
        6,
        {"Alpha", "Bravo", "Charlie", "Delta", "Foxtrot"},
    )
    # Bravo's person touched an hour over the stale days, Delta's never
    # touched since an hour over; not those an hour under, nor one touched
    # yesterday too, nor an unowned one.
    assert _shown(dashboard, "coverage.stale") == (2, {"Bravo", "Delta"})
    assert _shown(dashboard, "coverage.unowned") == (1, {"Alpha"})
    assert _shown(dashboard, "coverage.important") == (
        4,
        {"Alpha", "Bravo", "Delta", "Echo"},
    )
    assert _shown(dashboard, "sentiment.-2") == (2, {"Charlie", "Delta"})


def test_completeness_equals_scoring_each_plan_by_hand(
    portfolio: dict[str, Any],
) -> None:
    # given
    ops = cast(User, UserFactory.create(role=User.Role.OPS))
    today = portfolio["today"]

    # when
    dashboard = dashboard_for_user(user=ops, now=portfolio["now"])

    # then: each plan's percent, sections and last change as scored by hand
    shown = {}
    by_hand = {}
    for name, plan in portfolio["plans"].items():
        row = dashboard.rows[plan.account_id]
        assert row.completeness is not None
        shown[name] = (
            row.plan_id,
            row.completeness.percent,
            [
                (section.name, section.state, section.last_at)
                for section in row.completeness.sections
            ],
            row.last_touched_on,
        )
        plan = Plan.objects.get(pk=plan.pk)
        by_hand[name] = (
            plan.pk,
            *_completeness_by_hand(plan, today),
            _last_change_by_hand(plan),
        )
        assert plan_completeness_for(plan=plan, today=today) == row.completeness
    assert shown == by_hand
    # and by name: Alpha has the summary, strategy, action and people fresh,
    # the alignment and review a day stale, no pursuit: 5 of 7 points. The
    # others have fresh people; Charlie's and Echo's summaries are stale.
    assert {name: values[1] for name, values in shown.items()} == {
        "Alpha": 71,
        "Bravo": 14,
        "Charlie": 21,
        "Delta": 14,
        "Echo": 21,
    }
    states = {
        name: [state for _, state, *_ in values[2]] for name, values in shown.items()
    }
    assert states["Bravo"][0] == "missing"
    assert states["Charlie"][0] == "stale"
    assert (
        shown["Echo"][3]
        == timezone.localtime(
            ChangeRecord.objects.filter(
                content_type=ContentType.objects.get_for_model(Strategy)
            )
            .get()
            .changed_at
        ).date()
    )
    assert _shown(dashboard, "plans.incomplete") == (
        4,
        {"Bravo", "Charlie", "Delta", "Echo"},
    )
    assert _shown(dashboard, "execution.no_plan") == (1, {"Foxtrot"})
