"""The manager dashboard on a hand-built team, every figure counted by hand.

The team: Mark manages Central (Rita) and North (Ray). Acme is Rita's, Bolt
and Dune are Ray's, Crane has both; Edge belongs to Otto of the West team and
must never show up in Mark's figures. Quarters are taken relative to today,
so the expectations hold whenever the suite runs.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, ChangeRecord, Product, RevenueLine, User
from accounts.models import Team as AccountTeam
from plans.calendar import FiscalQuarter, fiscal_quarter_current
from plans.dashboard import (
    DashboardFilters,
    dashboard_figure_rows,
    dashboard_for_user,
    plan_completeness_for,
    stage_progress,
)
from plans.models import (
    Action,
    Checkpoint,
    ExternalForce,
    GateOverride,
    ManagerReview,
    Plan,
    Pursuit,
    SellCycleTemplate,
)
from plans.selectors import pursuit_progress
from plans.services import (
    action_create,
    external_force_create,
    plan_create,
    pursuit_create,
    strategy_create,
)
from scoring.models import AccountScore, ScoreRun, ScoringModel
from stakeholders.models import BuyingRole, SectorRoleDefault, Stakeholder
from tests.accounts.factories import (
    AccountFactory,
    ProductFactory,
    TeamFactory,
    UserFactory,
)
from tests.plans.factories import gated_template
from tests.stakeholders.factories import (
    ActivityFactory,
    BuyingRoleFactory,
    StakeholderFactory,
)


def _user(**values: object) -> User:
    return cast(User, UserFactory.create(**values))


def _account(name: str) -> Account:
    return cast(Account, AccountFactory.create(name=name))


def _person(**values: object) -> Stakeholder:
    return cast(Stakeholder, StakeholderFactory.create(**values))


def _moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


@dataclass
class Team:
    manager: User
    rita: User
    ray: User
    otto: User
    accounts: dict[str, Account]
    plans: dict[str, Plan]
    quarters: list[FiscalQuarter]  # oldest first, the current one last


def _scoring_model() -> ScoringModel:
    model = ScoringModel.objects.filter(is_active=True).first()
    return model or ScoringModel.objects.create(name="Default", is_active=True)


def _run(as_of: date, *, current: bool) -> ScoreRun:
    return ScoreRun.objects.create(
        scoring_model=_scoring_model(),
        status=ScoreRun.Status.SUCCEEDED,
        is_current=current,
        as_of=as_of,
        # Runs that backfill history finish today but stand for their as_of.
        finished_at=timezone.now(),
    )


def _score(
    run: ScoreRun,
    account: Account,
    quadrant: str,
    tier: str,
    potential: float,
    performance: float = 50,
    revenue: str = "1000",
) -> AccountScore:
    return AccountScore.objects.create(
        run=run,
        account=account,
        performance=performance,
        potential=potential,
        quadrant=quadrant,
        tier=tier,
        ttm_revenue=Decimal(revenue),
    )


def _template() -> SellCycleTemplate:
    return SellCycleTemplate.objects.filter(name="Test cycle").first() or (
        gated_template()
    )


def _pursuit(user: User, plan: Plan, product: object, name: str) -> Pursuit:
    return pursuit_create(
        user=user,
        plan=plan,
        template=_template(),
        values={"name": name, "product": product, "amount": 1000},
    )


def _close(pursuit: Pursuit, outcome: str, on: date) -> None:
    Pursuit.objects.filter(pk=pursuit.pk).update(
        outcome=outcome,
        closed_on=on,
        outcome_reason="Budget moved." if outcome == "no_decision" else "",
        reengage_on=on + timedelta(days=90) if outcome == "no_decision" else None,
    )


def build_team() -> Team:
    """Build the hand-counted team described in the module docstring."""
    today = timezone.localdate()
    now_quarter = fiscal_quarter_current()
    quarters = [now_quarter.shifted(offset) for offset in (-3, -2, -1, 0)]
    q3, q2, q1, q0 = quarters

    central = cast(AccountTeam, TeamFactory.create(name="Central", region="Central"))
    north = cast(AccountTeam, TeamFactory.create(name="North", region="North"))
    west = TeamFactory.create(name="West", region="West")
    manager = _user(username="mark", role=User.Role.MANAGER, team=central)
    central.manager = north.manager = manager
    central.save()
    north.save()
    rita = _user(username="rita", first_name="Rita", last_name="Reyes", team=central)
    ray = _user(username="ray", first_name="Ray", last_name="Ortiz", team=north)
    otto = _user(username="otto", first_name="Otto", last_name="West", team=west)

    accounts = {
        name: _account(name) for name in ("Acme", "Bolt", "Crane", "Dune", "Edge")
    }
    accounts["Acme"].team_members.add(rita)
    accounts["Bolt"].team_members.add(ray)
    accounts["Crane"].team_members.add(rita, ray)
    accounts["Dune"].team_members.add(ray)
    accounts["Edge"].team_members.add(otto)
    acme, bolt, crane, dune, edge = (accounts[name] for name in accounts)

    # Three products make twelve cells over Mark's four accounts.
    p1, p2, p3 = (
        cast(Product, ProductFactory.create(name=name))
        for name in ("Core", "Cloud", "Care")
    )
    for account in (acme, crane, edge):
        RevenueLine.objects.create(
            account=account, product=p1, quarter_start=q3.start, amount=Decimal(500)
        )

    # Scores: an older run in q2 and the current one today.
    old = _run(q2.start + timedelta(days=3), current=False)
    _score(old, acme, "expand", "B", 70)
    _score(old, bolt, "expand", "C", 70)
    _score(old, crane, "maintain", "B", 30)
    # The current run scores an export as of long ago: it still stands for
    # this quarter, as every other figure shows it.
    current = _run(today - timedelta(days=900), current=True)
    _score(current, acme, "grow", "A", 80, performance=70)
    _score(current, bolt, "expand", "C", 75, performance=20)
    _score(current, crane, "maintain", "B", 30, performance=80, revenue="-1250.50")
    _score(current, edge, "grow", "A", 90)

    # People: Finance is the one role every account is expected to have.
    SectorRoleDefault.objects.all().delete()
    finance = cast(BuyingRole, BuyingRoleFactory.create(key="finance", name="Finance"))
    SectorRoleDefault.objects.create(sector="", role=finance)
    ally = _person(
        account=acme, sentiment=2, influence=5, owner=rita, first_name="Alma"
    )
    ally.roles.add(finance)
    StakeholderFactory.create(account=acme, sentiment=-2, influence=4, owner=None)
    # Owned, never touched, and added long ago: a relationship going stale.
    untouched = StakeholderFactory.create(
        account=crane, sentiment=1, influence=3, owner=ray
    )
    Stakeholder.objects.filter(pk=untouched.pk).update(
        created_at=timezone.now() - timedelta(days=200)
    )
    StakeholderFactory.create(
        account=crane, sentiment=-2, influence=5, status=Stakeholder.Status.LEFT
    )
    StakeholderFactory.create(account=edge, sentiment=-2, influence=5, owner=None)
    ActivityFactory.create(
        account=acme, occurred_at=timezone.now() - timedelta(days=10)
    )
    ally.activities.add(acme.stakeholder_activities.get())
    for days in (1, 2, 3, 4, 5):
        ActivityFactory.create(
            account=crane, occurred_at=timezone.now() - timedelta(days=days)
        )
    ActivityFactory.create(
        account=crane, occurred_at=timezone.now() - timedelta(days=200)
    )
    for _ in range(9):
        ActivityFactory.create(account=edge, occurred_at=timezone.now())

    # Acme's plan: a won cell last quarter, a pursuit claimed ahead, a force.
    plans = {}
    plans["Acme"] = plan = plan_create(user=rita, account=acme, summary="Grow")
    strategy_create(user=rita, plan=plan, values={"title": "Go east"})
    won = _pursuit(rita, plan, p2, "Cloud for Acme")
    Pursuit.objects.filter(pk=won.pk).update(
        created_at=_moment(q2.start + timedelta(days=5))
    )
    _close(won, "won", q1.start + timedelta(days=10))
    ahead = _pursuit(rita, plan, p3, "Care for Acme")
    last_stage = ahead.stages.order_by("-order")[0]
    Pursuit.objects.filter(pk=ahead.pk).update(current_stage=last_stage)
    GateOverride.objects.create(
        pursuit=ahead,
        from_stage=ahead.stages.get(order=1),
        to_stage=last_stage,
        reason="The CFO is on leave.",
        overridden_by=manager,
    )
    action_create(
        user=rita, plan=plan, values={"title": "Call", "due_on": today + timedelta(1)}
    )
    force = external_force_create(
        user=rita, plan=plan, values={"title": "New regulation", "kind": "regulation"}
    )
    force.pursuits.add(ahead)
    resolved = external_force_create(
        user=rita, plan=plan, values={"title": "Merger", "status": "resolved"}
    )
    resolved.pursuits.add(ahead)
    ManagerReview.objects.create(
        plan=plan, reviewed_on=today, reviewer=manager, coaching_points="Go."
    )

    # Crane's plan: lost and no decision this quarter, an overdue action, and
    # nothing changed for sixty days.
    plans["Crane"] = plan = plan_create(user=rita, account=crane)
    lost = _pursuit(rita, plan, p1, "Core renewal")
    _close(lost, "lost", today)
    stalled = _pursuit(rita, plan, p2, "Cloud for Crane")
    _close(stalled, "no_decision", today)
    action_create(
        user=ray,
        plan=plan,
        values={"title": "Send terms", "due_on": today - timedelta(1)},
    )
    closed_force = external_force_create(
        user=ray, plan=plan, values={"title": "Budget freeze"}
    )
    closed_force.pursuits.add(lost)
    long_ago = timezone.now() - timedelta(days=60)
    Plan.objects.filter(pk=plan.pk).update(updated_at=long_ago)
    ChangeRecord.objects.filter(account=crane).update(changed_at=long_ago)
    Pursuit.objects.filter(plan=plan).update(
        updated_at=timezone.now() - timedelta(days=100)
    )

    # Edge, outside Mark's teams, has everything that would count.
    plans["Edge"] = plan = plan_create(user=otto, account=edge)
    edge_won = _pursuit(otto, plan, p3, "Care for Edge")
    _close(edge_won, "won", today)
    action_create(
        user=otto, plan=plan, values={"title": "Late", "due_on": today - timedelta(9)}
    )
    return Team(manager, rita, ray, otto, accounts, plans, quarters)


@pytest.fixture
def team_data(db: None) -> Team:
    return build_team()


def _names(dashboard: object, key: str) -> set[str]:
    return {row.name for row in dashboard_figure_rows(dashboard=dashboard, key=key)}  # type: ignore[arg-type]


def _key(name: str, quarter: FiscalQuarter) -> str:
    return f"{name}.{quarter.slug}"


EVERYONE = {"Acme", "Bolt", "Crane", "Dune"}


def test_every_figure_equals_the_hand_count(team_data: Team) -> None:
    # given
    q3, q2, q1, q0 = team_data.quarters

    # when
    dashboard = dashboard_for_user(user=team_data.manager)

    # then: (count, accounts behind it) for every figure, counted by hand
    expected = {
        "accounts": (4, EVERYONE),
        "quadrant.grow": (1, {"Acme"}),
        "quadrant.expand": (1, {"Bolt"}),
        "quadrant.maintain": (1, {"Crane"}),
        "quadrant.monitor": (0, set()),
        "quadrant.unscored": (1, {"Dune"}),
        "quadrant.moved": (1, {"Acme"}),
        _key("whitespace.open", q3): (12, EVERYONE),
        _key("whitespace.open", q2): (10, EVERYONE),
        _key("whitespace.open", q1): (10, EVERYONE),
        _key("whitespace.open", q0): (9, EVERYONE),
        _key("whitespace.pursued", q3): (0, set()),
        _key("whitespace.pursued", q2): (1, {"Acme"}),
        _key("whitespace.pursued", q1): (1, {"Acme"}),
        _key("whitespace.pursued", q0): (2, {"Acme", "Crane"}),
        _key("whitespace.won", q3): (0, set()),
        _key("whitespace.won", q2): (0, set()),
        _key("whitespace.won", q1): (1, {"Acme"}),
        _key("whitespace.won", q0): (0, set()),
        "coverage.missing_role": (3, {"Bolt", "Crane", "Dune"}),
        "coverage.unowned": (1, {"Acme"}),
        "coverage.stale": (1, {"Crane"}),
        "coverage.important": (2, {"Acme"}),
        "sentiment.2": (1, {"Acme"}),
        "sentiment.1": (1, {"Crane"}),
        "sentiment.0": (0, set()),
        "sentiment.-1": (0, set()),
        "sentiment.-2": (1, {"Acme"}),
        "execution.ahead": (1, {"Acme"}),
        "execution.overridden": (1, {"Acme"}),
        "execution.overdue": (1, {"Crane"}),
        "execution.untouched": (1, {"Crane"}),
        "execution.forces": (1, {"Acme"}),
        "execution.no_plan": (2, {"Bolt", "Dune"}),
        _key("outcome.won", q3): (0, set()),
        _key("outcome.won", q2): (0, set()),
        _key("outcome.won", q1): (1, {"Acme"}),
        _key("outcome.won", q0): (0, set()),
        _key("outcome.lost", q1): (0, set()),
        _key("outcome.lost", q0): (1, {"Crane"}),
        _key("outcome.no_decision", q0): (1, {"Crane"}),
        "effort.waiting": (1, {"Bolt"}),
        "effort.tapped": (1, {"Crane"}),
        "plans.incomplete": (1, {"Crane"}),
    }
    actual = {
        key: (dashboard.figures[key].count, _names(dashboard, key)) for key in expected
    }
    assert actual == expected
    every_key = set(dashboard.figures)
    untested = {
        key
        for key in every_key - set(expected)
        if not key.startswith(("outcome.lost", "outcome.no_decision"))
    }
    assert untested == set()


def test_it_computes_rates_paths_effort_and_completeness(team_data: Team) -> None:
    q3, q2, q1, q0 = team_data.quarters

    dashboard = dashboard_for_user(user=team_data.manager)

    rates = {item["quarter"]: item["rates"] for item in dashboard.quarter_rows}
    assert rates[q1] == {"won": 100, "lost": 0, "no_decision": 0}
    assert rates[q0] == {"won": 0, "lost": 50, "no_decision": 50}
    assert rates[q2] == {"won": None, "lost": None, "no_decision": None}
    acme = dashboard.rows[team_data.accounts["Acme"].pk]
    assert [point.quadrant if point else None for point in acme.path] == [
        None,
        "expand",
        None,
        "grow",
    ]
    # Touches in 90 days: Acme 1, Bolt 0, Crane 5 (the 200-day-old one is out).
    assert dashboard.effort_median == 1
    assert [row.name for row in dashboard.effort_rows] == ["Acme", "Bolt", "Crane"]
    # Acme: six of seven sections fresh, alignment missing; Crane: pursuits
    # stale, open actions and people fresh, the rest missing.
    ranked = dashboard.ranked_plans
    assert [
        (row.name, row.completeness and row.completeness.percent) for row in ranked
    ] == [
        ("Crane", 36),
        ("Acme", 86),
    ]
    crane = dashboard.rows[team_data.accounts["Crane"].pk].completeness
    assert crane is not None
    assert {section.name: section.state for section in crane.sections} == {
        "Summary": "missing",
        "Strategies": "missing",
        "Solution alignment": "missing",
        "Pursuits": "stale",
        "Open actions": "fresh",
        "People": "fresh",
        "Manager review": "missing",
    }
    assert plan_completeness_for(plan=team_data.plans["Crane"]).percent == 36


def test_filters_narrow_every_figure(team_data: Team) -> None:
    ray = team_data.ray

    def accounts(**filters: Any) -> set[str]:
        dashboard = dashboard_for_user(
            user=team_data.manager, filters=DashboardFilters(**filters)
        )
        return _names(dashboard, "accounts")

    assert accounts(rep=ray.pk) == {"Bolt", "Crane", "Dune"}
    assert accounts(region="North") == {"Bolt", "Crane", "Dune"}
    assert accounts(region="Central") == {"Acme", "Crane"}
    assert accounts(quadrant="grow") == {"Acme"}
    assert accounts(tier="C") == {"Bolt"}
    assert accounts(rep=ray.pk, tier="B") == {"Crane"}

    by_rep = dashboard_for_user(
        user=team_data.manager, filters=DashboardFilters(rep=ray.pk)
    )
    assert _names(by_rep, "execution.overdue") == {"Crane"}
    assert _names(by_rep, "execution.ahead") == set()
    assert by_rep.figures["coverage.missing_role"].count == 3


def test_the_untouched_threshold_is_configurable(team_data: Team) -> None:
    ninety = dashboard_for_user(
        user=team_data.manager, filters=DashboardFilters(stale_days=90)
    )

    assert ninety.figures["execution.untouched"].count == 0


def test_a_manager_sees_only_the_teams_accounts_in_every_figure(
    team_data: Team,
) -> None:
    edge = team_data.accounts["Edge"].pk

    dashboard = dashboard_for_user(user=team_data.manager)

    leaking = [
        key for key, figure in dashboard.figures.items() if edge in figure.account_ids
    ]
    assert leaking == []
    assert edge not in dashboard.rows


def test_a_rep_sees_their_own_accounts_and_an_executive_all(team_data: Team) -> None:
    rep = dashboard_for_user(user=team_data.rita)
    executive = dashboard_for_user(user=_user(role=User.Role.EXECUTIVE))

    assert _names(rep, "accounts") == {"Acme", "Crane"}
    assert _names(executive, "accounts") == EVERYONE | {"Edge"}
    q0 = team_data.quarters[-1]
    assert _names(executive, _key("outcome.won", q0)) == {"Edge"}


def test_the_drill_down_page_lists_exactly_the_accounts_behind_a_figure(
    client: Client, team_data: Team
) -> None:
    client.force_login(team_data.manager)

    response = client.get(
        reverse("plans:dashboard_accounts"), {"figure": "execution.no_plan"}
    )

    assert response.status_code == 200
    listed = {row.name for row in response.context["rows"]}
    assert listed == {"Bolt", "Dune"}
    body = response.content.decode()
    assert "Accounts without an open plan" in body
    assert "Acme" not in body and "Edge" not in body


def test_the_drill_down_keeps_the_filters_and_refuses_unknown_figures(
    client: Client, team_data: Team
) -> None:
    client.force_login(team_data.manager)
    url = reverse("plans:dashboard_accounts")

    filtered = client.get(url, {"figure": "accounts", "rep": str(team_data.rita.pk)})
    unknown = client.get(url, {"figure": "nothing.here"})

    assert {row.name for row in filtered.context["rows"]} == {"Acme", "Crane"}
    assert unknown.status_code == 404


def test_the_dashboard_page_links_every_figure(client: Client, team_data: Team) -> None:
    client.force_login(team_data.manager)

    response = client.get(reverse("plans:dashboard"))

    assert response.status_code == 200
    body = response.content.decode()
    shown = response.context["dashboard"].figures
    for key in shown:
        assert f'data-figure="{key}"' in body, key
    assert "Edge" not in body


def _grow(count: int, manager: User, rep: User, tag: str) -> None:
    """Add `count` accounts with a plan, people, pursuits and actions each."""
    today = timezone.localdate()
    product = cast(Product, ProductFactory.create(name="Core"))
    template = _template()
    run = ScoreRun.objects.get(is_current=True)
    for index in range(count):
        account = _account(f"{tag} {index}")
        account.team_members.add(rep)
        _score(run, account, "monitor", "C", 20)
        plan = plan_create(user=rep, account=account)
        pursuit_create(
            user=rep,
            plan=plan,
            template=template,
            values={"name": "Deal", "product": product, "amount": 10},
        )
        action_create(
            user=rep, plan=plan, values={"title": "Do", "due_on": today - timedelta(1)}
        )
        external_force_create(user=rep, plan=plan, values={"title": "Freeze"})
        person = _person(account=account, owner=rep, influence=5)
        ActivityFactory.create(
            account=account, occurred_at=timezone.now()
        ).stakeholders.add(person)
        ManagerReview.objects.create(
            plan=plan, reviewed_on=today, reviewer=manager, coaching_points="Ok"
        )


def _queries(user: User) -> int:
    with CaptureQueriesContext(connection) as captured:
        dashboard_for_user(user=user)
    return len(captured.captured_queries)


def test_the_figures_take_the_same_number_of_queries_at_two_sizes(
    team_data: Team,
) -> None:
    # given: warm caches (content types), then two portfolio sizes
    _queries(team_data.manager)
    _grow(2, team_data.manager, team_data.rita, "Small")
    small = _queries(team_data.manager)

    # when
    _grow(12, team_data.manager, team_data.ray, "Large")
    large = _queries(team_data.manager)

    # then
    assert small == large
    assert large <= 30
    assert Action.objects.count() > 14 and ExternalForce.objects.count() > 14


@pytest.mark.parametrize("who", ["rep", "executive"])
def test_a_rep_and_someone_who_sees_all_take_the_same_queries_at_two_sizes(
    client: Client, team_data: Team, who: str
) -> None:
    # given: a rep of the team, or an executive who sees every account
    viewer = team_data.rita
    if who == "executive":
        viewer = _user(username="eve", role=User.Role.EXECUTIVE)
    client.force_login(viewer)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("plans:dashboard"))
        assert response.status_code == 200
        return len(captured.captured_queries)

    page_queries()
    _grow(2, team_data.manager, team_data.rita, "Small")
    small = page_queries()

    # when
    _grow(12, team_data.manager, team_data.rita, "Large")
    large = page_queries()

    # then
    assert small == large
    accounts = Account.objects.filter(team_members=team_data.rita).count()
    shown = client.get(reverse("plans:dashboard")).context["dashboard"]
    expected = Account.objects.count() if who == "executive" else accounts
    assert shown.figures["accounts"].count == expected


def test_stage_progress_follows_the_plan_pages_rule(team_data: Team) -> None:
    # given: Acme's pursuit sits in stage 3 of 3; stage 1's gate is then met
    pursuit = Pursuit.objects.get(name="Care for Acme")
    first = pursuit.stages.get(order=1)
    first.checkpoints.filter(required=True).update(validated_at=timezone.now())
    stages = list(pursuit.stages.order_by("order").values_list("pk", flat=True))
    unmet = set(
        Checkpoint.objects.filter(
            stage__pursuit=pursuit, required=True, validated_at__isnull=True
        ).values_list("stage_id", flat=True)
    )

    # when
    progress = pursuit_progress(pursuit=Pursuit.objects.get(pk=pursuit.pk))
    plain = stage_progress(
        stage_ids=stages,
        current_stage_id=pursuit.current_stage_id,
        unmet_stage_ids=unmet,
    )

    # then
    assert plain == (progress["claimed"], progress["validated"]) == (3, 1)
    assert stage_progress(
        stage_ids=stages, current_stage_id=None, unmet_stage_ids=set()
    ) == (0, 0)
    assert stage_progress(
        stage_ids=stages, current_stage_id=stages[2], unmet_stage_ids=set()
    ) == (3, 2)


def test_each_account_counts_its_open_plan_of_the_latest_period(
    team_data: Team,
) -> None:
    # given: Acme also has an open plan for next year
    acme = team_data.accounts["Acme"]
    current = team_data.plans["Acme"]
    later = plan_create(
        user=team_data.rita, account=acme, fiscal_year=current.fiscal_year + 1
    )

    # when
    shown = dashboard_for_user(user=team_data.manager).rows[acme.pk]

    # then: the later plan is the one read; once closed, the current one again
    assert shown.plan_id == later.pk
    assert shown.completeness is not None
    assert shown.completeness.plan_id == later.pk
    Plan.objects.filter(pk=later.pk).update(status=Plan.Status.CLOSED)
    shown = dashboard_for_user(user=team_data.manager).rows[acme.pk]
    assert shown.plan_id == current.pk
    assert shown.completeness is not None
    assert shown.completeness.plan_id == current.pk


def test_the_figures_are_the_same_read_by_ids_or_by_subquery(
    team_data: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the team read with its ids named in every query
    now = timezone.now()
    by_ids = dashboard_for_user(user=team_data.manager, now=now)

    # when: beyond the list's size, so every query reads a subquery
    monkeypatch.setattr("plans.dashboard.LITERAL_IDS_MAX", 0)
    by_subquery = dashboard_for_user(user=team_data.manager, now=now)

    # then
    assert {key: (f.count, f.account_ids) for key, f in by_ids.figures.items()} == {
        key: (f.count, f.account_ids) for key, f in by_subquery.figures.items()
    }
    assert by_ids.rows == by_subquery.rows
    assert by_ids.figures["accounts"].count == 4
