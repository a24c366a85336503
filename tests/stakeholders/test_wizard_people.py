"""People through the import wizard: recognised, checked, written, undone."""

from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import Account, ImportJob, MappedImport, User
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_files_read,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
    mapped_import_undo,
)
from stakeholders.models import Stakeholder
from tests.accounts.factories import AccountFactory, UserFactory

FIXTURES = Path(__file__).parent / "fixtures"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def vireo() -> Account:
    return AccountFactory.create(name="Vireo Health", external_id="0015e00000VirAAA")


@pytest.fixture
def harbor() -> Account:
    return AccountFactory.create(name="Harbor Freight Lines", external_id="")


@pytest.fixture
def ines_by_hand(vireo: Account) -> Callable[..., Stakeholder]:
    """Return a maker of Ines, Vireo's CFO, as typed by hand before an import.

    salesforce_contacts.csv has her too; each test sets what it checks.
    """

    def make(**values: str) -> Stakeholder:
        typed = {
            "first_name": "Ines",
            "last_name": "Gruber",
            "title": "CFO",
            "email": "ines.gruber@vireo.example",
        }
        return Stakeholder.objects.create(account=vireo, **{**typed, **values})

    return make


def ran(
    capture,
    mapped: MappedImport,
    *,
    keep_good_rows: bool = False,
    merges: dict[str, str] | None = None,
) -> ImportJob:
    """Run an import in process; the score run it asks for is not run here."""
    with capture(execute=False):
        mapped_import_start(
            mapped=mapped,
            merges=merges or {},
            keep_good_rows=keep_good_rows,
            enqueue=False,
        )
        mapped_import_run(mapped=mapped)
    mapped.job.refresh_from_db()
    return mapped.job


def opened(*names: str, user: User | None = None) -> MappedImport:
    mapped = mapped_import_create_from_paths(
        user=user, paths=[FIXTURES / name for name in names]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=user) == {}
    return mapped


def imported(
    capture,
    *names: str,
    user: User | None = None,
    keep_good_rows: bool = False,
    merges: dict[str, str] | None = None,
) -> ImportJob:
    """Open the fixture files, accept their mapping and run the import."""
    return ran(
        capture,
        opened(*names, user=user),
        keep_good_rows=keep_good_rows,
        merges=merges,
    )


def people() -> list[tuple]:
    return list(
        Stakeholder.objects.order_by("last_name").values_list(
            "account__name",
            "first_name",
            "last_name",
            "title",
            "seniority",
            "department",
            "email",
            "phone",
            "external_id",
            "source",
            "reports_to__last_name",
        )
    )


INES = ("Ines", "Gruber", "Chief Financial Officer", "executive")


@pytest.mark.parametrize(
    ("name", "kind", "mapped_columns"),
    [
        ("hubspot_contacts.csv", "hubspot contacts", 9),
        ("salesforce_contacts.csv", "salesforce-api contacts", 9),
        ("salesforce_contacts_dataloader.csv", "salesforce-api contacts", 8),
        ("salesforce_contact_report.csv", "salesforce-report contacts", 6),
        ("people_plain.csv", "salesforce-report contacts", 5),
    ],
)
def test_each_people_layout_is_recognised_with_every_column_mapped(
    name, kind, mapped_columns
) -> None:
    mapped = mapped_import_create_from_paths(user=None, paths=[FIXTURES / name])

    (preview,) = mapped_import_files_read(mapped=mapped)

    assert (preview.kind, preview.entity, preview.source) == (
        kind,
        "person",
        "recognised",
    )
    assert len(preview.mapping) == mapped_columns == len(preview.table.columns)


