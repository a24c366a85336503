"""A whole-file number format: chosen, applied to every amount, saved, reused.

"1,250" is a thousands group or a decimal comma: detected per column, the
column asks. A file given one of the formats named by example reads every
amount in it, refuses a value written otherwise (naming its line, column
and why) and saves the format with the mapping for the next such file.
"""

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.importing import REJECTED, Issue
from accounts.models import Account, ImportJob, MappedImport, SavedMapping
from accounts.parsing import number_format_refusal
from accounts.wizard import (
    Outcome,
    WizardError,
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_files_read,
    mapped_import_mapping_confirm,
    mapped_import_run,
    mapped_import_start,
)
from accounts.wizard_number_formats import mapped_import_number_formats_choose

FIXTURES = Path(__file__).parent / "fixtures" / "number_formats"
AMBIGUOUS = FIXTURES / "ambiguous.csv"
SPACED = FIXTURES / "spaced.csv"
DOTTED = FIXTURES / "dotted.csv"
MAPPING = {
    "Account Name": ["account", "name"],
    "Annual Revenue": ["account", "annual_revenue"],
}

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def stored() -> list[tuple[str, str]]:
    return [
        (name, f"{revenue:.2f}")
        for name, revenue in Account.objects.order_by("name").values_list(
            "name", "annual_revenue"
        )
    ]


def checked(path: Path, number_format: str | None) -> tuple[MappedImport, Outcome]:
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    if number_format is not None:
        mapped_import_number_formats_choose(
            mapped=mapped, formats={path.name: number_format}
        )
    problems = mapped_import_mapping_confirm(
        mapped=mapped, mapping={path.name: MAPPING}, user=None
    )
    assert problems == {}
    return mapped, mapped_import_check(mapped=mapped)


def run(mapped: MappedImport) -> ImportJob:
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    return mapped_import_run(mapped=mapped)


def said(outcome: Outcome, path: Path) -> list[str]:
    return [text for file, column, text in outcome.decisions if file == path.name]


@pytest.mark.parametrize(
    ("path", "number_format", "expected"),
    [
        (
            AMBIGUOUS,
            "1,234.56",
            [
                ("Harbor Freight Co", "1250.00"),
                ("Kestrel Labs", "2500.00"),
                ("Orchid Systems", "7.00"),
            ],
        ),
        (
            AMBIGUOUS,
            "1.234,56",
            [
                ("Harbor Freight Co", "1.25"),
                ("Kestrel Labs", "2.50"),
                ("Orchid Systems", "7.00"),
            ],
        ),
        (
            AMBIGUOUS,
            "1 234,56",
            [
                ("Harbor Freight Co", "1.25"),
                ("Kestrel Labs", "2.50"),
                ("Orchid Systems", "7.00"),
            ],
        ),
        (
            SPACED,
            "1 234,56",
            [
                ("Harbor Freight Co", "1234.50"),
                ("Kestrel Labs", "12000.00"),
                ("Orchid Systems", "0.75"),
            ],
        ),
    ],
    ids=["point-ambiguous", "comma-ambiguous", "space-ambiguous", "space-spaced"],
)
def test_every_amount_is_stored_as_the_chosen_format_reads_it(
    path: Path, number_format: str, expected: list[tuple[str, str]]
) -> None:
    mapped, outcome = checked(path, number_format)
    job = run(mapped)

    assert outcome.can_write, (outcome.problems, outcome.questions)
    assert (
        f"every amount is read as {number_format!r}, the number format chosen "
        "for this file; a value written otherwise is refused"
    ) in said(outcome, path)
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stored() == expected


def test_detected_the_ambiguous_column_still_asks() -> None:
    _, outcome = checked(AMBIGUOUS, None)

    assert [(file, q.column) for file, q in outcome.questions] == [
        ("ambiguous.csv", "Annual Revenue")
    ]


