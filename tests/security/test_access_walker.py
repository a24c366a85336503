"""Walk every route as four kinds of user and fail on any leak.

The routes come from the URL configuration and the OpenAPI schema, never
from a hand-kept list, so a new page or endpoint is walked the day it is
added. A route whose URL needs an argument the walker cannot fill fails
the test: add the argument to KWARG_OBJECTS (or, for `pk`, the route to
PK_OBJECTS) with a fixture object.
"""

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts.api_tokens import api_token_create
from accounts.models import (
    Account,
    AccountTeamMember,
    ImportJob,
    MappedImport,
    Opportunity,
    User,
)
from config.api import etag_for
from plans.calendar import fiscal_quarter_current
from plans.models import (
    Checkpoint,
    CustomerLink,
    Pursuit,
    PursuitStage,
    SellCycleTemplate,
    Strategy,
    TemplateCheckpoint,
    TemplateStage,
)
from stakeholders.models import BuyingRole, Stakeholder
from tests.accounts.factories import ProductFactory, TeamFactory, UserFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
ACCOUNTS_PER_REP = 50
# Django's admin has its own staff-only access model and dozens of generic
# routes; our users are not staff, and the walker checks below that an
# outsider only reaches its login page.
SKIPPED_NAMESPACES = {"admin"}
PUBLIC_ROUTES = {"home", "login", "logout", "admin_login"}