def test_a_hubspot_contact_export_imports_with_no_manual_mapping(
    django_capture_on_commit_callbacks, vireo, harbor
) -> None:
    # Tom's company is spelt "VIREO HEALTH, INC.": the account import's
    # name rules propose Vireo Health, and the user accepts it.
    job = imported(
        django_capture_on_commit_callbacks,
        "hubspot_contacts.csv",
        merges={"VIREO HEALTH, INC.": "Vireo Health"},
    )

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert job.counts == {
        "People": {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    }
    assert people() == [
        (
            "Vireo Health",
            *INES,
            "",
            "ines.gruber@vireo.example",
            "+43 1 555 0101",
            "901",
            "HubSpot import",
            None,
        ),
        (
            "Harbor Freight Lines",
            "Ada",
            "Kwan",
            "Procurement Manager",
            "manager",
            "",
            "ada.kwan@harbor.example",
            "",
            "903",
            "HubSpot import",
            None,
        ),
        (
            "Vireo Health",
            "Tom",
            "Yates",
            "Head of IT",
            "director",
            "",
            "tom.yates@vireo.example",
            "",
            "902",
            "HubSpot import",
            None,
        ),
    ]


def test_a_salesforce_contact_export_imports_with_its_reporting_line(
    django_capture_on_commit_callbacks, vireo
) -> None:
    job = imported(django_capture_on_commit_callbacks, "salesforce_contacts.csv")

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert job.counts == {
        "People": {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    }
    assert people() == [
        (
            "Vireo Health",
            *INES,
            "Finance",
            "ines.gruber@vireo.example",
            "+43 1 555 0101",
            "0035e00000AbCdEAA1",
            "Salesforce import",
            None,
        ),
        (
            "Vireo Health",
            "Lena",
            "Ortiz",
            "IT Manager",
            "manager",
            "IT",
            "lena.ortiz@vireo.example",
            "",
            "0035e00000AbCdGAA1",
            "Salesforce import",
            "Yates",
        ),
        (
            "Vireo Health",
            "Tom",
            "Yates",
            "Head of IT",
            "director",
            "IT",
            "tom.yates@vireo.example",
            "",
            "0035e00000AbCdFAA1",
            "Salesforce import",
            "Gruber",
        ),
    ]


def test_the_data_loader_form_and_a_report_with_its_footer_import_too(
    django_capture_on_commit_callbacks, vireo, harbor
) -> None:
    loader = imported(
        django_capture_on_commit_callbacks, "salesforce_contacts_dataloader.csv"
    )
    report = imported(
        django_capture_on_commit_callbacks, "salesforce_contact_report.csv"
    )

    assert loader.counts["People"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    # The report has no contact IDs: Ines is found by her email at the account.
    assert report.counts["People"] == {
        "created": 1,
        "updated": 0,
        "unchanged": 1,
        "rejected": 0,
    }
    assert [
        (issue["line"], issue["reason"], issue["action"]) for issue in report.issues
    ] == [
        (
            5,
            "Salesforce report footer, lines 5-10, is not data and was left out",
            "dropped",
        )
    ]
    assert list(
        Stakeholder.objects.order_by("last_name").values_list(
            "last_name", "account__name", "reports_to__last_name"
        )
    ) == [
        ("Gruber", "Vireo Health", None),
        ("Kwan", "Harbor Freight Lines", None),
        ("Yates", "Vireo Health", "Gruber"),
    ]


def test_every_problem_row_is_named_before_anything_is_written(vireo) -> None:
    mapped = opened("people_problems.csv")

    outcome = mapped_import_check(mapped=mapped)

    assert [
        (issue.line, issue.column, issue.value, issue.reason, issue.action)
        for issue in outcome.issues
    ] == [
        (3, "LastName", "", "a person needs a first or last name", "rejected"),
        (4, "Email", "not-an-email", "not an email address", "rejected"),
        (
            5,
            "AccountId",
            "0015e00000NOPE",
            "no account '0015e00000NOPE'; import the accounts first or in the "
            "same upload",
            "rejected",
        ),
        (
            6,
            "Id",
            "P1",
            "the same person ID as line 2: each person is listed once",
            "rejected",
        ),
        (
            7,
            "ReportsToId",
            "P7",
            "reports-to loop: Ann Ash → Ben Birch → Ann Ash",
            "rejected",
        ),
        (
            8,
            "ReportsToId",
            "P6",
            "reports-to loop: Ben Birch → Ann Ash → Ben Birch",
            "rejected",
        ),
        (
            9,
            "ReportsToId",
            "P99",
            "no person 'P99' in this upload or at Vireo Health",
            "rejected",
        ),
        (
            10,
            "Email",
            "good@vireo.example",
            "the same email at this account as line 2: each person is listed once",
            "rejected",
        ),
    ]
    assert outcome.counts == {
        "People": {"created": 1, "updated": 0, "unchanged": 0, "rejected": 8}
    }
    assert not Stakeholder.objects.exists()


def test_problem_rows_stop_the_import_unless_good_rows_are_asked_for(
    django_capture_on_commit_callbacks, vireo
) -> None:
    refused = imported(django_capture_on_commit_callbacks, "people_problems.csv")

    assert refused.status == ImportJob.Status.REJECTED
    assert not Stakeholder.objects.exists()

    kept = imported(
        django_capture_on_commit_callbacks, "people_problems.csv", keep_good_rows=True
    )

    assert kept.status == ImportJob.Status.SUCCEEDED
    assert list(Stakeholder.objects.values_list("external_id", flat=True)) == ["P1"]


def test_a_loop_through_people_already_stored_is_refused(
    django_capture_on_commit_callbacks, vireo
) -> None:
    imported(django_capture_on_commit_callbacks, "salesforce_contacts.csv")
    content = (
        b"Id,AccountId,FirstName,LastName,ReportsToId\n"
        b"0035e00000AbCdEAA1,0015e00000VirAAA,Ines,Gruber,0035e00000AbCdGAA1\n"
    )
    mapped = mapped_import_create_from_paths_bytes("loop.csv", content)

    outcome = mapped_import_check(mapped=mapped)

    assert [(i.line, i.column, i.reason) for i in outcome.issues] == [
        (
            2,
            "ReportsToId",
            "reports-to loop: Ines Gruber → Lena Ortiz → Tom Yates → Ines Gruber",
        )
    ]


def mapped_import_create_from_paths_bytes(name: str, content: bytes) -> MappedImport:
    from accounts.wizard import mapped_import_create

    mapped = mapped_import_create(user=None, files=[(name, content)])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    return mapped


def test_reimporting_the_same_file_changes_nothing(
    django_capture_on_commit_callbacks, vireo
) -> None:
    imported(django_capture_on_commit_callbacks, "salesforce_contacts.csv")
    before = people()

    again = imported(django_capture_on_commit_callbacks, "salesforce_contacts.csv")

    assert again.counts == {
        "People": {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0}
    }
    assert people() == before


def test_people_match_by_id_first_then_by_email_within_the_account(
    django_capture_on_commit_callbacks, ines_by_hand, harbor
) -> None:
    # given: Ines typed by hand, and an Ada at another account with Tom's email
    by_hand = ines_by_hand(email="INES.GRUBER@vireo.example", source="entered by hand")
    elsewhere = Stakeholder.objects.create(
        account=harbor,
        first_name="Tom",
        last_name="Yates",
        email="tom.yates@vireo.example",
    )

    # when
    job = imported(django_capture_on_commit_callbacks, "salesforce_contacts.csv")

    # then: Ines is updated, not doubled; the Tom at Harbor is another person
    assert job.counts["People"] == {
        "created": 2,
        "updated": 1,
        "unchanged": 0,
        "rejected": 0,
    }
    by_hand.refresh_from_db()
    assert (by_hand.external_id, by_hand.title, by_hand.seniority, by_hand.source) == (
        "0035e00000AbCdEAA1",
        "Chief Financial Officer",
        "executive",
        "entered by hand",
    )
    elsewhere.refresh_from_db()
    assert (elsewhere.account, elsewhere.external_id) == (harbor, "")


def test_undo_restores_the_people_as_they_were(
    django_capture_on_commit_callbacks, ines_by_hand
) -> None:
    # given
    ines = ines_by_hand(seniority="executive")
    before = people()
    job = imported(django_capture_on_commit_callbacks, "salesforce_contacts.csv")
    assert Stakeholder.objects.count() == 3

    # when
    with django_capture_on_commit_callbacks(execute=False):
        mapped_import_undo(mapped=job.mapped, user=None)

    # then
    assert people() == before
    ines.refresh_from_db()
    assert (ines.title, ines.department, ines.external_id) == ("CFO", "", "")


def test_accounts_and_their_people_come_in_one_upload(
    django_capture_on_commit_callbacks,
) -> None:
    job = imported(
        django_capture_on_commit_callbacks,
        "people_with_accounts.csv",
        "accounts_with_people.csv",
    )

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert job.counts == {
        "Accounts": {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0},
        "People": {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0},
    }
    rosa = Stakeholder.objects.get()
    assert (rosa.account.name, rosa.name, rosa.seniority) == (
        "Kestrel Mining",
        "Rosa Vidal",
        "executive",
    )

    # and undoing the upload takes both away
    with django_capture_on_commit_callbacks(execute=False):
        mapped_import_undo(mapped=job.mapped, user=None)
    assert not Account.objects.exists()
    assert not Stakeholder.objects.exists()


def test_an_owner_on_the_account_team_owns_the_relationship(
    django_capture_on_commit_callbacks, vireo
) -> None:
    jane = UserFactory.create(username="jane", first_name="Jane", last_name="Park")
    vireo.team_memberships.create(user=jane)
    UserFactory.create(username="otto", first_name="Otto", last_name="Lind")
    content = (
        b"Record ID,First Name,Last Name,Associated Company,Contact owner\n"
        b"1,Ann,Ash,Vireo Health,Jane Park\n"
        b"2,Ben,Birch,Vireo Health,Otto Lind\n"
    )
    mapped = mapped_import_create_from_paths_bytes("owned.csv", content)

    outcome = mapped_import_check(mapped=mapped)

    assert [
        (i.line, i.column, i.value, i.reason, i.action) for i in outcome.issues
    ] == [
        (
            3,
            "Contact owner",
            "Otto Lind",
            "not on Vireo Health's account team; the owner was left as it was",
            "kept",
        )
    ]
    with django_capture_on_commit_callbacks(execute=False):
        mapped_import_start(
            mapped=mapped, merges={}, keep_good_rows=False, enqueue=False
        )
        mapped_import_run(mapped=mapped)
    assert list(
        Stakeholder.objects.order_by("last_name").values_list("last_name", "owner")
    ) == [("Ash", jane.pk), ("Birch", None)]


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("import_files", *args, stdout=out)
    return out.getvalue()


def test_the_command_line_checks_writes_and_undoes_people(vireo) -> None:
    path = str(FIXTURES / "salesforce_contacts.csv")

    checked = run_command(path)
    assert "salesforce-api contacts (recognised)" in checked
    assert "  ReportsToId -> person.reports_to\n" in checked
    assert "records  created  updated  unchanged  rejected\n" in checked
    assert "People         3        0          0         0\n" in checked
    assert not Stakeholder.objects.exists()

    run_command(path, "--yes")
    again = run_command(path, "--yes")
    assert "People         0        0          3         0\n" in again
    assert Stakeholder.objects.count() == 3

    # The second import changed nothing, so the first undoes on its own.
    first = ImportJob.objects.filter(status=ImportJob.Status.SUCCEEDED).earliest("pk")
    assert run_command("--undo", str(first.pk)) == f"Import {first.pk} undone.\n"
    assert not Stakeholder.objects.exists()


def upload(name: str) -> dict:
    path = FIXTURES / name
    return {"files": [SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")]}


@pytest.mark.parametrize("who", ["rep", "manager", "executive"])
def test_only_sales_ops_may_import_people(who, request, vireo) -> None:
    api = APIClient()
    api.force_authenticate(request.getfixturevalue(who))

    response = api.post("/api/accounts/imports/", upload("hubspot_contacts.csv"))

    assert response.status_code == 404
    assert not ImportJob.objects.exists()


def test_ops_import_people_through_the_api(
    ops, vireo, harbor, django_capture_on_commit_callbacks
) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)
    uploaded = api.post("/api/accounts/imports/", upload("hubspot_contacts.csv"))
    assert uploaded.status_code == 201
    job_id = uploaded.json()["id"]
    assert uploaded.json()["file_previews"][0]["kind"] == "hubspot contacts"
    mapping_url = f"/api/accounts/imports/{job_id}/mapping/"
    etag = api.get(mapping_url)["ETag"]
    confirmed = api.put(mapping_url, {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)
    assert confirmed.status_code == 200
    # the check proposes Tom's "VIREO HEALTH, INC." as Vireo Health and
    # refuses his row until the proposal is accepted
    check = api.get(f"/api/accounts/imports/{job_id}/check/").json()
    assert check["proposals"] == [
        {
            "incoming": "VIREO HEALTH, INC.",
            "existing": "Vireo Health",
            "kind": "same",
            "reason": "same name once case, spacing, punctuation and legal form "
            "are ignored ('vireo health')",
            "merged": "",
            "records": "people",
            "rows": 1,
        }
    ]
    assert check["counts"] == {
        "People": {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    }
    assert [
        (i["line"], i["column"], i["value"], i["reason"]) for i in check["issues"]
    ] == [
        (
            3,
            "Associated Company",
            "VIREO HEALTH, INC.",
            'Company "VIREO HEALTH, INC." matches no account exactly; accept '
            'the proposed match to "Vireo Health" or fix the name',
        )
    ]

    # when: the proposal is accepted as an account merge is
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            f"/api/accounts/imports/{job_id}/start/",
            {"merges": {"VIREO HEALTH, INC.": "Vireo Health"}},
            format="json",
        )

    # then
    assert started.status_code == 202
    detail = api.get(f"/api/accounts/imports/{job_id}/").json()
    assert detail["status"] == "succeeded"
    assert detail["counts"] == {
        "People": {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    }
    assert sorted(vireo.stakeholders.values_list("last_name", flat=True)) == [
        "Gruber",
        "Yates",
    ]
    report = api.get(f"/api/accounts/imports/{job_id}/report.csv")
    assert report.status_code == 200
    assert "People,3,0,0,0" in report.getvalue().decode()

    # and an undo through the API takes them away
    with django_capture_on_commit_callbacks(execute=False):
        undo = f"/api/accounts/imports/{job_id}/undo/"
        undone = api.post(undo, {}, format="json", HTTP_IF_MATCH=api.get(undo)["ETag"])
    assert undone.status_code == 200
    assert not Stakeholder.objects.exists()


def test_a_semicolon_file_with_a_bom_and_upper_case_headers_imports(
    django_capture_on_commit_callbacks, vireo
) -> None:
    # Its company is spelt "vireo health": proposed as Vireo Health, accepted.
    job = imported(
        django_capture_on_commit_callbacks,
        "people_plain.csv",
        merges={"vireo health": "Vireo Health"},
    )

    assert job.counts["People"] == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert people() == [
        (
            "Vireo Health",
            "Mia",
            "Wong",
            "CIO",
            "executive",
            "",
            "mia.wong@vireo.example",
            "",
            "",
            "Salesforce import",
            None,
        )
    ]


def test_an_email_the_model_would_refuse_is_refused_by_row(vireo) -> None:
    content = b"Email,Last Name,Account Name\na..b@vireo.example,Finch,Vireo Health\n"
    mapped = mapped_import_create_from_paths_bytes("c.csv", content)

    outcome = mapped_import_check(mapped=mapped)

    assert [(i.line, i.column, i.value, i.reason) for i in outcome.issues] == [
        (2, "Email", "a..b@vireo.example", "not an email address")
    ]


def test_erasing_a_person_drops_what_an_import_kept_of_them(
    django_capture_on_commit_callbacks, ines_by_hand
) -> None:
    from stakeholders.services import stakeholder_erase

    # given: an import updated a person typed by hand
    ines = ines_by_hand(phone="555")
    job = imported(django_capture_on_commit_callbacks, "salesforce_contacts.csv")

    # when she is erased, and the import undone
    ines.refresh_from_db()
    stakeholder_erase(user=None, stakeholder=ines)
    with django_capture_on_commit_callbacks(execute=False):
        mapped_import_undo(mapped=job.mapped, user=None)

    # then her old values are nowhere, and the undo did not bring them back
    change = job.row_changes.get(object_id=ines.pk, content_type__model="stakeholder")
    assert change.old_values == {"department": "", "seniority": ""}
    ines.refresh_from_db()
    assert (ines.first_name, ines.title, ines.email, ines.phone) == ("", "", "", "")


def test_the_old_people_import_address_leads_to_the_wizard(client, ops) -> None:
    client.force_login(ops)

    response = client.get("/stakeholders/import/")

    assert response.status_code == 301
    assert response["Location"] == "/accounts/import/wizard/"


def test_a_mapping_chosen_for_a_people_file_is_reused_for_the_same_headers(
    vireo,
) -> None:
    from accounts.wizard import mapped_import_create, mapped_import_mapping_confirm

    # given: a file whose headers Lode does not know, mapped by hand
    content = "Nachname;Vorname;Firma;E-Mail\nGruber;Ines;Vireo Health;i@v.example\n"
    first = mapped_import_create(user=None, files=[("kontakte.csv", content.encode())])
    (preview,) = mapped_import_files_read(mapped=first)
    assert (preview.source, preview.mapping) == ("none", {})
    chosen = {
        "Nachname": ["person", "last_name"],
        "Vorname": ["person", "first_name"],
        "Firma": ["person", "account_name"],
        "E-Mail": ["person", "email"],
    }
    problems = mapped_import_mapping_confirm(
        mapped=first, mapping={"kontakte.csv": chosen}, user=None
    )
    assert problems == {}

    # when: the next export arrives with the headers spelt otherwise
    later = "NACHNAME;vorname;FIRMA;e-mail\nYates;Tom;Vireo Health;t@v.example\n"
    second = mapped_import_create(user=None, files=[("neu.csv", later.encode())])

    # then: the saved mapping is proposed, and it checks clean
    (preview,) = mapped_import_files_read(mapped=second)
    assert preview.source == "saved"
    assert preview.mapping == {
        "NACHNAME": ("person", "last_name"),
        "vorname": ("person", "first_name"),
        "FIRMA": ("person", "account_name"),
        "e-mail": ("person", "email"),
    }
    assert mapped_import_mapping_accept(mapped=second, user=None) == {}
    assert mapped_import_check(mapped=second).counts == {
        "People": {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    }


def test_a_people_mapping_without_a_name_or_an_account_is_refused(vireo) -> None:
    from accounts.wizard import mapped_import_create, mapped_import_mapping_confirm

    content = b"Mail,Title\ni@v.example,CFO\n"
    mapped = mapped_import_create(user=None, files=[("half.csv", content)])

    problems = mapped_import_mapping_confirm(
        mapped=mapped,
        mapping={"half.csv": {"Mail": ["person", "email"]}},
        user=None,
    )

    assert problems == {
        "half.csv": [
            "a people file needs a column with the person's first, last or full name",
            "a people file needs a column with the account's ID or name: each "
            "person is kept on an account",
        ]
    }


def test_the_people_history_keeps_the_import_and_records_its_undo(
    django_capture_on_commit_callbacks, vireo, ines_by_hand, ops
) -> None:
    from accounts.models import ChangeRecord

    # given: Ines typed by hand, with a history of her own
    ines = ines_by_hand(seniority="executive")
    ChangeRecord.objects.create(
        account=vireo, target=ines, action="create", field="title", new_value="CFO"
    )

    # when
    job = imported(
        django_capture_on_commit_callbacks, "salesforce_contacts.csv", user=ops
    )

    # then: who changed what is in the account's history
    records = ChangeRecord.objects.filter(object_id=ines.pk).order_by("pk")
    columns = ("action", "field", "old_value", "new_value", "changed_by", "import_job")
    assert list(records.values_list(*columns)) == [
        ("create", "title", "", "CFO", None, None),
        ("update", "title", "CFO", "Chief Financial Officer", ops.pk, job.pk),
        ("update", "department", "", "Finance", ops.pk, job.pk),
        ("update", "phone", "", "+43 1 555 0101", ops.pk, job.pk),
        ("update", "external_id", "", "0035e00000AbCdEAA1", ops.pk, job.pk),
    ]
    tom = Stakeholder.objects.get(last_name="Yates")
    assert set(
        ChangeRecord.objects.filter(object_id=tom.pk).values_list(
            "action", "field", "new_value"
        )
    ) >= {
        ("create", "source", "Salesforce import"),
        ("update", "reports_to", str(ines.pk)),
    }

    # when undone by someone else, the history says who set what back
    undoer = UserFactory.create(username="una", first_name="Una", last_name="Dow")
    with django_capture_on_commit_callbacks(execute=False):
        mapped_import_undo(mapped=job.mapped, user=undoer)
    assert list(records.values_list(*columns))[5:] == [
        ("undo", "department", "Finance", "", undoer.pk, job.pk),
        ("undo", "external_id", "0035e00000AbCdEAA1", "", undoer.pk, job.pk),
        ("undo", "phone", "+43 1 555 0101", "", undoer.pk, job.pk),
        ("undo", "title", "Chief Financial Officer", "CFO", undoer.pk, job.pk),
    ]


def test_a_report_names_the_manager_in_words_and_it_is_found_at_the_account(
    django_capture_on_commit_callbacks, vireo
) -> None:
    content = (
        b'"First Name","Last Name","Account Name","Title","Email","Reports To"\n'
        b'"Ines","Gruber","Vireo Health","CFO","ines@vireo.example",""\n'
        b'"Tom","Yates","Vireo Health","Controller","tom@vireo.example",'
        b'"Ines Gruber"\n'
        b'"Lena","Ortiz","Vireo Health","Analyst","lena@vireo.example",'
        b'"tom@vireo.example"\n'
    )
    mapped = mapped_import_create_from_paths_bytes("report.csv", content)

    job = ran(django_capture_on_commit_callbacks, mapped)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert list(
        Stakeholder.objects.order_by("last_name").values_list(
            "last_name", "reports_to__last_name"
        )
    ) == [("Gruber", None), ("Ortiz", "Yates"), ("Yates", "Gruber")]


def test_erasing_a_person_takes_their_values_out_of_import_reports(
    django_capture_on_commit_callbacks, vireo
) -> None:
    from accounts.models import AuditEvent
    from accounts.wizard import mapped_import_report_csv
    from stakeholders.services import stakeholder_erase

    # given: an import that wrote Good Person and refused a row with her email
    job = imported(
        django_capture_on_commit_callbacks,
        "people_problems.csv",
        keep_good_rows=True,
    )
    good = Stakeholder.objects.get(external_id="P1")
    before = "".join(mapped_import_report_csv(job=job))
    assert "person Good Person" in before
    assert "good@vireo.example" in before

    # when she is erased
    stakeholder_erase(user=None, stakeholder=good)

    # then the report keeps its rows but names her nowhere
    job.refresh_from_db()
    report = "".join(mapped_import_report_csv(job=job))
    lines = report.splitlines()
    assert "Good Person" not in report
    assert "good@vireo.example" not in report
    assert lines[1] == (
        f"people_problems.csv,2,created,person [erased],,"
        f"stakeholders.stakeholder:{good.pk}"
    )
    assert lines[-4] == (
        "people_problems.csv,10,Email,[erased],the same email at this account as "
        "line 2: each person is listed once,rejected"
    )
    # and the rows about others are as they were
    assert lines[6] == (
        "people_problems.csv,7,rejected,,ReportsToId: reports-to loop: "
        "Ann Ash → Ben Birch → Ann Ash,"
    )
    assert len(lines) == len(before.splitlines())
    event = AuditEvent.objects.get(action=AuditEvent.Action.ERASURE)
    assert event.detail == {"account": vireo.pk, "import_jobs": [job.pk]}


def test_a_contact_moved_to_another_account_keeps_no_reporting_line_across(
    django_capture_on_commit_callbacks, vireo
) -> None:
    # given: Mia reports to Bo at Vireo, and Jo reports to Mia
    AccountFactory.create(name="Harbor Freight Lines", external_id="0015e00000HarAAA")
    bo = Stakeholder.objects.create(
        account=vireo, first_name="Bo", last_name="Boss", external_id="B1"
    )
    mia = Stakeholder.objects.create(
        account=vireo, first_name="Mia", last_name="Mover", external_id="M1"
    )
    mia.reports_to = bo
    mia.save()
    jo = Stakeholder.objects.create(
        account=vireo, first_name="Jo", last_name="Junior", reports_to=mia
    )

    # when the CRM moves Mia to Harbor, naming no manager
    mapped = mapped_import_create_from_paths_bytes(
        "moved.csv",
        b"Id,AccountId,FirstName,LastName,Title,Department,Email,Phone,ReportsToId\n"
        b"M1,0015e00000HarAAA,Mia,Mover,,,,,\n",
    )
    job = ran(django_capture_on_commit_callbacks, mapped)

    # then neither line crosses the accounts, and the row report says why
    assert job.status == ImportJob.Status.SUCCEEDED
    assert people() == [
        (
            "Vireo Health",
            "Bo",
            "Boss",
            "",
            "",
            "",
            "",
            "",
            "B1",
            "entered by hand",
            None,
        ),
        (
            "Vireo Health",
            "Jo",
            "Junior",
            "",
            "",
            "",
            "",
            "",
            "",
            "entered by hand",
            None,
        ),
        (
            "Harbor Freight Lines",
            "Mia",
            "Mover",
            "",
            "",
            "",
            "",
            "",
            "M1",
            "entered by hand",
            None,
        ),
    ]
    assert [
        (issue["line"], issue["column"], issue["reason"], issue["action"])
        for issue in job.issues
    ] == [
        (
            2,
            "ReportsToId",
            "Mia Mover moved to Harbor Freight Lines, but their manager Bo Boss "
            "is at Vireo Health; the reports-to was cleared",
            "kept",
        ),
        (
            2,
            "ReportsToId",
            "Jo Junior at Vireo Health reported to Mia Mover, who moved to "
            "Harbor Freight Lines; Jo Junior's reports-to was cleared",
            "kept",
        ),
    ]

    # and an undo puts both lines and the account back
    with django_capture_on_commit_callbacks(execute=False):
        mapped_import_undo(mapped=job.mapped, user=None)
    mia.refresh_from_db()
    jo.refresh_from_db()
    assert (mia.account, mia.reports_to, jo.reports_to) == (vireo, bo, mia)
