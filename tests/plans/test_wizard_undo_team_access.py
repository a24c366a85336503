"""Undoing an import never locks a rep out of what they did since it."""

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from accounts.models import (
    Account,
    AccountTeamMember,
    ChangeRecord,
    ImportJob,
    Opportunity,
    User,
)
from accounts.services import account_update, deal_create
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
    mapped_import_undo,
    mapped_import_undo_preview,
)
from plans.models import Plan
from plans.services import plan_create
from stakeholders.models import Stakeholder
from stakeholders.services import stakeholder_create
from tests.accounts.factories import AccountFactory, ProductFactory, UserFactory

FIXTURES = Path(__file__).parent.parent / "accounts" / "fixtures" / "undo_access"
# The import ran on 1 Dec; Dana worked on what it made on 5 Dec.
IMPORTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

DANA_WORKED = (
    "Dana Pike added or edited an opportunity, a person and a plan there by hand, last "
    "on 5 Dec 2026, and would lose access to them without it"
)
DANA_EDITED = (
    "Dana Pike added or edited the account there by hand, last on 5 Dec 2026, "
    "and would lose access to it without it"
)


@pytest.fixture
def dana(db: None) -> User:
    return UserFactory.create(
        username="dana.pike", first_name="Dana", last_name="Pike", role=User.Role.REP
    )


def imported(capture, ops: User) -> ImportJob:
    mapped = mapped_import_create_from_paths(
        user=ops, paths=[FIXTURES / "harrier_owned.csv"]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    with capture(execute=False):
        mapped_import_start(
            mapped=mapped, merges={}, keep_good_rows=False, enqueue=False
        )
        job = mapped_import_run(mapped=mapped)
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=IMPORTED, finished_at=IMPORTED
    )
    Account.objects.update(updated_at=IMPORTED)
    ChangeRecord.objects.filter(import_job=job).update(changed_at=IMPORTED)
    job.refresh_from_db()
    return job


def worked_at_harrier(dana: User) -> tuple[Opportunity, Stakeholder, Plan]:
    """Add a deal, a person and a plan at Harrier Freight as Dana, on 5 Dec."""
    harrier = Account.objects.get(external_id="H001")
    deal = deal_create(
        account=harrier,
        user=dana,
        data={
            "owner": dana,
            "stage": Opportunity.Stage.ENGAGING,
            "product": ProductFactory.create(name="GTX Pro"),
        },
    )
    person = stakeholder_create(
        user=dana, account=harrier, data={"first_name": "Lena", "last_name": "Ortiz"}
    )
    plan = plan_create(user=dana, account=harrier, fiscal_year=2027)
    ChangeRecord.objects.filter(changed_by=dana).update(changed_at=LATER)
    for model in (Opportunity, Stakeholder, Plan):
        model._default_manager.filter(account=harrier).update(created_at=LATER)
    return deal, person, plan


def test_an_account_kept_for_a_reps_work_keeps_their_place_on_its_team(
    django_capture_on_commit_callbacks, ops, dana
) -> None:
    # given: the import made Harrier Freight and put Dana on its team
    job = imported(django_capture_on_commit_callbacks, ops)
    deal, person, plan = worked_at_harrier(dana)
    place = AccountTeamMember.objects.get(account__external_id="H001")

    # when
    preview = mapped_import_undo_preview(mapped=job.mapped)
    with django_capture_on_commit_callbacks(execute=False):
        done = mapped_import_undo(mapped=job.mapped, user=ops)

    # then
    notes = [
        f"account Harrier Freight kept: {deal} was added by hand on 5 Dec 2026; Lena "
        "Ortiz was added by hand on 5 Dec 2026; a plan was added on 5 Dec 2026.",
        f"Dana Pike's place on the Harrier Freight team kept: {DANA_WORKED}.",
    ]
    assert preview.keep.notes == notes
    assert preview.deleted == {"accounts": 1, "account team members": 1}
    assert done.kept == notes
    assert list(
        AccountTeamMember.objects.values_list("pk", "account__name", "user__username")
    ) == [(place.pk, "Harrier Freight", "dana.pike")]
    client = Client()
    client.force_login(dana)
    pages = [
        reverse("accounts:detail", args=[place.account_id]),
        reverse("accounts:deal_edit", args=[deal.pk]),
        reverse("stakeholders:detail", args=[person.pk]),
        reverse("plans:detail", args=[plan.pk]),
    ]
    assert [client.get(page).status_code for page in pages] == [200, 200, 200, 200]


def test_a_place_the_import_gave_on_an_existing_account_stays_where_they_worked(
    django_capture_on_commit_callbacks, ops, dana
) -> None:
    # given: the import put Dana on Osprey Mills' team and changed its size
    osprey = AccountFactory.create(
        name="Osprey Mills", external_id="H002", employees=7, sector="Retail"
    )
    job = imported(django_capture_on_commit_callbacks, ops)
    osprey.refresh_from_db()
    account_update(
        account=osprey,
        user=dana,
        data={"sector": "Paper"},
        expected_version=osprey.updated_at,
    )
    ChangeRecord.objects.filter(changed_by=dana).update(changed_at=LATER)
    place = AccountTeamMember.objects.get(account=osprey)
    harrier_place = AccountTeamMember.objects.exclude(account=osprey).get()
    harrier = harrier_place.account_id
    client = Client()
    client.force_login(ops)
    api = APIClient()
    api.force_authenticate(ops)

    # when
    shown = api.get(reverse("accounts_api:import_undo", args=[job.pk])).json()
    page = client.get(reverse("accounts:wizard_undo", args=[job.pk]))
    download = client.get(reverse("accounts:wizard_undo_csv", args=[job.pk]))
    assert isinstance(download, StreamingHttpResponse)
    listed = b"".join(download.streaming_content)
    with django_capture_on_commit_callbacks(execute=False):
        mapped_import_undo(mapped=job.mapped, user=ops)

    # then: Dana keeps her place; the size goes back, her sector stays
    note = f"Dana Pike's place on the Osprey Mills team kept: {DANA_EDITED}."
    assert shown["kept"] == [
        {
            "kind": "account team member",
            "record": "Dana Pike's place on the Osprey Mills team",
            "field": None,
            "value": None,
            "reasons": [DANA_EDITED],
            "note": note,
        },
    ]
    assert (shown["deleted"], shown["restored"]) == (
        {"accounts": 1, "account team members": 1},
        {"accounts": 1},
    )
    assert page.context["kept"] == [note]
    assert escape(note) in page.content.decode()
    # and the CSV lists her kept place with its reason, after the rest
    assert list(csv.reader(io.StringIO(listed.decode("utf-8-sig")))) == [
        ["action", "kind", "record", "key", "field", "value", "reason"],
        [
            "deleted",
            "account team member",
            "account team member Dana Pike on Harrier Freight",
            f"accounts.accountteammember:{harrier_place.pk}",
            "",
            "",
            "",
        ],
        [
            "deleted",
            "account",
            "account Harrier Freight",
            f"accounts.account:{harrier}",
            "",
            "",
            "",
        ],
        [
            "set back",
            "account",
            "account Osprey Mills",
            f"accounts.account:{osprey.pk}",
            "",
            "",
            "",
        ],
        [
            "kept",
            "account team member",
            "Dana Pike's place on the Osprey Mills team",
            f"accounts.accountteammember:{place.pk}",
            "",
            "",
            DANA_EDITED,
        ],
    ]
    osprey.refresh_from_db()
    assert (osprey.employees, osprey.sector) == (7, "Paper")
    assert list(AccountTeamMember.objects.values_list("pk", "user__username")) == [
        (place.pk, "dana.pike")
    ]
