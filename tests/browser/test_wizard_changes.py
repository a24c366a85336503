import os
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import Account
from tests.accounts.factories import AccountFactory
from tests.browser.wizard_steps import wizard_checked
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

UPDATES = (
    "Account Name,Industry,Employees,Annual Revenue\n"
    "Globex Corporation,Energy,60,5000000\n"
    "Initech,technology,80,\n"
    "ACME CORPORATION INC,,100,\n"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("width", [1366, 820])
def test_ops_see_each_change_and_ticking_a_duplicate_rechecks(
    page, live_server, ops, tmp_path, width
) -> None:
    # given
    AccountFactory(
        name="Globex Corporation",
        sector="technology",
        employees=2497,
        annual_revenue=Decimal("1223720000.00"),
    )
    AccountFactory(name="Initech", sector="technology", employees=80)
    AccountFactory(name="Acme Corporation", sector="Retail", employees=2822)
    path = tmp_path / "accounts.csv"
    path.write_text(UPDATES)
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)
    wizard_checked(page, live_server, path)

    # when
    page.check("input[name=merge]")
    page.wait_for_selector("input[name=merge]:checked")

    # then
    changes = page.inner_text("[data-testid=import-changes]")
    assert "Changes to existing records: 2" in changes
    assert "Employees\t2497\t60" in changes
    assert "Sector\ttechnology\tEnergy" in changes
    assert "Employees\t2822\t100" in changes
    counts = page.inner_text("table.counts")
    assert "Accounts\t0\t2\t1\t0" in counts
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shots = os.environ.get("LODE_SCREENSHOTS")
    if shots:
        page.screenshot(
            path=str(Path(shots) / f"check-changes-{width}.png"), full_page=True
        )
    assert Account.objects.get(name="Acme Corporation").employees == 2822
