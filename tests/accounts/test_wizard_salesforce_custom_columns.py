"""Salesforce `__c` columns of three related files, through page, CLI and API."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Account, ImportJob, MappedImport, Opportunity
from stakeholders.models import Stakeholder

pytestmark = pytest.mark.django_db

FILES = {
    "sf_accounts.csv": (
        "Id,Name,Industry,AnnualRevenue,NumberOfEmployees,BillingCountry,"
        "Region__c,Tier__c\n"
        "001A000001AAAAA,Brk Alpha Industries,Manufacturing,12000000,450,Germany,"
        "EMEA,Gold\n"
    ),
    "sf_contacts.csv": (
        "Id,FirstName,LastName,Email,Title,Department,Phone,AccountId,"
        "Preferred_Language__c,Decision_Role__c\n"
        "003A000001CCCCC,Ada,Brook,ada.brook@alpha.example,CFO,Finance,+49 30 1234,"
        "001A000001AAAAA,German,Economic Buyer\n"
    ),
    "sf_opportunities.csv": (
        "Id,AccountId,Name,StageName,Amount,CloseDate,IsWon,IsClosed,"
        "CurrencyIsoCode,Deal_Source__c,Competitor__c\n"
        "006A000001OOOOO,001A000001AAAAA,Alpha renewal,Closed Won,50000,2025-06-30,"
        "true,true,USD,Partner,Globex\n"
    ),
}
KEPT = [
    ("sf_accounts.csv", "Region__c", "kept as a custom field of the account"),
    ("sf_accounts.csv", "Tier__c", "kept as a custom field of the account"),
    (
        "sf_contacts.csv",
        "Preferred_Language__c",
        "kept as a custom field of the person",
    ),
    ("sf_contacts.csv", "Decision_Role__c", "kept as a custom field of the person"),
    ("sf_opportunities.csv", "Deal_Source__c", "kept as a custom field of the deal"),
    ("sf_opportunities.csv", "Competitor__c", "kept as a custom field of the deal"),
]
SELECT = re.compile(r'<select name="(map:\d+:\d+)".*?</select>', re.DOTALL)
SELECTED = re.compile(r'<option value="([^"]*)" selected>')


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def uploads() -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(name, text.encode(), "text/csv")
        for name, text in FILES.items()
    ]


def assert_custom_values_kept() -> None:
    assert list(Account.objects.values_list("name", "custom_values")) == [
        ("Brk Alpha Industries", {"Region__c": "EMEA", "Tier__c": "Gold"})
    ]
    assert list(Stakeholder.objects.values_list("email", "custom_values")) == [
        (
            "ada.brook@alpha.example",
            {"Preferred_Language__c": "German", "Decision_Role__c": "Economic Buyer"},
        )
    ]
    assert list(Opportunity.objects.values_list("external_id", "custom_values")) == [
        ("006A000001OOOOO", {"Deal_Source__c": "Partner", "Competitor__c": "Globex"})
    ]


def test_the_page_keeps_custom_columns_with_the_suggested_mapping(
    client, ops, django_capture_on_commit_callbacks
) -> None:
    # given
    client.force_login(ops)
    client.post(reverse("accounts:wizard"), {"files": uploads()})
    mapped = MappedImport.objects.get()
    mapping_url = reverse("accounts:wizard_mapping", args=[mapped.job_id])
    page = client.get(mapping_url).content.decode()

    # when: the form is posted as the browser shows it
    form = {}
    for name, select in ((m[1], m[0]) for m in SELECT.finditer(page)):
        chosen = SELECTED.findall(select)
        form[name] = chosen[0] if chosen else ""
    response = client.post(mapping_url, form)

    # then
    assert form["map:0:6"] == "account.extra"
    assert form["map:1:9"] == "person.extra"
    assert form["map:2:10"] == "opportunity.extra"
    assert '<option value="account.extra">keep as custom field</option>' in page
    check = client.get(response.url)
    assert [d for d in check.context["outcome"].decisions if "custom" in d[2]] == KEPT
    # The deal's Name is its name: every column is imported.
    assert form["map:2:2"] == "opportunity.name"
    assert [w for w in check.context["warnings"] if "not imported" in w] == []

    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {})
    assert ImportJob.objects.get().status == ImportJob.Status.SUCCEEDED
    assert_custom_values_kept()


def test_the_command_line_keeps_custom_columns(tmp_path: Path) -> None:
    paths = []
    for name, text in FILES.items():
        paths.append(tmp_path / name)
        paths[-1].write_text(text)
    out = StringIO()

    call_command("import_files", *map(str, paths), "--yes", stdout=out)

    output = out.getvalue()
    assert "  Region__c         -> account.extra\n" in output
    assert "  Decision_Role__c      -> person.extra\n" in output
    assert "  Competitor__c   -> opportunity.extra\n" in output
    assert "(not imported)" not in output
    assert_custom_values_kept()


def test_the_api_keeps_custom_columns(ops, django_capture_on_commit_callbacks) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)
    created = api.post("/api/accounts/imports/", {"files": uploads()}, "multipart")
    url = f"/api/accounts/imports/{created.json()['id']}/"
    etag = api.get(url + "mapping/")["ETag"]
    api.put(url + "mapping/", {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)

    # when
    check = api.get(url + "check/").json()
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(url + "start/", {}, format="json")

    # then
    assert [
        (d["file"], d["column"], d["decision"])
        for d in check["decisions"]
        if "custom" in d["decision"]
    ] == KEPT
    assert started.status_code == 202
    assert_custom_values_kept()
