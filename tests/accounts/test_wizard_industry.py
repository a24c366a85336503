"""HubSpot's industry codes are stored and shown as words."""

from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import Account, ImportJob
from accounts.recognise import industry_words
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create,
    mapped_import_files_read,
    mapped_import_mapping_confirm,
    mapped_import_run,
    mapped_import_start,
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("COMPUTER_SOFTWARE", "Computer software"),
        ("FINANCIAL_SERVICES", "Financial services"),
        ("INFORMATION_TECHNOLOGY_AND_SERVICES", "Information technology and services"),
        ("MACHINERY", "Machinery"),
        ("E_LEARNING", "E-learning"),
        # Words already, or not a code: kept as they are.
        ("Computer software", "Computer software"),
        ("retail", "retail"),
        ("", ""),
    ],
)
def test_an_industry_code_reads_as_words(code: str, words: str) -> None:
    assert industry_words(code) == words


COMPANIES = (
    "Record ID,Company name,Industry\n"
    "101,Pelican Paper Co,COMPUTER_SOFTWARE\n"
    "102,Gull Bank,FINANCIAL_SERVICES\n"
    "103,Tern Mills,Paper & forest products\n"
    "104,Heron Labs,\n"
)


@pytest.mark.django_db
def test_a_hubspot_company_export_stores_its_industries_as_words(client, ops) -> None:
    # given
    mapped = mapped_import_create(
        user=ops, files=[("companies.csv", COMPANIES.encode())]
    )
    [preview] = mapped_import_files_read(mapped=mapped)
    mapping = {preview.name: {c: list(t) for c, t in preview.mapping.items()}}
    assert mapped_import_mapping_confirm(mapped=mapped, mapping=mapping, user=ops) == {}

    # when
    assert mapped_import_check(mapped=mapped).problems == []
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert dict(Account.objects.values_list("name", "sector")) == {
        "Pelican Paper Co": "Computer software",
        "Gull Bank": "Financial services",
        "Tern Mills": "Paper & forest products",
        "Heron Labs": "",
    }


@pytest.mark.django_db
def test_the_mapping_page_says_industry_codes_are_kept_as_words(client, ops) -> None:
    mapped = mapped_import_create(
        user=ops, files=[("companies.csv", COMPANIES.encode())]
    )
    client.force_login(ops)

    page = client.get(reverse("accounts:wizard_mapping", args=[mapped.job_id]))

    assert (
        "HubSpot&#x27;s industry codes are kept as words: COMPUTER_SOFTWARE as "
        "&#x27;Computer software&#x27;."
    ) in page.content.decode()
