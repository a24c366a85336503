"""The check says why it creates the "Unspecified" product, before writing.

The row report said it only after the import ("the file has no product
column, so the deal is filed under ..."); the check counted the product
as created with no reason.
"""

from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import ImportJob, MappedImport, User
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
)
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db

NO_PRODUCT_COLUMN = (
    "Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Close Date\n"
    "BRK-NEW-1,Breaker new deal,Initech,Prospecting,1000,\n"
)
SOME_WITHOUT_PRODUCT = (
    "Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Product\n"
    "BRK-NEW-1,Breaker new deal,Initech,Prospecting,1000,\n"
    "BRK-NEW-2,Breaker other deal,Initech,Prospecting,2000,GTX Pro\n"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def mapped(tmp_path: Path, text: str, *, user: User) -> MappedImport:
    path = tmp_path / "deals.csv"
    path.write_text(text, encoding="utf-8")
    made = mapped_import_create_from_paths(user=user, paths=[path])
    assert mapped_import_mapping_accept(mapped=made, user=user) == {}
    return made


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            NO_PRODUCT_COLUMN,
            "the file has no product column, so its deals are filed under "
            '"Unspecified", a product this import creates',
        ),
        (
            SOME_WITHOUT_PRODUCT,
            "the deals of rows that name no product are filed under "
            '"Unspecified", a product this import creates',
        ),
    ],
)
def test_the_check_says_why_it_creates_the_unspecified_product(
    client, tmp_path, ops, text: str, said: str
) -> None:
    # given
    AccountFactory.create(name="Initech")
    made = mapped(tmp_path, text, user=ops)
    client.force_login(ops)

    # when
    outcome = mapped_import_check(mapped=made)
    page = client.get(reverse("accounts:wizard_check", args=[made.job_id]))

    # then: the product is counted as created, with the reason beside it
    assert outcome.counts["Products"]["created"] >= 1
    assert ("deals.csv", "", said) in outcome.decisions
    assert f"<li><strong>deals.csv</strong>: {said}</li>" in (
        page.content.decode().replace("&quot;", '"')
    )


def test_the_check_says_nothing_once_the_product_is_there(tmp_path, ops) -> None:
    # given: an earlier import created "Unspecified"
    AccountFactory.create(name="Initech")
    first = mapped(tmp_path, NO_PRODUCT_COLUMN, user=ops)
    mapped_import_start(mapped=first, merges={}, keep_good_rows=False, enqueue=False)
    assert mapped_import_run(mapped=first).status == ImportJob.Status.SUCCEEDED

    # when: a file of new deals without products comes again
    again = mapped(
        tmp_path, NO_PRODUCT_COLUMN.replace("BRK-NEW-1", "BRK-NEW-9"), user=ops
    )
    outcome = mapped_import_check(mapped=again)

    # then: nothing is created for it, so nothing needs saying
    assert "Products" not in outcome.counts
    assert not [said for _, _, said in outcome.decisions if "Unspecified" in said]
