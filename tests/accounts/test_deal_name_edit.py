"""A deal's name is edited by hand through the API and on the deal page.

The name an import read from the CRM is one more field a user may change:
the same version rule, access and history as the deal's other fields, a
blank name allowed and an over-long one refused beside its field.
"""

import html

import pytest
from django.urls import reverse

from accounts.models import ChangeRecord, Opportunity
from config.api import etag_for
from tests.accounts.conftest import (
    STALE_DETAIL,
    api_for,
    detail_url,
    history,
    page_url,
)
from tests.security.test_escaping import FORMULA, HOSTILE

pytestmark = pytest.mark.django_db

CRM_NAME = "Northwind renewal 2026"
TOO_LONG = "N" * 201


@pytest.fixture
def named(deal: Opportunity) -> Opportunity:
    """The deal as an import left it: with its CRM name, no hand edit yet."""
    Opportunity.objects.filter(pk=deal.pk).update(
        name=CRM_NAME, updated_at=deal.updated_at
    )
    deal.refresh_from_db()
    return deal


def form_data(deal: Opportunity, **changes: str) -> dict[str, str]:
    """Return the deal page's form as the browser sends it, with changes."""
    data = {
        "name": deal.name,
        "product": str(deal.product_id),
        "stage": deal.stage,
        "close_value": "" if deal.close_value is None else str(deal.close_value),
        "currency": deal.currency,
        "engaged_on": deal.engaged_on.isoformat() if deal.engaged_on else "",
        "closed_on": deal.closed_on.isoformat() if deal.closed_on else "",
        "owner": str(deal.owner_id or ""),
        "version": etag_for(instance=deal),
    }
    return {**data, **changes}


def test_a_patch_renames_the_deal_and_records_it(named, rep) -> None:
    # given
    client = api_for(rep)
    etag = client.get(detail_url(named))["ETag"]

    # when
    response = client.patch(
        detail_url(named), {"name": HOSTILE}, format="json", HTTP_IF_MATCH=etag
    )

    # then
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == HOSTILE
    named.refresh_from_db()
    assert named.name == HOSTILE
    assert response["ETag"] == etag_for(instance=named) != etag
    assert history() == [("update", "name", CRM_NAME, HOSTILE, "rita")]


