from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import AccountAlias, Opportunity
from tests.accounts.factories import AccountFactory
from tests.browser.wizard_steps import (
    company_match_proposed_and_taken,
    wizard_checked,
)
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

WIZARD = Path(__file__).parents[1] / "accounts" / "fixtures" / "wizard"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_ops_accept_a_proposed_company_match_for_deals_on_the_check_page(
    page, live_server, ops
) -> None:
    # given: a deals export whose account is spelt "BETATECH Inc."
    for name in ("Harbor Bank of the North", "Nordic Steel AB", "NORDIC STEEL Ltd"):
        AccountFactory.create(name=name, external_id="")
    betatech = AccountFactory.create(name="Betatech", external_id="")
    browser_login(page, live_server, ops.username)
    wizard_checked(page, live_server, WIZARD / "deals_company_names.csv")

    # when: the proposed match, its rows refused until it is ticked, is
    # ticked and the good rows are imported
    counts = company_match_proposed_and_taken(
        page,
        proposal=(
            "BETATECH Inc. is Betatech\n2 rows of opportunities\nsame name once case, "
            "spacing, punctuation and legal form are ignored ('betatech')"
        ),
        refused=(
            'Company "BETATECH Inc." matches no account exactly; accept the proposed '
            'match to "Betatech" or fix the name'
        ),
        shots="deals",
    )

    # then
    assert "Opportunities\t3\t0\t0\t2" in counts
    assert list(
        Opportunity.objects.order_by("external_id").values_list(
            "external_id", "account__name", "close_value"
        )
    ) == [
        ("006B1", "Betatech", Decimal("100.00")),
        ("006B2", "Betatech", Decimal("250.00")),
        ("006B3", "Betatech", Decimal("400.00")),
    ]
    assert list(AccountAlias.objects.values_list("name", "account_id")) == [
        ("BETATECH Inc.", betatech.pk)
    ]
