"""Salesforce custom `__c` columns: kept on the account and shown on its page."""

import html
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import Account, ImportJob
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
    mapped_import_undo,
)

BYOD = Path(__file__).parent / "fixtures" / "byod"
ACCOUNTS = BYOD / "salesforce_api_accounts.csv"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def imported(path: Path) -> ImportJob:
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    return mapped_import_run(mapped=mapped)


def custom() -> list[tuple[str, dict]]:
    return list(Account.objects.order_by("name").values_list("name", "custom_values"))


def test_the_check_says_custom_columns_are_kept() -> None:
    mapped = mapped_import_create_from_paths(user=None, paths=[ACCOUNTS])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    outcome = mapped_import_check(mapped=mapped)

    assert [d for d in outcome.decisions if d[1].endswith("__c")] == [
        (
            "salesforce_api_accounts.csv",
            "Region__c",
            "kept as a custom field of the account",
        ),
        (
            "salesforce_api_accounts.csv",
            "Tier__c",
            "kept as a custom field of the account",
        ),
    ]


def test_custom_columns_are_stored_and_a_reimport_changes_nothing() -> None:
    # when
    first = imported(ACCOUNTS)
    again = imported(ACCOUNTS)

    # then
    assert first.status == ImportJob.Status.SUCCEEDED, first.issues
    assert custom() == [
        ("Acme Widgets Europe GmbH", {"Region__c": "EMEA", "Tier__c": "B"}),
        ("Acme Widgets, Inc", {"Region__c": "North America", "Tier__c": "A"}),
    ]
    assert again.counts["Accounts"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "rejected": 0,
    }


def test_a_changed_value_updates_keeps_the_others_and_undo_restores(tmp_path) -> None:
    # given
    imported(ACCOUNTS)
    changed = tmp_path / "accounts.csv"
    changed.write_text(
        '"Id","Name","Tier__c","Renewal_Month__c"\n'
        '"0015g00000AbCdEAAV","Acme Widgets, Inc","A+","March"\n'
        '"0015g00000AbCdFAAV","Acme Widgets Europe GmbH","",""\n'
    )

    # when
    job = imported(changed)

    # then: a blank cell says nothing; a new column is added beside the old
    assert job.counts["Accounts"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 1,
        "rejected": 0,
    }
    assert custom() == [
        ("Acme Widgets Europe GmbH", {"Region__c": "EMEA", "Tier__c": "B"}),
        (
            "Acme Widgets, Inc",
            {
                "Region__c": "North America",
                "Renewal_Month__c": "March",
                "Tier__c": "A+",
            },
        ),
    ]

    # when undone
    mapped_import_undo(mapped=job.mapped, user=None)

    # then
    assert custom()[1] == (
        "Acme Widgets, Inc",
        {"Region__c": "North America", "Tier__c": "A"},
    )


def test_the_account_page_shows_the_custom_fields(client, ops) -> None:
    # given
    imported(ACCOUNTS)
    account = Account.objects.get(name="Acme Widgets, Inc")
    client.force_login(ops)

    # when
    page = client.get(reverse("accounts:detail", args=[account.pk]))

    # then
    shown = html.unescape(page.content.decode())
    assert page.status_code == 200
    assert (
        "<h2>Fields from the CRM</h2>\n"
        '        <dl class="facts custom-fields">\n'
        "          <div><dt>Region__c</dt><dd>North America</dd></div>"
        "<div><dt>Tier__c</dt><dd>A</dd></div>"
    ) in shown


def test_an_account_without_custom_fields_shows_no_such_card(client, ops) -> None:
    account = Account.objects.create(name="Plain Co")
    client.force_login(ops)

    page = client.get(reverse("accounts:detail", args=[account.pk]))

    assert b"Fields from the CRM" not in page.content
