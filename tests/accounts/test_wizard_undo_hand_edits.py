"""Undo sets back the fields an import changed, except those edited by hand.

A hand edit of an account (through the API) or of a deal (through the API,
the deal page or the admin) is recorded field by field in the shared
history; the undo keeps that field, says why, and still sets back every
other field the import changed.
"""

import csv
import html
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import (
    Account,
    ChangeRecord,
    ImportJob,
    Opportunity,
    Product,
    RevenueLine,
    User,
)
from accounts.selectors import account_revenue_by_quarter, whitespace_bought_since
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_report_csv,
    mapped_import_run,
    mapped_import_start,
    mapped_import_undo,
    mapped_import_undo_plan,
)
from scoring.loading import scoring_frames_load
from tests.accounts.factories import AccountFactory, UserFactory
from tests.security.test_escaping import FORMULA

BYOD = Path(__file__).parent / "fixtures" / "byod"
# The import ran on 1 Dec; the hand edit happened on 5 Dec.
IMPORTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
# The imported deal, named as the undo names every record.
DEAL = "deal 0065g00000Q1w2eAAB of Acme Widgets, Inc"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def bruce() -> User:
    return UserFactory.create(
        username="bruce",
        first_name="Bruce",
        last_name="Wayne",
        role=User.Role.OPS,
        is_staff=True,
        is_superuser=True,
    )


def imported(path: Path, *, user: User) -> ImportJob:
    mapped = mapped_import_create_from_paths(user=user, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=user) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    # Date the import on 1 Dec, so the hand edit is plainly later work.
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=IMPORTED, finished_at=IMPORTED
    )
    for model in (Account, Opportunity, RevenueLine):
        model._default_manager.update(updated_at=IMPORTED)
    job.refresh_from_db()
    return job


def edited_later() -> None:
    ChangeRecord.objects.filter(import_job=None).update(changed_at=LATER)


def test_undo_sets_back_an_accounts_sector_and_keeps_its_hand_edited_employees(
    client, ops, bruce
) -> None:
    # given: the import sets the sector and the head count
    acme = AccountFactory.create(
        name="Acme Widgets, Inc",
        external_id="0015g00000AbCdEAAV",
        sector="Retail",
        employees=900,
        country="Canada",
        annual_revenue=Decimal("9800000.00"),
    )
    job = imported(BYOD / "salesforce_api_accounts.csv", user=ops)
    acme.refresh_from_db()
    assert (acme.sector, acme.employees) == ("Manufacturing", 1200)

    # and Bruce corrects the head count through the API
    api = APIClient()
    api.force_authenticate(bruce)
    url = reverse("accounts_api:detail", args=[acme.pk])
    etag = api.get(url)["ETag"]
    edit = api.patch(url, {"employees": 1300}, format="json", HTTP_IF_MATCH=etag)
    assert edit.status_code == 200, edit.json()
    edited_later()
    note = (
        "employees “1300” kept on account Acme Widgets, Inc: edited by Bruce "
        "Wayne on 5 Dec 2026."
    )

    # when
    client.force_login(ops)
    page = client.get(reverse("accounts:wizard_undo", args=[job.pk]))
    done = mapped_import_undo(mapped=job.mapped, user=ops)

    # then: the confirm page and the undo say which field stays and why
    assert page.status_code == 200
    assert f"<li>{note}</li>" in html.unescape(page.content.decode())
    assert done.kept == [note]
    # and every other field the import changed is set back
    acme.refresh_from_db()
    assert (
        acme.sector,
        acme.employees,
        acme.country,
        acme.annual_revenue,
        acme.annual_revenue_currency,
        acme.custom_values,
    ) == ("Retail", 1300, "Canada", Decimal("9800000.00"), "USD", {})
    assert list(Account.objects.values_list("name", flat=True)) == [acme.name]