# What `pk` names, per route. None marks a route whose object the walker
# does not build yet: it is still walked with an id no row has.
PK_OBJECTS: dict[str, str | None] = {
    "tokens:revoke": "token",
    "accounts:detail": "account",
    "accounts:edit": "account",
    "accounts_api:detail": "account",
    "accounts_api:deal_detail": "deal",
    "accounts:deal_edit": "deal",
    "accounts_api:token_revoke": "token",
    "plans:detail": "plan",
    "plans_api:detail": "plan",
    "plans_api:next": "plan",
    "plans_api:comment_list": "plan",
    "plans_api:history": "plan",
    "stakeholders:account": "account",
    "stakeholders:account_board": "account",
    "stakeholders:detail": "stakeholder",
    "stakeholders:leave": "stakeholder",
    "stakeholders:rejoin": "stakeholder",
    "stakeholders:erase": "stakeholder",
    "stakeholders_api:detail": "stakeholder",
    "stakeholders_api:leave": "stakeholder",
    "stakeholders_api:owner": "stakeholder",
    "stakeholders_api:erase": "stakeholder",
    "stakeholders_api:rejoin": "stakeholder",
    "stakeholders_api:link_detail": "link",
    "accounts:import_detail": "import_job",
    "accounts:import_progress": "import_job",
    "accounts:import_retry": "import_job",
    "accounts:wizard_report": "import_job",
    "accounts:wizard_mapping": "import_job",
    "accounts:wizard_discard": "import_job",
    "accounts:wizard_sheet": "import_job",
    "accounts:wizard_header": "import_job",
    "accounts:wizard_delimiter": "import_job",
    "accounts:wizard_number_format": "import_job",
    "accounts:wizard_check": "import_job",
    "accounts:wizard_report_csv": "import_job",
    "accounts:wizard_changes_csv": "import_job",
    "accounts:wizard_undo": "import_job",
    "accounts:wizard_undo_csv": "import_job",
    "accounts:wizard_reopen": "import_job",
    "accounts:wizard_answer": "import_job",
    "accounts_api:import_detail": "import_job",
    "accounts_api:import_report_csv": "import_job",
    "accounts_api:import_changes_csv": "import_job",
    "accounts_api:import_undo_csv": "import_job",
    "accounts_api:import_mapping": "import_job",
    "accounts_api:import_check": "import_job",
    "accounts_api:import_answer": "import_job",
    "accounts_api:import_sheet": "import_job",
    "accounts_api:import_header": "import_job",
    "accounts_api:import_delimiter": "import_job",
    "accounts_api:import_number_format": "import_job",
    "accounts_api:import_start": "import_job",
    "accounts_api:import_undo": "import_job",
    "accounts_api:import_reopen": "import_job",
    "accounts_api:import_discard": "import_job",
    "plans:reviews": "plan",
    "plans:snapshots": "plan",
    "plans:snapshot_take": "plan",
    "plans:snapshot_compare": "plan",
    "plans_api:snapshot": "snapshot",
    # Sell-cycle templates belong to no account: everyone reads, ops edit.
    "plans:template_detail": None,
    "plans:template_stage_create": None,
    "plans:template_stage_update": None,
    "plans:template_stage_delete": None,
    "plans:template_checkpoint_create": None,
    "plans:template_checkpoint_delete": None,
    "plans:scorecard_measure_update": "measure",
    "plans:scorecard_measure_delete": "measure",
    "plans:scorecard_voice_update": "voice",
    "plans:scorecard_voice_delete": "voice",
    "plans_api:measure": "measure",
    "plans_api:voice": "voice",
    "plans_api:manager_review": "manager_review",
    # `kind` is "strategy" (KWARG_OBJECTS), so the item is the strategy.
    "plans_api:item": "strategy",
    "plans_api:checkpoint_create": "stage",
    "plans_api:checkpoint_validate": "checkpoint",
    "plans_api:pursuit_advance": "pursuit",
    # Scoring models and runs are not anyone's account: every user may read
    # them, so the walker only needs a row id.
    "scoring_api:model_detail": None,
    # Sell-cycle templates: every user reads them through the API.
    "plans_api:template": "template",
    "plans_api:template_stage_create": "template",
    "plans_api:template_stage": "template_stage",
    "plans_api:template_checkpoint_create": "template_stage",
    "plans_api:template_checkpoint": "template_checkpoint",
    "scoring_api:run_detail": None,
    "scoring:run_detail": None,
    # The catalogue is everyone's to read; only sales ops change it.
    "accounts_api:product_detail": "product",
    "stakeholders_api:role_detail": "role",
    # north1 and the North team: a rep of another team sees neither.
    "accounts_api:user_detail": "north1_user",
    "accounts_api:team_detail": "north_team",
}
# The fixture objects that belong to north1's hidden account (or to north1):
# a rep of another team must get 404 for each.
HIDDEN_OBJECTS = {
    "account",
    "deal",
    "plan",
    "stakeholder",
    "link",
    "token",
    "strategy",
    "pursuit",
    "stage",
    "checkpoint",
    "customer_link",
    "snapshot",
    "measure",
    "voice",
    "manager_review",
    "north1_user",
    "north_team",
}
# Every other URL argument, by name.
KWARG_OBJECTS: dict[str, str | None] = {
    "account_pk": "account",
    "plan_pk": "plan",
    "kind": "kind",
    "quarter": "quarter",
    "file_format": "file_format",
    # A customer's link is a capability: the walker checks that a made-up
    # one opens nothing.
    "token": "customer_token",
    "link_pk": "customer_link",
    "checkpoint_pk": "checkpoint",
}


@dataclass(frozen=True)
class Route:
    name: str
    template: str
    kwargs: tuple[str, ...]

    @property
    def schema_path(self) -> str:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.template)


