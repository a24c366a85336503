"""Concurrent writers on the embedded SQLite file and on PostgreSQL."""

import json
import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import Model
from django.test import Client

from accounts.models import Account, Product, Team, User
from stakeholders.models import BuyingRole, Stakeholder
from tests.accounts.factories import ProductFactory, TeamFactory, UserFactory
from tests.stakeholders.factories import BuyingRoleFactory

WRITERS = 4
CREATES_EACH = 5
SAME_ETAG_WRITERS = 10


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_each_on_their_own_connection_all_succeed(
    rep: User, account: Account
) -> None:
    # given four clients, each in its own thread with its own connection
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        assert name.endswith(".sqlite3"), name
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone() == ("wal",)
    url = f"/api/stakeholders/accounts/{account.pk}/people/create/"
    barrier = threading.Barrier(WRITERS)
    statuses: list[int] = []
    bodies: list[str] = []

    def create(writer: int) -> None:
        client = Client()
        client.force_login(rep)
        barrier.wait(timeout=30)
        for number in range(CREATES_EACH):
            response = client.post(
                url,
                json.dumps({"first_name": f"W{writer}", "last_name": f"N{number}"}),
                content_type="application/json",
            )
            statuses.append(response.status_code)
            if response.status_code != 201:
                bodies.append(response.content.decode())
        connection.close()

    # when
    threads = [threading.Thread(target=create, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then
    assert bodies == []
    assert statuses == [201] * WRITERS * CREATES_EACH
    names = sorted(
        Stakeholder.objects.filter(account=account).values_list(
            "first_name", "last_name"
        )
    )
    assert names == sorted(
        (f"W{writer}", f"N{number}")
        for writer in range(WRITERS)
        for number in range(CREATES_EACH)
    )


# What each directory PATCH writes: the URL prefix, a fresh row, and the
# field each writer sets to its own value.
DIRECTORY_ROWS: dict[str, tuple[str, Callable[[], Model], str]] = {
    "user": (
        "/api/accounts/users/",
        lambda: UserFactory.create(username="pat", team=TeamFactory.create()),
        "first_name",
    ),
    "team": ("/api/accounts/teams/", lambda: TeamFactory.create(), "region"),
    "product": ("/api/accounts/products/", lambda: ProductFactory.create(), "series"),
    "role": (
        "/api/stakeholders/roles/",
        lambda: BuyingRoleFactory.create(),
        "description",
    ),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", sorted(DIRECTORY_ROWS))
def test_ten_patches_with_one_etag_give_one_success(kind: str, ops: User) -> None:
    # given ten writers, each on its own connection, holding one ETag
    prefix, make, field = DIRECTORY_ROWS[kind]
    row = make()
    url = f"{prefix}{row.pk}/"
    reader = Client()
    reader.force_login(ops)
    etag = reader.get(url)["ETag"]
    barrier = threading.Barrier(SAME_ETAG_WRITERS)
    answers: dict[int, tuple[int, str]] = {}

    def write(writer: int) -> None:
        client = Client()
        client.force_login(ops)
        barrier.wait(timeout=30)
        response = client.patch(
            url,
            json.dumps({field: f"writer {writer}"}),
            content_type="application/json",
            HTTP_IF_MATCH=etag,
        )
        answers[writer] = (response.status_code, response.get("ETag", ""))
        connection.close()

    # when they all send it at once
    threads = [
        threading.Thread(target=write, args=(n,)) for n in range(SAME_ETAG_WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then one wins, the others are told it changed, and the winner's value
    # is the one stored
    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [200] + [412] * (SAME_ETAG_WRITERS - 1)
    (winner,) = [n for n, (status, _) in answers.items() if status == 200]
    model: type[Model] = {
        "user": User,
        "team": Team,
        "product": Product,
        "role": BuyingRole,
    }[kind]
    stored = model._default_manager.get(pk=row.pk)
    assert getattr(stored, field) == f"writer {winner}"
    # Every loser was answered the winner's version.
    assert {tag for status, tag in answers.values() if status == 412} == {
        answers[winner][1]
    }