def test_undo_keeps_a_hand_edited_revenue_with_its_currency_and_rate(
    ops, bruce
) -> None:
    # given: a revenue in EUR the import replaces with one in USD
    acme = AccountFactory.create(
        name="Acme Widgets, Inc",
        external_id="0015g00000AbCdEAAV",
        annual_revenue=Decimal("9000000.00"),
        annual_revenue_currency="EUR",
        annual_revenue_rate=Decimal("1.08"),
        annual_revenue_rate_date=date(2026, 3, 31),
    )
    job = imported(BYOD / "salesforce_api_accounts.csv", user=ops)
    # and Bruce corrects the amount alone, in USD as the import left it
    api = APIClient()
    api.force_authenticate(bruce)
    url = reverse("accounts_api:detail", args=[acme.pk])
    etag = api.get(url)["ETag"]
    edit = api.patch(
        url, {"annual_revenue": "13000000.50"}, format="json", HTTP_IF_MATCH=etag
    )
    assert edit.status_code == 200, edit.json()
    edited_later()

    # when
    mapped_import_undo(mapped=job.mapped, user=ops)

    # then: the amount keeps the currency it was entered in, not the old EUR
    acme.refresh_from_db()
    assert (
        acme.annual_revenue,
        acme.annual_revenue_currency,
        acme.annual_revenue_rate,
        acme.annual_revenue_rate_date,
    ) == (Decimal("13000000.50"), "USD", None, None)


def test_the_hand_edit_is_in_the_accounts_history(bruce) -> None:
    acme = AccountFactory.create(name="Acme Widgets, Inc", employees=900, country="")
    api = APIClient()
    api.force_authenticate(bruce)
    url = reverse("accounts_api:detail", args=[acme.pk])

    api.patch(
        url,
        {"employees": 1300, "country": ""},
        format="json",
        HTTP_IF_MATCH=api.get(url)["ETag"],
    )

    # the unchanged country is not recorded
    assert list(
        ChangeRecord.objects.values_list(
            "object_label", "field", "old_value", "new_value", "changed_by__username"
        )
    ) == [("Acme Widgets, Inc", "employees", "900", "1300", "bruce")]


def test_undo_sets_back_a_deals_amount_and_keeps_its_hand_edited_close_date(
    client, ops, bruce, tmp_path
) -> None:
    # given: a deal in negotiation, then an import that closes it as won
    imported(BYOD / "salesforce_api_accounts.csv", user=ops)
    earlier = tmp_path / "negotiation.csv"
    earlier.write_text(
        '"Id","AccountId","StageName","Amount","CloseDate","IsWon",'
        '"Forecast_Category__c"\n'
        '"0065g00000Q1w2eAAB","0015g00000AbCdEAAV","Negotiation","40000",'
        '"2026-02-28","false","Pipeline"\n'
    )
    imported(earlier, user=ops)
    job = imported(BYOD / "salesforce_api_opportunities.csv", user=ops)
    deal = Opportunity.objects.get()
    assert (deal.stage, deal.close_value, deal.closed_on) == (
        "won",
        Decimal("48000.00"),
        date(2026, 3, 31),
    )

    # and Bruce moves the close date in the admin
    client.force_login(bruce)
    edit = client.post(
        reverse("admin:accounts_opportunity_change", args=[deal.pk]),
        {
            "external_id": deal.external_id,
            "account": deal.account_id,
            "product": deal.product_id,
            "owner": "",
            "stage": "won",
            "engaged_on": "",
            "closed_on": "2026-04-15",
            "close_value": "48000.00",
            "currency": "USD",
        },
    )
    assert edit.status_code == 302
    edited_later()
    note = (
        f"closed on “2026-04-15” kept on {DEAL}: edited by Bruce Wayne on 5 Dec 2026."
    )

    # when
    plan = mapped_import_undo_plan(mapped=job.mapped)
    done = mapped_import_undo(mapped=job.mapped, user=ops)

    # then
    assert plan.notes == done.kept == [note]
    deal.refresh_from_db()
    assert (
        deal.stage,
        deal.close_value,
        deal.closed_on,
        deal.custom_values,
    ) == (
        "engaging",
        Decimal("40000.00"),
        date(2026, 4, 15),
        {"Forecast_Category__c": "Pipeline"},
    )


