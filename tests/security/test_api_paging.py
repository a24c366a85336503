"""Paging junk, unknown PATCH fields and token guessing all answer clearly."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.api_tokens import api_token_create
from config.api import LodePagination, etag_for
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(rep):
    made = [AccountFactory.create(name=f"Paged {number}") for number in range(3)]
    for account in made:
        account.team_members.add(rep)
    return made


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=-5", "limit"),
        ("limit=5000", "limit"),
        ("offset=abc", "offset"),
        ("offset=-1", "offset"),
        ("page=abc", "page"),
        ("page=2", "page"),
    ],
)
def test_junk_paging_is_a_400_naming_the_parameter(client, rep, accounts, query, field):
    client.force_login(rep)

    response = client.get(f"/api/accounts/?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in response.json()


def test_an_offset_past_the_end_is_a_404(client, rep, accounts):
    client.force_login(rep)

    response = client.get("/api/accounts/?offset=3")

    assert response.status_code == 404
    assert "past the end" in response.json()["detail"]


def test_good_paging_still_pages(client, rep, accounts):
    client.force_login(rep)

    response = client.get("/api/accounts/?limit=2&offset=2")

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert [row["name"] for row in response.json()["results"]] == ["Paged 2"]


def test_an_empty_list_answers_200_at_offset_zero(client, rep):
    client.force_login(rep)

    response = client.get("/api/accounts/?offset=0")

    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.fixture
def count_limit(monkeypatch):
    monkeypatch.setattr(LodePagination, "count_limit", 2)
    return 2


def test_a_list_longer_than_the_count_limit_has_no_count_and_pages_by_next(
    client, rep, accounts, count_limit
):
    client.force_login(rep)

    first = client.get("/api/accounts/?limit=2").json()
    last = client.get(first["next"]).json()

    assert first["count"] is None
    assert [row["name"] for row in first["results"]] == ["Paged 0", "Paged 1"]
    assert first["next"].startswith("http://testserver/api/accounts/?cursor=")
    assert first["previous"] is None
    assert last["count"] is None
    assert [row["name"] for row in last["results"]] == ["Paged 2"]
    assert last["next"] is None
    assert last["previous"] is None


@pytest.mark.parametrize("size", [3, 9])
def test_a_long_list_counts_no_further_than_the_limit(client, rep, count_limit, size):
    # given
    for number in range(size):
        AccountFactory.create(name=f"Paged {number}").team_members.add(rep)
    client.force_login(rep)

    # when
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/accounts/?limit=1")

    # then: the same queries at both sizes, the count stopping at 3 rows
    assert response.json()["count"] is None
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1, counts
    assert "LIMIT 3" in counts[0], counts[0]
    assert len(queries) == LONG_LIST_QUERIES


# session, user, the capped count, the page of accounts
LONG_LIST_QUERIES = 4


@pytest.mark.parametrize("field", ["external_id", "id", "no_such_field"])
def test_a_patch_with_a_read_only_or_unknown_field_is_a_400_naming_it(
    client, rep, account, field
):
    client.force_login(rep)

    response = client.patch(
        f"/api/accounts/{account.pk}/",
        {field: "Renamed", "employees": 10},
        content_type="application/json",
        HTTP_IF_MATCH=etag_for(instance=account),
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert "read-only or unknown" in response.json()[field][0]
    account.refresh_from_db()
    assert account.name == "Acme Corporation"
    assert account.employees != 10


def test_bad_tokens_from_one_address_are_throttled(settings, rep):
    settings.API_TOKEN_FAILURE_RATE = "3/minute"
    guesser = Client(REMOTE_ADDR="203.0.113.9")

    refused = [
        guesser.get("/api/accounts/", HTTP_AUTHORIZATION=f"Token lode_guess{n}")
        for n in range(3)
    ]
    blocked = guesser.get("/api/accounts/", HTTP_AUTHORIZATION="Token lode_guess4")
    malformed = guesser.get("/api/accounts/", HTTP_AUTHORIZATION="Token a b")

    assert [response.status_code for response in refused] == [401, 401, 401]
    assert refused[0].json() == {"detail": "Invalid or revoked token."}
    assert blocked.status_code == 429
    assert blocked.json() == {
        "detail": "Too many failed token attempts from your address. "
        "Expected available in 60 seconds."
    }
    assert blocked["Retry-After"] == "60"
    assert malformed.status_code == 429
    assert malformed["Retry-After"] == "60"


def test_valid_tokens_pass_from_an_address_that_failed_many(settings, rep, outsider):
    # given: an address sharing a NAT with a script sending bogus tokens
    settings.API_TOKEN_FAILURE_RATE = "20/minute"
    _, rep_secret = api_token_create(user=rep, name="rep's")
    _, outsider_secret = api_token_create(user=outsider, name="outsider's")
    shared = Client(REMOTE_ADDR="203.0.113.11")
    bogus = [
        shared.get("/api/accounts/", HTTP_AUTHORIZATION=f"Token lode_bogus{n}")
        for n in range(20)
    ]

    # when
    still_bogus = shared.get("/api/accounts/", HTTP_AUTHORIZATION="Token lode_bogus")
    as_rep = shared.get("/api/accounts/", HTTP_AUTHORIZATION=f"Token {rep_secret}")
    as_outsider = shared.get(
        "/api/accounts/", HTTP_AUTHORIZATION=f"Token {outsider_secret}"
    )

    # then
    assert [response.status_code for response in bogus] == [401] * 20
    assert still_bogus.status_code == 429
    assert still_bogus["Retry-After"] == "60"
    assert as_rep.status_code == 200
    assert as_outsider.status_code == 200


def test_good_tokens_do_not_count_as_failures(settings, rep):
    settings.API_TOKEN_FAILURE_RATE = "2/minute"
    _, secret = api_token_create(user=rep, name="busy one")
    client = Client(REMOTE_ADDR="203.0.113.10")

    statuses = [
        client.get("/api/accounts/", HTTP_AUTHORIZATION=f"Token {secret}").status_code
        for _ in range(5)
    ]

    assert statuses == [200] * 5


def _walk(client, url):
    # Every page from the first, by `next`, as a client walks a list.
    seen, pages = [], 0
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    return seen, pages


@pytest.mark.parametrize("ordering", ["employees", "-employees"])
def test_a_cursor_walks_every_row_once_through_ties_and_blanks(
    client, rep, count_limit, ordering
):
    # given: seven accounts, three tying on 50 employees, two with none
    sizes = [50, None, 10, 50, 90, None, 50]
    made = [
        AccountFactory.create(name=f"Tied {number}", employees=size)
        for number, size in enumerate(sizes)
    ]
    for account in made:
        account.team_members.add(rep)
    client.force_login(rep)

    # when
    seen, pages = _walk(client, f"/api/accounts/?limit=2&ordering={ordering}")

    # then: each row once, in the order asked, blanks last going up
    by_size = {account.pk: account.employees for account in made}
    going_up = sorted(
        by_size, key=lambda pk: (by_size[pk] is None, by_size[pk] or 0, pk)
    )
    going_down = sorted(
        by_size, key=lambda pk: (by_size[pk] is not None, -(by_size[pk] or 0), pk)
    )
    assert seen == (going_up if ordering == "employees" else going_down)
    assert pages == 4


def test_an_offset_past_the_count_limit_is_a_400_pointing_to_the_cursor(
    client, rep, accounts, count_limit
):
    client.force_login(rep)

    response = client.get("/api/accounts/?offset=3")

    assert response.status_code == 400
    assert response.json() == {
        "offset": [
            "An offset goes up to 2. Past that, follow `next`: it carries a "
            "`cursor` that reads on from the last item."
        ]
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "cursor=not-a-cursor",
            "This cursor cannot be read; use the `next` link of the page "
            "before, as it was given.",
        ),
        (
            "cursor=eyJvIjogIm5hbWUscGsiLCAidiI6IFsiUGFnZWQgMSIsIDJdfQ"
            "&ordering=-employees",
            "This cursor was made for another ordering; ask again with the "
            "ordering it was given for, or start without a cursor.",
        ),
        (
            "cursor=eyJvIjogIm5hbWUscGsiLCAidiI6IFsiUGFnZWQgMSIsIDJdfQ&offset=2",
            "Give a cursor or an offset, not both.",
        ),
    ],
)
def test_a_bad_cursor_is_a_400_saying_why(client, rep, accounts, query, message):
    client.force_login(rep)

    response = client.get(f"/api/accounts/?{query}")

    assert response.status_code == 400
    assert response.json() == {"cursor": [message]}


@pytest.mark.parametrize("size", [5, 11])
def test_a_cursor_page_reads_the_same_queries_at_any_depth(
    client, rep, count_limit, size
):
    # given: the last page of a list, reached by cursors
    for number in range(size):
        AccountFactory.create(name=f"Paged {number:02}").team_members.add(rep)
    client.force_login(rep)
    url = "/api/accounts/?limit=2"
    while (body := client.get(url).json())["next"]:
        url = body["next"]

    # when
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)

    # then: session, user, the capped count, the page from its cursor
    assert response.json()["results"][-1]["name"] == f"Paged {size - 1:02}"
    assert len(queries) == LONG_LIST_QUERIES
    page = queries[-1]["sql"]
    assert "OFFSET" not in page.upper(), page
