"""The check page keeps the scoring window unless the user moves it."""

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import Account, CurrencyRate, ImportJob, Product, RevenueLine
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
)
from scoring.services import scoring_model_active
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

ERP_REVENUE = Path(__file__).parents[1] / "accounts/fixtures/wizard/erp_revenue.csv"
# Set to a folder to keep the screenshots for a person to look at.
SHOTS = os.environ.get("LODE_SCREENSHOTS", "")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("width,height", [(1366, 768), (820, 1180)])
def test_the_import_keeps_the_window_by_default(
    page, live_server, ops, tmp_path, width, height
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
    CurrencyRate.objects.create(
        currency="EUR",
        reporting_currency="USD",
        rate_date=date(2026, 3, 31),
        rate=Decimal("1.08"),
    )
    mapped = mapped_import_create_from_paths(user=ops, paths=[ERP_REVENUE])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    page.set_viewport_size({"width": width, "height": height})
    browser_login(page, live_server, ops.username)
    shots = Path(SHOTS) if SHOTS else tmp_path

    # when
    page.goto(f"{live_server.url}/accounts/import/wizard/{mapped.job_id}/check/")
    choice = page.locator("[data-testid=import-window]")
    choice.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"window-check-{width}.png"), full_page=True)

    # then: both choices are offered, keeping checked, and readable in full
    lines = [line.strip() for line in choice.inner_text().split("\n")]
    assert [line for line in lines if line] == [
        "Scoring window",
        "This import's revenue would move the scoring window. It stays unless "
        "you choose to move it.",
        "The twelve months scores read after this import",
        "Keep scoring the twelve months to 31 Mar 2025 (the window stays)",
        "Move the window to 30 Jun 2026 (1 account would have no revenue in it)",
        "Moving it also needs the tick \u201cI have read the warnings above\u201d.",
    ]
    assert page.is_checked("input[name=window][value=keep]")
    assert not page.is_checked("input[name=window][value=move]")
    box = choice.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width

    # when: Import with nothing chosen and nothing ticked
    page.click("#start-import")

    # then: the import ran, the window stayed, and the report says so
    page.wait_for_url(f"{live_server.url}/accounts/import/wizard/{mapped.job_id}/")
    said = page.locator("#import-window")
    said.wait_for()
    assert said.inner_text() == (
        "Scoring window kept: the twelve months to 31 Mar 2025 (this import's "
        "revenue reaches 30 Jun 2026)."
    )
    page.screenshot(path=str(shots / f"window-report-{width}.png"), full_page=True)
    job = ImportJob.objects.get(pk=mapped.job_id)
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.window == ImportJob.Window.KEEP
    assert RevenueLine.objects.count() == 6
    assert scoring_model_active().score_as_of == date(2025, 3, 31)
