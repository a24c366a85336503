"""The API answers JSON only; the browsable API, which could not send
If-Match, is gone, and asking for it is a 400 that says where to go."""

import pytest

from config.api import etag_for
from config.negotiation import JSON_ONLY

pytestmark = pytest.mark.django_db

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_gets_json_not_a_browsable_page(client, rep, account):
    client.force_login(rep)

    response = client.get("/api/accounts/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["count"] == 1


@pytest.mark.parametrize("asked", ["api", "html", "yaml"])
def test_asking_for_another_format_is_a_400_naming_the_docs(
    client, rep, account, asked
):
    client.force_login(rep)

    response = client.get(f"/api/accounts/?format={asked}")

    assert response.status_code == 400
    assert response.json() == {"format": [JSON_ONLY]}
    assert JSON_ONLY == (
        "The API answers JSON only: leave format out or send format=json. "
        "Try requests in the interactive docs at /api/docs/."
    )


def test_format_json_is_still_accepted(client, rep, account):
    client.force_login(rep)

    response = client.get("/api/accounts/?format=json")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_a_write_from_a_browser_session_with_if_match_goes_through(
    client, rep, account
):
    # The docs' forms send what this sends: the session, the CSRF token and
    # If-Match; a write without If-Match is refused with 428, as before.
    client.force_login(rep)

    without = client.patch(
        f"/api/accounts/{account.pk}/",
        {"employees": 120},
        content_type="application/json",
    )
    with_tag = client.patch(
        f"/api/accounts/{account.pk}/",
        {"employees": 120},
        content_type="application/json",
        HTTP_IF_MATCH=etag_for(instance=account),
    )

    assert without.status_code == 428
    assert with_tag.status_code == 200
    assert with_tag.json()["employees"] == 120


def test_the_docs_say_the_api_is_json_only(client, rep):
    client.force_login(rep)

    schema = client.get("/api/schema/?format=json")

    assert schema.status_code == 200
    assert "there is no browsable API" in schema.json()["info"]["description"]
