"""Bundled four-file imports in the imports API, beside the wizard's."""

import pytest

from accounts.models import ImportJob, MappedImport
from scoring.models import ScoreRun
from scoring.services import scoring_model_active

pytestmark = pytest.mark.django_db

COUNTS = {"accounts": {"created": 85, "updated": 0, "unchanged": 0, "rejected": 0}}
ISSUE = {
    "file": "accounts.csv",
    "line": 4,
    "column": "employees",
    "value": "about 40",
    "reason": "not a number",
    "action": "repaired",
}


@pytest.fixture
def bundled(ops) -> ImportJob:
    job = ImportJob.objects.create(
        created_by=ops,
        status=ImportJob.Status.SUCCEEDED,
        counts=COUNTS,
        issues=[ISSUE],
    )
    return job


@pytest.fixture
def wizard_job(ops) -> ImportJob:
    job = ImportJob.objects.create(created_by=ops)
    MappedImport.objects.create(job=job, files=[{"name": "crm.csv"}])
    return job


def test_the_list_holds_bundled_and_wizard_imports(client, ops, bundled, wizard_job):
    # given: the bundled import asked for a score run
    run = ScoreRun.objects.create(
        scoring_model=scoring_model_active(),
        import_job=bundled,
        status=ScoreRun.Status.SUCCEEDED,
    )
    client.force_login(ops)

    # when
    listed = client.get("/api/accounts/imports/").json()
    only_bundled = client.get("/api/accounts/imports/?kind=bundled").json()

    # then
    assert [(i["id"], i["kind"]) for i in listed["results"]] == [
        (wizard_job.pk, "wizard"),
        (bundled.pk, "bundled"),
    ]
    item = listed["results"][1]
    assert item["files"] == [
        "accounts.csv",
        "products.csv",
        "sales_teams.csv",
        "sales_pipeline.csv",
    ]
    assert item["counts"] == COUNTS
    assert item["created_by"] == {"id": ops.pk, "name": ops.display_name}
    assert item["score_run"] == {
        "id": run.pk,
        "status": "succeeded",
        "status_label": "Succeeded",
        "url": f"/api/scoring/runs/{run.pk}/",
    }
    assert listed["results"][0]["score_run"] is None
    assert [i["id"] for i in only_bundled["results"]] == [bundled.pk]


def test_the_list_reads_score_runs_in_one_query(
    client, ops, bundled, wizard_job, django_assert_max_num_queries
):
    for _ in range(3):
        ImportJob.objects.create(created_by=ops)
    client.force_login(ops)

    # Session, user, count, page, score runs: not one more per import.
    with django_assert_max_num_queries(8):
        response = client.get("/api/accounts/imports/")

    assert response.json()["count"] == 5


def test_the_detail_and_row_report_read_a_bundled_import(client, ops, bundled):
    client.force_login(ops)

    detail = client.get(f"/api/accounts/imports/{bundled.pk}/").json()
    report = client.get(f"/api/accounts/imports/{bundled.pk}/report.csv")

    assert detail["kind"] == "bundled"
    assert (detail["confirmed_at"], detail["undone_at"]) == (None, None)
    assert detail["issues"] == [ISSUE]
    assert detail["counts"] == COUNTS
    assert report.status_code == 200
    text = b"".join(report.streaming_content).decode("utf-8-sig")
    assert "accounts.csv,4,employees,about 40,not a number,repaired" in text
    assert "accounts,85,0,0,0" in text


def test_the_wizard_steps_say_what_a_bundled_import_lacks(client, ops, bundled):
    client.force_login(ops)

    response = client.get(f"/api/accounts/imports/{bundled.pk}/mapping/")

    assert response.status_code == 404
    assert response.json() == {
        "detail": (
            f"Import {bundled.pk} is a bundled four-file import: it has no "
            "mapping, check, sheets, start, undo, reopen or discard. Read it "
            f"at /api/accounts/imports/{bundled.pk}/ and its row report at "
            f"/api/accounts/imports/{bundled.pk}/report.csv."
        )
    }


def test_anyone_but_ops_finds_no_bundled_import(client, rep, manager, bundled):
    for user in (rep, manager):
        client.force_login(user)

        listed = client.get("/api/accounts/imports/")
        detail = client.get(f"/api/accounts/imports/{bundled.pk}/")
        mapping = client.get(f"/api/accounts/imports/{bundled.pk}/mapping/")

        assert listed.status_code == 404
        assert detail.status_code == 404
        assert mapping.json() == {"detail": "Not found."}