def url_routes(
    patterns: list[Any] | None = None,
    prefix: str = "",
    namespace: str = "",
    kwargs: tuple[str, ...] = (),
) -> Iterator[Route]:
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        # An include's own path may name arguments too: "<int:pk>/" above
        # its routes "" and "next/".
        named = kwargs + tuple(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            if inner in SKIPPED_NAMESPACES:
                continue
            yield from url_routes(
                pattern.url_patterns, prefix + str(pattern.pattern), inner, named
            )
        elif isinstance(pattern, URLPattern):
            assert pattern.name, f"name the URL pattern {prefix}{pattern.pattern}"
            yield Route(
                name=f"{namespace}:{pattern.name}" if namespace else pattern.name,
                template=prefix + str(pattern.pattern),
                kwargs=named,
            )


@dataclass
class World:
    manager: User
    north1: User
    north2: User
    south1: User
    executive: User
    objects: dict[str, Any]


@pytest.fixture
def world(db: None) -> World:
    """Three reps with 50 accounts each; a manager over the two northern."""
    north = TeamFactory.create(name="North")
    south = TeamFactory.create(name="South")
    manager = UserFactory.create(
        username="walker-manager", role=User.Role.MANAGER, team=north
    )
    north.manager = manager
    north.save()
    reps = {
        "north1": UserFactory.create(username="north1", team=north),
        "north2": UserFactory.create(username="north2", team=north),
        "south1": UserFactory.create(username="south1", team=south),
    }
    for username, rep in reps.items():
        accounts = Account.objects.bulk_create(
            Account(name=f"{username}-acct-{number:02d}", sector="retail")
            for number in range(ACCOUNTS_PER_REP)
        )
        AccountTeamMember.objects.bulk_create(
            AccountTeamMember(account=account, user=rep) for account in accounts
        )

    # The hidden account: north1's, invisible to south1.
    hidden = hidden_objects_create(
        account=Account.objects.get(name="north1-acct-00"),
        rep=reps["north1"],
        label="Hidden",
    )
    template = SellCycleTemplate.objects.create(name="Walker template")
    template_stage = TemplateStage.objects.create(
        template=template, order=0, name="Qualify"
    )
    template_checkpoint = TemplateCheckpoint.objects.create(
        stage=template_stage, description="Budget named"
    )
    import_job = ImportJob.objects.create(created_by=reps["north1"])
    MappedImport.objects.create(job=import_job)
    return World(
        manager=manager,
        executive=UserFactory.create(username="walker-exec", role=User.Role.EXECUTIVE),
        objects={
            **hidden,
            "import_job": import_job,
            "role": BuyingRole.objects.earliest("pk"),
            "north1_user": reps["north1"],
            "north_team": north,
            "template": template,
            "template_stage": template_stage,
            "template_checkpoint": template_checkpoint,
            "kind": "strategy",
            "quarter": fiscal_quarter_current().start.isoformat(),
            "file_format": "csv",
            "customer_token": "no-such-customer-link",
        },
        **reps,
    )


def hidden_objects_create(*, account: Account, rep: User, label: str) -> dict[str, Any]:
    """Create one of each object that hangs off `account`, keyed as HIDDEN_OBJECTS.

    The label starts every name, so a walk can look for it in a response.
    """
    from plans.models import ManagerReview, ValueMeasure, VoiceOfCustomer
    from plans.review_services import plan_snapshot_take
    from tests.plans.factories import PlanFactory
    from tests.stakeholders.factories import InfluenceLinkFactory, StakeholderFactory

    stakeholder = StakeholderFactory.create(account=account, last_name=f"{label}person")
    link = InfluenceLinkFactory.create(
        source=stakeholder,
        target=StakeholderFactory.create(account=account, last_name=f"{label}person"),
    )
    token, _ = api_token_create(user=rep, name=f"{rep.username} token")
    plan = PlanFactory.create(account=account)
    pursuit = Pursuit.objects.create(
        plan=plan,
        product=ProductFactory.create(name=f"{label} product"),
        name=f"{label} deal",
    )
    stage = PursuitStage.objects.create(pursuit=pursuit, order=0, name="Qualify")
    return {
        "account": account,
        "deal": Opportunity.objects.create(
            external_id=f"{label.lower()}-deal",
            account=account,
            product=pursuit.product,
            stage=Opportunity.Stage.ENGAGING,
        ),
        "plan": plan,
        "strategy": Strategy.objects.create(plan=plan, title=f"{label} strategy"),
        "pursuit": pursuit,
        "stage": stage,
        "checkpoint": Checkpoint.objects.create(stage=stage, description="CFO met us"),
        "customer_link": CustomerLink.objects.create(
            account=account,
            stakeholder=stakeholder,
            secret_hash=hashlib.sha256(label.encode()).hexdigest(),
            expires_at=timezone.now() + timedelta(days=30),
        ),
        "stakeholder": stakeholder,
        "link": link,
        "token": token,
        "product": pursuit.product,
        "snapshot": plan_snapshot_take(plan=plan),
        "measure": ValueMeasure.objects.create(
            account=account, name=f"{label} measure", baseline=1
        ),
        "voice": VoiceOfCustomer.objects.create(
            account=account, body=f"{label} quote", speaker="CFO", said_on="2026-11-02"
        ),
        "manager_review": ManagerReview.objects.create(
            plan=plan, reviewed_on="2026-11-14", coaching_points=f"{label} coaching"
        ),
    }


def route_url(route: Route, world: World) -> tuple[str, bool]:
    """Return the route's URL and whether it points at the hidden account."""
    kwargs: dict[str, Any] = {}
    hidden = False
    for name in route.kwargs:
        if name == "pk":
            assert route.name in PK_OBJECTS, (
                f"the access walker does not know what `pk` names in {route.name} "
                f"({route.template}); add it to PK_OBJECTS"
            )
            key = PK_OBJECTS[route.name]
        else:
            assert name in KWARG_OBJECTS, (
                f"the access walker cannot fill `{name}` in {route.name} "
                f"({route.template}); add it to KWARG_OBJECTS"
            )
            key = KWARG_OBJECTS[name]
        if key is None:
            kwargs[name] = 999_999_999
            continue
        value = world.objects[key]
        kwargs[name] = getattr(value, "pk", value)
        hidden = hidden or key in HIDDEN_OBJECTS
    return reverse(route.name, kwargs=kwargs), hidden


def invisible_markers(user: User | None) -> list[str]:
    everyone = ["north1-acct-", "north2-acct-", "south1-acct-", "Hiddenperson"]
    if user is None:
        return everyone
    if user.sees_all_accounts:
        return []
    if user.is_manager:
        return ["south1-acct-"]
    return [marker for marker in everyone if not marker.startswith(user.username)]


def call(client: Client, method: str, url: str) -> Any:
    body = json.dumps({}) if method != "GET" else None
    return client.generic(method, url, body or "", content_type="application/json")


def test_every_api_route_is_in_the_schema(world):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = set(schema["paths"])
    api_routes = {
        route.schema_path
        for route in url_routes()
        if route.template.startswith("api/") and route.name not in {"schema", "docs"}
    }

    assert api_routes - documented == set()
    assert documented - api_routes == set()


def test_no_route_leaks_an_account_to_anyone(world, django_assert_max_num_queries):
    # given: the users, in an order that walks read-only roles first
    people: list[User | None] = [None, world.south1, world.executive, world.manager]
    routes = list(url_routes())
    assert len(routes) > 20
    failures: list[str] = []

    # when
    for user in people:
        client = Client()
        markers = invisible_markers(user)
        label = user.username if user else "anonymous"
        for route in routes:
            # Again for each route: walking the logout route ends the session.
            if user is not None:
                client.force_login(user)
            url, hidden = route_url(route, world)
            for method in METHODS:
                response = call(client, method, url)
                status = response.status_code
                where = f"{label} {method} {url} -> {status}"
                body = response.getvalue().decode(errors="replace")

                # then
                if status >= 500:
                    failures.append(f"server error: {where}")
                leaked = [marker for marker in markers if marker in body]
                if leaked:
                    failures.append(f"leak of {leaked}: {where}")
                if user is None and route.name not in PUBLIC_ROUTES:
                    if status in {301, 302}:
                        if "/login/" not in response["Location"]:
                            failures.append(f"redirect not to login: {where}")
                    elif status not in {401, 403, 404, 405}:
                        failures.append(f"outsider got through: {where}")
                if user is world.south1 and hidden and status not in {404, 405}:
                    failures.append(f"hidden object not a 404: {where}")

    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("who", "expected"),
    [("north1", 50), ("south1", 50), ("manager", 100), ("executive", 150)],
)
def test_list_counts_equal_the_visible_accounts(world, who, expected):
    client = Client()
    client.force_login(getattr(world, who))

    response = client.get("/api/accounts/?limit=1000")

    assert response.status_code == 200
    assert response.json()["count"] == expected
    assert len(response.json()["results"]) == expected


