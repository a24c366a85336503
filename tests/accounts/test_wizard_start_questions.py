"""An import whose check still asks a question does not start, by API or page.

The run would only reject it: the check's can_write is false, and the
page hides its Import button. The start says which question is open.
"""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ImportJob, MappedImport

BYOD = Path(__file__).parent / "fixtures" / "byod"
FILE = "dates_ambiguous.csv"
QUESTION = (
    "Not started: dates_ambiguous.csv asks: No date in 'Close Date' says "
    "whether it is day-first or month-first"
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


@pytest.fixture
def api(ops) -> APIClient:
    client = APIClient()
    client.force_authenticate(ops)
    return client


@pytest.fixture
def job_url(api: APIClient) -> str:
    """An import of ambiguous dates, mapped, its date order not answered."""
    path = BYOD / FILE
    uploaded = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(FILE, path.read_bytes(), "text/csv")]},
        format="multipart",
    )
    url = f"/api/accounts/imports/{uploaded.json()['id']}/"
    mapping = {
        FILE: {
            "Opportunity Name": "opportunity.account_name",
            "Close Date": "opportunity.close_date",
        }
    }
    etag = api.get(url + "mapping/")["ETag"]
    confirmed = api.put(
        url + "mapping/", {"mapping": mapping}, format="json", HTTP_IF_MATCH=etag
    )
    assert confirmed.status_code == 200, confirmed.content
    assert api.get(url + "check/").json()["can_write"] is False
    return url


def test_the_api_refuses_to_start_with_a_question_open(api, job_url) -> None:
    # when
    response = api.post(job_url + "start/", {}, format="json")

    # then
    assert response.status_code == 400
    [said] = response.json()["questions"]
    assert said.startswith(QUESTION)
    assert said.endswith(f"Answer it with POST {job_url}answer/ first.")
    detail = api.get(job_url).json()
    assert detail["confirmed_at"] is None
    assert detail["status"] == ImportJob.Status.PENDING
    assert detail["issues"] == []


def test_the_api_starts_once_the_question_is_answered(
    api, job_url, django_capture_on_commit_callbacks
) -> None:
    # given
    api.post(
        job_url + "answer/",
        {"file": FILE, "column": "Close Date", "option": "day-first"},
        format="json",
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(job_url + "start/", {}, format="json")

    # then
    assert response.status_code == 202
    assert api.get(job_url).json()["confirmed_at"] is not None


def test_the_page_refuses_a_start_sent_with_a_question_open(
    client, ops, job_url
) -> None:
    # given: the page shows no Import button; a stale or forged form posts
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    client.force_login(ops)

    # when
    response = client.post(reverse("accounts:wizard_check", args=[job_id]), {})

    # then
    assert response.status_code == 400
    assert QUESTION in response.content.decode().replace("&#x27;", "'")
    assert "Answer it above first." in response.content.decode()
    assert MappedImport.objects.get(job_id=job_id).confirmed_at is None
