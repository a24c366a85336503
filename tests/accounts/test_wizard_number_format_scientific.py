"""Scientific notation under a whole-file number format.

"1.23E+05" writes its decimal mark as "1,234.56" does, "1,23E+05" as
"1.234,56" and "1 234,56" do: a value whose mark is the chosen format's is
read exactly, one whose mark contradicts it is refused naming its line,
column and reason. An ID a spreadsheet turned into scientific notation is
refused as before, whatever the format.
"""

from pathlib import Path

import pytest

from accounts.importing import REJECTED, REPAIRED, Issue
from accounts.models import Account, ImportJob, MappedImport
from accounts.parsing import ID_SCIENTIFIC, scientific_refusal
from accounts.wizard import (
    Outcome,
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_confirm,
    mapped_import_run,
    mapped_import_start,
)
from accounts.wizard_number_formats import mapped_import_number_formats_choose

FIXTURES = Path(__file__).parent / "fixtures" / "number_formats"
POINT = FIXTURES / "scientific_point.csv"
COMMA = FIXTURES / "scientific_comma.csv"
SPACE = FIXTURES / "scientific_space.csv"
POINT_IN_COMMA = FIXTURES / "scientific_point_in_comma.csv"
POINT_IN_SPACE = FIXTURES / "scientific_point_in_space.csv"
COMMA_IN_POINT = FIXTURES / "scientific_comma_in_point.csv"
MANGLED_ID = FIXTURES / "scientific_id.csv"
MAPPING = {
    "Account Name": ["account", "name"],
    "Annual Revenue": ["account", "annual_revenue"],
}

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def checked(
    path: Path, number_format: str, mapping: dict[str, list[str]] = MAPPING
) -> tuple[MappedImport, Outcome]:
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    mapped_import_number_formats_choose(
        mapped=mapped, formats={path.name: number_format}
    )
    problems = mapped_import_mapping_confirm(
        mapped=mapped, mapping={path.name: mapping}, user=None
    )
    assert problems == {}
    return mapped, mapped_import_check(mapped=mapped)


def stored() -> list[tuple[str, str]]:
    return [
        (name, f"{revenue:.2f}")
        for name, revenue in Account.objects.order_by("name").values_list(
            "name", "annual_revenue"
        )
    ]


def rejected(outcome: Outcome) -> list[Issue]:
    return [issue for issue in outcome.issues if issue.action == REJECTED]


@pytest.mark.parametrize(
    ("path", "number_format", "value"),
    [
        (POINT, "1,234.56", "1.23E+05"),
        (COMMA, "1.234,56", "1,23E+05"),
        (SPACE, "1 234,56", "1,23E+05"),
    ],
    ids=["point", "comma", "space"],
)
def test_a_value_written_in_the_chosen_format_is_read_exactly(
    path: Path, number_format: str, value: str
) -> None:
    # given
    mapped, outcome = checked(path, number_format)

    # when
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)

    # then
    assert outcome.can_write, (outcome.problems, outcome.questions)
    assert outcome.issues == [
        Issue(
            path.name,
            2,
            "Annual Revenue",
            value,
            "scientific notation read as 123000",
            REPAIRED,
        )
    ]
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stored() == [("Harbor Freight Co", "123000.00"), ("Kestrel Labs", "1250.50")]


@pytest.mark.parametrize(
    ("path", "number_format", "value", "reason"),
    [
        (
            POINT_IN_COMMA,
            "1.234,56",
            "1.23E+05",
            "scientific notation with a decimal point, where '1.234,56', the "
            "number format chosen for this file, has a decimal comma: it is not "
            "guessed; correct the value or choose another format",
        ),
        (
            POINT_IN_SPACE,
            "1 234,56",
            "1.23E+05",
            "scientific notation with a decimal point, where '1 234,56', the "
            "number format chosen for this file, has a decimal comma: it is not "
            "guessed; correct the value or choose another format",
        ),
        (
            COMMA_IN_POINT,
            "1,234.56",
            "1,23E+05",
            "scientific notation with a decimal comma, where '1,234.56', the "
            "number format chosen for this file, has a decimal point: it is not "
            "guessed; correct the value or choose another format",
        ),
    ],
    ids=["point-in-comma", "point-in-space", "comma-in-point"],
)
def test_a_value_contradicting_the_chosen_format_is_refused(
    path: Path, number_format: str, value: str, reason: str
) -> None:
    _, outcome = checked(path, number_format)

    refusals = rejected(outcome)

    assert scientific_refusal(number_format) == reason
    assert refusals == [Issue(path.name, 2, "Annual Revenue", value, reason, REJECTED)]
    assert outcome.counts["Accounts"]["rejected"] == 1


def test_a_mangled_id_is_still_refused_under_a_chosen_format() -> None:
    # given
    mapping = {**MAPPING, "Account ID": ["account", "external_id"]}

    # when
    _, outcome = checked(MANGLED_ID, "1.234,56", mapping)

    # then
    assert rejected(outcome) == [
        Issue(MANGLED_ID.name, 2, "Account ID", "1,23457E+11", ID_SCIENTIFIC, REJECTED)
    ]
    assert ID_SCIENTIFIC == (
        "an ID in scientific notation: a spreadsheet has rounded it and its "
        "digits are lost; export the column as text"
    )
