"""Imports call deals "Deals", as the account page and the undo page do."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ImportJob, MappedImport, User
from accounts.wizard import mapped_import_report_csv, wizard_field_choices

COUNTED = {"created": 3, "updated": 0, "unchanged": 1, "rejected": 2}
NONE = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}


def test_the_mapping_lists_deal_fields_under_deals() -> None:
    groups = [label for label, _ in wizard_field_choices()]

    assert "Deals" in groups
    assert "Opportunities" not in groups


@pytest.mark.django_db
def test_the_bundled_import_page_names_its_deals_table_deals(
    client: Client, ops: User
) -> None:
    # given: the bundled import keeps the table's key, as its API gives it
    job = ImportJob.objects.create(
        created_by=ops,
        status=ImportJob.Status.SUCCEEDED,
        counts={"opportunities": COUNTED, "revenue_lines": NONE},
    )
    client.force_login(ops)

    # when
    body = client.get(reverse("accounts:import_detail", args=[job.pk])).content

    # then
    page = body.decode()
    assert "<td>Deals</td>" in page
    assert "<td>Revenue lines</td>" in page
    assert "pportunities" not in page


@pytest.mark.django_db
def test_the_report_lists_the_counts_in_the_kinds_order(
    client: Client, ops: User
) -> None:
    # given: stored with the short key first, as PostgreSQL's jsonb keeps it
    job = ImportJob.objects.create(
        created_by=ops,
        status=ImportJob.Status.SUCCEEDED,
        finished_at=timezone.now(),
        uploads_removed_at=timezone.now(),
        counts={"Deals": COUNTED, "Products": NONE, "Accounts": NONE},
    )
    MappedImport.objects.create(job=job, confirmed_at=timezone.now())
    client.force_login(ops)

    # when
    page = client.get(reverse("accounts:wizard_report", args=[job.pk]))
    report = "".join(mapped_import_report_csv(job=job))

    # then
    assert [label for label, _ in page.context["counts"]] == [
        "Accounts",
        "Deals",
        "Products",
    ]
    assert report.splitlines()[-3:] == [
        "Accounts,0,0,0,0",
        "Deals,3,0,1,2",
        "Products,0,0,0,0",
    ]