@pytest.mark.parametrize(
    ("path", "number_format", "refused"),
    [
        (DOTTED, "1.234,56", [(3, "1,234.56")]),
        (DOTTED, "1,234.56", [(2, "1.234,56")]),
        (SPACED, "1.234,56", [(2, "1 234,5"), (3, "12 000")]),
        (SPACED, "1,234.56", [(2, "1 234,5"), (3, "12 000"), (4, "0,75")]),
    ],
    ids=["comma-dotted", "point-dotted", "comma-spaced", "point-spaced"],
)
def test_a_value_not_in_the_chosen_format_is_refused_not_guessed(
    path: Path, number_format: str, refused: list[tuple[int, str]]
) -> None:
    _, outcome = checked(path, number_format)

    assert [i for i in outcome.issues if i.action == REJECTED] == [
        Issue(
            path.name,
            line,
            "Annual Revenue",
            value,
            number_format_refusal(number_format),
            REJECTED,
        )
        for line, value in refused
    ]
    assert number_format_refusal("1.234,56") == (
        "not written as '1.234,56', the number format chosen for this file: it "
        "is not guessed; correct the value or choose another format"
    )


def test_an_unknown_format_is_refused_naming_the_choices() -> None:
    mapped = mapped_import_create_from_paths(user=None, paths=[AMBIGUOUS])

    with pytest.raises(WizardError) as refused:
        mapped_import_number_formats_choose(
            mapped=mapped, formats={AMBIGUOUS.name: "1'234.56"}
        )

    assert str(refused.value) == (
        "Unknown number format \"1'234.56\": choose detect, '1,234.56', "
        "'1.234,56', '1 234,56'."
    )


def test_a_column_answered_in_this_import_keeps_its_answer() -> None:
    mapped = mapped_import_create_from_paths(user=None, paths=[AMBIGUOUS])
    mapped_import_number_formats_choose(
        mapped=mapped, formats={AMBIGUOUS.name: "1.234,56"}
    )
    assert (
        mapped_import_mapping_confirm(
            mapped=mapped, mapping={AMBIGUOUS.name: MAPPING}, user=None
        )
        == {}
    )
    mapped.answers = {AMBIGUOUS.name: {"Annual Revenue": "."}}
    mapped.save(update_fields=["answers"])

    job = run(mapped)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stored() == [
        ("Harbor Freight Co", "1250.00"),
        ("Kestrel Labs", "2500.00"),
        ("Orchid Systems", "7.00"),
    ]


@pytest.fixture
def comma_saved() -> None:
    """Import the ambiguous file once as "1.234,56": its mapping is saved."""
    mapped, _ = checked(AMBIGUOUS, "1.234,56")
    assert run(mapped).status == ImportJob.Status.SUCCEEDED
    Account.objects.all().delete()


COMMA_STORED = [
    ("Harbor Freight Co", "1.25"),
    ("Kestrel Labs", "2.50"),
    ("Orchid Systems", "7.00"),
]
REUSED = (
    "every amount is read as '1.234,56', the number format reused from the "
    "mapping saved for these headers; a value written otherwise is refused"
)


def test_the_format_is_saved_with_the_mapping_and_reused_saying_so(
    comma_saved,
) -> None:
    mapped = mapped_import_create_from_paths(user=None, paths=[AMBIGUOUS])
    (preview,) = mapped_import_files_read(mapped=mapped)
    assert (
        mapped_import_mapping_confirm(
            mapped=mapped, mapping={AMBIGUOUS.name: MAPPING}, user=None
        )
        == {}
    )
    outcome = mapped_import_check(mapped=mapped)
    job = run(mapped)

    assert list(SavedMapping.objects.values_list("number_format", flat=True)) == [
        "1.234,56"
    ]
    assert (preview.number_format, preview.number_format_saved) == ("1.234,56", True)
    assert REUSED in said(outcome, AMBIGUOUS)
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stored() == COMMA_STORED


def test_detect_after_a_reuse_asks_again(comma_saved) -> None:
    mapped = mapped_import_create_from_paths(user=None, paths=[AMBIGUOUS])
    mapped_import_number_formats_choose(
        mapped=mapped, formats={AMBIGUOUS.name: "detect"}
    )
    mapped_import_mapping_confirm(
        mapped=mapped, mapping={AMBIGUOUS.name: MAPPING}, user=None
    )

    outcome = mapped_import_check(mapped=mapped)

    assert [q.column for _, q in outcome.questions] == ["Annual Revenue"]


