"""An import still names who started it after their user is deleted."""

from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AccountAlias, ImportJob, Opportunity, User
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
)
from tests.accounts.factories import AccountFactory, UserFactory
from tests.accounts.test_deal_history_page import history_rows

pytestmark = pytest.mark.usefixtures("media_in_tmp")

GONE = "Darcel Schlecht (deleted)"
DEALS = (
    "Id,Account Name,StageName,Amount,CloseDate,CurrencyIsoCode\n"
    "006A1,Alpha Co,Prospecting,1200,2026-05-31,EUR\n"
)


@pytest.fixture
def darcel(db: None) -> User:
    """A sales ops user who runs an import, then is deleted."""
    return UserFactory.create(
        username="darcel.schlecht",
        first_name="Darcel",
        last_name="Schlecht",
        role=User.Role.OPS,
    )


def imported_by(user: User, path: Path) -> ImportJob:
    mapped = mapped_import_create_from_paths(user=user, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=user) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    return job


@pytest.fixture
def deals_job(darcel: User, rep: User, tmp_path: Path) -> ImportJob:
    """Darcel's import of a deal on Rita's account; Darcel is then deleted."""
    AccountFactory.create(name="Alpha Co").team_members.add(rep)
    path = tmp_path / "deals.csv"
    path.write_text(DEALS, encoding="utf-8")
    job = imported_by(darcel, path)
    darcel.delete()
    job.refresh_from_db()
    return job


def test_deleting_a_user_keeps_their_name_on_their_imports(deals_job) -> None:
    assert (deals_job.created_by, deals_job.created_by_name) == (
        None,
        "Darcel Schlecht",
    )
    assert deals_job.created_by_label == GONE


def test_the_deal_history_names_the_deleted_importer(client, rep, deals_job) -> None:
    client.force_login(rep)

    rows = history_rows(client, Opportunity.objects.get(external_id="006A1"))

    by = f"{GONE} (import {deals_job.pk})"
    assert [row[:3] for row in rows] == [
        (by, "Added", "CRM id"),
        (by, "Added", "Product"),
        (by, "Added", "Stage"),
        (by, "Added", "Amount"),
        (by, "Added", "Currency"),
        (by, "Added", "Close date"),
    ]


def test_the_api_names_the_deleted_importer(ops, deals_job) -> None:
    api = APIClient()
    api.force_authenticate(ops)

    listed = api.get("/api/accounts/imports/").json()["results"]
    detail = api.get(f"/api/accounts/imports/{deals_job.pk}/").json()

    gone = {"id": None, "name": GONE}
    assert [(one["id"], one["created_by"]) for one in listed] == [(deals_job.pk, gone)]
    assert detail["created_by"] == gone


def test_the_import_pages_name_the_deleted_importer(client, ops, deals_job) -> None:
    client.force_login(ops)

    report = client.get(reverse("accounts:wizard_report", args=[deals_job.pk]))

    assert f" by {GONE}" in report.content.decode()


def test_the_bundled_import_list_and_page_name_the_deleted_importer(
    client, ops, darcel
) -> None:
    # given: a bundled import Darcel ran, and one from the command line
    job = ImportJob.objects.create(created_by=darcel, status="succeeded")
    ImportJob.objects.create(status="succeeded")
    darcel.delete()
    client.force_login(ops)

    # when
    listed = client.get(reverse("accounts:import")).content.decode()
    detail = client.get(reverse("accounts:import_detail", args=[job.pk]))

    # then
    assert f"<td>{GONE}</td>" in listed
    assert '<td><span class="muted">command</span></td>' in listed
    assert f" by {GONE}" in detail.content.decode()


def test_an_alias_names_the_deleted_importer_who_accepted_it(
    client, ops, darcel
) -> None:
    # given
    account = AccountFactory.create(name="Acme Widgets, Inc")
    job = ImportJob.objects.create(created_by=darcel, status="succeeded")
    AccountAlias.objects.create(account=account, name="ACME WIDGETS", job=job)
    darcel.delete()
    api = APIClient()
    api.force_authenticate(ops)
    client.force_login(ops)

    # when
    aliases = api.get(f"/api/accounts/{account.pk}/").json()["aliases"]
    page = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()

    # then
    assert [(a["name"], a["import_id"], a["accepted_by"]) for a in aliases] == [
        ("ACME WIDGETS", job.pk, GONE)
    ]
    assert f"import {job.pk}</a> by {GONE}," in page


@pytest.mark.django_db(transaction=True)
def test_the_migration_names_each_import_from_its_user() -> None:
    # given
    before = [("accounts", "0037_changerecord_changed_by_name")]
    MigrationExecutor(connection).migrate(before)
    old = MigrationExecutor(connection).loader.project_state(before).apps
    OldUser = old.get_model("accounts", "User")
    OldJob = old.get_model("accounts", "ImportJob")
    darcel = OldUser.objects.create(
        username="darcel.schlecht", first_name="Darcel", last_name="Schlecht"
    )
    login_only = OldUser.objects.create(username="oona")
    for user in (darcel, login_only, None):
        OldJob.objects.create(created_by=user)

    # when
    after = [("accounts", "0038_importjob_created_by_name")]
    MigrationExecutor(connection).migrate(after)
    new = MigrationExecutor(connection).loader.project_state(after).apps

    # then
    jobs = new.get_model("accounts", "ImportJob").objects.order_by("pk")
    named = list(jobs.values_list("created_by__username", "created_by_name"))
    # The tests after this one, and the processes they start, need every
    # migration applied again.
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    MigrationExecutor(connection).migrate(latest)
    assert named == [
        ("darcel.schlecht", "Darcel Schlecht"),
        ("oona", "oona"),
        (None, ""),
    ]
