"""The import mapping is versioned like every other update: 428, then 412."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import MappedImport

WIZARD = Path(__file__).parent.parent / "accounts" / "fixtures" / "wizard"

pytestmark = pytest.mark.django_db

PROPOSED = {
    "Account Name": "account.name",
    "Industry": "account.sector",
    "Employees": "account.employees",
}
WITHOUT_SECTOR = {"duplicates.csv": {"Account Name": "account.name"}}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api(ops) -> APIClient:
    api = APIClient()
    api.force_authenticate(ops)
    return api


@pytest.fixture
def mapping_url(api) -> str:
    path = WIZARD / "duplicates.csv"
    response = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")]},
        format="multipart",
    )
    assert response.status_code == 201
    return f"/api/accounts/imports/{response.json()['id']}/mapping/"


def test_the_read_sends_an_etag(api, mapping_url) -> None:
    response = api.get(mapping_url)

    assert response.status_code == 200
    assert response["ETag"].startswith('"')
    assert api.get(mapping_url)["ETag"] == response["ETag"]


def test_a_put_without_if_match_is_refused_with_428(api, mapping_url) -> None:
    response = api.put(mapping_url, {"mapping": WITHOUT_SECTOR}, format="json")

    assert response.status_code == 428
    assert response.json() == {
        "detail": "Send the ETag from your last read in an If-Match header to "
        "change this."
    }
    assert MappedImport.objects.get().mapping == {}


def test_a_put_with_the_read_etag_confirms_and_sends_the_new_one(
    api, mapping_url
) -> None:
    etag = api.get(mapping_url)["ETag"]

    response = api.put(
        mapping_url, {"mapping": WITHOUT_SECTOR}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200
    [file] = response.json()["files"]
    assert file["mapping"] == {"Account Name": "account.name"}
    assert response["ETag"] != etag
    assert response["ETag"] == api.get(mapping_url)["ETag"]
    assert MappedImport.objects.get().mapping == {
        "duplicates.csv": {"Account Name": ["account", "name"]}
    }


def test_a_stale_etag_is_refused_with_412_and_the_current_mapping(
    api, mapping_url
) -> None:
    # given: two clients read the mapping; the first confirms a change
    etag = api.get(mapping_url)["ETag"]
    first = api.put(
        mapping_url, {"mapping": WITHOUT_SECTOR}, format="json", HTTP_IF_MATCH=etag
    )
    assert first.status_code == 200

    # when: the second writes with the ETag it read before that
    second = api.put(mapping_url, {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)

    # then
    assert second.status_code == 412
    body = second.json()
    assert body["detail"] == (
        "Someone changed this since you read it. Here is the current version; "
        "apply your change to it and send its ETag."
    )
    [file] = body["current"]["files"]
    assert file["mapping"] == {"Account Name": "account.name"}
    assert second["ETag"] == first["ETag"]
    assert MappedImport.objects.get().mapping == {
        "duplicates.csv": {"Account Name": ["account", "name"]}
    }


def test_if_match_star_is_refused_on_the_mapping(api, mapping_url) -> None:
    response = api.put(
        mapping_url, {"mapping": WITHOUT_SECTOR}, format="json", HTTP_IF_MATCH="*"
    )

    assert response.status_code == 412
    [file] = response.json()["current"]["files"]
    assert file["mapping"] == PROPOSED
    assert MappedImport.objects.get().mapping == {}
