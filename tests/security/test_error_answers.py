"""Refusals and failures answer in Lode's own words, never with a trace.

A session write without its CSRF token is refused, a lockout lifts once
LOGIN_LOCKOUT_SECONDS have passed, and an error no view expected answers
a generic message.
"""

import html
import re
import time

import pytest
from django.test import Client, override_settings
from django.urls import resolve

from accounts.models import ApiToken
from tests.security.failing_urls import FAILURE

pytestmark = pytest.mark.django_db

GENERIC = {"detail": "Something went wrong on our side. It has been logged."}
SECRET = FAILURE


def test_an_api_write_without_a_csrf_token_is_refused_as_json(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)

    response = client.post(
        "/api/accounts/tokens/create/", {"name": "laptop"}, "application/json"
    )

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "CSRF Failed: CSRF cookie not set."}
    assert not ApiToken.objects.exists()


def test_a_page_form_without_a_csrf_token_is_refused_with_a_page(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)

    response = client.post("/accounts/tokens/", {"name": "laptop"})

    assert response.status_code == 403
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>The form expired</h1>" in response.text
    assert (
        "so nothing was saved. Your browser sent the form without the cookie "
        "Lode gave it with the page.</p>"
    ) in response.text
    assert (
        "<p>Check that your browser accepts cookies from this site, then go back, "
        "reload the page and send the form again.</p>"
    ) in response.text
    assert '<a href="/" data-testid="csrf-back">Back to the page</a>' in (response.text)
    assert "CSRF" not in shown_text(response.text)
    assert "DEBUG" not in response.text
    assert "Traceback" not in response.text
    assert not ApiToken.objects.exists()


def test_a_stale_form_token_is_said_in_plain_words(rep):
    # given: a page opened, then a sign-in elsewhere that changed the token
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    client.get("/accounts/tokens/")
    stale = "a" * 64

    # when
    response = client.post(
        "/accounts/tokens/", {"name": "laptop", "csrfmiddlewaretoken": stale}
    )

    # then: the cause and the way out, and not Django's technical reason
    assert response.status_code == 403
    assert (
        "so nothing was saved. This happens when a page stays open a long time, "
        "or after you signed in or out in another tab.</p>\n    <p>Go back, "
        "reload the page and send the form again.</p>"
    ) in response.text
    assert "Reason" not in response.text
    assert "CSRF" not in shown_text(response.text)
    assert not ApiToken.objects.exists()


def test_a_form_from_another_address_is_said_in_plain_words(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    client.get("/accounts/tokens/")
    token = client.cookies["csrftoken"].value

    response = client.post(
        "/accounts/tokens/",
        {"name": "laptop", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://evil.example",
    )

    assert response.status_code == 403
    assert "The form came from another address than this site's." in (
        html.unescape(response.text)
    )
    assert (
        "<p>Open Lode at its own address, then reload the page and send the "
        "form again.</p>"
    ) in response.text
    assert "evil.example" not in response.text


def shown_text(html: str) -> str:
    """Return the page's words, without its tags and hidden inputs."""
    return re.sub(r"<[^>]*>", " ", html)


def test_a_refused_form_links_back_to_the_page_it_came_from(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)

    response = client.post(
        "/accounts/tokens/",
        {"name": "laptop"},
        HTTP_REFERER="http://testserver/accounts/tokens/",
    )

    assert response.status_code == 403
    assert (
        '<a href="http://testserver/accounts/tokens/" data-testid="csrf-back">'
        "Back to the page</a>"
    ) in response.text


def test_a_refused_form_does_not_link_back_to_another_site(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)

    response = client.post(
        "/accounts/tokens/",
        {"name": "laptop"},
        HTTP_REFERER="https://evil.example/phish",
    )

    assert response.status_code == 403
    assert "evil.example" not in response.text
    assert '<a href="/" data-testid="csrf-back">' in response.text


def test_a_refused_json_write_to_a_page_is_answered_as_json(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)

    response = client.post(
        "/accounts/tokens/", {"name": "laptop"}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "CSRF Failed: CSRF cookie not set. Reload the page for a fresh "
        "token and send the request again."
    }
    assert not ApiToken.objects.exists()


@override_settings(LOGIN_LOCKOUT_FAILURES=3, LOGIN_LOCKOUT_SECONDS=3)
def test_a_lockout_lifts_after_its_seconds(client, rep):
    # given: locked out; a wrong password takes about a second to check on
    # a loaded machine, so the lockout lasts three
    for _ in range(3):
        client.post("/login/", {"username": "rita", "password": "wrong"})
    locked_at = time.monotonic()
    locked = client.post("/login/", {"username": "rita", "password": "password"})

    # when: its seconds have passed, and not much more
    time.sleep(max(0.0, locked_at + 3.1 - time.monotonic()))
    response = client.post("/login/", {"username": "rita", "password": "password"})

    # then
    assert locked.status_code == 429
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(rep.pk)


@override_settings(DEBUG=False)
def test_an_unexpected_error_in_an_api_view_answers_generic_json(rep, monkeypatch):
    # given: the accounts list fails in a way no handler expects
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(resolve("/api/accounts/").func.view_class, "get", fail)
    client = Client(raise_request_exception=False)
    client.force_login(rep)

    # when
    response = client.get("/api/accounts/")

    # then
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == GENERIC
    assert SECRET not in response.text
    assert "Traceback" not in response.text


@override_settings(DEBUG=False, ROOT_URLCONF="tests.security.failing_urls")
def test_an_unexpected_error_in_a_plain_view_answers_without_a_trace(rep):
    client = Client(raise_request_exception=False)
    client.force_login(rep)

    page = client.get("/failing/")
    api = client.get("/api/failing/")

    assert page.status_code == 500
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert api.status_code == 500
    assert api.json() == GENERIC
    for response in [page, api]:
        assert SECRET not in response.text
        assert "Traceback" not in response.text
