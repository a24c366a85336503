"""Every list API pages by cursor, in every ordering it allows.

The lists come from the OpenAPI schema (each GET that takes `cursor`),
never from a hand-kept list. With the count capped at one row, every
page after the first is read by the cursor in `next`; the walk must
see each row once, in the order one long page shows them, through rows
that tie on the sort value.
"""

import base64
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from accounts.api_tokens import api_token_create
from accounts.models import Account, ChangeRecord, ImportJob, Opportunity, User
from config.api import (
    ApiTokenRateThrottle,
    LodeAnonRateThrottle,
    LodePagination,
    LodeUserRateThrottle,
)
from plans.models import (
    Comment,
    CustomerLink,
    CustomerRating,
    ExecutiveReview,
    ManagerReview,
    Plan,
    Pursuit,
    Strategy,
    VoiceOfCustomer,
)
from plans.review_services import plan_snapshot_take
from scoring.models import AccountScore, ScoreRun, ScoringModel
from tests.accounts.factories import (
    AccountFactory,
    ProductFactory,
    RevenueLineFactory,
    TeamFactory,
    UserFactory,
)
from tests.plans.factories import PlanFactory
from tests.security.test_access_walker import World, route_url, url_routes, world
from tests.stakeholders.factories import (
    ActivityFactory,
    InfluenceLinkFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db

__all__ = ["world"]


def list_routes() -> list[tuple[str, Any, list[str | None]]]:
    """Return each paged list's schema path, route and allowed orderings."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    routes = {route.schema_path: route for route in url_routes()}
    found = []
    for path, operations in schema["paths"].items():
        parameters = {
            parameter["name"]: parameter
            for parameter in operations.get("get", {}).get("parameters", [])
        }
        if "cursor" not in parameters:
            continue
        ordering = parameters.get("ordering", {}).get("schema", {}).get("enum")
        found.append((path, routes[path], [None, *(ordering or [])]))
    return found


# One moment for every row that should tie on a time.
MOMENT = datetime(2026, 11, 3, 9, 30, 15, 123456, tzinfo=UTC)
# Lists only ops and admins may read (the executive gets 404).
OPS_ONLY = {"/api/accounts/audit/", "/api/accounts/imports/"}
# Query parameters a list requires.
REQUIRED = {"/api/plans/dashboard/accounts/": "figure=quadrant.unscored&"}


@pytest.fixture
def rows(world: World) -> None:
    """Give every list at least four rows, tying on each value it sorts by.

    Added here rather than in `world`, whose counts other tests assert.
    """
    account, plan = world.objects["account"], world.objects["plan"]
    product, strategy = world.objects["product"], world.objects["strategy"]
    stakeholder = world.objects["stakeholder"]
    others = list(Account.objects.exclude(pk=account.pk).order_by("pk")[:4])
    for number in range(4):
        # The last of each kind has no value where the field allows none.
        last = number == 3
        Opportunity.objects.create(
            external_id=f"tied-deal-{number}",
            account=account,
            product=product,
            stage=Opportunity.Stage.WON,
            closed_on=None if last else date(2026, 10, 1),
        )
        # One line per product: the list sums a product's quarter.
        RevenueLineFactory.create(
            account=account,
            product=ProductFactory.create(name=f"Tied product {number}"),
            quarter_start=date(2026, 7, 1),
            amount=Decimal("1000.00"),
        )
        TeamFactory.create(name=f"Tied team {number}")
        api_token_create(user=world.executive, name="tied token")
        PlanFactory.create(account=others[number], fiscal_year=2026)
        Comment.objects.create(plan=plan, author=world.north1, body="Tied")
        ChangeRecord.objects.create(
            account=account,
            content_type=ContentType.objects.get_for_model(Strategy),
            object_id=strategy.pk,
            field="title",
            new_value=f"Tied {number}",
        )
        ManagerReview.objects.create(
            plan=plan, reviewed_on="2026-11-14", coaching_points="Tied"
        )
        plan_snapshot_take(plan=plan)
        CustomerLink.objects.create(
            account=account,
            stakeholder=stakeholder,
            secret_hash=f"{number + 1}" * 64,
            expires_at=MOMENT,
        )
        ImportJob.objects.create(created_by=world.north1)
        ExecutiveReview.objects.create(
            account=account, quarter_start=date(2025 + number, 1, 1)
        )
        person = StakeholderFactory.create(account=account, last_name="Tied")
        CustomerRating.objects.create(
            account=account,
            quarter_start=date(2026, 7, 1),
            stakeholder=person,
            score=7,
        )
        VoiceOfCustomer.objects.create(
            account=account, body="Tied quote", said_on="2026-11-02"
        )
        Pursuit.objects.create(
            plan=plan,
            product=product,
            name="Tied deal",
            amount=Decimal("5000.00"),
            expected_close_on=None if last else date(2026, 12, 1),
        )
        InfluenceLinkFactory.create(source=person, target=stakeholder)
        ActivityFactory.create(account=account, occurred_at=MOMENT)
    scoring_model = ScoringModel.objects.get(is_active=True)
    ScoringModel.objects.bulk_create(
        ScoringModel(name=f"Tied model {number}") for number in range(3)
    )
    for number in range(4):
        run = ScoreRun.objects.create(
            scoring_model=scoring_model,
            status=ScoreRun.Status.SUCCEEDED,
            is_current=number == 3,
        )
        for scored in [account, *others][: 1 if number < 3 else 5]:
            AccountScore.objects.create(
                run=run,
                account=scored,
                performance=40.0,
                potential=40.0,
                quadrant=AccountScore.Quadrant.MONITOR,
                tier=AccountScore.Tier.C,
                ttm_revenue=Decimal("1000"),
            )
    # Automatic times tie too, to the microsecond.
    for model, field in (
        (Plan, "updated_at"),
        (Comment, "created_at"),
        (ImportJob, "created_at"),
        (ChangeRecord, "changed_at"),
        (Pursuit, "updated_at"),
    ):
        model.objects.update(**{field: MOMENT})
    Plan.objects.update(created_at=MOMENT)


@pytest.fixture
def unthrottled(monkeypatch: pytest.MonkeyPatch) -> None:
    # A walk sends a few hundred requests in a minute. DRF reads the rates
    # into the classes when they are imported, so a settings override would
    # not reach them; production's rates stay as they are.
    for throttle in (LodeAnonRateThrottle, LodeUserRateThrottle, ApiTokenRateThrottle):
        monkeypatch.setattr(
            throttle,
            "THROTTLE_RATES",
            dict.fromkeys(throttle.THROTTLE_RATES, "1000000/minute"),
        )


def _key(row: dict[str, Any]) -> Any:
    return row["id"] if "id" in row else json.dumps(row, sort_keys=True)


def _walk(client: Client, url: str, *, pages: int) -> tuple[list[Any], int, list[str]]:
    """Read up to `pages` pages by `next`; return the rows, cursor pages and
    errors. A walk that repeats rows stops there rather than running on."""
    seen: list[Any] = []
    cursors = 0
    while url:
        if pages == 0:
            return seen, cursors, [f"{url}: still a next page after the last row"]
        pages -= 1
        response = client.get(url)
        if response.status_code != 200:
            return (
                seen,
                cursors,
                [f"{url} -> {response.status_code} {response.content[:300]!r}"],
            )
        body = response.json()
        seen += [_key(row) for row in body["results"]]
        url = body["next"]
        cursors += bool(url and "cursor=" in url)
    return seen, cursors, []


def test_every_list_walks_every_row_once_by_cursor_in_every_ordering(
    world: World, rows: None, unthrottled: None, monkeypatch: pytest.MonkeyPatch
):
    # given
    executive, ops = Client(), Client()
    executive.force_login(world.executive)
    ops.force_login(UserFactory.create(username="walker-ops", role=User.Role.OPS))
    routes = list_routes()
    assert len(routes) > 20
    failures: list[str] = []

    for path, route, orderings in routes:
        base, _ = route_url(route, world)
        client = ops if path in OPS_ONLY else executive
        for ordering in orderings:
            query = "?" + (f"ordering={ordering}&" if ordering else "")
            query += REQUIRED.get(path, "")
            monkeypatch.setattr(LodePagination, "count_limit", 10_000)
            whole = client.get(f"{base}{query}limit=1000")
            if whole.status_code != 200:
                failures.append(f"{path} {ordering}: whole list {whole.status_code}")
                continue
            expected = [_key(row) for row in whole.json()["results"]]

            # when
            monkeypatch.setattr(LodePagination, "count_limit", 1)
            # About four pages, the first by offset, the rest by cursor.
            limit = max(1, len(expected) // 3)
            seen, cursors, errors = _walk(
                client,
                f"{base}{query}limit={limit}",
                pages=len(expected) // limit + 1,
            )

            # then
            where = f"{path} ordering={ordering}"
            failures += [f"{where}: {error}" for error in errors]
            if len(expected) < 3:
                failures.append(f"{where}: only {len(expected)} rows to walk")
            elif not errors and cursors == 0:
                failures.append(f"{where}: no cursor page")
            if not errors and seen != expected:
                failures.append(f"{where}: walked {seen} for {expected}")

    assert not failures, "\n".join(failures)


def test_a_cursor_keeps_a_time_to_the_microsecond(
    unthrottled: None, monkeypatch: pytest.MonkeyPatch
):
    # given: three accounts changed within one millisecond
    first, second, third = (
        AccountFactory.create(name=f"Sub-millisecond {number}") for number in range(3)
    )
    for account, microsecond in ((first, 111400), (second, 111900), (third, 112100)):
        Account.objects.filter(pk=account.pk).update(
            updated_at=MOMENT.replace(microsecond=microsecond)
        )
    client = Client()
    client.force_login(UserFactory.create(role=User.Role.EXECUTIVE))
    monkeypatch.setattr(LodePagination, "count_limit", 1)

    # when
    page = client.get("/api/accounts/?ordering=updated_at&limit=1").json()
    cursor = parse_qs(urlsplit(page["next"]).query)["cursor"][0]
    seen, _, errors = _walk(
        client, "/api/accounts/?ordering=updated_at&limit=1", pages=4
    )

    # then
    held = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert held == {
        "o": "updated_at,pk",
        "v": ["2026-11-03T09:30:15.111400+00:00", first.pk],
    }
    assert errors == []
    assert seen == [first.pk, second.pk, third.pk]
