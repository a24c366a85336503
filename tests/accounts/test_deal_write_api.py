"""Deals edited by hand through the API.

The API and the deal page go through one service: the same rules and
messages, a version that refuses stale changes, and one history entry per
changed field.
"""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import ChangeRecord, Opportunity
from config.api import etag_for
from tests.accounts.conftest import (
    STALE_DETAIL,
    api_for,
    detail_url,
    history,
)
from tests.accounts.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_a_rep_reads_a_deal_with_its_etag(deal, rep, account) -> None:
    response = api_for(rep).get(detail_url(deal))

    assert response.status_code == 200
    assert response["ETag"] == etag_for(instance=deal)
    assert response.json() == {
        "id": deal.pk,
        "external_id": "0065g00000Q1w2eAAB",
        "name": "",
        "account_id": account.pk,
        "product_id": deal.product_id,
        "product": "GTX Pro",
        "owner_id": rep.pk,
        "owner": rep.display_name,
        "stage": "engaging",
        "engaged_on": "2026-01-12",
        "closed_on": "2026-03-31",
        "close_value": "48000.00",
        "currency": "USD",
        "custom_values": {},
        "updated_at": "2026-12-01T09:00:00Z",
    }


def test_a_patch_without_if_match_is_refused_with_428(deal, rep) -> None:
    response = api_for(rep).patch(detail_url(deal), {"stage": "won"}, format="json")

    assert response.status_code == 428
    assert response.json() == {
        "detail": (
            "Send the ETag from your last read in an If-Match header to change this."
        )
    }
    deal.refresh_from_db()
    assert deal.stage == "engaging"
    assert history() == []