@pytest.mark.parametrize(
    ("who", "users", "teams"),
    [
        # north1's team is North: north1, north2 and their manager.
        ("north1", ["north1", "north2", "walker-manager"], ["North"]),
        ("south1", ["south1"], ["South"]),
        ("manager", ["north1", "north2", "walker-manager"], ["North"]),
        (
            "executive",
            ["north1", "north2", "south1", "walker-exec", "walker-manager"],
            ["North", "South"],
        ),
    ],
)
def test_user_and_team_lists_hold_what_each_role_may_see(world, who, users, teams):
    client = Client()
    client.force_login(getattr(world, who))

    listed_users = client.get("/api/accounts/users/?limit=1000").json()
    listed_teams = client.get("/api/accounts/teams/?limit=1000").json()

    assert listed_users["count"] == len(users)
    assert [user["username"] for user in listed_users["results"]] == users
    assert listed_teams["count"] == len(teams)
    assert [team["name"] for team in listed_teams["results"]] == teams


@pytest.fixture
def shared_person(world: World) -> Stakeholder:
    """A person north1 owns at an account south1 works on too.

    Real account teams mix sales teams (the bundled Initech has reps of
    six), so a rep may change a person another team owns without being
    allowed to erase them.
    """
    account = Account.objects.create(name="Shared account", sector="retail")
    account.team_members.add(world.north1, world.south1)
    return StakeholderFactory.create(
        account=account,
        first_name="Sharon",
        last_name="Sharedperson",
        email="sharon@example.invalid",
        owner=world.north1,
    )