def test_a_patch_may_clear_the_name(named, rep) -> None:
    client = api_for(rep)
    etag = client.get(detail_url(named))["ETag"]

    response = client.patch(
        detail_url(named), {"name": "  "}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200, response.json()
    named.refresh_from_db()
    assert named.name == ""
    assert history() == [("update", "name", CRM_NAME, "", "rita")]


def test_a_rename_without_if_match_is_refused_with_428(named, rep) -> None:
    response = api_for(rep).patch(detail_url(named), {"name": "Other"}, format="json")

    assert response.status_code == 428
    assert response.json() == {
        "detail": (
            "Send the ETag from your last read in an If-Match header to change this."
        )
    }
    named.refresh_from_db()
    assert named.name == CRM_NAME
    assert history() == []


def test_a_stale_rename_gets_412_with_the_current_deal(named, rep) -> None:
    # given: Rita reads the deal, then someone renames it
    client = api_for(rep)
    etag = client.get(detail_url(named))["ETag"]
    first = client.patch(
        detail_url(named), {"name": "Renamed first"}, format="json", HTTP_IF_MATCH=etag
    )
    assert first.status_code == 200

    # when: Rita sends her name with the version she read
    response = client.patch(
        detail_url(named), {"name": "Renamed second"}, format="json", HTTP_IF_MATCH=etag
    )

    # then
    assert response.status_code == 412
    assert response.json()["detail"] == STALE_DETAIL
    assert response.json()["current"]["name"] == "Renamed first"
    assert response["ETag"] == first["ETag"]
    named.refresh_from_db()
    assert named.name == "Renamed first"


def test_a_rep_of_another_team_gets_404_for_a_rename(named, outsider) -> None:
    response = api_for(outsider).patch(
        detail_url(named),
        {"name": "Mine now"},
        format="json",
        HTTP_IF_MATCH=etag_for(instance=named),
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    named.refresh_from_db()
    assert named.name == CRM_NAME
    assert history() == []


@pytest.mark.parametrize(
    ("name", "errors"),
    [
        (TOO_LONG, {"name": ["Ensure this field has no more than 200 characters."]}),
        (
            "N" * 100_000,
            {"name": ["Ensure this field has no more than 200 characters."]},
        ),
        (None, {"name": ["This field may not be null."]}),
        (True, {"name": ["Not a valid string."]}),
        ("Press\x00line", {"name": ["Null characters are not allowed."]}),
    ],
)
def test_a_bad_name_is_refused_beside_its_field(named, rep, name, errors) -> None:
    client = api_for(rep)
    etag = client.get(detail_url(named))["ETag"]

    response = client.patch(
        detail_url(named), {"name": name}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 400
    assert response.json() == errors
    named.refresh_from_db()
    assert named.name == CRM_NAME
    assert history() == []


def test_a_name_of_200_characters_is_kept_whole(named, rep) -> None:
    client = api_for(rep)
    etag = client.get(detail_url(named))["ETag"]

    response = client.patch(
        detail_url(named), {"name": "N" * 200}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200
    named.refresh_from_db()
    assert named.name == "N" * 200


def test_a_put_needs_the_name_and_replaces_it(named, rep) -> None:
    # given
    client = api_for(rep)
    etag = client.get(detail_url(named))["ETag"]
    body = {
        "product_id": named.product_id,
        "owner_id": rep.pk,
        "stage": "engaging",
        "engaged_on": "2026-01-12",
        "closed_on": "2026-03-31",
        "close_value": "48000.00",
        "currency": "USD",
    }

    # when
    missing = client.put(detail_url(named), body, format="json", HTTP_IF_MATCH=etag)
    replaced = client.put(
        detail_url(named), {**body, "name": FORMULA}, format="json", HTTP_IF_MATCH=etag
    )

    # then
    assert missing.status_code == 400
    assert missing.json() == {"name": ["This field is required."]}
    assert replaced.status_code == 200, replaced.json()
    named.refresh_from_db()
    assert named.name == FORMULA
    assert history() == [("update", "name", CRM_NAME, FORMULA, "rita")]


def test_a_deal_added_through_the_api_keeps_its_name(account, rep, deal) -> None:
    response = api_for(rep).post(
        reverse("accounts_api:deal_create", args=[account.pk]),
        {"name": HOSTILE, "product_id": deal.product_id, "stage": "prospecting"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    added = Opportunity.objects.get(pk=response.json()["id"])
    assert (response.json()["name"], added.name) == (HOSTILE, HOSTILE)
    assert ("create", "name", "", HOSTILE, "rita") in history()


def test_an_idempotency_key_sent_again_with_another_name_adds_nothing(
    account, rep, deal
) -> None:
    # given: a deal added under a key
    client = api_for(rep)
    url = reverse("accounts_api:deal_create", args=[account.pk])
    body = {"name": "Press line", "product_id": deal.product_id, "stage": "engaging"}
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201

    # when: the same key, first with the same name, then with another
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    renamed = client.post(
        url, {**body, "name": "Paint line"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    # then
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json()["id"] == first.json()["id"]
    assert renamed.status_code == 422
    assert Opportunity.objects.filter(name="Paint line").count() == 0
    assert Opportunity.objects.count() == 2


def test_the_deal_page_shows_the_name_as_text_in_its_field(client, named, rep) -> None:
    # given
    Opportunity.objects.filter(pk=named.pk).update(name=HOSTILE)
    client.force_login(rep)

    # when
    page = client.get(page_url(named))

    # then
    body = page.content.decode()
    assert page.status_code == 200
    assert HOSTILE not in body
    assert (
        '<input type="text" name="name" value="&lt;img src=x onerror=alert(1)&gt;" '
        'maxlength="200" id="id_name">'
    ) in body
    assert '<label for="id_name">Name</label>' in body


def test_the_deal_page_renames_the_deal_and_shows_it_back(client, named, rep) -> None:
    # given
    client.force_login(rep)

    # when: Rita renames the deal, then opens it again
    saved = client.post(page_url(named), form_data(named, name=FORMULA))
    page = client.get(page_url(named))

    # then
    assert saved.status_code == 302
    assert saved["Location"] == (
        reverse("accounts:detail", args=[named.account_id]) + "#deals"
    )
    named.refresh_from_db()
    assert named.name == FORMULA
    assert history() == [("update", "name", CRM_NAME, FORMULA, "rita")]
    form = page.context["form"]
    assert form["name"].value() == FORMULA
    body = page.content.decode()
    assert 'value="=HYPERLINK(&quot;http://evil.example&quot;,&quot;click&quot;)"' in (
        body
    )
    assert [(row.field, row.old, row.new) for row in page.context["history"]] == [
        ("Name", CRM_NAME, FORMULA)
    ]


def test_the_deal_page_refuses_an_overlong_name_beside_its_field(
    client, named, rep
) -> None:
    client.force_login(rep)

    response = client.post(page_url(named), form_data(named, name=TOO_LONG))

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["Ensure this value has at most 200 characters (it has 201)."]
    }
    assert (
        '<span class="field-error" id="id_name_error">Ensure this value has at '
        "most 200 characters (it has 201).</span>"
    ) in response.content.decode()
    named.refresh_from_db()
    assert named.name == CRM_NAME
    assert history() == []


def test_a_page_form_without_the_name_field_leaves_the_name_alone(
    client, named, rep
) -> None:
    # given: a form opened before the name could be edited
    sent = form_data(named, stage="prospecting")
    del sent["name"]
    client.force_login(rep)

    # when
    response = client.post(page_url(named), sent)

    # then
    assert response.status_code == 302
    named.refresh_from_db()
    assert (named.name, named.stage) == (CRM_NAME, "prospecting")
    assert history() == [("update", "stage", "engaging", "prospecting", "rita")]


def test_the_new_deal_page_adds_a_named_deal(client, account, rep, deal) -> None:
    # given
    client.force_login(rep)
    url = reverse("accounts:deal_create", args=[account.pk])
    form = client.get(url).context["form"]

    # when
    response = client.post(
        url,
        {
            "name": HOSTILE,
            "product": str(deal.product_id),
            "stage": "prospecting",
            "currency": "USD",
            "owner": str(rep.pk),
            "creation_key": str(form.initial["creation_key"]),
        },
    )

    # then
    assert response.status_code == 302
    added = Opportunity.objects.exclude(pk=deal.pk).get()
    assert added.name == HOSTILE
    listed = client.get(reverse("accounts:deal_list", args=[account.pk]))
    assert html.escape(HOSTILE, quote=False) in listed.content.decode()
    assert HOSTILE not in listed.content.decode()
    assert ChangeRecord.objects.filter(
        object_id=added.pk, field="name", new_value=HOSTILE
    ).exists()
