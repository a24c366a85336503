"""The deal form as a tester used it: sent twice, odd dates, a lost version."""

import re
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.deal_keys import deal_key_for
from accounts.models import Account, ChangeRecord, Opportunity, User
from tests.accounts.conftest import api_for, detail_url, history, page_url
from tests.accounts.factories import AccountFactory, ProductFactory
from tests.accounts.test_deal_page import form_data

pytestmark = pytest.mark.django_db

KEY = "5f0c6a52-8d1e-4c7b-9a43-2b7e1d6f9c80"
AMBIGUOUS = (
    "05/01/2026 could be 5 January 2026 (day first) or 1 May 2026 (month "
    "first): enter the date as YYYY-MM-DD, 2026-01-05 or 2026-05-01."
)
ONE_READING = (
    "25/01/2026 is not written YYYY-MM-DD: if it is 25 January 2026, enter 2026-01-25."
)
MISSING_VERSION = (
    "This form is missing its version, so nothing was saved: reload the deal "
    "and make your change again. The values you typed are kept below."
)


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def alerts(body: str) -> list[str]:
    """Return the messages the form's alert box says, in order."""
    box = re.search(r'<div class="form-errors" role="alert">(.*?)</div>', body, re.S)
    return re.findall(r"<p>(.*?)</p>", box.group(1)) if box else []


def new_url(account: Account) -> str:
    return reverse("accounts:deal_create", args=[account.pk])


def new_deal(product_pk: int, **changes: str) -> dict[str, str]:
    return {
        "product": str(product_pk),
        "stage": "engaging",
        "close_value": "52000",
        "currency": "EUR",
        "engaged_on": "2026-11-20",
        "closed_on": "",
        "owner": "",
        "creation_key": KEY,
        **changes,
    }


# A New deal form sent twice adds one deal


def test_the_new_deal_page_carries_a_one_time_key(client, rep, account) -> None:
    client.force_login(rep)

    first = client.get(new_url(account)).content.decode()
    second = client.get(new_url(account)).content.decode()

    keys = [
        re.findall(r'name="creation_key" value="([0-9a-f-]{36})"', page)
        for page in (first, second)
    ]
    assert [len(found) for found in keys] == [1, 1]
    assert keys[0] != keys[1]


def test_the_same_new_deal_form_sent_twice_adds_one_deal(client, rep, account) -> None:
    # given: Rita double-clicks Add deal
    product = ProductFactory.create(name="MG Special")
    client.force_login(rep)
    first = client.post(new_url(account), new_deal(product.pk))

    # when
    second = client.post(new_url(account), new_deal(product.pk))

    # then: one deal, and the second post leads to it
    deal = Opportunity.objects.get()
    assert first.status_code == 302
    assert first["Location"] == reverse("accounts:detail", args=[account.pk]) + (
        "#deals"
    )
    assert second.status_code == 302
    assert second["Location"] == page_url(deal)
    assert said(second) == [
        f"Deal {deal.external_id} added.",
        f"This form was already sent: deal {deal.external_id} was added then, "
        "so nothing more was saved. Here is the deal as it was saved.",
    ]
    assert (deal.stage, deal.close_value, deal.currency) == (
        "engaging",
        Decimal("52000.00"),
        "EUR",
    )
    assert ChangeRecord.objects.filter(field="external_id").count() == 1


def test_two_new_deal_forms_add_two_deals(client, rep, account) -> None:
    product = ProductFactory.create(name="MG Special")
    client.force_login(rep)

    client.post(new_url(account), new_deal(product.pk))
    client.post(
        new_url(account),
        new_deal(product.pk, creation_key="0b6f2f7e-31a4-4f43-8f7e-6a1de0c2b9d5"),
    )

    assert Opportunity.objects.count() == 2


def test_a_new_deal_form_without_its_key_says_so_and_keeps_the_values(
    client, rep, account
) -> None:
    product = ProductFactory.create(name="MG Special")
    client.force_login(rep)

    response = client.post(new_url(account), new_deal(product.pk, creation_key=""))

    assert response.status_code == 200
    body = response.content.decode()
    assert alerts(body) == [
        "This form is missing its one-time key, so nothing was saved: reload the "
        "New deal page and add the deal again. The values you typed are kept below."
    ]
    assert 'name="close_value" value="52000"' in body
    assert Opportunity.objects.count() == 0


def test_a_new_deal_forms_key_sent_to_another_account_adds_nothing_there(
    client, rep, account
) -> None:
    # given: the form added its deal to Acme; Rita is on Globex's team too
    product = ProductFactory.create(name="MG Special")
    globex = AccountFactory.create(name="Globex")
    globex.team_members.add(rep)
    client.force_login(rep)
    client.post(new_url(account), new_deal(product.pk))

    # when: the same form, its address changed to Globex's
    response = client.post(new_url(globex), new_deal(product.pk))

    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert alerts(body) == [
        "This form&#x27;s one-time key already added a deal to another account, "
        "so nothing was saved: reload the New deal page and add the deal again. "
        "The values you typed are kept below."
    ]
    assert list(Opportunity.objects.values_list("account_id", flat=True)) == [
        account.pk
    ]


