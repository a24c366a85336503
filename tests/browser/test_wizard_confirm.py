"""The check page asks for a tick before an import moves the window."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import Account, MappedImport, Product, RevenueLine
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
)
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

ERP_REVENUE = Path(__file__).parents[1] / "accounts/fixtures/wizard/erp_revenue.csv"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("width", [1366, 820])
def test_the_import_starts_only_once_the_window_move_is_ticked(
    page, live_server, ops, tmp_path, width
) -> None:
    # given: revenue in early 2025 that the ERP file would move past
    product = Product.objects.create(name="GTX Pro")
    for name in ["Nordlicht Maschinenbau GmbH", "Brightwater Foods", "Harbor"]:
        RevenueLine.objects.create(
            account=Account.objects.create(name=name),
            product=product,
            quarter_start=date(2025, 1, 1),
            amount=Decimal(100),
        )
    mapped = mapped_import_create_from_paths(user=ops, paths=[ERP_REVENUE])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)
    check = f"{live_server.url}/accounts/import/wizard/{mapped.job_id}/check/"
    page.goto(check)
    page.screenshot(path=str(tmp_path / f"confirm-{width}.png"), full_page=True)

    # when: moving the window, and Import without the tick
    page.check("input[name=window][value=move]")
    page.click("#start-import")

    # then
    refused = page.locator("[data-testid=merge-refused]")
    assert refused.inner_text().startswith(
        "Nothing was written\nNot started: This import moves the scoring window"
    )
    assert refused.inner_text().endswith(
        "Tick \u201cI have read the warnings above\u201d to import anyway."
    )
    assert RevenueLine.objects.count() == 3
    page.screenshot(path=str(tmp_path / f"refused-{width}.png"), full_page=True)

    # when: ticked
    page.check("input[name=confirm_warnings]")
    page.click("#start-import")

    # then
    page.wait_for_url(f"{live_server.url}/accounts/import/wizard/{mapped.job_id}/")
    assert MappedImport.objects.get().confirmed_at is not None
