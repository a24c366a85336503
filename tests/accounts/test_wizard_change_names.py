"""The check names each changed record as people know it, not by its keys."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Opportunity, RevenueLine
from accounts.wizard import mapped_import_check, mapped_import_report_csv
from tests.accounts.factories import AccountFactory, ProductFactory
from tests.accounts.test_wizard_row_report import keyed_rows_section
from tests.accounts.test_wizard_tester_findings import opened
from tests.accounts.wizard_runs import imported

pytestmark = pytest.mark.django_db

HEADER = (
    "Opportunity ID,Opportunity Name,Account Name,Product Name,Stage,Amount,"
    "Close Date\n"
)


@pytest.fixture
def won_deal(tmp_path, settings):
    """A won deal of Q3 2017 imported once; the file now says 150, not 100."""
    settings.MEDIA_ROOT = tmp_path / "media"
    AccountFactory.create(name="Alpha Co")
    ProductFactory.create(name="GTX Pro")
    path = tmp_path / "deals.csv"
    path.write_text(
        HEADER + "006A1,Press line,Alpha Co,GTX Pro,Closed Won,100,2017-08-15\n"
    )
    imported(path)
    path.write_text(
        HEADER + "006A1,Press line,Alpha Co,GTX Pro,Closed Won,150,2017-08-15\n"
    )
    return path


def test_the_check_names_a_deal_and_a_revenue_line_by_their_names(
    won_deal,
) -> None:
    deal, line = Opportunity.objects.get(), RevenueLine.objects.get()

    outcome = mapped_import_check(mapped=opened(won_deal))

    assert [(c["record"], c["key"]) for c in outcome.changes] == [
        ("deal 006A1 of Alpha Co", f"accounts.opportunity:{deal.pk}"),
        (
            "revenue line Alpha Co / GTX Pro / Q3 2017 (won deals)",
            f"accounts.revenueline:{line.pk}",
        ),
    ]


def test_the_page_command_and_api_show_the_names_not_the_keys(
    won_deal, client, ops
) -> None:
    # given
    mapped = opened(won_deal)
    client.force_login(ops)
    api = APIClient()
    api.force_authenticate(ops)
    out = StringIO()

    # when
    page = client.get(reverse("accounts:wizard_check", args=[mapped.job_id]))
    check = api.get(f"/api/accounts/imports/{mapped.job_id}/check/").json()
    call_command("import_files", str(won_deal), stdout=out)

    # then
    body = page.content.decode()
    assert (
        '<th scope="row" rowspan="1">revenue line Alpha Co / GTX Pro / Q3 2017 '
        "(won deals)</th>"
    ) in body
    assert "won:" not in body
    assert [(c["record"], c["key"]) for c in check["changes"]] == [
        (
            "deal 006A1 of Alpha Co",
            f"accounts.opportunity:{Opportunity.objects.get().pk}",
        ),
        (
            "revenue line Alpha Co / GTX Pro / Q3 2017 (won deals)",
            f"accounts.revenueline:{RevenueLine.objects.get().pk}",
        ),
    ]
    assert (
        "CHANGE revenue line Alpha Co / GTX Pro / Q3 2017 (won deals): amount "
        "100.00 -> 150.00\n"
    ) in out.getvalue()
    assert "won:" not in out.getvalue()


def test_the_row_report_names_records_as_the_check_does_with_their_keys(
    won_deal,
) -> None:
    # given
    deal, line = Opportunity.objects.get(), RevenueLine.objects.get()
    names = [c["record"] for c in mapped_import_check(mapped=opened(won_deal)).changes]

    # when
    job = imported(won_deal)

    # then
    assert keyed_rows_section(job) == [
        [
            "deals.csv",
            "2",
            "updated",
            "deal 006A1 of Alpha Co",
            "",
            f"accounts.opportunity:{deal.pk}",
        ],
        [
            "deals.csv",
            "2",
            "updated",
            "revenue line Alpha Co / GTX Pro / Q3 2017 (won deals)",
            "from this row: the quarter's won deals summed",
            f"accounts.revenueline:{line.pk}",
        ],
    ]
    assert [row[3] for row in keyed_rows_section(job)] == names
    report = "".join(mapped_import_report_csv(job=job))
    assert "won:" not in report


def test_the_row_report_names_an_invoice_line_by_its_invoice(tmp_path, settings):
    # given
    settings.MEDIA_ROOT = tmp_path / "media"
    AccountFactory.create(name="Alpha Co")
    ProductFactory.create(name="GTX Pro")
    path = tmp_path / "invoices.csv"
    path.write_text(
        "Invoice Number,Account Name,Product,Invoice Date,Amount,Currency\n"
        "INV-7,Alpha Co,GTX Pro,2017-08-15,100,USD\n"
    )

    # when
    job = imported(path)

    # then
    line = RevenueLine.objects.get()
    assert keyed_rows_section(job) == [
        [
            "invoices.csv",
            "2",
            "created",
            "revenue line Alpha Co / GTX Pro / Q3 2017 (invoice INV-7)",
            "",
            f"accounts.revenueline:{line.pk}",
        ]
    ]
    assert "invoice:" not in "".join(mapped_import_report_csv(job=job))