def test_the_admin_records_only_the_deal_fields_it_changed(client, bruce) -> None:
    # given
    imported(BYOD / "salesforce_api_accounts.csv", user=bruce)
    imported(BYOD / "salesforce_api_opportunities.csv", user=bruce)
    deal = Opportunity.objects.get()
    client.force_login(bruce)

    # when
    client.post(
        reverse("admin:accounts_opportunity_change", args=[deal.pk]),
        {
            "external_id": deal.external_id,
            "account": deal.account_id,
            "product": deal.product_id,
            "owner": "",
            "stage": "lost",
            "engaged_on": "",
            "closed_on": "2026-03-31",
            "close_value": "48000.00",
            "currency": "USD",
        },
    )

    # then
    assert list(
        ChangeRecord.objects.filter(import_job=None).values_list(
            "account__name", "object_label", "field", "old_value", "new_value"
        )
    ) == [("Acme Widgets, Inc", "0065g00000Q1w2eAAB", "stage", "won", "lost")]


def negotiated_then_won(ops: User, tmp_path: Path) -> ImportJob:
    """Import a deal in negotiation, then the import that closes it as won."""
    imported(BYOD / "salesforce_api_accounts.csv", user=ops)
    earlier = tmp_path / "negotiation.csv"
    earlier.write_text(
        '"Id","AccountId","StageName","Amount","CloseDate","IsWon",'
        '"Forecast_Category__c"\n'
        '"0065g00000Q1w2eAAB","0015g00000AbCdEAAV","Negotiation","40000",'
        '"2026-02-28","false","Pipeline"\n'
    )
    imported(earlier, user=ops)
    return imported(BYOD / "salesforce_api_opportunities.csv", user=ops)


def test_undo_keeps_a_deals_close_date_edited_through_the_api(
    ops, bruce, tmp_path
) -> None:
    # given
    job = negotiated_then_won(ops, tmp_path)
    deal = Opportunity.objects.get()

    # and Bruce moves the close date through the deal API
    api = APIClient()
    api.force_authenticate(bruce)
    url = reverse("accounts_api:deal_detail", args=[deal.pk])
    edit = api.patch(
        url,
        {"closed_on": "2026-04-15"},
        format="json",
        HTTP_IF_MATCH=api.get(url)["ETag"],
    )
    assert edit.status_code == 200, edit.json()
    edited_later()

    # when
    plan = mapped_import_undo_plan(mapped=job.mapped)
    done = mapped_import_undo(mapped=job.mapped, user=ops)

    # then: the close date stays, the rest of the import goes back
    assert (
        plan.notes
        == done.kept
        == [
            f"closed on “2026-04-15” kept on {DEAL}: edited by Bruce Wayne on "
            "5 Dec 2026."
        ]
    )
    deal.refresh_from_db()
    assert (deal.stage, deal.close_value, deal.closed_on, deal.custom_values) == (
        "engaging",
        Decimal("40000.00"),
        date(2026, 4, 15),
        {"Forecast_Category__c": "Pipeline"},
    )


def test_undo_keeps_a_deals_amount_edited_on_the_deal_page(
    client, ops, bruce, tmp_path
) -> None:
    # given
    job = negotiated_then_won(ops, tmp_path)
    deal = Opportunity.objects.get()

    # and Bruce corrects the amount on the deal page, leaving the rest
    client.force_login(bruce)
    url = reverse("accounts:deal_edit", args=[deal.pk])
    form = client.get(url).context["form"]
    sent = {
        name: "" if value is None else str(getattr(value, "pk", value))
        for name, value in form.initial.items()
    }
    edit = client.post(url, {**sent, "close_value": "50000"})
    assert edit.status_code == 302
    assert list(
        ChangeRecord.objects.filter(import_job=None).values_list(
            "field", "old_value", "new_value"
        )
    ) == [("close_value", "48000.00", "50000.00")]
    edited_later()

    # when
    plan = mapped_import_undo_plan(mapped=job.mapped)
    done = mapped_import_undo(mapped=job.mapped, user=ops)

    # then: the amount stays; stage, close date and CRM fields go back
    assert (
        plan.notes
        == done.kept
        == [
            f"close value “50000.00” kept on {DEAL}: edited by Bruce Wayne on "
            "5 Dec 2026."
        ]
    )
    deal.refresh_from_db()
    assert (deal.stage, deal.close_value, deal.closed_on, deal.custom_values) == (
        "engaging",
        Decimal("50000.00"),
        date(2026, 2, 28),
        {"Forecast_Category__c": "Pipeline"},
    )
    # and the deal, no longer won, has no won revenue left
    assert list(RevenueLine.objects.values_list("amount", flat=True)) == []


