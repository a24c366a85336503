"""The delimiter of a CSV upload: detected, or chosen where detection refuses.

A file whose header names a column "Industry;Segment" and whose every row
holds a value such as "Retail;Wholesale" splits alike at commas and at
both delimiters: detection refuses it as mixing them, and the user says
which one separates the columns, on the page, the command line or the API.
"""

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.importing import ImportFileError
from accounts.models import Account, ImportJob, MappedImport, SavedMapping
from accounts.wizard import (
    WizardError,
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_files_read,
    mapped_import_mapping_confirm,
    mapped_import_run,
    mapped_import_start,
)
from accounts.wizard_delimiters import mapped_import_delimiters_choose

FIXTURES = Path(__file__).parent / "fixtures" / "delimiters"
SEGMENT = FIXTURES / "segment_in_header.csv"
QUOTED = FIXTURES / "segment_in_header_quoted.csv"
NOTES = FIXTURES / "segment_with_notes.csv"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

HOW = (
    "Choose the delimiter that separates the columns, comma or semicolon "
    '(Delimiter on the upload page, --delimiter on the command line, "delimiters" '
    "in the API), and the other is read as text; or save the file with one "
    "delimiter throughout and upload it again"
)
MIXED = (
    "segment_in_header.csv: the file mixes commas and semicolons as delimiters: "
    "line 1, the header row, is split at commas but its column "
    "'Industry;Segment' holds a semicolon, and the rows below split the same "
    "way (line 2: 'Harbor Freight Co,Retail;Wholesale,1200'), so Lode cannot "
    f"tell which values belong to which column. {HOW}"
)
READ_CHOSEN = "Read as UTF-8 text, comma-separated (delimiter chosen by you)."
NO_TAB = (
    "segment_in_header.csv: line 1, the header row, holds no tab, so the tab "
    "chosen as the delimiter does not split it into columns; choose another "
    "delimiter, or let Lode detect it"
)
NOTES_SEMICOLON = (
    "segment_with_notes.csv: line 3 splits into 3 values at semicolons but the "
    "header row, line 1, into 2 columns, so the semicolon chosen as the "
    "delimiter does not split the file consistently; choose another "
    "delimiter, or let Lode detect it"
)
MAPPING = {
    "Account Name": ["account", "name"],
    "Industry;Segment": ["account", "sector"],
    "Annual Revenue": ["account", "annual_revenue"],
}
STORED = [
    ("Harbor Freight Co", "Retail;Wholesale", "1200.00"),
    ("Kestrel Labs", "Biotech;Research", "800.00"),
]


def stored() -> list[tuple[str, str, str]]:
    return [
        (name, sector, f"{revenue:.2f}")
        for name, sector, revenue in Account.objects.order_by("name").values_list(
            "name", "sector", "annual_revenue"
        )
    ]


def api_for(ops) -> APIClient:
    api = APIClient()
    api.force_authenticate(ops)
    return api


def upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")


def imported(mapped: MappedImport, name: str) -> ImportJob:
    problems = mapped_import_mapping_confirm(
        mapped=mapped, mapping={name: MAPPING}, user=None
    )
    assert problems == {}
    outcome = mapped_import_check(mapped=mapped)
    assert outcome.can_write, (outcome.problems, outcome.questions)
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    return mapped_import_run(mapped=mapped)


def test_detection_refuses_the_file_and_says_how_to_choose() -> None:
    mapped = mapped_import_create_from_paths(user=None, paths=[SEGMENT])

    with pytest.raises(ImportFileError) as refused:
        mapped_import_files_read(mapped=mapped)

    assert str(refused.value) == MIXED


@pytest.mark.parametrize("path", [SEGMENT, QUOTED], ids=["plain", "quoted"])
def test_a_chosen_comma_reads_the_semicolons_as_text_and_stores_them(
    path: Path,
) -> None:
    # given
    mapped = mapped_import_create_from_paths(user=None, paths=[path])

    # when
    mapped_import_delimiters_choose(mapped=mapped, delimiters={path.name: "comma"})
    (preview,) = mapped_import_files_read(mapped=mapped)
    job = imported(mapped, path.name)

    # then
    assert preview.table.describe() == READ_CHOSEN
    assert preview.table.columns == [
        "Account Name",
        "Industry;Segment",
        "Annual Revenue",
    ]
    assert preview.head == [
        ["Harbor Freight Co", "Retail;Wholesale", "1200"],
        ["Kestrel Labs", "Biotech;Research", "800"],
    ]
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stored() == STORED


def test_detecting_again_refuses_the_file_again() -> None:
    mapped = mapped_import_create_from_paths(user=None, paths=[SEGMENT])
    mapped_import_delimiters_choose(mapped=mapped, delimiters={SEGMENT.name: ","})

    mapped_import_delimiters_choose(mapped=mapped, delimiters={SEGMENT.name: None})

    assert "delimiter" not in mapped.files[0]
    with pytest.raises(ImportFileError) as refused:
        mapped_import_files_read(mapped=mapped)
    assert str(refused.value) == MIXED


