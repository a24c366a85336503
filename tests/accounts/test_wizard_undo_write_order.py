"""An undo goes by the order imports wrote in, not the order they came in."""

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Account, ImportJob, MappedImport, RevenueLine
from accounts.services import account_update
from accounts.wizard import (
    WizardError,
    mapped_import_start,
    mapped_import_undo,
    mapped_import_undo_preview,
)
from tests.accounts.wizard_steps import opened

FIXTURES = Path(__file__).parent / "fixtures" / "undo_order"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def started(capture, mapped: MappedImport) -> ImportJob:
    with capture(execute=True):
        mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False)
    mapped.job.refresh_from_db()
    assert mapped.job.status == ImportJob.Status.SUCCEEDED, mapped.job.issues
    return mapped.job


def employees() -> list[tuple[str, int | None]]:
    return list(
        Account.objects.order_by("external_id").values_list("name", "employees")
    )


@pytest.fixture
def uploaded_first_run_last(
    django_capture_on_commit_callbacks,
) -> tuple[ImportJob, ImportJob]:
    """Upload ten, then twenty; start twenty, then ten, which writes last."""
    ten = opened(FIXTURES / "wren_ten.csv")
    twenty = opened(FIXTURES / "wren_twenty.csv")
    assert ten.job.created_at < twenty.job.created_at
    started(django_capture_on_commit_callbacks, twenty)
    started(django_capture_on_commit_callbacks, ten)
    assert employees() == [("Wren Tooling", 10), ("Wren Castings", 10)]
    return ten.job, twenty.job


def test_the_import_that_wrote_last_is_undone_first(
    django_capture_on_commit_callbacks, uploaded_first_run_last
) -> None:
    # given
    ten, twenty = uploaded_first_run_last

    # when
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_undo(mapped=ten.mapped, user=None)

    # then: the accounts are as the import that wrote first left them
    assert employees() == [("Wren Tooling", 20), ("Wren Castings", 20)]
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_undo(mapped=twenty.mapped, user=None)
    assert employees() == []


def test_the_import_that_wrote_first_is_refused_naming_the_later_writer(
    uploaded_first_run_last,
) -> None:
    # given
    ten, twenty = uploaded_first_run_last
    refusal = f"Import {ten.pk} changed the same rows afterwards; undo it first."

    # when
    with pytest.raises(WizardError) as refused:
        mapped_import_undo(mapped=twenty.mapped, user=None)

    # then
    assert str(refused.value) == refusal
    assert mapped_import_undo_preview(mapped=twenty.mapped).refusal == refusal
    assert mapped_import_undo_preview(mapped=ten.mapped).refusal == ""
    assert employees() == [("Wren Tooling", 10), ("Wren Castings", 10)]


def test_the_page_and_the_api_refuse_the_first_writer_and_offer_the_last(
    uploaded_first_run_last, ops
) -> None:
    # given
    ten, twenty = uploaded_first_run_last
    refusal = f"Import {ten.pk} changed the same rows afterwards; undo it first."
    browser = Client()
    browser.force_login(ops)
    api = APIClient()
    api.force_authenticate(ops)

    # when
    first_page = browser.get(reverse("accounts:wizard_undo", args=[twenty.pk]))
    last_page = browser.get(reverse("accounts:wizard_undo", args=[ten.pk]))
    first_api = api.get(reverse("accounts_api:import_undo", args=[twenty.pk]))
    last_api = api.get(reverse("accounts_api:import_undo", args=[ten.pk]))
    refused_post = api.post(
        reverse("accounts_api:import_undo", args=[twenty.pk]),
        HTTP_IF_MATCH=first_api["ETag"],
    )

    # then
    assert first_page.context["refusal"] == refusal
    assert last_page.context["refusal"] == ""
    assert last_page.context["counts"] == [("Accounts", 0, 2)]
    assert (first_api.json()["can_undo"], first_api.json()["refusal"]) == (
        False,
        refusal,
    )
    assert (last_api.json()["can_undo"], last_api.json()["restored"]) == (
        True,
        {"accounts": 2},
    )
    assert refused_post.status_code == 400
    assert refused_post.json() == {"non_field_errors": [refusal]}
    assert employees() == [("Wren Tooling", 10), ("Wren Castings", 10)]


def test_rows_written_under_an_account_by_an_import_uploaded_earlier_refuse_its_undo(
    django_capture_on_commit_callbacks,
) -> None:
    # given: revenue uploaded first, its account second; the account ran first
    revenue = opened(FIXTURES / "wren_revenue.csv")
    accounts = opened(FIXTURES / "wren_ten.csv")
    started(django_capture_on_commit_callbacks, accounts)
    started(django_capture_on_commit_callbacks, revenue)
    assert RevenueLine.objects.count() == 1

    # when
    with pytest.raises(WizardError) as refused:
        mapped_import_undo(mapped=accounts, user=None)

    # then
    assert str(refused.value) == (
        f"Import {revenue.job_id} wrote rows under records this import created, "
        "which undoing it would delete; undo it first."
    )
    assert RevenueLine.objects.count() == 1


def test_a_hand_edit_made_before_the_import_started_is_what_its_undo_restores(
    django_capture_on_commit_callbacks, ops
) -> None:
    # given: twenty wrote; ten was uploaded, then Tooling was edited by hand
    started(django_capture_on_commit_callbacks, opened(FIXTURES / "wren_twenty.csv"))
    ten = opened(FIXTURES / "wren_ten.csv")
    tooling = Account.objects.get(external_id="W001")
    account_update(
        account=tooling,
        user=ops,
        data={"employees": 15},
        expected_version=tooling.updated_at,
    )
    started(django_capture_on_commit_callbacks, ten)
    assert employees() == [("Wren Tooling", 10), ("Wren Castings", 10)]

    # when
    preview = mapped_import_undo_preview(mapped=ten)
    with django_capture_on_commit_callbacks(execute=True):
        done = mapped_import_undo(mapped=ten, user=None)

    # then: the edit came before the import wrote, so nothing keeps it over
    assert (preview.refusal, preview.keep.notes, preview.restored) == (
        "",
        [],
        {"accounts": 2},
    )
    assert done.kept == []
    assert employees() == [("Wren Tooling", 15), ("Wren Castings", 20)]
