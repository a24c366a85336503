"""A deals file that names no product leaves an existing deal's product alone."""

import pytest

from accounts.models import Opportunity
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_runs import imported

pytestmark = pytest.mark.django_db


def test_an_update_without_a_product_column_keeps_the_product(tmp_path) -> None:
    # given: a deal imported with its product
    AccountFactory.create(name="Alpha Co")
    first = tmp_path / "deals.csv"
    first.write_text(
        "Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Close Date,"
        "Product Name\n"
        "006A1,Renewal,Alpha Co,Closed Won,100,2026-01-05,GTX Pro\n",
        encoding="utf-8",
    )
    imported(first)

    # when: a later export without the product column raises the amount
    later = tmp_path / "later.csv"
    later.write_text(
        "Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Close Date\n"
        "006A1,Renewal,Alpha Co,Closed Won,120,2026-01-05\n"
        "006A2,Upsell,Alpha Co,Closed Won,30,2026-01-07\n",
        encoding="utf-8",
    )
    imported(later)

    # then: the known deal keeps GTX Pro, the new one has no product to go by
    assert list(
        Opportunity.objects.order_by("external_id").values_list(
            "external_id", "product__name", "close_value"
        )
    ) == [("006A1", "GTX Pro", 120), ("006A2", "Unspecified", 30)]
