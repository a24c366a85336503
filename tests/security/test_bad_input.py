"""Input the database cannot take is refused as bad input, never a 500."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_nul_in_an_api_filter_is_a_400_with_json(client, rep, account):
    client.force_login(rep)

    response = client.get("/api/accounts/?country=Kenya%00")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The address contains a NUL character; remove it and try again."
    }


def test_a_nul_in_a_page_search_is_a_400_with_a_message(client, rep, account):
    client.force_login(rep)

    response = client.get(reverse("scoring:portfolio") + "?q=acme%00")

    assert response.status_code == 400
    assert b"NUL character" in response.content


def test_an_id_past_64_bits_is_a_400_not_a_500(client, rep, account):
    client.force_login(rep)

    response = client.post(
        reverse("stakeholders_api:activity_create", args=[account.pk]),
        {"stakeholders": [2**80], "kind": "meeting"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "stakeholders" in response.json() or "non_field_errors" in response.json()
