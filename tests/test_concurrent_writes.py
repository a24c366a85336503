"""Concurrent writers on the embedded SQLite file and on PostgreSQL."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from accounts.models import Account, User
from stakeholders.models import Stakeholder

WRITERS = 4
CREATES_EACH = 5


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
