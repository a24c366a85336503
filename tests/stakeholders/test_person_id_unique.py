"""The database keeps each person's ID their own at an account.

The services refuse an ID another person at the account has; two saves
that race past that check meet the constraint, and the later one is told
which person took the ID, as the check would have told it.
"""

import importlib
import threading
import time
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import Account, User
from stakeholders.models import Stakeholder
from stakeholders.services import stakeholder_create

migration = importlib.import_module(
    "stakeholders.migrations.0010_person_external_id_unique"
)

TAKEN = (
    "Copy Cat at Acme Corporation already has the ID x; each person's ID is their own."
)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def create_until_it_waits(
    *, account: Account, user: User, waiter: int, inserted: threading.Event
) -> None:
    """Save a person with the ID x; commit once `waiter` blocks on that row."""
    try:
        with transaction.atomic():
            stakeholder_create(
                user=user,
                account=account,
                data={"first_name": "Copy", "last_name": "Cat", "external_id": "x"},
            )
            inserted.set()
            # Waiting for the other session to block is not a timed
            # assertion: the bound only stops a broken run from hanging.
            deadline = time.monotonic() + 60
            with connection.cursor() as cursor:
                while time.monotonic() < deadline:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE pid = %s AND wait_event_type = 'Lock'",
                        [waiter],
                    )
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(0.05)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_of_two_saves_of_one_id_at_once_one_wins_and_one_is_told(
    postgres, rep: User, account: Account
) -> None:
    # given: a save of "x" holds its new row, not yet committed, when the
    # API's save of "x" checks the account's people and does not see it
    client = Client()
    client.force_login(rep)
    inserted = threading.Event()
    first = threading.Thread(
        target=create_until_it_waits,
        kwargs={
            "account": account,
            "user": rep,
            "waiter": backend_pid(),
            "inserted": inserted,
        },
    )
    first.start()
    assert inserted.wait(60)

    # when: the second save's insert waits on the first, which then commits
    response = client.post(
        reverse("stakeholders_api:create", args=[account.pk]),
        {"first_name": "Copy2", "last_name": "Cat", "external_id": "x"},
        content_type="application/json",
    )
    first.join(60)

    # then: one person holds the ID; the other save is a field message
    assert response.status_code == 400, response.content
    assert response.json() == {"external_id": [TAKEN]}
    assert list(
        Stakeholder.objects.filter(external_id="x").values_list("first_name", flat=True)
    ) == ["Copy"]


def test_the_database_refuses_a_second_person_with_the_id_at_the_account(
    account: Account,
) -> None:
    # given
    Stakeholder.objects.create(account=account, last_name="Cat", external_id="x")

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        Stakeholder.objects.create(account=account, last_name="Dog", external_id="x")


def test_blank_and_erased_ids_are_not_held_against_anyone(account: Account) -> None:
    # given
    Stakeholder.objects.create(account=account, last_name="Cat")
    Stakeholder.objects.create(
        account=account, last_name="Gone", external_id="x", status="erased"
    )

    # when
    Stakeholder.objects.create(account=account, last_name="Dog")
    Stakeholder.objects.create(account=account, last_name="Eel", external_id="x")

    # then
    assert account.stakeholders.count() == 4


def test_the_migration_names_the_people_who_share_an_id(account: Account) -> None:
    # given: the data as it could be before the constraint, which this
    # test's transaction drops and rolls back
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX unique_person_external_id_per_account")
    for name in ("Cat", "Dog", "Eel"):
        Stakeholder.objects.create(account=account, last_name=name, external_id="x")
    Stakeholder.objects.create(account=account, last_name="Fox", external_id="y")
    Stakeholder.objects.create(account=account, last_name="Gnu", external_id="y")

    # when
    # (SQLite opens no schema editor inside the test's transaction; the
    # step reads only which connection it runs on.)
    with pytest.raises(RuntimeError) as refused:
        migration.shared_ids_refuse(apps, SimpleNamespace(connection=connection))

    # then
    assert str(refused.value) == (
        "Each person's ID must be their own at an account, and 2 IDs are "
        f"shared: Acme Corporation (account {account.pk}): 3 people have the "
        f"ID 'x'; Acme Corporation (account {account.pk}): 2 people have the "
        "ID 'y'. Give each of these people their own ID (or clear it) on "
        "their page or through the API, then migrate again."
    )
