"""Scorecard figures read back alike on SQLite and PostgreSQL."""

import json
from decimal import Decimal, InvalidOperation

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import Account, User
from accounts.numbers import (
    ExactDigitsValidator,
    significant_digits,
    sqlite_unreadable_decimals_repair,
)
from plans.errors import PlanError
from plans.models import MeasureQuarter, ValueMeasure
from plans.review_services import customer_link_create, value_measure_create
from tests.responses import ClientResponse
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

QUARTER = "2026-04-01"
LARGEST = "9999999999999.99"


def _send(
    client: Client, method: str, url: str, body: dict, **headers: str
) -> ClientResponse:
    return client.generic(
        method, url, json.dumps(body), content_type="application/json", headers=headers
    )


def _reads(client: Client, account: Account) -> dict[str, int]:
    """Return the status of every page and API that shows the scorecard."""
    contact = StakeholderFactory.create(account=account)
    rep = User.objects.get(username="rita")
    _link, token = customer_link_create(user=rep, account=account, stakeholder=contact)
    api = f"/api/plans/accounts/{account.pk}"
    paths = [
        f"{api}/scorecard/?quarter={QUARTER}",
        f"{api}/reviews/{QUARTER}/",
        *(
            f"{api}/reviews/{QUARTER}/export.{kind}"
            for kind in ("pdf", "pptx", "csv", "xlsx")
        ),
        f"/plans/account/{account.pk}/scorecard/",
        f"/plans/account/{account.pk}/review/{QUARTER}/",
        reverse("plans:customer", args=[token]),
    ]
    return {path: client.get(path).status_code for path in paths}


def test_a_baseline_past_fifteen_digits_is_refused_with_its_reason(
    client: Client, rep: User, account: Account
) -> None:
    client.force_login(rep)
    url = f"/api/plans/accounts/{account.pk}/scorecard/measures/"

    response = _send(
        client,
        "POST",
        url,
        {"name": "m", "direction": "up", "baseline": "99999999999999.99"},
    )

    assert response.status_code == 400
    assert response.json() == {
        "baseline": ["Ensure that there are no more than 15 digits in total."]
    }
    assert ValueMeasure.objects.count() == 0


def test_the_largest_figures_read_back_exactly_everywhere(
    client: Client, rep: User, account: Account
) -> None:
    # given
    client.force_login(rep)
    url = f"/api/plans/accounts/{account.pk}/scorecard/measures/"
    created = _send(
        client, "POST", url, {"name": "m", "direction": "up", "baseline": LARGEST}
    )
    measure_url = f"{url}{created.json()['id']}/"
    quarter_url = f"/api/plans/accounts/{account.pk}/scorecard/{QUARTER}/"
    etag = client.get(quarter_url)["ETag"]

    # when
    put = _send(
        client,
        "PUT",
        quarter_url,
        {"measure": created.json()["id"], "target": f"-{LARGEST}", "actual": LARGEST},
        If_Match=etag,
    )

    # then
    assert created.status_code == 201
    assert put.status_code == 200
    assert client.get(measure_url).json()["baseline"] == LARGEST
    assert client.get(quarter_url).json()["figures"][0]["target"] == f"-{LARGEST}"
    assert client.get(quarter_url).json()["figures"][0]["actual"] == LARGEST
    stored = MeasureQuarter.objects.get()
    assert (stored.target, stored.actual) == (Decimal(f"-{LARGEST}"), Decimal(LARGEST))
    assert set(_reads(client, account).values()) == {200}


def test_a_quarter_figure_past_fifteen_digits_is_refused(
    client: Client, rep: User, account: Account
) -> None:
    measure = value_measure_create(
        user=rep,
        account=account,
        values={"name": "m", "direction": "up", "baseline": 1},
    )
    client.force_login(rep)
    url = f"/api/plans/accounts/{account.pk}/scorecard/{QUARTER}/"

    response = _send(
        client,
        "PUT",
        url,
        {"measure": measure.pk, "target": None, "actual": "99999999999999.99"},
        If_Match=client.get(url)["ETag"],
    )

    assert response.status_code == 400
    assert response.json() == {
        "actual": ["Ensure that there are no more than 15 digits in total."]
    }
    assert MeasureQuarter.objects.count() == 0


def test_the_service_refuses_a_sixteenth_significant_digit(
    rep: User, account: Account
) -> None:
    with pytest.raises(PlanError) as refused:
        value_measure_create(
            user=rep,
            account=account,
            values={
                "name": "m",
                "direction": "up",
                "baseline": Decimal("1234567890123.456"),
            },
        )

    assert "Ensure that there are no more than 15 significant digits." in str(
        refused.value
    )


def test_significant_digits_count_what_a_float_must_keep() -> None:
    assert significant_digits(Decimal("99999999999999.99")) == 16
    assert significant_digits(Decimal("12345678901234.00")) == 14
    assert significant_digits(Decimal("0.0000612345")) == 6
    assert significant_digits(Decimal(0)) == 0
    ExactDigitsValidator()(Decimal("999999999999999"))


def test_a_value_stored_before_the_limit_is_repaired_so_it_reads_and_deletes(
    client: Client, rep: User, account: Account
) -> None:
    # given a measure stored as the demo stored it before the limit
    measure = value_measure_create(
        user=rep,
        account=account,
        values={"name": "m", "direction": "up", "baseline": 1},
    )
    table = ValueMeasure._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET baseline = %s WHERE id = %s",  # noqa: S608
            ["99999999999999.99", measure.pk],
        )

    if connection.vendor == "sqlite":
        with pytest.raises(InvalidOperation):
            ValueMeasure.objects.get(pk=measure.pk)

    # when
    repaired = sqlite_unreadable_decimals_repair(
        connection=connection, table=table, column="baseline", whole_digits=14
    )

    # then SQLite's rounded float is kept to the 15 digits it can read back;
    # PostgreSQL kept the exact value and needs no repair
    client.force_login(rep)
    url = f"/api/plans/accounts/{account.pk}/scorecard/measures/{measure.pk}/"
    read = client.get(url)
    if connection.vendor == "sqlite":
        assert repaired == 1
        assert read.json()["baseline"] == "99999999999999.90"
    else:
        assert repaired == 0
        assert read.json()["baseline"] == "99999999999999.99"
    assert read.status_code == 200
    assert set(_reads(client, account).values()) == {200}
    deleted = client.delete(url, headers={"If-Match": read["ETag"]})
    assert deleted.status_code == 204
    assert ValueMeasure.objects.count() == 0