def test_a_delimiter_the_header_does_not_hold_is_refused() -> None:
    mapped = mapped_import_create_from_paths(user=None, paths=[SEGMENT])

    with pytest.raises(WizardError) as refused:
        mapped_import_delimiters_choose(mapped=mapped, delimiters={SEGMENT.name: "tab"})

    assert str(refused.value) == NO_TAB
    assert "delimiter" not in MappedImport.objects.get(pk=mapped.pk).files[0]


def test_a_delimiter_that_splits_a_row_past_the_header_is_refused_naming_it() -> None:
    # Detection reads this file: its notes' semicolon splits line 3 apart.
    mapped = mapped_import_create_from_paths(user=None, paths=[NOTES])
    (detected,) = mapped_import_files_read(mapped=mapped)

    with pytest.raises(WizardError) as refused:
        mapped_import_delimiters_choose(
            mapped=mapped, delimiters={NOTES.name: "semicolon"}
        )

    assert detected.table.describe() == "Read as UTF-8 text, comma-separated."
    assert str(refused.value) == NOTES_SEMICOLON


def test_a_delimiter_lode_does_not_read_is_refused() -> None:
    mapped = mapped_import_create_from_paths(user=None, paths=[SEGMENT])

    with pytest.raises(WizardError) as refused:
        mapped_import_delimiters_choose(mapped=mapped, delimiters={SEGMENT.name: "|"})

    assert str(refused.value) == (
        "segment_in_header.csv: '|' is no delimiter Lode reads; choose comma, "
        "semicolon or tab"
    )


def test_the_api_refuses_the_upload_saying_how_and_takes_the_choice(ops) -> None:
    # given
    api = api_for(ops)

    # when
    refused = api.post(
        "/api/accounts/imports/", {"files": [upload(SEGMENT)]}, format="multipart"
    )
    chosen = api.post(
        "/api/accounts/imports/",
        {"files": [upload(SEGMENT)], "delimiters": '{"segment_in_header.csv": ","}'},
        format="multipart",
    )

    # then
    assert refused.status_code == 400
    assert refused.json() == {"files": [MIXED]}
    assert chosen.status_code == 201, chosen.content
    (file,) = chosen.json()["file_previews"]
    assert file["read_as"] == READ_CHOSEN
    assert file["delimiter"] == {"name": "comma", "chosen": True}
    assert file["columns"] == ["Account Name", "Industry;Segment", "Annual Revenue"]
    assert ImportJob.objects.count() == 1


def test_the_api_changes_the_delimiter_after_the_upload(ops) -> None:
    # given
    api = api_for(ops)
    uploaded = api.post(
        "/api/accounts/imports/", {"files": [upload(NOTES)]}, format="multipart"
    )
    url = f"/api/accounts/imports/{uploaded.json()['id']}/delimiter/"

    # when
    refused = api.post(
        url, {"file": NOTES.name, "delimiter": "semicolon"}, format="json"
    )
    chosen = api.post(url, {"file": NOTES.name, "delimiter": "comma"}, format="json")
    detected = api.post(url, {"file": NOTES.name, "delimiter": None}, format="json")

    # then
    assert uploaded.status_code == 201, uploaded.content
    assert uploaded.json()["file_previews"][0]["delimiter"] == {
        "name": "comma",
        "chosen": False,
    }
    assert refused.status_code == 400
    assert refused.json() == {"delimiter": [NOTES_SEMICOLON]}
    assert chosen.status_code == 200, chosen.content
    assert chosen.json()["files"][0]["delimiter"] == {"name": "comma", "chosen": True}
    assert detected.json()["files"][0]["delimiter"] == {
        "name": "comma",
        "chosen": False,
    }


def test_the_command_refuses_saying_how_and_imports_with_the_choice() -> None:
    out = StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("import_files", str(SEGMENT))
    call_command(
        "import_files",
        str(SEGMENT),
        "--delimiter",
        "segment_in_header.csv:comma",
        "--mapping",
        '{"segment_in_header.csv": {"Industry;Segment": "account.sector"}}',
        "--yes",
        stdout=out,
    )

    assert str(refused.value) == MIXED
    assert f"segment_in_header.csv: {READ_CHOSEN} 2 rows" in out.getvalue()
    assert "  Industry;Segment -> account.sector\n" in out.getvalue()
    assert stored() == STORED


def test_the_command_names_a_refused_delimiter() -> None:
    with pytest.raises(CommandError) as refused:
        call_command("import_files", str(SEGMENT), "--delimiter", "tab")

    assert str(refused.value) == NO_TAB