def test_the_undo_preview_counts_deals_as_deals(client, ops, tmp_path) -> None:
    # given
    job = negotiated_then_won(ops, tmp_path)
    api = APIClient()
    api.force_authenticate(ops)
    client.force_login(ops)

    # when
    preview = api.get(reverse("accounts_api:import_undo", args=[job.pk])).json()
    page = client.get(reverse("accounts:wizard_undo", args=[job.pk]))

    # then
    assert (preview["deleted"], preview["restored"]) == (
        {"revenue lines": 1},
        {"deals": 1},
    )
    assert '<th scope="row">Deals</th>' in page.content.decode()
    assert "pportunitys" not in page.content.decode()


def test_undoing_the_import_that_made_a_won_deal_keeps_its_hand_edited_revenue(
    ops, bruce
) -> None:
    # given: an import makes a won deal of 48,000, and Bruce corrects it
    imported(BYOD / "salesforce_api_accounts.csv", user=ops)
    job = imported(BYOD / "salesforce_api_opportunities.csv", user=ops)
    deal = Opportunity.objects.get()
    account = Account.objects.get(opportunities=deal)
    api = APIClient()
    api.force_authenticate(bruce)
    url = reverse("accounts_api:deal_detail", args=[deal.pk])
    edit = api.patch(
        url,
        {"close_value": "50000.00"},
        format="json",
        HTTP_IF_MATCH=api.get(url)["ETag"],
    )
    assert edit.status_code == 200, edit.json()
    edited_later()
    Product.objects.update(updated_at=IMPORTED)

    # when
    done = mapped_import_undo(mapped=job.mapped, user=ops)

    # then: the deal stays, as edited, and so does its revenue
    assert done.kept == [
        f"{DEAL} kept: its close value field was edited by Bruce Wayne on 5 Dec 2026.",
        f"product Unspecified kept: it is the product of {DEAL}, which is kept.",
    ]
    deal.refresh_from_db()
    assert (deal.stage, deal.close_value, deal.closed_on) == (
        "won",
        Decimal("50000.00"),
        date(2026, 3, 31),
    )
    q1 = date(2026, 1, 1)
    assert list(
        RevenueLine.objects.values_list(
            "account_id", "product_id", "quarter_start", "amount", "currency"
        )
    ) == [(account.pk, deal.product_id, q1, Decimal("50000.00"), "USD")]
    assert account_revenue_by_quarter(account=account, reporting_currency="USD") == [
        {"quarter": "2026-01-01", "product": "Unspecified", "amount": 50000.0}
    ]
    # A placeholder product is never whitespace, but it is bought.
    assert whitespace_bought_since(account_ids=[account.pk]) == {
        (account.pk, deal.product_id): q1
    }
    revenue = scoring_frames_load().revenue
    assert [
        (row.account_id, row.product_id, row.quarter_start, row.amount, row.currency)
        for row in revenue.itertuples()
    ] == [(account.pk, deal.product_id, pd.Timestamp(q1), 50000.0, "USD")]