def test_a_stale_patch_gets_412_with_the_current_deal(deal, rep) -> None:
    # given: Rita reads the deal, then someone moves its close date
    client = api_for(rep)
    etag = client.get(detail_url(deal))["ETag"]
    moved = client.patch(
        detail_url(deal),
        {"closed_on": "2026-04-30"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert moved.status_code == 200

    # when: Rita sends her change with the version she read
    response = client.patch(
        detail_url(deal), {"close_value": "1.00"}, format="json", HTTP_IF_MATCH=etag
    )

    # then
    assert response.status_code == 412
    body = response.json()
    assert body["detail"] == STALE_DETAIL
    assert body["current"]["closed_on"] == "2026-04-30"
    assert body["current"]["close_value"] == "48000.00"
    assert response["ETag"] == moved["ETag"]
    deal.refresh_from_db()
    assert deal.close_value == Decimal("48000.00")


def test_a_patch_wins_the_deal_and_records_each_changed_field(deal, rep) -> None:
    # given
    client = api_for(rep)
    etag = client.get(detail_url(deal))["ETag"]

    # when
    response = client.patch(
        detail_url(deal),
        {
            "stage": "won",
            "close_value": "52000",
            "currency": "eur",
            "closed_on": "2026-03-31",
        },
        format="json",
        HTTP_IF_MATCH=etag,
    )

    # then
    assert response.status_code == 200, response.json()
    deal.refresh_from_db()
    assert response["ETag"] == etag_for(instance=deal) != etag
    assert (response.json()["stage"], response.json()["close_value"]) == (
        "won",
        "52000.00",
    )
    assert (deal.stage, deal.close_value, deal.currency) == (
        "won",
        Decimal("52000.00"),
        "EUR",
    )
    # the close date sent unchanged is not recorded
    assert history() == [
        ("update", "stage", "engaging", "won", "rita"),
        ("update", "close_value", "48000.00", "52000.00", "rita"),
        ("update", "currency", "USD", "EUR", "rita"),
    ]
    record = ChangeRecord.objects.first()
    assert record is not None
    assert (record.account_id, record.object_label, record.import_job_id) == (
        deal.account_id,
        "0065g00000Q1w2eAAB",
        None,
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"stage": "won", "closed_on": None},
            {"closed_on": ["A won deal needs a close date."]},
        ),
        (
            {"stage": "lost", "closed_on": None},
            {"closed_on": ["A lost deal needs a close date."]},
        ),
        (
            {"stage": "won", "close_value": None},
            {"close_value": ["A won deal needs an amount."]},
        ),
        (
            {"close_value": "-5.00"},
            {"close_value": ["The amount cannot be below zero."]},
        ),
        (
            {"closed_on": "2025-12-31"},
            {"closed_on": ["The close date cannot be before the engaged date."]},
        ),
        (
            {"closed_on": "2150-01-01"},
            {"closed_on": ["Give a date from 1 January 1990 to 31 December 2099."]},
        ),
        (
            {"currency": "ZZZ"},
            {
                "currency": [
                    "The currency ZZZ is not an ISO 4217 currency code: enter "
                    "one such as EUR."
                ]
            },
        ),
        ({"stage": "closed"}, {"stage": ['"closed" is not a valid choice.']}),
        ({"close_value": "lots"}, {"close_value": ["A valid number is required."]}),
        ({"product_id": 999999}, {"product_id": ["No product has this id."]}),
        (
            {"owner_id": 999999},
            {"owner_id": ["That user is not on this account's team."]},
        ),
        (
            {"external_id": "X-1"},
            {
                "external_id": [
                    "This field cannot be set here; it is read-only or unknown."
                ]
            },
        ),
    ],
)
def test_a_bad_patch_is_refused_field_by_field(deal, rep, body, errors) -> None:
    client = api_for(rep)
    etag = client.get(detail_url(deal))["ETag"]

    response = client.patch(detail_url(deal), body, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 400
    assert response.json() == errors
    deal.refresh_from_db()
    assert (deal.stage, deal.closed_on, deal.close_value, deal.currency) == (
        "engaging",
        date(2026, 3, 31),
        Decimal("48000.00"),
        "USD",
    )
    assert history() == []


def test_a_new_owner_must_be_on_the_accounts_team(deal, rep, outsider) -> None:
    client = api_for(rep)
    etag = client.get(detail_url(deal))["ETag"]

    response = client.patch(
        detail_url(deal), {"owner_id": outsider.pk}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 400
    assert response.json() == {"owner_id": ["That user is not on this account's team."]}


def test_a_rep_of_another_team_gets_404_for_every_deal_operation(
    deal, outsider, account
) -> None:
    client = api_for(outsider)
    etag = etag_for(instance=deal)

    read = client.get(detail_url(deal))
    changed = client.patch(
        detail_url(deal), {"stage": "lost"}, format="json", HTTP_IF_MATCH=etag
    )
    created = client.post(
        reverse("accounts_api:deal_create", args=[account.pk]),
        {"product_id": deal.product_id, "stage": "engaging"},
        format="json",
    )

    assert [read.status_code, changed.status_code, created.status_code] == [
        404,
        404,
        404,
    ]
    assert read.json() == {"detail": "Not found."}
    assert Opportunity.objects.count() == 1


def test_an_executive_reads_a_deal_but_may_not_change_it(deal, executive) -> None:
    client = api_for(executive)

    read = client.get(detail_url(deal))
    changed = client.patch(
        detail_url(deal), {"stage": "lost"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )

    assert read.status_code == 200
    assert changed.status_code == 403
    assert changed.json() == {"detail": "Executives read Lode but do not change it."}


def test_a_manager_changes_a_deal_of_their_reps_account(deal, manager) -> None:
    client = api_for(manager)
    etag = client.get(detail_url(deal))["ETag"]

    response = client.patch(
        detail_url(deal), {"stage": "prospecting"}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200
    assert history() == [("update", "stage", "engaging", "prospecting", "mark")]


def test_a_rep_adds_a_deal_to_an_account_by_hand(account, rep) -> None:
    # given
    product = ProductFactory.create(name="MG Special")

    # when
    response = api_for(rep).post(
        reverse("accounts_api:deal_create", args=[account.pk]),
        {
            "product_id": product.pk,
            "stage": "engaging",
            "close_value": "52000.00",
            "currency": "EUR",
            "owner_id": rep.pk,
        },
        format="json",
    )

    # then
    assert response.status_code == 201, response.json()
    deal = Opportunity.objects.get()
    assert response["ETag"] == etag_for(instance=deal)
    assert deal.external_id.startswith("lode-")
    assert len(deal.external_id) == len("lode-") + 16
    assert (
        deal.account_id,
        deal.product_id,
        deal.owner_id,
        deal.stage,
        deal.close_value,
        deal.currency,
        deal.closed_on,
    ) == (account.pk, product.pk, rep.pk, "engaging", Decimal("52000.00"), "EUR", None)
    assert history() == [
        ("create", "external_id", "", deal.external_id, "rita"),
        ("create", "product", "", str(product.pk), "rita"),
        ("create", "owner", "", str(rep.pk), "rita"),
        ("create", "stage", "", "engaging", "rita"),
        ("create", "close_value", "", "52000.00", "rita"),
        ("create", "currency", "", "EUR", "rita"),
    ]


def test_a_deal_is_created_only_with_a_product_and_a_stage(account, rep) -> None:
    response = api_for(rep).post(
        reverse("accounts_api:deal_create", args=[account.pk]), {}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "product_id": ["This field is required."],
        "stage": ["This field is required."],
    }
    assert Opportunity.objects.count() == 0


def test_a_won_deal_is_created_only_with_its_close_date_and_amount(
    account, rep
) -> None:
    product = ProductFactory.create(name="MG Special")

    response = api_for(rep).post(
        reverse("accounts_api:deal_create", args=[account.pk]),
        {"product_id": product.pk, "stage": "won"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "closed_on": ["A won deal needs a close date."],
        "close_value": ["A won deal needs an amount."],
    }
    assert Opportunity.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_deal_patches_with_one_etag_give_one_success(
    postgres, deal, rep
) -> None:
    # given: ten clients that read the same version
    etag = etag_for(instance=deal)
    statuses: list[int] = []
    barrier = threading.Barrier(10)

    def patch(number: int) -> None:
        client = Client()
        client.force_login(rep)
        barrier.wait(timeout=30)
        response = client.patch(
            detail_url(deal),
            {"close_value": f"{50000 + number}.00"},
            content_type="application/json",
            HTTP_IF_MATCH=etag,
        )
        statuses.append(response.status_code)
        connection.close()

    # when
    threads = [threading.Thread(target=patch, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then: one wins, and only its change is in the history
    assert sorted(statuses) == [200] + [412] * 9
    deal.refresh_from_db()
    assert history() == [
        ("update", "close_value", "48000.00", str(deal.close_value), "rita")
    ]
