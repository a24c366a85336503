import pytest
from django.test import Client

from accounts.api_tokens import api_token_create, api_token_revoke
from accounts.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db


def api_get(path: str, secret: str) -> object:
    return Client().get(path, HTTP_AUTHORIZATION=f"Token {secret}")


def test_a_token_authenticates_and_records_its_last_use(rep, account):
    token, secret = api_token_create(user=rep, name="CRM sync")

    response = api_get("/api/accounts/", secret)

    assert response.status_code == 200
    assert response.json()["count"] == 1
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert secret not in token.secret_hash
    assert token.prefix == secret[:9]


def test_revoking_a_token_takes_effect_on_the_next_request(rep, account):
    # given
    token, secret = api_token_create(user=rep, name="CRM sync")
    assert api_get("/api/accounts/", secret).status_code == 200

    # when
    api_token_revoke(token=token, user=rep)

    # then
    response = api_get("/api/accounts/", secret)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked token."}
    assert response["WWW-Authenticate"] == "Token"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditEvent.Action.TOKEN_CREATED, AuditEvent.Action.TOKEN_REVOKED} <= actions


def test_a_token_sent_as_a_bearer_authenticates(rep, account):
    _, secret = api_token_create(user=rep, name="CRM sync")

    response = Client().get("/api/accounts/", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_an_unknown_or_malformed_token_is_refused(rep):
    assert api_get("/api/accounts/", "lode_nonsense").status_code == 401
    response = Client().get("/api/accounts/", HTTP_AUTHORIZATION="Token a b")
    assert response.status_code == 401


def test_a_token_of_a_deactivated_user_is_refused(rep):
    _, secret = api_token_create(user=rep, name="CRM sync")
    rep.is_active = False
    rep.save()

    assert api_get("/api/accounts/", secret).status_code == 401


def test_the_tokens_page_shows_a_secret_once_and_revokes(client, rep):
    client.force_login(rep)

    created = client.post("/accounts/tokens/", {"name": "Nightly <b>sync</b>"})
    shown = client.get("/accounts/tokens/")
    first = shown.content.decode()
    second = client.get("/accounts/tokens/").content.decode()
    token = ApiToken.objects.get(user=rep)
    revoked = client.post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)

    assert created.status_code == 302
    assert "Copy your new token now" in first
    assert shown["Cache-Control"] == (
        "max-age=0, no-cache, no-store, must-revalidate, private"
    )
    assert token.prefix in first
    assert "Copy your new token now" not in second
    assert "Nightly &lt;b&gt;sync&lt;/b&gt;" in second
    assert "It no longer works" in revoked.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_nobody_revokes_someone_elses_token(client, rep, outsider):
    token, _ = api_token_create(user=rep, name="CRM sync")
    client.force_login(outsider)

    page = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    api = client.post(f"/api/accounts/tokens/{token.pk}/revoke/")

    assert page.status_code == 404
    assert api.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_tokens_are_created_and_revoked_through_the_api(client, rep):
    client.force_login(rep)

    created = client.post(
        "/api/accounts/tokens/create/", {"name": "BI"}, content_type="application/json"
    )
    secret = created.json()["secret"]
    token_id = created.json()["id"]
    listed = client.get("/api/accounts/tokens/").json()
    client.post(f"/api/accounts/tokens/{token_id}/revoke/")

    assert created.status_code == 201
    assert "secret" not in listed["results"][0]
    assert api_get("/api/accounts/", secret).status_code == 401