def test_the_command_reads_with_the_format_and_names_a_refusal() -> None:
    out, refused_out = StringIO(), StringIO()
    mapping = '{"spaced.csv": {"Annual Revenue": "account.annual_revenue"}}'

    with pytest.raises(CommandError) as refused:
        call_command(
            "import_files",
            str(SPACED),
            "--number-format",
            "1,234.56",
            "--mapping",
            mapping,
            "--yes",
            stdout=refused_out,
        )
    call_command(
        "import_files",
        str(SPACED),
        "--number-format",
        "spaced.csv:1 234,56",
        "--mapping",
        mapping,
        "--yes",
        stdout=out,
    )

    assert (
        "spaced.csv:4 Annual Revenue '0,75': "
        + number_format_refusal("1,234.56")
        + " (rejected)\n"
    ) in refused_out.getvalue()
    assert " ended rejected: 3 rows rejected (listed above)" in str(refused.value)
    assert (
        "  Every amount is read as '1 234,56', the number format chosen for this "
        "file; a value written otherwise is refused.\n"
    ) in out.getvalue()
    assert stored() == [
        ("Harbor Freight Co", "1234.50"),
        ("Kestrel Labs", "12000.00"),
        ("Orchid Systems", "0.75"),
    ]


def test_the_command_reuses_the_saved_format_saying_so(comma_saved) -> None:
    out = StringIO()

    call_command("import_files", str(AMBIGUOUS), "--yes", stdout=out)

    assert (
        "  Every amount is read as '1.234,56', the number format reused from the "
        "mapping saved for these headers; a value written otherwise is refused.\n"
    ) in out.getvalue()
    assert stored() == COMMA_STORED


def test_the_command_refuses_an_unknown_format() -> None:
    with pytest.raises(CommandError) as refused:
        call_command("import_files", str(SPACED), "--number-format", "european")

    assert str(refused.value).startswith("Unknown number format 'european'")


def api_for(ops) -> APIClient:
    api = APIClient()
    api.force_authenticate(ops)
    return api


def upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")


def test_the_api_upload_takes_the_format_and_a_post_changes_it(ops) -> None:
    api = api_for(ops)

    uploaded = api.post(
        "/api/accounts/imports/",
        {
            "files": [upload(AMBIGUOUS)],
            "number_formats": '{"ambiguous.csv": "1.234,56"}',
        },
        format="multipart",
    )
    job = uploaded.json()["id"]
    changed = api.post(
        f"/api/accounts/imports/{job}/number-format/",
        {"file": "ambiguous.csv", "number_format": "1 234,56"},
        format="json",
    )
    refused = api.post(
        f"/api/accounts/imports/{job}/number-format/",
        {"file": "ambiguous.csv", "number_format": "1,234"},
        format="json",
    )
    detected = api.post(
        f"/api/accounts/imports/{job}/number-format/",
        {"file": "ambiguous.csv", "number_format": None},
        format="json",
    )

    assert uploaded.status_code == 201, uploaded.json()
    assert uploaded.json()["file_previews"][0]["number_format"] == {
        "name": "1.234,56",
        "saved": False,
        "said": "Every amount is read as '1.234,56', the number format chosen "
        "for this file; a value written otherwise is refused.",
    }
    assert changed.status_code == 200, changed.json()
    assert changed.json()["files"][0]["number_format"]["name"] == "1 234,56"
    assert refused.status_code == 400
    assert refused.json()["number_format"] == [
        "Unknown number format '1,234': choose detect, '1,234.56', '1.234,56', "
        "'1 234,56'."
    ]
    assert detected.json()["files"][0]["number_format"] is None


def test_the_api_upload_refuses_an_unknown_format_keeping_nothing(ops) -> None:
    response = api_for(ops).post(
        "/api/accounts/imports/",
        {"files": [upload(AMBIGUOUS)], "number_formats": '{"ambiguous.csv": "x"}'},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["number_formats"] == [
        "Unknown number format 'x': choose detect, '1,234.56', '1.234,56', '1 234,56'."
    ]
    assert not MappedImport.objects.exists()


def test_the_api_upload_reuses_the_saved_format(ops, comma_saved) -> None:
    response = api_for(ops).post(
        "/api/accounts/imports/", {"files": [upload(AMBIGUOUS)]}, format="multipart"
    )

    assert response.json()["file_previews"][0]["number_format"] == {
        "name": "1.234,56",
        "saved": True,
        "said": REUSED_SAID,
    }


REUSED_SAID = (
    "Every amount is read as '1.234,56', the number format reused from the "
    "mapping saved for these headers; a value written otherwise is refused."
)
