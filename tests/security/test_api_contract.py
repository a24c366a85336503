import threading

import pytest
from django.db import connection
from django.test import Client

from accounts.models import Account, User
from config.security import content_security_policy

pytestmark = pytest.mark.django_db


def read_account(client: Client, account: Account) -> tuple[dict, str]:
    response = client.get(f"/api/accounts/{account.pk}/")
    return response.json(), response["ETag"]


def test_bad_input_gets_field_level_json_errors(client, rep, account):
    client.force_login(rep)
    _, etag = read_account(client, account)

    response = client.patch(
        f"/api/accounts/{account.pk}/",
        {"employees": -5, "year_established": "soon"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 400
    assert response.json() == {
        "employees": ["Ensure this value is greater than or equal to 0."],
        "year_established": ["A valid integer is required."],
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [("ordering=secret", "ordering"), ("limit=abc&offset=-1", None)],
)
def test_bad_query_parameters_never_answer_500(client, rep, account, query, field):
    client.force_login(rep)

    response = client.get(f"/api/accounts/?{query}")

    assert response.status_code in {200, 400}
    assert response["Content-Type"] == "application/json"
    if field:
        assert field in response.json()


def test_malformed_json_is_a_json_400(client, rep, account):
    client.force_login(rep)
    _, etag = read_account(client, account)

    response = client.patch(
        f"/api/accounts/{account.pk}/",
        "{not json",
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_an_update_without_if_match_is_refused_with_428(client, rep, account):
    client.force_login(rep)

    response = client.patch(
        f"/api/accounts/{account.pk}/",
        {"employees": 10},
        content_type="application/json",
    )

    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    account.refresh_from_db()
    assert account.employees == 1000


def test_a_stale_etag_is_refused_with_412_and_the_current_state(client, rep, account):
    # given: two people read the same version
    client.force_login(rep)
    _, etag = read_account(client, account)
    first = client.patch(
        f"/api/accounts/{account.pk}/",
        {"employees": 1100},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )

    # when: the second writes with the old ETag
    second = client.patch(
        f"/api/accounts/{account.pk}/",
        {"employees": 900},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )

    # then
    assert first.status_code == 200
    assert first["ETag"] != etag
    assert second.status_code == 412
    assert second.json()["current"]["employees"] == 1100
    assert second["ETag"] == first["ETag"]
    account.refresh_from_db()
    assert account.employees == 1100


def test_an_executive_reads_but_may_not_update(client, executive, account):
    client.force_login(executive)
    _, etag = read_account(client, account)

    response = client.patch(
        f"/api/accounts/{account.pk}/",
        {"employees": 1},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_patches_with_one_etag_give_one_success(postgres, rep, account):
    etag = read_account(_logged_in(rep), account)[1]
    statuses: list[int] = []
    barrier = threading.Barrier(10)

    def patch(number: int) -> None:
        client = _logged_in(rep)
        barrier.wait()
        response = client.patch(
            f"/api/accounts/{account.pk}/",
            {"employees": 2000 + number},
            content_type="application/json",
            HTTP_IF_MATCH=etag,
        )
        statuses.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=patch, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] + [412] * 9


def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_response_carries_a_policy_with_no_inline_script(client, rep):
    client.force_login(rep)

    for path in ["/login/", "/accounts/tokens/", "/api/accounts/", "/api/docs/"]:
        response = client.get(path)
        policy = response["Content-Security-Policy"]
        script_src = next(
            part for part in policy.split(";") if part.strip().startswith("script-src")
        )
        assert script_src.strip() == "script-src 'self'", path
        assert "frame-ancestors 'none'" in policy
        assert response["X-Content-Type-Options"] == "nosniff"
    assert "unsafe-eval" not in content_security_policy()


def test_the_api_docs_are_served_locally_and_need_a_login(client, rep):
    anonymous = client.get("/api/schema/")
    client.force_login(rep)
    docs = client.get("/api/docs/").content.decode()
    schema = client.get("/api/schema/?format=json").json()

    assert anonymous.status_code == 401
    assert "//cdn" not in docs and "https://" not in docs
    assert "<script>" not in docs.replace(" ", "")
    assert "/api/accounts/{pk}/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["tokenAuth"]["type"] == "apiKey"


def test_the_api_docs_send_a_visitor_without_a_session_to_log_in(client):
    response = client.get("/api/docs/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/api/docs/"


REFUSED = ["This field cannot be set here; it is read-only or unknown."]


def test_an_account_patch_naming_id_or_external_id_is_refused_field_by_field(
    client, rep, account
):
    # The name may be changed (test_account_name_api); the CRM's id may not.
    client.force_login(rep)
    _, etag = read_account(client, account)

    response = client.patch(
        f"/api/accounts/{account.pk}/",
        {
            "id": 1,
            "external_id": "001X",
            "name": "Renamed",
            "colour": "red",
            "employees": 5,
        },
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 400
    assert response.json() == {
        "colour": REFUSED,
        "external_id": REFUSED,
        "id": REFUSED,
    }
    account.refresh_from_db()
    assert (account.name, account.employees) == ("Acme Corporation", 1000)


def test_a_new_token_refuses_a_chosen_secret_or_owner(client, rep, outsider):
    client.force_login(rep)

    response = client.post(
        "/api/accounts/tokens/create/",
        {"name": "sync", "secret": "lode_mine", "user": outsider.pk},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"secret": REFUSED, "user": REFUSED}
    assert not rep.api_tokens.exists()
