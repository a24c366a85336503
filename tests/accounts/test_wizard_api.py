from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import Account, ImportJob

WIZARD = Path(__file__).parent / "fixtures" / "wizard"
BYOD = Path(__file__).parent / "fixtures" / "byod"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def upload(api: APIClient, path: Path) -> dict:
    response = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_only_sales_ops_may_import_through_the_api(api, rep) -> None:
    api.force_authenticate(rep)

    response = api.post("/api/accounts/imports/", {}, format="multipart")

    assert response.status_code == 404


def test_ops_upload_map_check_start_and_undo_through_the_api(
    api, ops, django_capture_on_commit_callbacks
) -> None:
    # given
    api.force_authenticate(ops)
    Account.objects.create(name="Acme  Widgets Inc.")

    # when: upload
    job = upload(api, WIZARD / "duplicates.csv")

    # then: the mapping is proposed
    [file] = job["file_previews"]
    assert file["kind"] == "salesforce-report accounts"
    assert file["mapping"] == {
        "Account Name": "account.name",
        "Industry": "account.sector",
        "Employees": "account.employees",
    }

    # when: confirm it, check
    url = f"/api/accounts/imports/{job['id']}/"
    etag = api.get(url + "mapping/")["ETag"]
    confirmed = api.put(
        url + "mapping/", {"mapping": {}}, format="json", HTTP_IF_MATCH=etag
    )
    check = api.get(url + "check/").json()

    # then
    assert confirmed.status_code == 200
    assert check["can_write"] is True
    assert [(p["incoming"], p["existing"]) for p in check["proposals"]] == [
        ("ACME WIDGETS, INC", "Acme  Widgets Inc.")
    ]
    assert check["counts"]["Accounts"]["created"] == 2

    # when: start with the merge confirmed
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            url + "start/",
            {"merges": {"ACME WIDGETS, INC": "Acme  Widgets Inc."}},
            format="json",
        )

    # then
    assert started.status_code == 202
    detail = api.get(url).json()
    assert detail["status"] == ImportJob.Status.SUCCEEDED
    assert detail["counts"]["Accounts"] == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "rejected": 0,
    }

    # when: undo
    with django_capture_on_commit_callbacks(execute=True):
        undone = api.post(url + "undo/", HTTP_IF_MATCH=api.get(url + "undo/")["ETag"])

    # then
    assert undone.json()["undone_at"] is not None
    assert list(Account.objects.values_list("name", "employees")) == [
        ("Acme  Widgets Inc.", None)
    ]


def test_a_bad_mapping_and_an_unanswered_question_are_reported(api, ops) -> None:
    api.force_authenticate(ops)
    job = upload(api, BYOD / "dates_ambiguous.csv")
    url = f"/api/accounts/imports/{job['id']}/"

    etag = api.get(url + "mapping/")["ETag"]
    bad = api.put(
        url + "mapping/",
        {
            "mapping": {
                "dates_ambiguous.csv": {
                    "Opportunity Name": "opportunity.name",
                    "Close Date": "opportunity.name",
                }
            }
        },
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert bad.status_code == 400
    assert "both map to opportunity.name" in bad.content.decode()

    api.put(
        url + "mapping/",
        {
            "mapping": {
                "dates_ambiguous.csv": {
                    "Opportunity Name": "opportunity.account_name",
                    "Close Date": "opportunity.close_date",
                }
            }
        },
        format="json",
        HTTP_IF_MATCH=etag,
    )
    check = api.get(url + "check/").json()
    assert check["can_write"] is False
    assert check["questions"][0]["options"] == ["day-first", "month-first"]

    answered = api.post(
        url + "answer/",
        {"file": "dates_ambiguous.csv", "column": "Close Date", "option": "day-first"},
        format="json",
    )
    assert answered.json() == {
        "answers": {"dates_ambiguous.csv": {"Close Date": "day-first"}}
    }
    assert api.get(url + "check/").json()["questions"] == []


def test_a_mapping_entry_with_no_such_column_or_no_record_is_named(api, ops) -> None:
    # given
    api.force_authenticate(ops)
    job = upload(api, BYOD / "dates_ambiguous.csv")
    url = f"/api/accounts/imports/{job['id']}/"
    etag = api.get(url + "mapping/")["ETag"]

    # when
    bad = api.put(
        url + "mapping/",
        {
            "mapping": {
                "dates_ambiguous.csv": {
                    "Opportunity Name": "name",
                    "Close Dat": "opportunity.close_date",
                    "Close Date": "",
                }
            }
        },
        format="json",
        HTTP_IF_MATCH=etag,
    )

    # then
    assert bad.status_code == 400
    assert bad.json() == {
        "mapping": {
            "dates_ambiguous.csv": {
                "Opportunity Name": [
                    "'name' is not a target: write the kind of record and its "
                    "field, such as account.name, or leave it blank to leave the "
                    "column out"
                ],
                "Close Dat": [
                    "dates_ambiguous.csv has no column 'Close Dat'; its columns "
                    "are 'Opportunity Name', 'Close Date'"
                ],
            }
        }
    }
    assert (
        api.get(url + "mapping/").json()["files"][0]["mapping"]
        == (job["file_previews"][0]["mapping"])
    )


def test_the_job_detail_names_who_uploaded_it(api, ops) -> None:
    # given
    ops.first_name, ops.last_name = "Oona", "Ops"
    ops.save()
    api.force_authenticate(ops)
    job = upload(api, WIZARD / "duplicates.csv")

    # when
    detail = api.get(f"/api/accounts/imports/{job['id']}/").json()

    # then
    assert job["created_by"] == {"id": ops.pk, "name": "Oona Ops"}
    assert detail["created_by"] == {"id": ops.pk, "name": "Oona Ops"}


def test_the_job_detail_says_null_for_an_import_no_one_is_named_on(api, ops) -> None:
    # given: as the command line run without --user leaves it (a deleted
    # uploader is named: tests/accounts/test_import_author_deletion.py)
    api.force_authenticate(ops)
    job = upload(api, WIZARD / "duplicates.csv")
    ImportJob.objects.filter(pk=job["id"]).update(created_by=None)

    # when
    detail = api.get(f"/api/accounts/imports/{job['id']}/").json()

    # then
    assert detail["created_by"] is None
