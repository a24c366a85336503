"""Erasing a person rewrites the uploaded files that held their rows."""

import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from accounts.models import Account, ImportJob, MappedImport
from accounts.wizard import (
    mapped_import_create,
    mapped_import_mapping_accept,
    mapped_import_report_csv,
    mapped_import_run,
    mapped_import_start,
    mapped_import_undo,
)
from stakeholders.models import Stakeholder
from stakeholders.services import stakeholder_erase
from tests.accounts.factories import AccountFactory, UserFactory
from tests.accounts.test_workbook_bounds import MAIN, workbook

FIXTURES = Path(__file__).parent / "fixtures"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def vireo() -> Account:
    return AccountFactory.create(name="Vireo Health", external_id="0015e00000VirAAA")


def imported(capture, name: str, content: bytes) -> ImportJob:
    mapped = mapped_import_create(user=None, files=[(name, content)])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    with capture(execute=False):
        mapped_import_start(
            mapped=mapped, merges={}, keep_good_rows=True, enqueue=False
        )
        mapped_import_run(mapped=mapped)
    mapped.job.refresh_from_db()
    return mapped.job


def stored(job: ImportJob, name: str) -> Path:
    return Path(job.source_directory) / name


def test_erasing_a_person_rewrites_the_uploaded_csv_without_them(
    django_capture_on_commit_callbacks, vireo
) -> None:
    # given: a people file imported, keeping its good rows
    job = imported(
        django_capture_on_commit_callbacks,
        "people_problems.csv",
        (FIXTURES / "people_problems.csv").read_bytes(),
    )
    upload = stored(job, "people_problems.csv")
    before = upload.read_text().splitlines()
    good = Stakeholder.objects.get(external_id="P1")

    # when she is erased
    stakeholder_erase(user=None, stakeholder=good)

    # then her own row and the row quoting her email lose her values only
    after = upload.read_text().splitlines()
    assert "Good" not in upload.read_text()
    assert "good@vireo.example" not in upload.read_text()
    assert after[1] == "P1,0015e00000VirAAA,[erased],[erased],[erased],[erased],"
    assert after[9] == "P9,0015e00000VirAAA,Dan,Dogwood,Analyst,[erased],"
    # and everyone else's rows, a colleague with her last name included,
    # are as uploaded, each on its own line
    assert after[5] == "P1,0015e00000VirAAA,Again,Person,Analyst,again@vireo.example,"
    assert len(after) == len(before) == 10
    unchanged = [0, 2, 3, 4, 5, 6, 7, 8]
    assert [after[n] for n in unchanged] == [before[n] for n in unchanged]
    # and the job says what was replaced
    job.refresh_from_db()
    assert len(job.erasures) == 1
    assert job.erasures[0]["files"] == {"people_problems.csv": 5}
    assert (job.erasures[0]["row_report"], job.erasures[0]["notes"]) == (True, True)
    (said,) = job.erasures_said
    assert said.endswith(
        ": an erased person's values were replaced by [erased] in "
        "people_problems.csv (5 values), the row report and the import's notes."
    )
    assert job.mapped.files[0]["size"] == upload.stat().st_size


def test_an_import_whose_upload_was_scrubbed_still_reports_and_undoes(
    django_capture_on_commit_callbacks, vireo
) -> None:
    # given: an import of two people, one of them then erased
    content = (
        b"Id,AccountId,FirstName,LastName,Title,Email\r\n"
        b"P1,0015e00000VirAAA,Rosa,Vidal,CFO,rosa@vireo.example\r\n"
        b"P2,0015e00000VirAAA,Tom,Berg,CIO,tom@vireo.example\r\n"
    )
    job = imported(django_capture_on_commit_callbacks, "people.csv", content)
    rosa = Stakeholder.objects.get(external_id="P1")
    tom = Stakeholder.objects.get(external_id="P2")
    stakeholder_erase(user=None, stakeholder=rosa)

    # when the report is read and the import undone
    report = "".join(mapped_import_report_csv(job=job)).splitlines()
    with django_capture_on_commit_callbacks(execute=False):
        mapped_import_undo(mapped=job.mapped, user=None)

    # then the file keeps its line endings and Tom's row as uploaded
    assert stored(job, "people.csv").read_bytes() == (
        b"Id,AccountId,FirstName,LastName,Title,Email\r\n"
        b"P1,0015e00000VirAAA,[erased],[erased],[erased],[erased]\r\n"
        b"P2,0015e00000VirAAA,Tom,Berg,CIO,tom@vireo.example\r\n"
    )
    assert report[1:3] == [
        f"people.csv,2,created,person [erased],,stakeholders.stakeholder:{rosa.pk}",
        f"people.csv,3,created,person Tom Berg,,stakeholders.stakeholder:{tom.pk}",
    ]
    assert report[-1] == "People,2,0,0,0"
    # and the undo removed Tom; Rosa's erased row, worked on since, stays
    assert list(Stakeholder.objects.values_list("pk", "status")) == [
        (rosa.pk, "erased")
    ]
    assert MappedImport.objects.get(job=job).undone_at is not None


