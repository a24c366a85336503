"""Undoing an import keeps the work done in Lode since, and says so."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import Account, ChangeRecord, ImportJob, User
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
    mapped_import_undo,
    mapped_import_undo_plan,
)
from stakeholders.models import Activity, Stakeholder
from stakeholders.selectors import stakeholder_history
from stakeholders.services import activity_log, stakeholder_create, stakeholder_update
from tests.accounts.factories import AccountFactory

FIXTURES = Path(__file__).parent / "fixtures"
# The import ran on 1 Dec; the later work happened on 5 Dec.
IMPORTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
# An undo dated after the later work, whatever the clock says when it runs.
UNDONE = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def imported(capture, *names: str, user: User) -> ImportJob:
    mapped = mapped_import_create_from_paths(
        user=user, paths=[FIXTURES / name for name in names]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=user) == {}
    with capture(execute=False):
        mapped_import_start(
            mapped=mapped, merges={}, keep_good_rows=False, enqueue=False
        )
        job = mapped_import_run(mapped=mapped)
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    # Date the import on 1 Dec, so what follows is plainly later work.
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=IMPORTED, finished_at=IMPORTED
    )
    Account.objects.update(updated_at=IMPORTED)
    ChangeRecord.objects.filter(import_job=job).update(changed_at=IMPORTED)
    job.refresh_from_db()
    return job


def ines_at_vireo(**values: str) -> Stakeholder:
    """Return Ines Gruber at Vireo Health, typed in by hand before any import."""
    vireo = AccountFactory.create(name="Vireo Health", external_id="0015e00000VirAAA")
    return Stakeholder.objects.create(
        account=vireo,
        first_name="Ines",
        last_name="Gruber",
        title="CFO",
        email="ines.gruber@vireo.example",
        **values,
    )


def title_edited_later(ines: Stakeholder, *, by: User, title: str) -> None:
    """Edit Ines's title by hand on 5 Dec, after the import."""
    stakeholder_update(user=by, stakeholder=ines, data={"title": title})
    ChangeRecord.objects.filter(import_job=None, changed_by=by).update(changed_at=LATER)


def kestrel_imported(capture, ops: User) -> ImportJob:
    return imported(
        capture, "people_with_accounts.csv", "accounts_with_people.csv", user=ops
    )


def test_a_meeting_with_an_imported_person_keeps_them_and_their_account(
    django_capture_on_commit_callbacks, ops, bruce
) -> None:
    # given: the import made Kestrel Mining and Rosa Vidal; then a meeting
    job = kestrel_imported(django_capture_on_commit_callbacks, ops)
    rosa = Stakeholder.objects.get()
    meeting = activity_log(user=bruce, account=rosa.account, stakeholders=[rosa])
    Activity.objects.filter(pk=meeting.pk).update(created_at=LATER)
    notes = [
        "person Rosa Vidal kept: a meeting was logged on 5 Dec 2026.",
        "account Kestrel Mining kept: a meeting was logged on 5 Dec 2026.",
    ]

    # when
    assert mapped_import_undo_plan(mapped=job.mapped).notes == notes
    with django_capture_on_commit_callbacks(execute=False):
        done = mapped_import_undo(mapped=job.mapped, user=ops)

    # then
    assert done.kept == notes
    assert list(Stakeholder.objects.values_list("first_name", "account__name")) == [
        ("Rosa", "Kestrel Mining")
    ]
    assert list(Activity.objects.get().stakeholders.all()) == [rosa]
    job.refresh_from_db()
    # and the row report lists them as kept, not as undone
    assert [issue["reason"] for issue in job.issues if issue["action"] == "kept"] == (
        notes
    )
    assert not [issue for issue in job.issues if issue["action"] == "undone"]


def test_a_person_added_by_hand_keeps_the_imported_account(
    django_capture_on_commit_callbacks, ops, bruce
) -> None:
    # given
    job = kestrel_imported(django_capture_on_commit_callbacks, ops)
    kestrel = Account.objects.get()
    lucius = stakeholder_create(
        user=bruce,
        account=kestrel,
        data={"first_name": "Lucius", "last_name": "Fox", "title": "CTO"},
    )
    Stakeholder.objects.filter(pk=lucius.pk).update(created_at=LATER)

    # when
    with django_capture_on_commit_callbacks(execute=False):
        done = mapped_import_undo(mapped=job.mapped, user=ops)

    # then: Rosa, whom nobody worked on, goes; Lucius and his account stay
    assert done.kept == [
        "account Kestrel Mining kept: Lucius Fox was added by hand on 5 Dec 2026."
    ]
    assert list(Stakeholder.objects.values_list("first_name", "account__name")) == [
        ("Lucius", "Kestrel Mining")
    ]


