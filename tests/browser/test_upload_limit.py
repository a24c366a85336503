"""An upload past the limit, sent by a real browser, comes back as a message."""

import pytest

from accounts.models import ImportJob
from tests.conftest import PROJECT_DIR, browser_login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

LIMIT = 64 * 1024


@pytest.mark.parametrize("width", [1366, 820])
def test_an_oversized_import_comes_back_to_the_form_with_the_limit(
    page, live_server, settings, tmp_path, ops, width
):
    # given a small limit and a file four times over it
    settings.LODE_UPLOAD_MAX_BYTES = LIMIT
    settings.MEDIA_ROOT = tmp_path / "media"
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)
    page.goto(f"{live_server.url}/accounts/import/")
    big = b"account,sector\r\n" + b"Acme Corporation,retail\r\n" * (LIMIT // 6)

    # when
    page.set_input_files(
        "input[name=accounts]",
        files=[{"name": "accounts.csv", "mimeType": "text/csv", "buffer": big}],
    )
    page.locator("form button[type=submit]").last.click()
    page.wait_for_selector(".messages .error")
    page.screenshot(
        path=str(PROJECT_DIR / "var" / "shots" / f"upload-limit-{width}.png"),
        full_page=True,
    )

    # then the browser is back on the form, with the limit spelled out
    assert page.url == f"{live_server.url}/accounts/import/"
    message = page.locator(".messages .error").inner_text()
    assert "the limit is 64.0\xa0KB" in message
    assert ImportJob.objects.count() == 0
