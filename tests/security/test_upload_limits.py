"""A request body over the limit gets a clear message, never a 400 or 500."""

import json
from urllib.parse import urlencode

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from accounts.models import ImportJob
from stakeholders.models import Stakeholder

pytestmark = pytest.mark.django_db

LIMIT = 4096


@pytest.fixture(autouse=True)
def small_limits(settings, tmp_path):
    settings.LODE_UPLOAD_MAX_BYTES = LIMIT
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    settings.MEDIA_ROOT = tmp_path / "media"


def csv_of(size: int) -> SimpleUploadedFile:
    header = b"account,sector\r\n"
    row = b"Acme Corporation,retail\r\n"
    body = header + row * (size // len(row) + 1)
    return SimpleUploadedFile("accounts.csv", body, content_type="text/csv")


def test_an_oversized_import_goes_back_to_the_form_with_the_limit(client, ops):
    client.force_login(ops)
    form = reverse("accounts:import")

    # when
    response = client.post(
        form,
        {"accounts": csv_of(2 * LIMIT)},
        HTTP_REFERER=f"http://testserver{form}",
    )

    # then nothing was stored and the form says why
    assert response.status_code == 303
    assert response["Location"] == f"http://testserver{form}"
    assert ImportJob.objects.count() == 0
    page = client.get(form).content.decode()
    assert f"the limit is {filesizeformat(LIMIT)}" in page
    assert "Split the file" in page


def test_without_a_referer_it_goes_back_to_the_same_page(client, ops):
    client.force_login(ops)

    response = client.post(
        reverse("accounts:wizard"),
        {"file": csv_of(2 * LIMIT)},
        HTTP_REFERER="https://elsewhere.example/",
    )

    assert response.status_code == 303
    assert response["Location"] == reverse("accounts:wizard")


def test_an_upload_under_the_limit_reaches_the_view(client, ops):
    client.force_login(ops)

    response = client.post(reverse("accounts:import"), {"accounts": csv_of(1024)})

    # The view's own form answers: other files are missing.
    assert response.status_code == 200
    assert b"Choose the products.csv file." in response.content


def test_an_oversized_api_body_is_refused_with_json(client, rep, account):
    client.force_login(rep)
    body = {"name": "A" * 5000, "title": "CFO"}

    response = client.post(
        reverse("stakeholders_api:create", args=[account.pk]),
        data=json.dumps(body),
        content_type="application/json",
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The request body is too large for JSON: 4.9\xa0KB, and a JSON "
        "body may be at most 2.0\xa0KB. Send fewer items in each request."
    }
    assert Stakeholder.objects.count() == 0


def test_a_10_mb_json_body_is_refused_as_too_large_for_json(
    settings, client, rep, account
):
    # given: the production limit, and a body just over it
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
    client.force_login(rep)
    body = json.dumps({"last_name": "A" * (10 * 1024 * 1024), "title": "CFO"})

    # when
    response = client.post(
        reverse("stakeholders_api:create", args=[account.pk]),
        data=body,
        content_type="application/json",
    )

    # then
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is too large for JSON: 10.0\xa0MB, and a JSON "
        "body may be at most 10.0\xa0MB. Send fewer items in each request."
    }
    assert Stakeholder.objects.count() == 0


def test_an_oversized_json_body_to_a_page_is_answered_in_json(client, rep, account):
    client.force_login(rep)

    response = client.post(
        reverse("accounts:detail", args=[account.pk]),
        data=json.dumps({"note": "x" * 5000}),
        content_type="application/json",
    )

    assert response.status_code == 413
    assert response.json()["detail"].startswith(
        "The request body is too large for JSON: "
    )


def test_an_oversized_form_post_is_not_a_bare_400(client, rep, account):
    client.force_login(rep)

    response = client.post(
        reverse("accounts:detail", args=[account.pk]), {"note": "x" * 5000}
    )

    assert response.status_code == 303


def test_an_oversized_urlencoded_form_is_told_the_form_is_too_large(
    client, rep, account
):
    client.force_login(rep)
    detail = reverse("accounts:detail", args=[account.pk])

    response = client.post(
        detail,
        urlencode({"note": "x" * 5000}),
        content_type="application/x-www-form-urlencoded",
        HTTP_REFERER=f"http://testserver{detail}",
    )

    assert response.status_code == 303
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "The form is 4.9\xa0KB; the limit is 2.0\xa0KB. Shorten the text you "
        "entered, or upload the data as a file."
    ]


def test_an_oversized_api_upload_is_refused_with_json(client, ops):
    client.force_login(ops)

    response = client.post(
        reverse("accounts_api:import_list"), {"files": [csv_of(2 * LIMIT)]}
    )

    assert response.status_code == 413
    assert f"the limit is {filesizeformat(LIMIT)}" in response.json()["detail"]
    assert ImportJob.objects.count() == 0
