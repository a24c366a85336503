"""Salesforce custom `__c` columns of a contacts export: kept on the person."""

from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import Account, ImportJob
from accounts.wizard import mapped_import_undo
from stakeholders.models import Stakeholder
from stakeholders.selectors import stakeholder_history
from stakeholders.services import stakeholder_erase
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_runs import (
    counted,
    custom_column_decisions,
    custom_values_read_only,
    imported,
    page_shown,
)

CONTACTS = Path(__file__).parent / "fixtures" / "salesforce_contacts_custom.csv"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


@pytest.fixture
def vireo() -> Account:
    return AccountFactory.create(name="Vireo Health", external_id="0015e00000VirAAA")


def custom() -> list[tuple[str, dict]]:
    return list(
        Stakeholder.objects.order_by("last_name").values_list(
            "last_name", "custom_values"
        )
    )


def test_the_check_says_a_persons_custom_columns_are_kept(vireo) -> None:
    assert custom_column_decisions(CONTACTS) == [
        (
            "salesforce_contacts_custom.csv",
            "Preferred_Language__c",
            "kept as a custom field of the person",
        ),
        (
            "salesforce_contacts_custom.csv",
            "Buying_Committee__c",
            "kept as a custom field of the person",
        ),
    ]


def test_a_persons_custom_columns_are_stored_and_a_reimport_changes_nothing(
    vireo,
) -> None:
    # when
    first = imported(CONTACTS)
    again = imported(CONTACTS)

    # then: a blank cell says nothing
    assert first.status == ImportJob.Status.SUCCEEDED, first.issues
    assert custom() == [
        ("Gruber", {"Buying_Committee__c": "Yes", "Preferred_Language__c": "German"}),
        ("Yates", {"Preferred_Language__c": "English"}),
    ]
    assert again.counts["People"] == counted(unchanged=2)


def test_a_persons_changed_value_updates_keeps_the_others_and_undo_restores(
    vireo, tmp_path
) -> None:
    # given
    imported(CONTACTS)
    changed = tmp_path / "contacts.csv"
    changed.write_text(
        "Id,AccountId,FirstName,LastName,Preferred_Language__c,Timezone__c\n"
        "0035e00000AbCdEAA1,0015e00000VirAAA,Ines,Gruber,English,CET\n"
        "0035e00000AbCdFAA1,0015e00000VirAAA,Tom,Yates,,\n"
    )

    # when
    job = imported(changed)

    # then
    assert job.counts["People"] == counted(updated=1, unchanged=1)
    assert custom() == [
        (
            "Gruber",
            {
                "Buying_Committee__c": "Yes",
                "Preferred_Language__c": "English",
                "Timezone__c": "CET",
            },
        ),
        ("Yates", {"Preferred_Language__c": "English"}),
    ]

    # when undone
    mapped_import_undo(mapped=job.mapped, user=None)

    # then
    assert custom() == [
        ("Gruber", {"Buying_Committee__c": "Yes", "Preferred_Language__c": "German"}),
        ("Yates", {"Preferred_Language__c": "English"}),
    ]


def test_the_person_page_shows_the_fields_from_the_crm(client, ops, vireo) -> None:
    # given
    imported(CONTACTS)
    ines = Stakeholder.objects.get(last_name="Gruber")

    # when
    shown = page_shown(client, ops, "stakeholders:detail", ines.pk)

    # then
    assert (
        "<h2>Fields from the CRM</h2>\n"
        '        <dl class="facts custom-fields">\n'
        "          <div><dt>Buying_Committee__c</dt><dd>Yes</dd></div>"
        "<div><dt>Preferred_Language__c</dt><dd>German</dd></div>"
    ) in shown


def test_a_person_without_custom_fields_shows_no_such_card(client, ops, vireo) -> None:
    person = Stakeholder.objects.create(account=vireo, last_name="Plain")
    client.force_login(ops)

    page = client.get(reverse("stakeholders:detail", args=[person.pk]))

    assert page.status_code == 200
    assert b"Fields from the CRM" not in page.content


def test_the_api_gives_a_persons_custom_fields_read_only(ops, vireo) -> None:
    # given
    imported(CONTACTS)
    ines = Stakeholder.objects.get(last_name="Gruber")
    url = reverse("stakeholders_api:detail", args=[ines.pk])

    # when
    read = custom_values_read_only(
        user=ops, url=url, attempt={"Buying_Committee__c": "No"}
    )

    # then
    assert read == {"Buying_Committee__c": "Yes", "Preferred_Language__c": "German"}
    ines.refresh_from_db()
    assert ines.custom_values["Buying_Committee__c"] == "Yes"


def test_erasing_a_person_erases_their_fields_from_the_crm(vireo) -> None:
    # given
    job = imported(CONTACTS)
    ines = Stakeholder.objects.get(last_name="Gruber")

    # when
    stakeholder_erase(user=None, stakeholder=ines)

    # then: gone from the person and from the import's own report
    ines.refresh_from_db()
    assert ines.custom_values == {}
    job.refresh_from_db()
    assert "German" not in str(job.issues)
    assert list(
        ines.account.change_records.filter(
            object_id=ines.pk, field="custom_values"
        ).values_list("old_value", "new_value")
    ) == [("[erased]", "[erased]")]


def test_the_persons_history_names_each_crm_field_and_its_undo(vireo, tmp_path) -> None:
    # given
    imported(CONTACTS)
    changed = tmp_path / "contacts.csv"
    changed.write_text(
        "Id,AccountId,FirstName,LastName,Preferred_Language__c\n"
        "0035e00000AbCdEAA1,0015e00000VirAAA,Ines,Gruber,English\n"
    )
    job = imported(changed)

    # when
    mapped_import_undo(mapped=job.mapped, user=None)

    # then
    ines = Stakeholder.objects.get(last_name="Gruber")
    assert [
        (entry.action, entry.old, entry.new)
        for entry in stakeholder_history(stakeholder=ines)
        if entry.field == "Custom values"
    ] == [
        (
            "Set back",
            "Buying_Committee__c: Yes; Preferred_Language__c: English",
            "Buying_Committee__c: Yes; Preferred_Language__c: German",
        ),
        (
            "Changed",
            "Buying_Committee__c: Yes; Preferred_Language__c: German",
            "Buying_Committee__c: Yes; Preferred_Language__c: English",
        ),
        ("Added", "", "Buying_Committee__c: Yes; Preferred_Language__c: German"),
    ]
