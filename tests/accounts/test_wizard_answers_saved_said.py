"""The check says which answers are saved with the mapping, currencies too.

A currency answer is reused for the next file with the same headers, as
stage, date-order and decimal answers are: the question's card says so
before it is answered, and the next check shows the answer, to change.
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import CurrencyRate
from accounts.wizard import mapped_import_answer
from tests.accounts.wizard_steps import opened

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

HINT = (
    "Answers about deal stages, currencies, date order and decimal separators "
    "are saved with the mapping: the next file with these headers takes them "
    "without asking and shows them under “Answers saved with the mapping”, "
    "where you can change or clear them."
)


@pytest.fixture
def revenue(tmp_path: Path) -> Path:
    CurrencyRate.objects.create(
        currency="EUR",
        reporting_currency="USD",
        rate=Decimal("1.08"),
        rate_date=date(2026, 3, 31),
    )
    path = tmp_path / "revenue.csv"
    path.write_text(
        "Account Name,Annual Revenue\nEuro Co,€1200.50\nBare Co,300\n",
        encoding="utf-8",
    )
    return path


def test_a_currency_question_says_its_answer_is_saved(client, ops, revenue) -> None:
    mapped = opened(revenue)
    client.force_login(ops)

    page = client.get(reverse("accounts:wizard_check", args=[mapped.job_id]))

    body = page.content.decode()
    assert "which currency are the amounts without one in?" in body
    assert HINT in body
    assert "Answers about deal stages are saved" not in body


def test_the_next_upload_shows_the_saved_currency_to_change(
    client, ops, revenue
) -> None:
    # given: EUR answered for the first upload
    first = opened(revenue)
    mapped_import_answer(
        mapped=first,
        file="revenue.csv",
        column="Annual Revenue|currency",
        option="EUR",
    )
    client.force_login(ops)

    # when: the same headers come again
    later = opened(revenue)
    page = client.get(reverse("accounts:wizard_check", args=[later.job_id]))
    check = client.get(f"/api/accounts/imports/{later.job_id}/check/").json()

    # then: not asked, but shown with the answer pressed and the others offered
    body = page.content.decode()
    assert "which currency are the amounts without one in?" not in body
    assert "<h2>Answers saved with the mapping</h2>" in body
    assert "read in EUR, the answer saved with the mapping" in body
    assert (
        '<button type="submit" name="option" value="EUR" class="primary" '
        'aria-pressed="true">EUR</button>'
    ) in body
    assert 'name="option" value="USD">USD</button>' in body
    assert check["questions"] == []
    assert [(a["column"], a["answer"]) for a in check["saved_answers"]] == [
        ("Annual Revenue|currency", "EUR")
    ]
