"""A file of thousands of columns is refused before a mapping page is drawn."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import MappedImport

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def test_the_upload_page_refuses_a_file_of_5000_columns(client, ops) -> None:
    # given
    header = ",".join(f"c{index}" for index in range(5000))
    wide = f"{header}\n{','.join(['1'] * 5000)}\n".encode()
    client.force_login(ops)

    # when
    page = client.post(
        reverse("accounts:wizard"), {"files": [SimpleUploadedFile("wide.csv", wide)]}
    )

    # then
    assert page.status_code == 200
    assert not MappedImport.objects.exists()
    assert (
        '<p class="error" role="alert">wide.csv: the header has 5,000 columns and '
        "Lode reads at most 500; remove the columns you do not need and upload it "
        "again</p>"
    ) in page.content.decode()
    assert len(page.content) < 100_000
