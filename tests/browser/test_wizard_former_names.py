"""The check page says a row found a renamed account by its former name."""

import os
from pathlib import Path

import pytest

from accounts.models import Account, User
from accounts.services import account_update
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
)
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

NOTE = (
    "matched by former name 'Acme Corporation': the account is now called "
    "'Zenith Widgets'"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("width", [1366, 820])
def test_the_check_page_names_the_former_name_a_row_matched(
    page, live_server, ops: User, account: Account, tmp_path: Path, width
) -> None:
    # given: Acme renamed by sales ops, and a CRM file still using the old name
    shots = Path(os.environ.get("LODE_SCREENSHOTS") or tmp_path)
    assert account_update(
        account=account,
        user=ops,
        data={"name": "Zenith Widgets"},
        expected_version=account.updated_at,
    )
    path = tmp_path / "accounts.csv"
    path.write_text("Account Name,Employees\nAcme Corporation,4200\n")
    mapped = mapped_import_create_from_paths(user=ops, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)

    # when
    page.goto(f"{live_server.url}/accounts/import/wizard/{mapped.job_id}/check/")

    # then: the row's note names the former name and the account's name now
    note = page.get_by_text(NOTE)
    note.scroll_into_view_if_needed()
    assert note.is_visible()
    assert "Zenith Widgets" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(shots / f"former-name-check-{width}.png"))
