from pathlib import Path

import pytest

from accounts.models import ImportJob
from stakeholders.models import Stakeholder
from tests.accounts.factories import AccountFactory
from tests.browser.wizard_steps import (
    company_match_proposed_and_taken,
    shoot,
    wizard_checked,
)
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = Path(__file__).parents[1] / "stakeholders" / "fixtures"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_ops_import_a_contact_export_and_see_the_people_on_the_account(
    page, live_server, ops
) -> None:
    # given
    vireo = AccountFactory.create(name="Vireo Health", external_id="0015e00000VirAAA")
    browser_login(page, live_server, ops.username)

    # when: a Salesforce contact export is uploaded
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.set_input_files("#wizard-files", [str(PEOPLE / "salesforce_contacts.csv")])
    shoot(page, "people-upload")
    page.click("text=Upload and preview")

    # then: it is recognised, with the people fields proposed
    page.wait_for_url("**/mapping/")
    assert page.inner_text(".tag-known") == (
        "Recognised: Salesforce API export, contacts"
    )
    assert page.locator("table.mapping select").nth(8).input_value() == (
        "person.reports_to"
    )
    shoot(page, "people-mapping")

    # when: the mapping is confirmed as proposed
    page.click("#confirm-mapping")
    page.wait_for_url("**/check/")
    assert "No problems found." in page.inner_text("main")
    shoot(page, "people-check")
    page.click("#start-import")

    # then: the report counts the people
    page.wait_for_url("**/import/wizard/*/")
    page.wait_for_selector("#report-counts")
    assert "People\t3\t0\t0\t0" in page.inner_text("#report-counts")
    assert "The people are on their accounts' stakeholder pages." in page.inner_text(
        "main"
    )
    assert ImportJob.objects.get().status == ImportJob.Status.SUCCEEDED
    shoot(page, "people-report")

    # and they are on the account's stakeholder page
    page.goto(f"{live_server.url}/stakeholders/account/{vireo.pk}/")
    board = page.inner_text("main")
    for name in ("Ines Gruber", "Tom Yates", "Lena Ortiz"):
        assert name in board
    shoot(page, "people-stakeholders")


def test_ops_see_every_refused_person_before_anything_is_written(
    page, live_server, ops
) -> None:
    # given
    AccountFactory.create(name="Vireo Health", external_id="0015e00000VirAAA")
    browser_login(page, live_server, ops.username)

    # when: a contact export with problem rows is uploaded and mapped
    wizard_checked(page, live_server, PEOPLE / "people_problems.csv")

    # then: each refused row is named with its line, column and reason
    main = page.inner_text("main")
    for reason in (
        "a person needs a first or last name",
        "not an email address",
        "no account '0015e00000NOPE'; import the accounts first or in the same upload",
        "reports-to loop: Ann Ash → Ben Birch → Ann Ash",
        "no person 'P99' in this upload or at Vireo Health",
    ):
        assert reason in main
    shoot(page, "people-problems")
    assert not ImportJob.objects.get().row_changes.exists()


def test_ops_accept_a_proposed_company_match_on_the_check_page(
    page, live_server, ops
) -> None:
    # given: a contact file whose company is spelt "ACME Corp."
    for name in (
        "Acme Corporation",
        "Harbor Bank of the North",
        "Nordic Steel AB",
        "NORDIC STEEL Ltd",
    ):
        AccountFactory.create(name=name, external_id="")
    browser_login(page, live_server, ops.username)
    wizard_checked(page, live_server, PEOPLE / "people_company_names.csv")

    # when: the proposed match, its rows refused until it is ticked, is
    # ticked and the good rows are imported
    counts = company_match_proposed_and_taken(
        page,
        proposal=(
            "ACME Corp. is Acme Corporation\n2 rows of people\nsame name once case, "
            "spacing, punctuation and legal form are ignored ('acme')"
        ),
        refused=(
            'Company "ACME Corp." matches no account exactly; accept the proposed '
            'match to "Acme Corporation" or fix the name'
        ),
        shots="people",
    )

    # then
    assert "People\t3\t0\t0\t2" in counts
    assert list(
        Stakeholder.objects.order_by("last_name").values_list(
            "last_name", "account__name"
        )
    ) == [
        ("Bunny", "Acme Corporation"),
        ("Coyote", "Acme Corporation"),
        ("Runner", "Acme Corporation"),
    ]


def test_the_undo_confirm_page_lists_what_it_keeps_and_why(
    page, live_server, ops, django_capture_on_commit_callbacks
) -> None:
    from stakeholders.models import Activity
    from stakeholders.services import activity_log, stakeholder_create
    from tests.stakeholders.test_wizard_undo_keeps import LATER, kestrel_imported

    # given: an imported account and person, then a meeting and a new person
    job = kestrel_imported(django_capture_on_commit_callbacks, ops)
    rosa = Stakeholder.objects.get()
    meeting = activity_log(user=ops, account=rosa.account, stakeholders=[rosa])
    Activity.objects.filter(pk=meeting.pk).update(created_at=LATER)
    lucius = stakeholder_create(
        user=ops,
        account=rosa.account,
        data={"first_name": "Lucius", "last_name": "Fox"},
    )
    Stakeholder.objects.filter(pk=lucius.pk).update(created_at=LATER)
    browser_login(page, live_server, ops.username)

    # when
    page.goto(f"{live_server.url}/accounts/import/wizard/{job.pk}/")
    page.click("#undo-import")

    # then
    assert page.locator("#undo-kept li").all_inner_texts() == [
        "person Rosa Vidal kept: a meeting was logged on 5 Dec 2026.",
        "account Kestrel Mining kept: Lucius Fox was added by hand on 5 Dec 2026; a "
        "meeting was logged on 5 Dec 2026.",
    ]
    assert page.inner_text("#undo-nothing-deleted") == (
        "Nothing is deleted or set back: everything the import wrote is kept."
    )
    shoot(page, "wizard-undo-confirm")

    page.click("#undo-confirm")
    page.wait_for_url(f"**/accounts/import/wizard/{job.pk}/")
    assert "Kept: person Rosa Vidal kept: a meeting" in page.inner_text(".messages")
    assert sorted(Stakeholder.objects.values_list("first_name", flat=True)) == [
        "Lucius",
        "Rosa",
    ]


def test_the_undo_confirm_page_counts_what_it_deletes_and_sets_back(
    page, live_server, ops, django_capture_on_commit_callbacks
) -> None:
    from tests.stakeholders.test_wizard_undo_keeps import imported

    # given: the import made Tom and Lena and changed Ines, known before
    vireo = AccountFactory.create(name="Vireo Health", external_id="0015e00000VirAAA")
    Stakeholder.objects.create(
        account=vireo,
        first_name="Ines",
        last_name="Gruber",
        email="ines.gruber@vireo.example",
    )
    job = imported(
        django_capture_on_commit_callbacks, "salesforce_contacts.csv", user=ops
    )
    browser_login(page, live_server, ops.username)

    # when
    page.goto(f"{live_server.url}/accounts/import/wizard/{job.pk}/undo/")

    # then
    rows = page.locator("#undo-counts tr")
    assert rows.all_inner_texts() == [
        "Records\tDeleted\tSet back",
        "People\t2\t1",
    ]
    assert page.is_visible("#undo-nothing-kept")
    shoot(page, "wizard-undo-counts")