def test_a_title_edited_by_hand_after_the_import_is_not_set_back(
    django_capture_on_commit_callbacks, ops, bruce
) -> None:
    # given: Ines typed by hand, then the import changes her title and more
    ines = ines_at_vireo(seniority="executive")
    job = imported(
        django_capture_on_commit_callbacks, "salesforce_contacts.csv", user=ops
    )
    ines.refresh_from_db()
    assert ines.title == "Chief Financial Officer"
    title_edited_later(ines, by=bruce, title="Group CFO")
    notes = [
        "title “Group CFO” kept on person Ines Gruber: edited by Bruce Wayne on "
        "5 Dec 2026."
    ]

    # when
    assert mapped_import_undo_plan(mapped=job.mapped).notes == notes
    with django_capture_on_commit_callbacks(execute=False):
        done = mapped_import_undo(mapped=job.mapped, user=ops)

    # then: the hand edit stays; everything else the import set goes back
    assert done.kept == notes
    ines.refresh_from_db()
    assert (ines.title, ines.department, ines.phone, ines.external_id) == (
        "Group CFO",
        "",
        "",
        "",
    )
    assert not ChangeRecord.objects.filter(
        object_id=ines.pk, action="undo", field="title"
    ).exists()
    # and her history names the undo, the hand edit and the import, newest
    # first
    ChangeRecord.objects.filter(action="undo").update(changed_at=UNDONE)
    by, undo = f"import {job.pk}", f"undo of import {job.pk}"
    assert [
        (entry.action, entry.field, entry.changed_by, entry.source, entry.new)
        for entry in stakeholder_history(stakeholder=ines)
    ] == [
        ("Set back", "Phone", ops.display_name, undo, ""),
        ("Set back", "External id", ops.display_name, undo, ""),
        ("Set back", "Department or business unit", ops.display_name, undo, ""),
        ("Changed", "Title", "Bruce Wayne", "", "Group CFO"),
        ("Changed", "External id", ops.display_name, by, "0035e00000AbCdEAA1"),
        ("Changed", "Phone", ops.display_name, by, "+43 1 555 0101"),
        ("Changed", "Department or business unit", ops.display_name, by, "Finance"),
        ("Changed", "Title", ops.display_name, by, "Chief Financial Officer"),
    ]


def test_an_undo_with_no_later_work_keeps_nothing_and_restores_everything(
    django_capture_on_commit_callbacks, ops
) -> None:
    # given
    ines = ines_at_vireo()
    fields = [
        f.name for f in Stakeholder._meta.concrete_fields if f.name != "updated_at"
    ]
    before = list(Stakeholder.objects.values(*fields))
    job = imported(
        django_capture_on_commit_callbacks, "salesforce_contacts.csv", user=ops
    )
    assert Stakeholder.objects.count() == 3

    # when
    assert mapped_import_undo_plan(mapped=job.mapped).notes == []
    with django_capture_on_commit_callbacks(execute=False):
        done = mapped_import_undo(mapped=job.mapped, user=ops)

    # then
    assert (done.kept, done.users) == ([], [])
    after = list(Stakeholder.objects.values(*fields))
    assert after == before
    assert list(Account.objects.values_list("name", flat=True)) == [ines.account.name]
    assert ines.pk == after[0]["id"]


def test_the_confirm_page_lists_what_is_kept_and_the_result_says_it(
    client, django_capture_on_commit_callbacks, ops, bruce
) -> None:
    # given
    job = kestrel_imported(django_capture_on_commit_callbacks, ops)
    rosa = Stakeholder.objects.get()
    meeting = activity_log(user=bruce, account=rosa.account, stakeholders=[rosa])
    Activity.objects.filter(pk=meeting.pk).update(created_at=LATER)
    client.force_login(ops)
    url = reverse("accounts:wizard_undo", args=[job.pk])

    # when
    page = client.get(url)

    # then
    assert page.status_code == 200
    assert [note.strip() for note in _items(page, "undo-kept")] == [
        "person Rosa Vidal kept: a meeting was logged on 5 Dec 2026.",
        "account Kestrel Mining kept: a meeting was logged on 5 Dec 2026.",
    ]
    with django_capture_on_commit_callbacks(execute=False):
        done = client.post(url, follow=True)
    assert [str(m) for m in done.context["messages"]] == [
        f"Import {job.pk} was undone. Kept: person Rosa Vidal kept: a meeting was "
        "logged on 5 Dec 2026. account Kestrel Mining kept: a meeting was logged "
        "on 5 Dec 2026."
    ]


def test_the_confirm_page_names_why_an_undo_is_refused(
    client, django_capture_on_commit_callbacks, ops
) -> None:
    job = kestrel_imported(django_capture_on_commit_callbacks, ops)
    with django_capture_on_commit_callbacks(execute=False):
        mapped_import_undo(mapped=job.mapped, user=ops)
    client.force_login(ops)

    page = client.get(reverse("accounts:wizard_undo", args=[job.pk]))

    assert page.status_code == 200
    assert page.context["refusal"] == "This import has already been undone."
    assert b'id="undo-confirm"' not in page.content


def _items(page, list_id: str) -> list[str]:
    from html.parser import HTMLParser

    class Items(HTMLParser):
        inside = False
        found: list[str] = []

        def handle_starttag(self, tag, attrs) -> None:
            if tag == "ul" and ("id", list_id) in attrs:
                self.inside = True
            elif tag == "li" and self.inside:
                self.found.append("")

        def handle_endtag(self, tag) -> None:
            if tag == "ul":
                self.inside = False

        def handle_data(self, data) -> None:
            if self.inside and self.found:
                self.found[-1] += data

    parser = Items()
    parser.found = []
    parser.feed(page.content.decode())
    return parser.found