def test_the_upload_page_refuses_saying_how_and_takes_the_choice(client, ops) -> None:
    # given
    client.force_login(ops)
    url = reverse("accounts:wizard")

    # when
    refused = client.post(url, {"files": [upload(SEGMENT)]})
    chosen = client.post(url, {"files": [upload(SEGMENT)], "delimiter": "comma"})

    # then
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "segment_in_header.csv: the file mixes commas and semicolons" in page
    assert "(Delimiter on the upload page, --delimiter on the command line" in page
    assert '<select name="delimiter" id="wizard-delimiter"' in page
    assert chosen.status_code == 302
    mapped = MappedImport.objects.get()
    assert mapped.files[0]["delimiter"] == ","
    mapping = client.get(chosen["Location"]).content.decode()
    assert READ_CHOSEN in mapping
    assert '<option value="comma" selected>Comma (,)</option>' in mapping
    assert 'aria-label="Field for Industry;Segment"' in mapping


def test_the_upload_page_names_a_refused_choice_and_keeps_nothing(client, ops) -> None:
    client.force_login(ops)

    page = client.post(
        reverse("accounts:wizard"), {"files": [upload(SEGMENT)], "delimiter": "tab"}
    )

    assert page.status_code == 200
    assert NO_TAB in page.content.decode()
    assert '<option value="tab" selected>Tab</option>' in page.content.decode()
    assert not ImportJob.objects.exists()


def test_the_mapping_page_changes_the_delimiter_and_names_a_refusal(
    client, ops
) -> None:
    # given
    client.force_login(ops)
    uploaded = client.post(reverse("accounts:wizard"), {"files": [upload(NOTES)]})
    mapped = MappedImport.objects.get()
    url = reverse("accounts:wizard_delimiter", args=[mapped.job_id])

    # when
    refused = client.post(
        url, {"file": NOTES.name, "delimiter": "semicolon"}, follow=True
    )
    chosen = client.post(url, {"file": NOTES.name, "delimiter": "comma"}, follow=True)

    # then
    assert uploaded.status_code == 302
    assert NOTES_SEMICOLON in refused.content.decode()
    page = chosen.content.decode()
    assert "Read as UTF-8 text, comma-separated (delimiter chosen by you)." in page
    assert "Detect it again</button>" in page


READ_REUSED = (
    "Read as UTF-8 text, comma-separated (delimiter reused from the mapping "
    "saved for these headers)."
)


@pytest.fixture
def comma_saved() -> None:
    """Import the mixed file once with a chosen comma: its mapping is saved."""
    mapped = mapped_import_create_from_paths(user=None, paths=[SEGMENT])
    mapped_import_delimiters_choose(mapped=mapped, delimiters={SEGMENT.name: "comma"})
    job = imported(mapped, SEGMENT.name)
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    Account.objects.all().delete()


def test_the_chosen_delimiter_is_saved_with_the_mapping(comma_saved) -> None:
    assert list(SavedMapping.objects.values_list("headers", "delimiter")) == [
        (["Account Name", "Industry;Segment", "Annual Revenue"], ",")
    ]


def test_the_next_file_with_those_headers_is_read_with_it_and_says_so(
    comma_saved,
) -> None:
    # given
    mapped = mapped_import_create_from_paths(user=None, paths=[SEGMENT])

    # when: nothing chosen
    (preview,) = mapped_import_files_read(mapped=mapped)

    # then: not refused as mixed; the saved mapping and delimiter reused
    assert preview.table.describe() == READ_REUSED
    assert preview.source == "saved"
    assert preview.mapping == {
        column: tuple(target) for column, target in MAPPING.items()
    }
    mapped.refresh_from_db()
    assert mapped.files[0]["delimiter"] == ","


def test_detecting_again_after_a_reuse_refuses_the_file_again(comma_saved) -> None:
    # given
    mapped = mapped_import_create_from_paths(user=None, paths=[SEGMENT])
    mapped_import_files_read(mapped=mapped)

    # when
    mapped_import_delimiters_choose(mapped=mapped, delimiters={SEGMENT.name: None})

    # then
    with pytest.raises(ImportFileError) as refused:
        mapped_import_files_read(mapped=mapped)
    assert str(refused.value) == MIXED


def test_the_command_reuses_the_saved_delimiter(comma_saved) -> None:
    out = StringIO()

    call_command("import_files", str(SEGMENT), "--yes", stdout=out)

    assert f"segment_in_header.csv: {READ_REUSED} 2 rows" in out.getvalue()
    assert stored() == STORED


def test_the_api_upload_reuses_the_saved_delimiter(ops, comma_saved) -> None:
    response = api_for(ops).post(
        "/api/accounts/imports/", {"files": [upload(SEGMENT)]}, format="multipart"
    )

    assert response.status_code == 201, response.content
    (file,) = response.json()["file_previews"]
    assert file["read_as"] == READ_REUSED
    assert file["delimiter"] == {"name": "comma", "chosen": True}


def test_the_upload_page_reuses_the_saved_delimiter(client, ops, comma_saved) -> None:
    # given
    client.force_login(ops)

    # when
    uploaded = client.post(reverse("accounts:wizard"), {"files": [upload(SEGMENT)]})

    # then
    assert uploaded.status_code == 302
    mapping = client.get(uploaded["Location"]).content.decode()
    assert READ_REUSED in mapping
    assert "Saved mapping reused" in mapping
