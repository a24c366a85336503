"""The check page asks what invoices without a rate do to counted won deals."""

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.currency import account_revenue_rollup
from accounts.models import Account, ImportJob, InvoicesWithoutRate
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
)
from tests.accounts.factories import ProductFactory
from tests.accounts.invoice_files import RATELESS_ROWS, erp_file, won_deals
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def acme_won(account: Account) -> Account:
    """Acme's won deals: 17,878.00 USD in Q3 2017, 6,700.50 USD in Q4."""
    won_deals(
        account,
        ProductFactory.create(name="GTX Pro"),
        (date(2017, 7, 3), "5000.00"),
        (date(2017, 8, 20), "2878.00"),
        (date(2017, 9, 29), "10000.00"),
        (date(2017, 10, 2), "6000.00"),
        (date(2017, 12, 1), "700.50"),
    )
    return account


@pytest.mark.parametrize("width", [1366, 820])
def test_the_user_lets_invoices_without_a_rate_replace_the_won_deals(
    page, live_server, ops, acme_won: Account, tmp_path: Path, width: int
) -> None:
    # given: Acme counts 6,700.50 USD of won deals in Q4 2017, and the ERP
    # file invoices that quarter in EUR and CHF, for which no rate is stored
    shots = Path(os.environ.get("LODE_SCREENSHOTS") or tmp_path)
    mapped = mapped_import_create_from_paths(
        user=ops, paths=[erp_file(tmp_path, *RATELESS_ROWS)]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)

    # when
    page.goto(f"{live_server.url}/accounts/import/wizard/{mapped.job_id}/check/")

    # then: the page names the quarter, its deals and invoices, and the
    # deals are kept unless the user chooses otherwise
    choice = page.locator("[data-testid=invoices-without-rate]")
    assert choice.locator("h2").inner_text() == "Invoices without a rate: 1 quarter"
    assert choice.locator("table.waiting tbody tr").all_inner_texts() == [
        "Acme Corporation\tQ4 2017\t2\t6,700.50 USD\t2\t20.00 CHF, 10.00 EUR"
    ]
    keep = page.get_by_label("Keep counting the won deals until a rate is stored")
    replace = page.get_by_label("Let the invoices replace the won deals now")
    assert keep.is_checked()
    assert not replace.is_checked()
    # Nothing on the page is wider than the window.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    choice.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"invoices-without-rate-{width}.png"))

    # when: the user lets the invoices replace the deals, and imports
    replace.check()
    page.click("#start-import")
    page.wait_for_url(f"{live_server.url}/accounts/import/wizard/{mapped.job_id}/")
    page.wait_for_selector("#report-counts")

    # then: the job records the choice and its page says so
    assert page.inner_text("#invoices-without-rate") == (
        "invoices without a rate replace the won deals at once"
    )
    page.screenshot(path=str(shots / f"invoices-without-rate-report-{width}.png"))
    job = ImportJob.objects.get(pk=mapped.job_id)
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.invoices_without_rate == InvoicesWithoutRate.REPLACE_DEALS
    assert account_revenue_rollup(account=acme_won).total == Decimal("17878.00")
