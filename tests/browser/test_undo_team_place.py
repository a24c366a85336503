"""The undo page says why it keeps a rep's place on an account's team."""

import pytest
from django.urls import reverse

from tests.conftest import browser_login
from tests.plans.test_wizard_undo_team_access import (
    DANA_WORKED,
    dana,
    imported,
    worked_at_harrier,
)

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["dana"]


@pytest.mark.parametrize("size", [(1366, 768), (820, 1180)])
def test_the_undo_page_says_the_reps_place_is_kept(
    page,
    live_server,
    ops,
    dana,
    tmp_path,
    settings,
    size,
    django_capture_on_commit_callbacks,
) -> None:
    # given: the import made Harrier Freight; Dana then worked there
    settings.MEDIA_ROOT = tmp_path / "media"
    job = imported(django_capture_on_commit_callbacks, ops)
    deal, _, _ = worked_at_harrier(dana)
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    browser_login(page, live_server, ops.username)

    # when
    page.goto(live_server.url + reverse("accounts:wizard_undo", args=[job.pk]))

    # then
    assert page.locator("#undo-kept li").all_inner_texts() == [
        f"account Harrier Freight kept: {deal} was added by hand on 5 Dec 2026; Lena "
        "Ortiz was added by hand on 5 Dec 2026; a plan was added on 5 Dec 2026.",
        f"Dana Pike's place on the Harrier Freight team kept: {DANA_WORKED}.",
    ]
    assert page.locator(".undo-rules li").nth(2).inner_text() == (
        "A place on an account's team the import gave someone is kept when they "
        "have worked at that account by hand since, so they can still open that "
        "work."
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(tmp_path / f"undo-{width}.png"), full_page=True)
