"""A stalled import in the wizard's recent list, in Chromium."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ImportJob
from accounts.wizard import (
    mapped_import_create,
    mapped_import_mapping_accept,
    mapped_import_start,
)
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_stalled_import_is_listed_so_and_goes_back_to_the_check(
    page, live_server, ops, media_in_tmp
) -> None:
    # given: an import whose process died five minutes ago
    mapped = mapped_import_create(
        user=ops,
        files=[("accounts.csv", b"Account Name,Employees\nPelican Paper Co,120\n")],
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    ImportJob.objects.filter(pk=mapped.job_id).update(
        status=ImportJob.Status.RUNNING,
        progress=2,
        progress_message="Reading the files",
        updated_at=timezone.now() - timedelta(minutes=5),
    )
    browser_login(page, live_server, ops.username)
    page.goto(f"{live_server.url}{reverse('accounts:wizard')}")
    row = page.locator("table.recent tbody tr").first

    for width, height in ((1366, 768), (820, 1180)):
        # when
        page.set_viewport_size({"width": width, "height": height})

        # then
        assert row.locator(".status").inner_text() == "Stalled"
        assert row.get_by_role("button", name="Back to the check").is_visible()
        page.screenshot(path=f"var/shots/wizard-recent-stalled-{width}.png")

    # when
    row.get_by_role("button", name="Back to the check").click()
    page.wait_for_url(f"**{reverse('accounts:wizard_check', args=[mapped.job_id])}")

    # then
    assert ImportJob.objects.get(pk=mapped.job_id).status == "pending"