def test_no_write_route_erases_a_person_for_another_sales_team(world, shared_person):
    """Walk every route that names a person as south1, with its version.

    The walk above sends writes without the version they need (If-Match,
    the form's `version` and `confirm`), so each one stops at 428 or "the
    page was out of date" before it can reach what it changes; its world
    has no account shared by two sales teams; and it checks what a body
    shows, never what a write did. Here each write carries the person's
    current version, and the person must still have their name after it.
    """
    # given
    routes = [
        route
        for route in url_routes()
        if "pk" in route.kwargs and PK_OBJECTS.get(route.name) == "stakeholder"
    ]
    assert {"stakeholders:erase", "stakeholders_api:erase"} <= {
        route.name for route in routes
    }
    client = Client()
    client.force_login(world.south1)
    failures: list[str] = []

    # when
    for route in routes:
        url = reverse(route.name, kwargs={"pk": shared_person.pk})
        for method in METHODS[1:]:
            shared_person.refresh_from_db()
            version = etag_for(instance=shared_person)
            if route.template.startswith("api/"):
                response = client.generic(
                    method, url, "", headers={"If-Match": version}
                )
            else:
                response = client.generic(
                    method,
                    url,
                    f"version={version}&confirm=on",
                    content_type="application/x-www-form-urlencoded",
                )

            # then
            shared_person.refresh_from_db()
            where = f"south1 {method} {url} -> {response.status_code}"
            if shared_person.status == Stakeholder.Status.ERASED:
                failures.append(f"erased another team's person: {where}")
                shared_person.status = Stakeholder.Status.ACTIVE
                shared_person.first_name = "Sharon"
                shared_person.save()
            if response.status_code >= 500:
                failures.append(f"server error: {where}")

    assert not failures, "\n".join(failures)
