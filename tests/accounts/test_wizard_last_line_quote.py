"""A quote left open on a CSV's last line is refused before anything is kept."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Account, ImportJob, MappedImport, User

QUIRKS = Path(__file__).parent / "fixtures" / "quirks"
NAME = "accounts_last_quote_open.csv"
REASON = (
    "a quoted value that starts on line 3, the last line, is never closed, so "
    "the rest of that line would be read as one value. Add the missing closing "
    "quote and upload the file again"
)


def _file() -> SimpleUploadedFile:
    return SimpleUploadedFile(NAME, (QUIRKS / NAME).read_bytes())


def test_the_api_refuses_the_upload_naming_the_line(ops: User) -> None:
    api = APIClient()
    api.force_authenticate(ops)

    response = api.post(
        "/api/accounts/imports/", {"files": [_file()]}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json() == {"files": [f"{NAME}: {REASON}"]}
    assert not ImportJob.objects.exists()
    assert not Account.objects.exists()


def test_the_upload_page_shows_the_refusal_naming_the_line(ops: User) -> None:
    client = Client()
    client.force_login(ops)

    response = client.post("/accounts/import/wizard/", {"files": [_file()]})

    assert response.status_code == 200
    assert response.context["errors"] == [f"{NAME}: {REASON}"]
    assert REASON in response.content.decode()
    assert not Account.objects.exists()
    assert not MappedImport.objects.exists()