def test_erasing_a_person_rewrites_an_uploaded_workbook(
    django_capture_on_commit_callbacks, vireo
) -> None:
    # given: a people workbook, one cell quoting Rosa in a colleague's row
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Id", "AccountId", "FirstName", "LastName", "Email", "Description"])
    sheet.append(["P1", "0015e00000VirAAA", "Rosa", "Vidal", "rosa@vireo.example", ""])
    sheet.append(
        ["P2", "0015e00000VirAAA", "Tom", "Berg", "tom@vireo.example", "Met Rosa Vidal"]
    )
    content = io.BytesIO()
    workbook.save(content)
    job = imported(
        django_capture_on_commit_callbacks, "people.xlsx", content.getvalue()
    )
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues

    # when Rosa is erased
    stakeholder_erase(user=None, stakeholder=Stakeholder.objects.get(external_id="P1"))

    # then the stored workbook names her nowhere and keeps Tom
    rows = [
        list(row)
        for row in load_workbook(stored(job, "people.xlsx")).active.iter_rows(
            values_only=True
        )
    ]
    assert rows[1:] == [
        ["P1", "0015e00000VirAAA", "[erased]", "[erased]", "[erased]", None],
        ["P2", "0015e00000VirAAA", "Tom", "Berg", "tom@vireo.example", "Met [erased]"],
    ]
    job.refresh_from_db()
    assert job.erasures[0]["files"] == {"people.xlsx": 4}


def test_uploads_of_imports_without_the_persons_rows_are_left_as_they_were(
    django_capture_on_commit_callbacks, vireo
) -> None:
    # given: Rosa imported from one file; then an accounts file whose notes
    # quote her address, and a people file of a colleague only
    people = imported(
        django_capture_on_commit_callbacks,
        "people.csv",
        b"Id,AccountId,FirstName,LastName,Email\n"
        b"P1,0015e00000VirAAA,Rosa,Vidal,rosa@vireo.example\n",
    )
    others = [
        stored(
            imported(
                django_capture_on_commit_callbacks,
                "accounts.csv",
                b"Account Name,Notes\nKestrel Mining,Ask rosa@vireo.example first\n",
            ),
            "accounts.csv",
        ),
        stored(
            imported(
                django_capture_on_commit_callbacks,
                "colleagues.csv",
                b"Id,AccountId,FirstName,LastName,Email\n"
                b"P2,0015e00000VirAAA,Tom,Berg,tom@vireo.example\n",
            ),
            "colleagues.csv",
        ),
    ]
    before = [(path.read_bytes(), path.stat().st_mtime_ns) for path in others]

    # when she is erased
    stakeholder_erase(user=None, stakeholder=Stakeholder.objects.get(external_id="P1"))

    # then only the import that wrote her had its upload rewritten; the
    # others are as they were stored, and record no erasure
    assert stored(people, "people.csv").read_bytes() == (
        b"Id,AccountId,FirstName,LastName,Email\n"
        b"P1,0015e00000VirAAA,[erased],[erased],[erased]\n"
    )
    assert [(path.read_bytes(), path.stat().st_mtime_ns) for path in others] == before
    assert list(ImportJob.objects.order_by("pk").values_list("erasures", flat=True))[
        1:
    ] == [[], []]


