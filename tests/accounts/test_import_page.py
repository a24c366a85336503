import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Account, ImportJob, Opportunity
from accounts.services import BUNDLED_DATA
from tests.accounts.test_import import SMALL

pytestmark = pytest.mark.django_db

FIELDS = {
    "accounts": "accounts.csv",
    "products": "products.csv",
    "sales_teams": "sales_teams.csv",
    "sales_pipeline": "sales_pipeline.csv",
}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def uploads(**replace: bytes) -> dict[str, SimpleUploadedFile]:
    files = {}
    for field, name in FIELDS.items():
        content = replace.get(field, (BUNDLED_DATA / name).read_bytes())
        files[field] = SimpleUploadedFile(name, content, content_type="text/csv")
    return files


def small(field: str, *extra: str) -> bytes:
    return ("\r\n".join([*SMALL[FIELDS[field]], *extra]) + "\r\n").encode()


def test_ops_see_the_upload_form_and_the_nav_link(client, ops):
    client.force_login(ops)

    response = client.get(reverse("accounts:import"))

    assert response.status_code == 200
    assert b"sales_pipeline.csv" in response.content
    assert b"Keep the good rows if some are rejected" in response.content
    assert f'href="{reverse("accounts:import")}"'.encode() in response.content


@pytest.mark.parametrize("person", ["rep", "manager", "executive"])
def test_everyone_else_gets_404(client, request, person):
    user = request.getfixturevalue(person)
    client.force_login(user)
    job = ImportJob.objects.create()

    for url in [
        reverse("accounts:import"),
        reverse("accounts:import_detail", args=[job.pk]),
        reverse("accounts:import_progress", args=[job.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(reverse("accounts:import_retry", args=[job.pk])).status_code == 404
    )
    assert client.post(reverse("accounts:import"), uploads()).status_code == 404
    assert ImportJob.objects.count() == 1


def test_uploading_the_bundled_files_imports_them(
    client, ops, django_capture_on_commit_callbacks
):
    client.force_login(ops)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:import"), uploads())

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:import_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.created_by == ops
    assert Account.objects.count() == 85
    assert Opportunity.objects.count() == 8800

    page = client.get(response["Location"])
    assert b"Succeeded" in page.content
    assert b"8,800" in page.content
    assert b"misspelt sector, read as &#x27;technology&#x27;" in page.content
    assert b"Page 1 of 30" in page.content

    progress = client.get(reverse("accounts:import_progress", args=[job.pk])).json()
    assert progress == {
        "status": "succeeded",
        "status_label": "Succeeded",
        "progress": 100,
        "message": "Done",
        "finished": True,
    }


def test_a_rejected_upload_offers_to_import_the_good_rows(
    client, ops, django_capture_on_commit_callbacks
):
    # given
    client.force_login(ops)
    bad = "OPP9,Moses Frase,GTX Basic,Acme Corporation,Won,2017-01-05,2017-03-01,-5"
    files = uploads(
        accounts=small("accounts"),
        products=small("products"),
        sales_teams=small("sales_teams"),
        sales_pipeline=small("sales_pipeline", bad),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:import"), files)
    rejected = ImportJob.objects.get()

    # when
    page = client.get(response["Location"])

    # then
    assert rejected.status == ImportJob.Status.REJECTED
    assert not Opportunity.objects.exists()
    assert b"Nothing was written" in page.content
    assert b"must not be negative" in page.content
    assert b"Import the good rows" in page.content

    with django_capture_on_commit_callbacks(execute=True):
        retry = client.post(reverse("accounts:import_retry", args=[rejected.pk]))
    job = ImportJob.objects.exclude(pk=rejected.pk).get()
    assert retry["Location"] == reverse("accounts:import_detail", args=[job.pk])
    assert job.keep_good_rows
    assert job.source_directory == rejected.source_directory
    assert job.status == ImportJob.Status.SUCCEEDED
    assert Opportunity.objects.count() == 5


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ({"products": None}, "Choose the products.csv file."),
        ({"products": b""}, "products.csv: the file is empty."),
        (
            {"accounts": b"name,sector\r\nAcme,retail\r\n"},
            "accounts.csv: missing columns account, year_established, revenue, "
            "employees, office_location, subsidiary_of; expected account, sector, "
            "year_established, revenue, employees, office_location, subsidiary_of.",
        ),
        (
            {"sales_teams": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"},
            "sales_teams.csv: this is not a CSV text file.",
        ),
    ],
)
def test_a_bad_upload_shows_a_clear_message(client, ops, replace, message):
    client.force_login(ops)
    files = uploads(**{k: v for k, v in replace.items() if v is not None})
    for field, value in replace.items():
        if value is None:
            del files[field]

    response = client.post(reverse("accounts:import"), files)

    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not ImportJob.objects.exists()


def test_a_file_that_is_not_csv_or_too_big_is_refused(client, ops, settings):
    client.force_login(ops)
    files = uploads()
    files["products"] = SimpleUploadedFile("products.xlsx", b"product,series,x")

    response = client.post(reverse("accounts:import"), files)

    assert (
        "products.csv: products.xlsx is not a .csv file." in response.content.decode()
    )

    settings.LODE_UPLOAD_MAX_BYTES = 1000
    response = client.post(reverse("accounts:import"), uploads(), follow=True)

    assert "the limit is 1000\xa0bytes" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_with_no_broker_the_upload_returns_and_the_import_runs_behind_it(
    transactional_db, client, ops, settings
):
    # given the embedded default: no broker, long tasks in a thread
    settings.TASKS_IN_BACKGROUND_THREAD = True
    client.force_login(ops)

    # when ops uploads the bundled files
    response = client.post(reverse("accounts:import"), uploads())

    # then the page answers before the import is done, and the job the
    # progress endpoint reports finishes on its own
    job = ImportJob.objects.get()
    assert response.status_code == 302
    deadline = time.monotonic() + 120
    progress: dict = {}
    while time.monotonic() < deadline:
        progress = client.get(reverse("accounts:import_progress", args=[job.pk])).json()
        if progress["finished"]:
            break
        time.sleep(0.2)
    # The thread goes on to score the import; let it end before teardown.
    for thread in threading.enumerate():
        if thread.name.startswith("lode-"):
            thread.join(timeout=120)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED, progress
    assert Account.objects.count() == 85


def test_the_report_opens_on_rejected_rows_with_knock_on_rows_folded(
    client, ops, django_capture_on_commit_callbacks
):
    # given: products.csv has only its header, so every deal names a product
    # that is not there
    client.force_login(ops)
    files = uploads(
        accounts=small("accounts"),
        products=("\r\n".join(SMALL["products.csv"][:1]) + "\r\n").encode(),
        sales_teams=small("sales_teams"),
        sales_pipeline=small("sales_pipeline"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:import"), files)
    url = response["Location"]

    # when
    page = client.get(url).content.decode()
    every = client.get(url + "?action=rejected&rows=all").content.decode()
    everything = client.get(url + "?action=all").content.decode()

    # then: rejected only, the cause first, one line per missing product
    assert '<a href="?action=rejected" class="active">' in page
    assert "misspelt sector" not in page
    assert page.index("products.csv has no rows") < page.index("not in products.csv")
    assert "product not in products.csv: 3 rows, on lines 2, 5, 6" in page
    assert page.count("product not in products.csv") == 3
    assert "List every row" in page
    assert every.count("product not in products.csv") == 5
    assert "misspelt sector" in everything
