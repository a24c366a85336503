"""Fuzz every API operation from the generated schema, in process.

Schemathesis reads the schema /api/schema/ serves and sends generated
requests through the WSGI app, using a personal API token: every
operation as a rep with a few accounts, and the sales ops operations
(imports, templates, scoring) again as sales ops. Each operation gets
valid-looking requests on the user's real objects and deliberately invalid
ones; none may answer 500, and every documented response must match its
own schema.

Each operation is a test of its own, and each example runs in a savepoint
that is rolled back, with the throttle counters forgotten: an example sees
the same objects and counters whatever ran before it, so Hypothesis's
replay of a failing example meets the state the example first met. The
examples are bounded and derandomised, so a run is repeatable; to try other
examples, pass a seed: ``pytest --hypothesis-seed=N``.
"""

import json
import traceback
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok

from accounts.api_tokens import api_token_create
from accounts.models import ImportJob, Opportunity, User
from accounts.wizard import (
    mapped_import_create,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
)
from config.schema_view import api_schema
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
from scoring.models import ScoreRun
from scoring.services import scoring_model_active
from stakeholders.models import BuyingRole
from tests.accounts.factories import (
    AccountFactory,
    ProductFactory,
    TeamFactory,
    UserFactory,
)
from tests.plans.factories import PlanFactory, gated_template
from tests.security.conftest import forget_counters
from tests.stakeholders.factories import InfluenceLinkFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

EXAMPLES_PER_MODE = 12
# Sales ops operations again as sales ops: fewer, as the rep already sent
# each of them a full set that got as far as the access check.
OPS_EXAMPLES_PER_MODE = 6
CHECKS = [not_a_server_error, response_schema_conformance]

# The operations only sales ops may use; anyone else gets 404.
OPS_PATHS = (
    "/api/accounts/audit/",
    "/api/accounts/imports/",
    "/api/plans/templates/",
    "/api/scoring/models/{pk}/",
    "/api/scoring/runs/start/",
    "/api/accounts/users/",
    "/api/accounts/teams/",
    "/api/accounts/products/",
    "/api/stakeholders/roles/",
)
OPS_READS_TOO = ("/api/accounts/audit/", "/api/accounts/imports/")


@cache
def schema_document() -> dict[str, Any]:
    """Return the schema /api/schema/ serves, as JSON, built once."""
    return json.loads(OpenApiJsonRenderer().render(api_schema(), renderer_context={}))


@cache
def api_operations() -> dict[str, Any]:
    """Return the schema's operations by label, in the schema's order."""
    schema = schemathesis.openapi.from_dict(schema_document())
    operations = {}
    for result in schema.get_all_operations():
        # A schema schemathesis cannot read fails here, naming the operation.
        assert isinstance(result, Ok), result
        operations[result.ok().label] = result.ok()
    return operations


def is_ops_only(label: str) -> bool:
    method, path = label.split(" ", 1)
    if not path.startswith(OPS_PATHS):
        return False
    return method != "GET" or path.startswith(OPS_READS_TOO)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    # Uploads the fuzzer sends as sales ops land here.
    settings.MEDIA_ROOT = tmp_path / "media"


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
        "user": rep,
        "team": team,
        "product": pursuit.product,
        "role": BuyingRole.objects.earliest("pk"),
        "deal": Opportunity.objects.create(
            external_id="fuzz-deal",
            account=account,
            product=pursuit.product,
            stage=Opportunity.Stage.ENGAGING,
        ),
    }


@pytest.fixture
def ops_world(fuzz_world: dict[str, Any]) -> dict[str, Any]:
    """Sales ops with a token, three imports, a template, a model and a run."""
    ops = UserFactory.create(username="fuzzing-ops", role=User.Role.OPS)
    _, secret = api_token_create(user=ops, name="fuzzing as ops")
    content = b"Account Name,Industry\nFuzz Freight,Logistics\n"
    waiting = mapped_import_create(user=ops, files=[("accounts.csv", content)])
    checked = mapped_import_create(user=ops, files=[("accounts.csv", content)])
    assert mapped_import_mapping_accept(mapped=checked, user=ops) == {}
    written = mapped_import_create(user=ops, files=[("accounts.csv", content)])
    assert mapped_import_mapping_accept(mapped=written, user=ops) == {}
    mapped_import_start(mapped=written, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=written)
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    template = gated_template()
    stage = template.stages.order_by("order")[0]
    model = scoring_model_active()
    return {
        **fuzz_world,
        "secret": secret,
        "import": waiting.job,
        "import_checked": checked.job,
        "import_written": job,
        "template": template,
        "template_stage": stage,
        "template_checkpoint": stage.checkpoints.first(),
        "model": model,
        "run": ScoreRun.objects.create(scoring_model=model, requested_by=ops),
    }


