"""A decimal separator answer is saved with the mapping, as date orders are."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Account, ImportJob, SavedMapping
from accounts.wizard import mapped_import_answer, mapped_import_check
from tests.accounts.wizard_runs import imported
from tests.accounts.wizard_steps import opened

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

FILE = "revenue.csv"
HEADERS = "Account Name,Annual Revenue\n"
ASKED = (
    "In 'Annual Revenue', '1,230' (line 2) could be a thousands separator or a "
    "decimal separator; which does this column use as the decimal separator?"
)
SAVED_COMMA = (
    "In 'Annual Revenue', '2,500' (line 2) could be a thousands separator or a "
    "decimal separator: read with a decimal comma, the answer saved with the "
    "mapping for these headers. Answer again to change it (a decimal point or "
    "a decimal comma), or clear it to be asked"
)


def written(folder: Path, rows: str) -> Path:
    path = folder / FILE
    path.write_text(HEADERS + rows, encoding="utf-8")
    return path


def revenues() -> list[tuple[str, Decimal | None]]:
    return list(Account.objects.order_by("name").values_list("name", "annual_revenue"))


def answered_once(folder: Path, option: str) -> None:
    mapped = opened(written(folder, 'Acme,"1,230"\nBeta,"2,500"\n'))
    [(_, question)] = mapped_import_check(mapped=mapped).questions
    assert question.message == ASKED
    mapped_import_answer(
        mapped=mapped, file=FILE, column="Annual Revenue", option=option
    )


def test_a_decimal_answer_is_saved_with_the_mapping_and_reused(tmp_path) -> None:
    # given: the first file answered with a decimal comma
    answered_once(tmp_path, ",")
    later = written(tmp_path, 'Acme,"2,500"\nBeta,"7,250"\n')

    # when: next month's file comes with the same headers
    outcome = mapped_import_check(mapped=opened(later))
    job = imported(later)

    # then
    assert SavedMapping.objects.get().decimal_answers == {"annualrevenue": ","}
    assert outcome.questions == []
    assert outcome.saved_answers == [
        {
            "file": FILE,
            "column": "Annual Revenue",
            "value": "2,500",
            "answer": ",",
            "message": SAVED_COMMA,
            "options": [".", ","],
        }
    ]
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert revenues() == [("Acme", Decimal("2.50")), ("Beta", Decimal("7.25"))]


def test_a_value_that_proves_the_separator_wins_over_the_saved_one(
    tmp_path,
) -> None:
    # given
    answered_once(tmp_path, ",")
    later = written(tmp_path, 'Acme,"2,500"\nBeta,"1,234.50"\n')

    # when
    outcome = mapped_import_check(mapped=opened(later))
    job = imported(later)

    # then
    assert outcome.saved_answers == []
    assert (FILE, "Annual Revenue", "decimal point") in outcome.decisions
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert revenues() == [("Acme", Decimal("2500.00")), ("Beta", Decimal("1234.50"))]


def test_a_saved_decimal_answer_can_be_changed_and_cleared(tmp_path) -> None:
    # given
    answered_once(tmp_path, ",")
    mapped = opened(written(tmp_path, 'Acme,"2,500"\n'))

    # when: changed to a point, then cleared
    mapped_import_answer(mapped=mapped, file=FILE, column="Annual Revenue", option=".")
    changed = SavedMapping.objects.get().decimal_answers
    mapped_import_answer(
        mapped=mapped, file=FILE, column="Annual Revenue", option="clear"
    )
    cleared = SavedMapping.objects.get()
    outcome = mapped_import_check(mapped=opened(written(tmp_path, 'Acme,"2,500"\n')))

    # then
    assert changed == {"annualrevenue": "."}
    assert (cleared.decimal_answers, cleared.date_orders) == ({}, {})
    assert [(q.column, q.options) for _, q in outcome.questions] == [
        ("Annual Revenue", [".", ","])
    ]
    assert outcome.saved_answers == []


def test_the_command_answers_once_and_the_next_run_says_the_saved_answer(
    tmp_path,
) -> None:
    # given
    call_command(
        "import_files",
        str(written(tmp_path, 'Acme,"1,230"\nBeta,"2,500"\n')),
        f"--answer={FILE}:Annual Revenue=,",
        "--yes",
        stdout=StringIO(),
    )
    Account.objects.all().delete()
    out = StringIO()

    # when: checked only
    call_command(
        "import_files",
        str(written(tmp_path, 'Acme,"2,500"\nBeta,"7,250"\n')),
        stdout=out,
    )

    # then
    assert (
        f"SAVED ANSWER {FILE}: {SAVED_COMMA}. Change with --answer "
        f"'{FILE}:Annual Revenue=<.|,|clear>'\n"
    ) in out.getvalue()
    assert "QUESTION" not in out.getvalue()
    assert revenues() == []


def test_the_check_page_shows_and_changes_a_saved_decimal_answer(
    client, ops, tmp_path
) -> None:
    # given
    answered_once(tmp_path, ",")
    mapped = opened(written(tmp_path, 'Acme,"2,500"\n'))
    client.force_login(ops)
    url = reverse("accounts:wizard_check", args=[mapped.job_id])

    # when
    page = client.get(url).content.decode()
    changed = client.post(
        url, {"file": FILE, "column": "Annual Revenue", "option": "."}
    )

    # then
    assert (
        "In &#x27;Annual Revenue&#x27;, &#x27;2,500&#x27; (line 2) could be a "
        "thousands separator or a decimal separator: read with a decimal comma"
    ) in page
    assert (
        '<button type="submit" name="option" value="," class="primary" '
        'aria-pressed="true">Decimal comma</button>'
    ) in page
    assert '<button type="submit" name="option" value=".">Decimal point</button>' in (
        page
    )
    assert changed.status_code == 302
    assert SavedMapping.objects.get().decimal_answers == {"annualrevenue": "."}
