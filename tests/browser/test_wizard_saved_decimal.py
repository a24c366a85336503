"""A decimal separator saved with the mapping, shown and changed on the check.

In Chromium, at a laptop's and a tablet's width.
"""

from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import SavedMapping, User
from accounts.wizard import mapped_import_answer
from tests.accounts.wizard_steps import opened
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [(1366, 768), (820, 1180)]


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.usefixtures("media_in_tmp")
def test_the_check_page_names_a_saved_decimal_answer(
    page, live_server, ops: User, tmp_path: Path, width: int, height: int
) -> None:
    # given: a file answered with a decimal comma, and next month's
    path = tmp_path / "revenue.csv"
    path.write_text('Account Name,Annual Revenue\nAcme,"1,230"\n')
    mapped_import_answer(
        mapped=opened(path), file=path.name, column="Annual Revenue", option=","
    )
    path.write_text('Account Name,Annual Revenue\nAcme,"2,500"\n')
    later = opened(path)
    page.set_viewport_size({"width": width, "height": height})
    browser_login(page, live_server, ops.username)

    # when
    page.goto(live_server.url + reverse("accounts:wizard_check", args=[later.job_id]))
    saved = page.locator("[data-testid=saved-answers]")
    pressed = saved.locator("button[aria-pressed=true]").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    saved.screenshot(path=str(tmp_path / f"saved-decimal-{width}.png"))
    page.screenshot(path=str(tmp_path / f"check-{width}.png"), full_page=True)
    with page.expect_navigation():
        saved.get_by_role("button", name="Decimal point").click()

    # then: this import reads a point, and so will the next file
    assert pressed == "Decimal comma"
    assert page.locator("[data-testid=saved-answers]").count() == 0
    assert SavedMapping.objects.get().decimal_answers == {"annualrevenue": "."}
