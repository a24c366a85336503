"""Fuzz every API operation from the generated schema, in process.

Schemathesis reads /api/schema/ from the WSGI app and sends generated
requests to it through the same app, as a rep with a few accounts, using
a personal API token. Each operation gets valid-looking requests on the
rep's real objects and deliberately invalid ones; none may answer 500, and
every documented response must match its own schema. The examples are
bounded and derandomised, so a run is repeatable and takes about a minute.
"""

from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.core.failures import FailureGroup

from accounts.api_tokens import api_token_create
from accounts.models import Opportunity, User
from plans.calendar import fiscal_quarter_current
from plans.models import (
    Checkpoint,
    CustomerLink,
    ManagerReview,
    Pursuit,
    PursuitStage,
    Strategy,
    ValueMeasure,
    VoiceOfCustomer,
)
from plans.review_services import plan_snapshot_take
from tests.accounts.factories import (
    AccountFactory,
    ProductFactory,
    TeamFactory,
    UserFactory,
)
from tests.plans.factories import PlanFactory
from tests.security.conftest import forget_counters
from tests.stakeholders.factories import InfluenceLinkFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

EXAMPLES_PER_MODE = 12
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The real WSGI app, minus its per-request connection closing.

    Django's own test client does the same: closing the connection at each
    request's end would drop the test's transaction, and its data with it.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(db: None) -> dict[str, Any]:
    """A rep with three accounts and what hangs off them; a foreign account."""
    team = TeamFactory.create(name="Fuzz")
    rep = UserFactory.create(username="fuzzer", role=User.Role.REP, team=team)
    accounts = [AccountFactory.create(name=f"Fuzz account {n}") for n in range(3)]
    for account in accounts:
        account.team_members.add(rep)
    AccountFactory.create(name="Someone else's account")
    account = accounts[0]
    stakeholder = StakeholderFactory.create(account=account)
    link = InfluenceLinkFactory.create(
        source=stakeholder, target=StakeholderFactory.create(account=account)
    )
    plan = PlanFactory.create(account=account)
    pursuit = Pursuit.objects.create(
        plan=plan, product=ProductFactory.create(name="Fuzz product"), name="Fuzz deal"
    )
    stage = PursuitStage.objects.create(pursuit=pursuit, order=0, name="Qualify")
    _, secret = api_token_create(user=rep, name="fuzzing")
    spare, _ = api_token_create(user=rep, name="revoked by the fuzzer")
    plans = {
        "snapshot": plan_snapshot_take(plan=plan, user=rep),
        "measure": ValueMeasure.objects.create(
            account=account, name="Hours saved", baseline=Decimal(400)
        ),
        "voice": VoiceOfCustomer.objects.create(
            account=account,
            body="Saved us a week.",
            speaker="CFO",
            said_on="2026-11-02",
        ),
        "manager_review": ManagerReview.objects.create(
            plan=plan, reviewed_on="2026-11-14", coaching_points="Meet the CFO."
        ),
        "customer_link": CustomerLink.objects.create(
            account=account,
            stakeholder=stakeholder,
            secret_hash="1" * 64,
            expires_at=timezone.now() + timedelta(days=30),
        ),
    }
    return {
        **plans,
        "secret": secret,
        "account": account,
        "plan": plan,
        "strategy": Strategy.objects.create(plan=plan, title="Grow the fleet"),
        "pursuit": pursuit,
        "stage": stage,
        "checkpoint": Checkpoint.objects.create(stage=stage, description="CFO met"),
        "stakeholder": stakeholder,
        "link": link,
        "token": spare,
        "deal": Opportunity.objects.create(
            external_id="fuzz-deal",
            account=account,
            product=pursuit.product,
            stage=Opportunity.Stage.ENGAGING,
        ),
    }


def real_path_parameters(path: str, world: dict[str, Any]) -> dict[str, Any] | None:
    """Return path parameters naming the rep's own objects, where known."""
    pk_owner: list[tuple[str, str | None]] = [
        ("/api/accounts/imports/", None),  # sales ops only: a rep gets 404
        ("/api/accounts/tokens/", "token"),
        ("/api/accounts/deals/", "deal"),
        ("/api/accounts/", "account"),
        ("/api/stakeholders/people/", "stakeholder"),
        ("/api/stakeholders/links/", "link"),
        ("/api/plans/{pk}", "plan"),
        ("/api/plans/{plan_pk}/snapshots/", "snapshot"),
        ("/api/plans/accounts/{account_pk}/scorecard/measures/", "measure"),
        ("/api/plans/accounts/{account_pk}/voice/", "voice"),
        ("/api/plans/manager-reviews/", "manager_review"),
        ("/api/plans/items/", "strategy"),
        ("/api/plans/pursuits/", "pursuit"),
        ("/api/plans/stages/", "stage"),
        ("/api/plans/checkpoints/", "checkpoint"),
    ]
    parameters: dict[str, Any] = {}
    if "{account_pk}" in path:
        parameters["account_pk"] = world["account"].pk
    if "{plan_pk}" in path:
        parameters["plan_pk"] = world["plan"].pk
    if "{link_pk}" in path:
        parameters["link_pk"] = world["customer_link"].pk
    if "{pk}" in path:
        owner = next(
            (name for prefix, name in pk_owner if path.startswith(prefix)), None
        )
        if owner is None:
            return None
        parameters["pk"] = world[owner].pk
    if "{kind}" in path:
        parameters["kind"] = "strategy"
    if "{quarter}" in path:
        parameters["quarter"] = fiscal_quarter_current().start.isoformat()
    return parameters


def fuzz(
    operation: Any,
    *,
    mode: GenerationMode,
    path_parameters: dict[str, Any] | None,
    headers: dict[str, str],
) -> Callable[[], None]:
    strategy = operation.as_strategy(
        generation_mode=mode, path_parameters=path_parameters or None
    )

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    return run


def test_fuzzed_api_requests_get_no_500_and_match_the_schema(wsgi_app, fuzz_world):
    # given the schema, read through the app as the rep
    headers = {"Authorization": f"Token {fuzz_world['secret']}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20

    # when every operation is fuzzed, on real objects and on made-up ones
    failures = []
    for operation in operations:
        real = real_path_parameters(operation.path, fuzz_world)
        runs = [(GenerationMode.NEGATIVE, None)]
        if real is not None:
            runs.insert(0, (GenerationMode.POSITIVE, real))
        for mode, path_parameters in runs:
            # Fresh throttle counters per operation: the fuzzer is fast.
            forget_counters()
            try:
                fuzz(
                    operation,
                    mode=mode,
                    path_parameters=path_parameters,
                    headers=headers,
                )()
            except Unsatisfiable:
                # Nothing in this operation can be made invalid (no
                # parameters, no body): its positive pass covers it.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, FailureGroup) as error:  # report every operation
                failures.append(f"{operation.label} ({mode.value}):\n{error}")

    # then
    assert not failures, "\n\n".join(failures)
