"""A deal added through the API with an Idempotency-Key is added once.

A client that timed out sends its POST again with the same key: it gets
the deal the first POST added, not a second one. The same key with other
values is refused; another user's key is another key.
"""

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import Account, ChangeRecord, Opportunity, Product, User
from config.api import etag_for
from tests.accounts.conftest import api_for
from tests.accounts.factories import AccountFactory, ProductFactory

pytestmark = pytest.mark.django_db

KEY = "3f1c9a52-7d0e-4b8e-9a61-2c5d7e8f9b10"
KEY_REUSED = (
    "This Idempotency-Key was already used with a different request (other "
    "values, or another account), so nothing was added. Send a new key to add "
    "another deal, or the first request unchanged to get its answer again."
)
KEY_REFUSED = (
    "Send an Idempotency-Key of 1 to 255 visible ASCII characters, such as a UUID."
)


@pytest.fixture
def product(db: None) -> Product:
    return ProductFactory.create(name="MG Special")


def create_url(account: Account) -> str:
    return reverse("accounts_api:deal_create", args=[account.pk])


def renewal(product: Product, **changes: Any) -> dict[str, Any]:
    return {
        "product_id": product.pk,
        "stage": "engaging",
        "close_value": "52000.00",
        "currency": "EUR",
        **changes,
    }


def post(user: User, account: Account, body: dict[str, Any], key: str = KEY) -> Any:
    return api_for(user).post(
        create_url(account), body, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_a_retry_with_the_same_key_answers_with_the_first_deal(
    account, rep, product
) -> None:
    # given
    first = post(rep, account, renewal(product))

    # when: the client timed out and sends it again, the amount as "52000"
    again = post(rep, account, renewal(product, close_value="52000"))

    # then: one deal, the same answer, and the retry says it added nothing
    deal = Opportunity.objects.get()
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.json()["id"] == deal.pk
    assert again["ETag"] == first["ETag"] == etag_for(instance=deal)
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert ChangeRecord.objects.filter(field="external_id").count() == 1


def test_a_retry_after_an_edit_answers_with_the_deal_as_it_is_now(
    account, rep, product
) -> None:
    # given: the deal was lost since it was added
    first = post(rep, account, renewal(product))
    Opportunity.objects.filter(pk=first.json()["id"]).update(stage="lost")

    # when
    again = post(rep, account, renewal(product))

    # then
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    deal = Opportunity.objects.get()
    assert again.json() == {
        **first.json(),
        "stage": "lost",
        "updated_at": again.json()["updated_at"],
    }
    assert again["ETag"] == etag_for(instance=deal) != first["ETag"]


@pytest.mark.parametrize(
    "changes",
    [{"owner_id": None}, {"currency": "eur"}],
    ids=["owner_id null, none sent before", "currency in lower case"],
)
def test_a_retry_sending_the_same_values_otherwise_is_the_same_request(
    account, rep, product, changes
) -> None:
    # given
    first = post(rep, account, renewal(product))

    # when: the retry says the same deal another way
    again = post(rep, account, renewal(product, **changes))

    # then: the first deal, as stored, once
    deal = Opportunity.objects.get()
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert (deal.owner_id, deal.currency) == (None, "EUR")


def test_the_same_key_with_other_values_is_refused(account, rep, product) -> None:
    # given
    post(rep, account, renewal(product))

    # when
    response = post(rep, account, renewal(product, close_value="61000.00"))

    # then
    assert response.status_code == 422
    assert response.json() == {"detail": KEY_REUSED}
    assert list(Opportunity.objects.values_list("close_value", flat=True)) == [52000]


def test_the_same_key_on_another_account_is_refused(account, rep, product) -> None:
    # given: Rita is on a second account's team too
    second = AccountFactory.create(name="Globex")
    second.team_members.add(rep)
    post(rep, account, renewal(product))

    # when
    response = post(rep, second, renewal(product))

    # then
    assert response.status_code == 422
    assert response.json() == {"detail": KEY_REUSED}
    assert list(Opportunity.objects.values_list("account_id", flat=True)) == [
        account.pk
    ]


def test_another_users_key_adds_their_own_deal(account, rep, manager, product) -> None:
    # given: Rita added a deal under the key
    first = post(rep, account, renewal(product))

    # when: Mark, her manager, sends the same key and values
    response = post(manager, account, renewal(product))

    # then: his own deal, not hers, and nothing says hers exists
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert response.json()["id"] != first.json()["id"]
    assert Opportunity.objects.count() == 2


def test_without_a_key_each_post_adds_a_deal(account, rep, product) -> None:
    api = api_for(rep)

    for _ in range(2):
        response = api.post(create_url(account), renewal(product), format="json")
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response

    assert Opportunity.objects.count() == 2
    assert list(Opportunity.objects.values_list("creation_digest", flat=True)) == [
        "",
        "",
    ]


@pytest.mark.parametrize("key", ["x" * 256, "two words", "caf\u00e9"])
def test_a_key_it_cannot_keep_is_refused(account, rep, product, key) -> None:
    response = api_for(rep).post(
        create_url(account),
        renewal(product),
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )

    assert response.status_code == 400
    assert response.json() == {"Idempotency-Key": [KEY_REFUSED]}
    assert Opportunity.objects.count() == 0


def test_a_key_is_not_spent_by_a_refused_request(account, rep, product) -> None:
    # given: the first try was refused, a won deal without its close date
    refused = post(rep, account, renewal(product, stage="won"))

    # when
    response = post(rep, account, renewal(product))

    # then
    assert refused.status_code == 400
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Opportunity.objects.count() == 1


def test_the_schema_documents_the_key_and_its_answers(client, rep) -> None:
    client.force_login(rep)

    schema = client.get("/api/schema/?format=json").json()

    create = schema["paths"]["/api/accounts/{account_pk}/deals/create/"]["post"]
    header = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    assert (header["in"], header.get("required", False)) == ("header", False)
    assert header["schema"] == {"type": "string", "pattern": "^[!-~]{1,255}$"}
    assert create["responses"]["201"]["headers"]["Idempotent-Replayed"]["schema"] == {
        "type": "string",
        "enum": ["true"],
    }
    assert "422" in create["responses"]


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_posts_with_one_key_add_one_deal(
    postgres, account, rep, product
) -> None:
    # given: ten clients sending the same request with the same key
    barrier = threading.Barrier(10)
    answers: list[tuple[int, str, int]] = []

    def send() -> None:
        client = Client()
        client.force_login(rep)
        barrier.wait(timeout=30)
        response = client.post(
            create_url(account),
            renewal(product),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=KEY,
        )
        answers.append(
            (
                response.status_code,
                response.get("Idempotent-Replayed", ""),
                response.json().get("id", 0),
            )
        )
        connection.close()

    # when
    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then: one deal; one answer added it, nine replayed it
    deal = Opportunity.objects.get()
    assert sorted(answers) == [(201, "", deal.pk)] + [(201, "true", deal.pk)] * 9
    assert ChangeRecord.objects.filter(field="external_id").count() == 1
