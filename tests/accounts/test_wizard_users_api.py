from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ImportJob, MappedImport, User
from scoring.models import ScoreRun

WIZARD = Path(__file__).parent / "fixtures" / "wizard"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def users_file() -> dict:
    path = WIZARD / "plain_users.csv"
    return {"files": [SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")]}


def run_without_scoring(capture, start) -> None:
    """Run an import and ask for its score run, but leave the run pending.

    The callbacks run one level at a time: the import task, then the
    finished import's signal; the score run's own task is held back.
    """
    with capture(execute=False) as queued:
        start()
    for _ in range(2):
        callbacks = list(queued)
        with capture(execute=False) as queued:
            for callback in callbacks:
                callback()


@pytest.mark.parametrize("who", ["rep", "manager", "executive"])
def test_only_sales_ops_may_import_users(api, client, who, request) -> None:
    user = request.getfixturevalue(who)
    api.force_authenticate(user)
    client.force_login(user)
    before = User.objects.count()

    assert api.post("/api/accounts/imports/", users_file()).status_code == 404
    response = client.post(reverse("accounts:wizard"), users_file())

    assert response.status_code == 404
    assert User.objects.count() == before
    assert not ImportJob.objects.exists()


def test_ops_import_users_through_the_api_and_see_the_score_run(
    api, client, ops, django_capture_on_commit_callbacks
) -> None:
    # given
    api.force_authenticate(ops)
    uploaded = api.post("/api/accounts/imports/", users_file())
    assert uploaded.status_code == 201
    job_id = uploaded.json()["id"]
    assert uploaded.json()["file_previews"][0]["kind"] == "plain users"
    assert uploaded.json()["score_run"] is None
    mapping_url = f"/api/accounts/imports/{job_id}/mapping/"
    etag = api.get(mapping_url)["ETag"]
    assert (
        api.put(
            mapping_url, {"mapping": {}}, format="json", HTTP_IF_MATCH=etag
        ).status_code
        == 200
    )
    check = api.get(f"/api/accounts/imports/{job_id}/check/").json()
    assert check["counts"] == {
        "Users": {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0},
        "Teams": {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0},
    }

    # when
    run_without_scoring(
        django_capture_on_commit_callbacks,
        lambda: api.post(f"/api/accounts/imports/{job_id}/start/", {}, format="json"),
    )

    # then
    run = ScoreRun.objects.get(import_job_id=job_id)
    detail = api.get(f"/api/accounts/imports/{job_id}/").json()
    assert detail["status"] == "succeeded"
    assert detail["score_run"] == {
        "id": run.pk,
        "status": "pending",
        "status_label": "Pending",
        "url": f"/api/scoring/runs/{run.pk}/",
    }
    assert sorted(User.objects.exclude(pk=ops.pk).values_list("email", "role")) == [
        ("dana.weiss@lode.example", "manager"),
        ("lee.park@lode.example", "rep"),
        ("sam.ortiz@lode.example", "executive"),
    ]

    # when the run finishes, the report page and CSV name it
    ScoreRun.objects.filter(pk=run.pk).update(status=ScoreRun.Status.SUCCEEDED)
    client.force_login(ops)
    page = client.get(reverse("accounts:wizard_report", args=[job_id]))
    report = client.get(reverse("accounts:wizard_report_csv", args=[job_id]))

    # then
    assert (
        f'<span id="import-score-run">score run {run.pk}: '
        '<span class="status status-succeeded">Succeeded</span></span>'
    ) in page.content.decode()
    assert report.getvalue().decode().splitlines()[-2:] == [
        "score run,status",
        f"{run.pk},succeeded",
    ]

    # when undone
    with django_capture_on_commit_callbacks(execute=False):
        undo = f"/api/accounts/imports/{job_id}/undo/"
        undone = api.post(undo, HTTP_IF_MATCH=api.get(undo)["ETag"])

    # then
    assert undone.status_code == 200
    assert [
        (issue["value"], issue["reason"], issue["action"])
        for issue in undone.json()["issues"]
    ] == [
        (
            email,
            "deleted: created by this import and not used since",
            "undone",
        )
        for email in (
            "dana.weiss@lode.example",
            "lee.park@lode.example",
            "sam.ortiz@lode.example",
        )
    ]
    assert list(User.objects.values_list("username", flat=True)) == ["oona"]


def test_the_command_imports_users_and_gives_ops_only_for_an_ops_user(ops) -> None:
    # given
    path = WIZARD / "plain_users_bad.csv"

    # when
    answer = "plain_users_bad.csv:role=VP Sales=executive"
    call_command(
        "import_files", str(path), "--yes", "--keep-good-rows", "--answer", answer
    )

    # then
    assert sorted(User.objects.exclude(pk=ops.pk).values_list("email", "role")) == [
        ("ok.one@lode.example", "rep"),
        ("vp@lode.example", "executive"),
    ]

    # when the ops user runs it
    call_command(
        "import_files",
        str(path),
        "--yes",
        "--keep-good-rows",
        "--user",
        "oona",
        "--answer",
        answer,
    )

    # then
    otto = User.objects.get(email="ops.person@lode.example")
    assert (otto.role, otto.is_staff, otto.is_superuser) == ("ops", False, False)
    job = MappedImport.objects.latest("pk").job
    assert job.created_by == ops
    assert job.counts["Users"] == {
        "created": 1,
        "updated": 0,
        "unchanged": 2,
        "rejected": 3,
    }


def test_the_command_refuses_a_user_who_is_not_sales_ops(rep) -> None:
    with pytest.raises(CommandError, match="'rita' is not an active sales ops user"):
        call_command("import_files", str(WIZARD / "plain_users.csv"), "--user", "rita")


def test_ops_walk_a_users_file_through_the_pages_and_undo_it(
    client, ops, django_capture_on_commit_callbacks
) -> None:
    # given
    client.force_login(ops)

    # when: upload
    response = client.post(reverse("accounts:wizard"), users_file())

    # then: the mapping page proposes the users mapping
    mapped = MappedImport.objects.get()
    page = client.get(response.url)
    assert b"Recognised: List kept by hand, users" in page.content
    assert b'<option value="user.email" selected>' in page.content
    assert b'<option value="user.manager" selected>' in page.content

    # when: confirm it as it stands
    form = {
        f"map:0:{index}": target
        for index, target in enumerate(
            [
                "user.email",
                "user.full_name",
                "user.role",
                "user.team",
                "user.manager",
                "user.is_active",
            ]
        )
    }
    response = client.post(
        reverse("accounts:wizard_mapping", args=[mapped.job_id]), form
    )
    page = client.get(response.url)

    # then: the check counts them and writes nothing
    assert page.context["outcome"].counts["Users"]["created"] == 3
    assert list(User.objects.values_list("username", flat=True)) == ["oona"]

    # when: import, then undo
    run_without_scoring(
        django_capture_on_commit_callbacks, lambda: client.post(response.url, {})
    )
    with django_capture_on_commit_callbacks(execute=False):
        undone = client.post(
            reverse("accounts:wizard_undo", args=[mapped.job_id]), follow=True
        )

    # then
    assert list(User.objects.values_list("username", flat=True)) == ["oona"]
    assert (
        "dana.weiss@lode.example: deleted: created by this import and not used "
        "since" in undone.content.decode()
    )