def real_path_parameters(path: str, world: dict[str, Any]) -> dict[str, Any] | None:
    """Return path parameters naming the world's own objects, where known."""
    pk_owner: list[tuple[str, str | None]] = [
        # An import that wrote something is what these act on; the others
        # act on one waiting for its mapping. A rep's world has neither.
        ("/api/accounts/imports/{pk}/report.csv", "import_written"),
        ("/api/accounts/imports/{pk}/undo/", "import_written"),
        ("/api/accounts/imports/{pk}/undo.csv", "import_written"),
        ("/api/accounts/imports/{pk}/reopen/", "import_written"),
        # Its changes are there to list only while it is being checked.
        ("/api/accounts/imports/{pk}/changes.csv", "import_checked"),
        ("/api/accounts/imports/", "import"),
        ("/api/accounts/tokens/", "token"),
        ("/api/accounts/users/", "user"),
        ("/api/accounts/teams/", "team"),
        ("/api/accounts/products/", "product"),
        ("/api/stakeholders/roles/", "role"),
        ("/api/accounts/deals/", "deal"),
        ("/api/accounts/", "account"),
        ("/api/stakeholders/people/", "stakeholder"),
        ("/api/stakeholders/links/", "link"),
        ("/api/plans/templates/stages/", "template_stage"),
        ("/api/plans/templates/checkpoints/", "template_checkpoint"),
        ("/api/plans/templates/", "template"),
        ("/api/plans/{pk}", "plan"),
        ("/api/plans/{plan_pk}/snapshots/", "snapshot"),
        ("/api/plans/accounts/{account_pk}/scorecard/measures/", "measure"),
        ("/api/plans/accounts/{account_pk}/voice/", "voice"),
        ("/api/plans/manager-reviews/", "manager_review"),
        ("/api/plans/items/", "strategy"),
        ("/api/plans/pursuits/", "pursuit"),
        ("/api/plans/stages/", "stage"),
        ("/api/plans/checkpoints/", "checkpoint"),
        ("/api/scoring/models/", "model"),
        ("/api/scoring/runs/", "run"),
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
        if owner is None or owner not in world:
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
    examples: int,
    chosen_seed: int | None,
) -> Callable[[], None]:
    strategy = operation.as_strategy(
        generation_mode=mode, path_parameters=path_parameters or None
    )

    # What bounds a test's time is the count of examples, not a clock: at
    # most `examples` requests sent (Hypothesis also stops after a bounded
    # number of draws it had to discard, which send nothing), no shrinking
    # phase and no database of past failures to replay. A per-example
    # deadline would be a timed assertion that a busy machine fails. Each
    # operation's test took at most 22 s at a load average of 8-11 on two
    # shared cores, far below pytest-timeout's 600.
    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        # Rolled back whatever it did: the next example, and a replay of
        # this one, start from the same objects and counters.
        with transaction.atomic():
            forget_counters()
            case.call_and_validate(headers=headers, checks=CHECKS)
            transaction.set_rollback(True)

    # A seed given on the command line overrides the derandomised one.
    return run if chosen_seed is None else seed(chosen_seed)(run)


def operation_fuzz(
    label: str,
    *,
    app: Any,
    world: dict[str, Any],
    examples: int,
    chosen_seed: int | None,
) -> list[str]:
    """Fuzz one operation as the world's token holder; return its failures."""
    operation = api_operations()[label]
    # The app under test sends each case; this test's app, not the last's.
    operation.app = operation.schema.app = app
    headers = {"Authorization": f"Token {world['secret']}"}
    real = real_path_parameters(operation.path, world)
    runs: list[tuple[GenerationMode, dict[str, Any] | None]] = [
        (GenerationMode.NEGATIVE, None)
    ]
    if real is not None:
        runs.insert(0, (GenerationMode.POSITIVE, real))

    failures = []
    for mode, path_parameters in runs:
        try:
            fuzz(
                operation,
                mode=mode,
                path_parameters=path_parameters,
                headers=headers,
                examples=examples,
                chosen_seed=chosen_seed,
            )()
        except Unsatisfiable:
            # Nothing in this operation can be made invalid (no parameters,
            # no body): its positive pass covers it.
            assert mode is GenerationMode.NEGATIVE, label
        except (Exception, FailureGroup) as error:  # report both modes
            # In full: a FlakyFailure's message alone hides what failed.
            said = "".join(traceback.format_exception(error))
            failures.append(f"{label} ({mode.value}):\n{said}")
    return failures


@pytest.fixture
def chosen_seed(request: pytest.FixtureRequest) -> int | None:
    """The seed ``--hypothesis-seed`` names, if any; derandomised without."""
    value = request.config.getoption("hypothesis_seed")
    return None if value is None else int(value)


def test_the_schema_has_the_operations_fuzzed_below() -> None:
    labels = list(api_operations())

    assert len(labels) > 100
    assert len([label for label in labels if is_ops_only(label)]) > 20


@pytest.mark.parametrize("label", list(api_operations()))
def test_fuzzed_requests_as_a_rep_get_no_500_and_match_the_schema(
    label, wsgi_app, fuzz_world, chosen_seed
) -> None:
    failures = operation_fuzz(
        label,
        app=wsgi_app,
        world=fuzz_world,
        examples=EXAMPLES_PER_MODE,
        chosen_seed=chosen_seed,
    )

    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("label", [o for o in api_operations() if is_ops_only(o)])
def test_fuzzed_requests_as_sales_ops_get_no_500_and_match_the_schema(
    label, wsgi_app, ops_world, chosen_seed
) -> None:
    failures = operation_fuzz(
        label,
        app=wsgi_app,
        world=ops_world,
        examples=OPS_EXAMPLES_PER_MODE,
        chosen_seed=chosen_seed,
    )

    assert not failures, "\n\n".join(failures)
