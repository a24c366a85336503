"""A reopened import says it waits for the go-ahead, and leads to its check.

Its last run's progress stays cached for an hour, and an unfinished job
is read from the cache, so a reopen once kept saying "100%: Rejected:
nothing was written"; the report page offered the mapping again though it
was confirmed.
"""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ImportJob

FILE = "dates_ambiguous.csv"
DATES = Path(__file__).parent / "fixtures" / "byod" / FILE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


@pytest.fixture
def api(ops) -> APIClient:
    client = APIClient()
    client.force_authenticate(ops)
    return client


@pytest.fixture
def rejected(api: APIClient, django_capture_on_commit_callbacks) -> int:
    """An import whose rows lack what deals need, run all or nothing."""
    uploaded = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(FILE, DATES.read_bytes(), "text/csv")]},
        format="multipart",
    )
    job_id = uploaded.json()["id"]
    url = f"/api/accounts/imports/{job_id}/"
    mapping = {
        FILE: {
            "Opportunity Name": "opportunity.account_name",
            "Close Date": "opportunity.close_date",
        }
    }
    etag = api.get(url + "mapping/")["ETag"]
    api.put(url + "mapping/", {"mapping": mapping}, format="json", HTTP_IF_MATCH=etag)
    api.post(
        url + "answer/",
        {"file": FILE, "column": "Close Date", "option": "day-first"},
        format="json",
    )
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(url + "start/", {}, format="json")
    assert started.status_code == 202, started.content
    detail = api.get(url).json()
    assert detail["status"] == ImportJob.Status.REJECTED
    assert (detail["progress"], detail["message"]) == (
        100,
        "Rejected: nothing was written",
    )
    return job_id


def test_a_reopened_import_waits_for_the_go_ahead(api, rejected) -> None:
    url = f"/api/accounts/imports/{rejected}/"

    reopened = api.post(url + "reopen/")
    detail = api.get(url).json()

    assert reopened.status_code == 200
    for answer in (reopened.json(), detail):
        assert answer["status"] == ImportJob.Status.PENDING
        assert answer["progress"] == 0
        assert answer["message"] == "Waiting for the go-ahead"
        assert answer["confirmed_at"] is None


def test_the_report_page_of_a_reopened_import_leads_to_its_check(
    api, client, ops, rejected
) -> None:
    # given
    api.post(f"/api/accounts/imports/{rejected}/reopen/")
    client.force_login(ops)

    # when
    response = client.get(reverse("accounts:wizard_report", args=[rejected]))

    # then
    body = response.content.decode()
    check = reverse("accounts:wizard_check", args=[rejected])
    assert f'<li class="current"><a href="{check}">Check</a></li>' in body
    assert f'href="{check}">Continue with the check</a>' in body
    assert "Continue with the mapping" not in body
    assert "Its mapping is confirmed: check it" in body
    assert "Rejected: nothing was written" not in body
