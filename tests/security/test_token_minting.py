"""Only a signed-in browser session can create API tokens."""

import pytest
from django.test import Client

from accounts.api_tokens import api_token_create
from accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def test_a_token_cannot_create_another_token(rep):
    _, secret = api_token_create(user=rep, name="CRM sync")

    response = Client().post(
        "/api/accounts/tokens/create/",
        {"name": "Backdoor"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {secret}",
    )

    assert response.status_code == 403
    assert "signed in to Lode in a browser" in response.json()["detail"]
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["CRM sync"]


def test_a_token_still_lists_tokens_without_secrets(rep):
    _, secret = api_token_create(user=rep, name="CRM sync")

    response = Client().get(
        "/api/accounts/tokens/", HTTP_AUTHORIZATION=f"Token {secret}"
    )

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert "secret" not in row
    assert "secret_hash" not in row


def test_a_browser_session_creates_a_token(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    client.get("/accounts/tokens/")

    response = client.post(
        "/api/accounts/tokens/create/",
        {"name": "BI"},
        content_type="application/json",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )

    assert response.status_code == 201
    assert response.json()["secret"].startswith("lode_")


def test_nobody_signed_in_gets_401(db):
    response = Client().post(
        "/api/accounts/tokens/create/", {"name": "BI"}, content_type="application/json"
    )

    assert response.status_code == 401
    assert not ApiToken.objects.exists()


def test_a_token_cannot_revoke_tokens(rep):
    first, secret = api_token_create(user=rep, name="CRM sync")
    second, _ = api_token_create(user=rep, name="BI")

    revoke_other = Client().post(
        f"/api/accounts/tokens/{second.pk}/revoke/",
        HTTP_AUTHORIZATION=f"Token {secret}",
    )
    revoke_itself = Client().post(
        f"/api/accounts/tokens/{first.pk}/revoke/",
        HTTP_AUTHORIZATION=f"Token {secret}",
    )

    message = (
        "Revoke API tokens while signed in to Lode in a browser, on the API "
        "tokens page; an API token cannot revoke tokens."
    )
    assert revoke_other.status_code == 403
    assert revoke_other.json() == {"detail": message}
    assert revoke_itself.status_code == 403
    assert revoke_itself.json() == {"detail": message}
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


def test_a_browser_session_revokes_a_token(rep):
    token, _ = api_token_create(user=rep, name="CRM sync")
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    client.get("/accounts/tokens/")

    response = client.post(
        f"/api/accounts/tokens/{token.pk}/revoke/",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    token.refresh_from_db()
    assert token.revoked_at is not None