def test_undo_keeps_a_deals_name_edited_on_the_deal_page_and_lists_it_in_the_csv(
    client, ops, bruce, tmp_path
) -> None:
    # given: the import that wins the deal also names it
    job = negotiated_then_won(ops, tmp_path)
    deal = Opportunity.objects.get()
    line = RevenueLine.objects.get()
    assert deal.name == "Acme renewal 2026"

    # and Bruce renames it on the deal page, leaving the rest
    client.force_login(bruce)
    url = reverse("accounts:deal_edit", args=[deal.pk])
    form = client.get(url).context["form"]
    sent = {
        name: "" if value is None else str(getattr(value, "pk", value))
        for name, value in form.initial.items()
    }
    edit = client.post(url, {**sent, "name": FORMULA})
    assert edit.status_code == 302
    assert list(
        ChangeRecord.objects.filter(import_job=None).values_list(
            "field", "old_value", "new_value"
        )
    ) == [("name", "Acme renewal 2026", FORMULA)]
    edited_later()
    reason = "edited by Bruce Wayne on 5 Dec 2026"

    # when
    plan = mapped_import_undo_plan(mapped=job.mapped)
    download = client.get(reverse("accounts:wizard_undo_csv", args=[job.pk]))
    rows = list(
        csv.reader(
            io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))
        )
    )
    done = mapped_import_undo(mapped=job.mapped, user=ops)

    # then: the name stays; stage, amount, close date and CRM fields go back
    assert plan.notes == done.kept == [f"name “{FORMULA}” kept on {DEAL}: {reason}."]
    deal.refresh_from_db()
    assert (deal.name, deal.stage, deal.close_value, deal.closed_on) == (
        FORMULA,
        "engaging",
        Decimal("40000.00"),
        date(2026, 2, 28),
    )
    # and the CSV says so too, the name made inert for a spreadsheet
    assert rows == [
        ["action", "kind", "record", "key", "field", "value", "reason"],
        [
            "deleted",
            "revenue line",
            "revenue line Acme Widgets, Inc / Unspecified / Q1 2026 (won deals)",
            f"accounts.revenueline:{line.pk}",
            "",
            "",
            "",
        ],
        [
            "set back",
            "opportunity",
            "deal 0065g00000Q1w2eAAB of Acme Widgets, Inc",
            f"accounts.opportunity:{deal.pk}",
            "",
            "",
            "",
        ],
        [
            "kept",
            "opportunity",
            DEAL,
            f"accounts.opportunity:{deal.pk}",
            "name",
            "'" + FORMULA,
            reason,
        ],
    ]


def test_undoing_the_import_that_made_a_deal_keeps_it_for_its_hand_edited_name(
    ops, bruce
) -> None:
    # given: an import makes the deal, and Bruce renames it through the API
    imported(BYOD / "salesforce_api_accounts.csv", user=ops)
    job = imported(BYOD / "salesforce_api_opportunities.csv", user=ops)
    deal = Opportunity.objects.get()
    api = APIClient()
    api.force_authenticate(bruce)
    url = reverse("accounts_api:deal_detail", args=[deal.pk])
    edit = api.patch(
        url,
        {"name": "Acme renewal, signed"},
        format="json",
        HTTP_IF_MATCH=api.get(url)["ETag"],
    )
    assert edit.status_code == 200, edit.json()
    edited_later()
    Product.objects.update(updated_at=IMPORTED)

    # when
    done = mapped_import_undo(mapped=job.mapped, user=ops)

    # then: the deal stays with the name Bruce gave it, named as the undo's
    # list of records names each record, its kind first
    notes = [
        f"{DEAL} kept: its name field was edited by Bruce Wayne on 5 Dec 2026.",
        f"product Unspecified kept: it is the product of {DEAL}, which is kept.",
    ]
    assert done.kept == notes
    # and the row report lists them as kept by the undo, not as undone
    report = list(csv.reader(io.StringIO("".join(mapped_import_report_csv(job=job)))))
    assert [row for row in report if row[4:5] and row[4] in notes] == [
        ["(whole import)", "", "", "", note, "kept"] for note in notes
    ]
    deal.refresh_from_db()
    assert (deal.name, deal.stage, deal.close_value) == (
        "Acme renewal, signed",
        "won",
        Decimal("48000.00"),
    )