def test_a_new_deal_form_with_another_users_api_key_adds_its_own_deal(
    client, rep, manager, account
) -> None:
    # given: Rita added a deal through the API under "order-1"
    product = ProductFactory.create(name="MG Special")
    api_url = reverse("accounts_api:deal_create", args=[account.pk])
    body = {"product_id": product.pk, "stage": "engaging"}
    first = api_for(rep).post(
        api_url, body, format="json", HTTP_IDEMPOTENCY_KEY="order-1"
    )
    ritas_key = str(deal_key_for(user=rep, text="order-1"))

    # when: Mark sends the New deal form with the key her request stands for
    client.force_login(manager)
    response = client.post(
        new_url(account), new_deal(product.pk, creation_key=ritas_key)
    )

    # then: a deal of his own, and nothing tells of hers
    assert first.status_code == 201
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:detail", args=[account.pk]) + (
        "#deals"
    )
    marks = Opportunity.objects.exclude(pk=first.json()["id"]).get()
    assert said(response) == [f"Deal {marks.external_id} added."]
    assert (marks.account_id, marks.currency) == (account.pk, "EUR")
    assert ChangeRecord.objects.filter(field="external_id").count() == 2


def test_a_new_deal_form_cannot_take_up_another_users_api_key(
    client, rep, manager, account
) -> None:
    # given: Mark sent the form with the key Rita's "order-2" will stand for
    product = ProductFactory.create(name="MG Special")
    ritas_key = str(deal_key_for(user=rep, text="order-2"))
    client.force_login(manager)
    client.post(new_url(account), new_deal(product.pk, creation_key=ritas_key))

    # when: Rita adds her deal through the API under "order-2"
    response = api_for(rep).post(
        reverse("accounts_api:deal_create", args=[account.pk]),
        {"product_id": product.pk, "stage": "engaging"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="order-2",
    )

    # then: her deal is added, not refused nor taken for his
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    ritas = Opportunity.objects.get(pk=response.json()["id"])
    assert (ritas.account_id, ritas.stage, ritas.currency) == (
        account.pk,
        "engaging",
        "USD",
    )
    assert Opportunity.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_ten_racing_posts_of_one_new_deal_form_add_one_deal(
    postgres, rep: User, account: Account
) -> None:
    # given: the same form sent ten times at once
    product = ProductFactory.create(name="MG Special")
    locations: list[str] = []
    barrier = threading.Barrier(10)

    def post() -> None:
        client = Client()
        client.force_login(rep)
        barrier.wait(timeout=30)
        response = client.post(new_url(account), new_deal(product.pk))
        locations.append(response["Location"])
        connection.close()

    # when
    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then: one deal; one post went back to the account, nine to the deal
    deal = Opportunity.objects.get()
    assert sorted(locations) == sorted(
        [reverse("accounts:detail", args=[account.pk]) + "#deals"]
        + [page_url(deal)] * 9
    )
    assert ChangeRecord.objects.filter(field="external_id").count() == 1


# Dates: YYYY-MM-DD only, a slashed date refused naming its readings


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ("05/01/2026", AMBIGUOUS),
        ("25/01/2026", ONE_READING),
        ("2026-02-30", "2026-02-30 is not a day of the calendar."),
        ("31/31/2026", "31/31/2026 is not a day of the calendar."),
        ("Jan 5 2026", "Enter the date as YYYY-MM-DD, such as 2026-03-31."),
    ],
)
def test_the_page_refuses_a_date_it_would_have_to_guess(
    client, deal, rep, sent, message
) -> None:
    client.force_login(rep)

    response = client.post(page_url(deal), form_data(deal, closed_on=sent))

    assert response.status_code == 200
    assert response.context["form"].errors == {"closed_on": [message]}
    assert f'name="closed_on" value="{sent}"' in response.content.decode()
    deal.refresh_from_db()
    assert deal.closed_on == date(2026, 3, 31)
    assert history() == []


def test_the_page_takes_an_iso_date(client, deal, rep) -> None:
    client.force_login(rep)

    response = client.post(page_url(deal), form_data(deal, closed_on="2026-05-01"))

    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.closed_on == date(2026, 5, 1)


def test_the_page_says_which_dates_it_takes(client, deal, rep) -> None:
    client.force_login(rep)

    body = client.get(page_url(deal)).content.decode()

    assert (
        '<span class="field-help" id="id_closed_on_helptext">The box shows the day '
        "your browser&#x27;s way (10/20/2016 in US English). Typed as text, or in "
        "the API, a date is YYYY-MM-DD; one with slashes is refused, not "
        "guessed.</span>"
    ) in body
    assert 'type="date" name="closed_on" value="2026-03-31"' in body


@pytest.mark.parametrize(
    ("sent", "message"), [("05/01/2026", AMBIGUOUS), ("25/01/2026", ONE_READING)]
)
def test_the_api_refuses_a_slashed_date_in_the_pages_words(
    deal, rep, sent, message
) -> None:
    api = api_for(rep)
    etag = api.get(detail_url(deal))["ETag"]

    response = api.patch(
        detail_url(deal), {"engaged_on": sent}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 400
    assert response.json() == {"engaged_on": [message]}


# A form without its version


def test_a_form_without_its_version_says_why_and_keeps_the_typed_values(
    client, deal, rep
) -> None:
    # given: a form that lost its hidden version on the way
    client.force_login(rep)
    sent = form_data(deal, close_value="51000", stage="lost")
    del sent["version"]

    # when
    response = client.post(page_url(deal), sent)

    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert alerts(body) == [MISSING_VERSION]
    assert 'name="close_value" value="51000"' in body
    assert '<option value="lost" selected>Lost</option>' in body
    deal.refresh_from_db()
    assert (deal.stage, deal.close_value) == ("engaging", Decimal("48000.00"))
    assert history() == []
