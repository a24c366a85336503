import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plans.models import Pursuit
from scoring.models import ScoringModel

pytestmark = pytest.mark.django_db


def _access_checks(client, plan) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/plans/{plan.pk}/")
    checks = [q["sql"] for q in queries if q["sql"].startswith("SELECT 1 AS")]
    return response, checks


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_the_page_asks_no_more_whether_the_user_may_edit_or_override(
    request, client, plan, who
):
    # The plan was just read through the access rule, so the edit check and
    # the manager's gate check answer without asking the database again.
    client.force_login(request.getfixturevalue(who))

    response, checks = _access_checks(client, plan)

    assert response.status_code == 200
    assert response.context["may_write"] is True
    assert response.context["can_override"] is (who == "manager")
    assert checks == [], checks


def test_a_manager_of_another_team_may_neither_open_nor_override(
    client, plan, outsider
):
    outsider.role = outsider.Role.MANAGER
    outsider.save()
    client.force_login(outsider)

    response = client.get(f"/plans/{plan.pk}/")

    assert response.status_code == 404


def test_the_reporting_currency_is_read_once_and_starts_new_pursuits(client, rep, plan):
    ScoringModel.objects.filter(is_active=True).update(reporting_currency="SEK")
    client.force_login(rep)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/plans/{plan.pk}/")

    reads = [q["sql"] for q in queries if '"scoring_scoringmodel"' in q["sql"]]
    assert len(reads) == 1, reads
    currency = next(
        spec for spec in response.context["new_pursuits"] if spec.name == "currency"
    )
    assert currency.value == "SEK"


def _account_page_queries(client, account) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/accounts/{account.pk}/")
    assert response.status_code == 200
    return len(queries)


def test_the_account_page_totals_1_or_30_pursuits_in_the_same_queries(
    client, rep, account, plan, pursuit
):
    # The plan section converts each pursuit at its own day, which needs
    # fields beyond the amount; none may be read one pursuit at a time.
    client.force_login(rep)
    one = _account_page_queries(client, account)
    for index in range(29):
        pursuit.pk = None
        pursuit.name = f"Pursuit {index}"
        pursuit.currency = "EUR" if index % 2 else "USD"
        pursuit.save()

    thirty = _account_page_queries(client, account)

    assert Pursuit.objects.filter(plan=plan).count() == 30
    assert one == thirty