def test_a_folder_imported_from_the_command_line_is_left_as_it_is(
    tmp_path, vireo
) -> None:
    # given: an import of a folder named on the command line, outside
    # MEDIA_ROOT, holding a person's row
    folder = tmp_path / "export"
    folder.mkdir()
    content = b"FirstName,LastName,Email\nRosa,Vidal,rosa@vireo.example\n"
    (folder / "people.csv").write_bytes(content)
    job = ImportJob.objects.create(source_directory=str(folder))
    rosa = Stakeholder.objects.create(
        account=vireo, first_name="Rosa", last_name="Vidal", email="rosa@vireo.example"
    )

    # when she is erased
    stakeholder_erase(user=None, stakeholder=rosa)

    # then that folder is its owner's: untouched, and the job records nothing
    assert (folder / "people.csv").read_bytes() == content
    job.refresh_from_db()
    assert job.erasures == []


def test_the_api_says_what_an_erasure_replaced(
    django_capture_on_commit_callbacks, vireo
) -> None:
    content = (
        b"Id,AccountId,FirstName,LastName,Email\n"
        b"P1,0015e00000VirAAA,Rosa,Vidal,rosa@vireo.example\n"
    )
    job = imported(django_capture_on_commit_callbacks, "people.csv", content)
    stakeholder_erase(user=None, stakeholder=Stakeholder.objects.get(external_id="P1"))
    client = APIClient()
    client.force_authenticate(UserFactory.create(role="ops"))

    response = client.get(f"/api/accounts/imports/{job.pk}/")

    assert response.status_code == 200
    (said,) = response.json()["erasures"]
    assert said.endswith(
        ": an erased person's values were replaced by [erased] in people.csv "
        "(3 values) and the row report."
    )


def people_sheet(extra: str = "", *, prolog: str = "") -> bytes:
    """Sheet XML of Rosa's and Tom's rows, with `extra` after them."""
    rows = [
        ["Id", "AccountId", "FirstName", "LastName", "Email"],
        ["P1", "0015e00000VirAAA", "Rosa", "Vidal", "rosa@vireo.example"],
        ["P2", "0015e00000VirAAA", "Tom", "Berg", "tom@vireo.example"],
    ]
    xml = "".join(
        f'<row r="{line}">'
        + "".join(
            f'<c r="{"ABCDE"[column]}{line}" t="inlineStr"><is><t>{value}</t></is></c>'
            for column, value in enumerate(cells)
        )
        + "</row>"
        for line, cells in enumerate(rows, start=1)
    )
    return (
        f'<?xml version="1.0"?>{prolog}<worksheet xmlns="{MAIN}"><sheetData>'
        f"{xml}{extra}</sheetData></worksheet>"
    ).encode()


HOSTILE = {
    # Cheap for openpyxl alone at this size; the bound is what refuses it.
    "long comment": (
        people_sheet("<!--" + " " * (300 * 1024) + "-->"),
        "sheet 'Accounts' holds an XML comment of more than 256 KB (from byte ",
    ),
    "document type": (
        people_sheet(
            prolog='<!DOCTYPE worksheet [<!ENTITY who "Rosa Vidal">]>',
            extra='<row r="4"><c r="A4" t="inlineStr"><is><t>&who;</t></is></c></row>',
        ),
        "sheet 'Accounts' declares a document type (<!DOCTYPE ...>), which is "
        "how XML entity attacks start;",
    ),
}


@pytest.mark.parametrize("hostile", HOSTILE, ids=list(HOSTILE))
def test_a_stored_workbook_past_the_upload_bounds_is_refused_unread(
    django_capture_on_commit_callbacks, vireo, hostile: str
) -> None:
    # given: Rosa imported from a workbook, whose stored copy then became
    # one the upload bounds refuse (as one stored before they were)
    job = imported(
        django_capture_on_commit_callbacks, "people.xlsx", workbook(people_sheet())
    )
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    sheet, reason = HOSTILE[hostile]
    upload = stored(job, "people.xlsx")
    upload.write_bytes(workbook(sheet))
    before = upload.read_bytes()

    # when she is erased
    stakeholder_erase(user=None, stakeholder=Stakeholder.objects.get(external_id="P1"))

    # then the workbook is not read, let alone written, and the job says
    # it may still hold her values, and why
    assert upload.read_bytes() == before
    job.refresh_from_db()
    (erasure,) = job.erasures
    assert erasure["files"] == {}
    assert erasure["unread"]["people.xlsx"].startswith(reason)
    said = job.erasures_said[-1]
    assert ": people.xlsx was not read, so an erased person's values may still " in (
        said
    )
    assert reason in said
