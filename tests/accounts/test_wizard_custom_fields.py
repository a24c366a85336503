"""Salesforce custom `__c` columns: kept on accounts and deals, shown, undone."""

from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import Account, ImportJob, Opportunity, Product
from accounts.wizard import mapped_import_undo
from tests.accounts.wizard_runs import (
    counted,
    custom_column_decisions,
    custom_values_read_only,
    imported,
    page_shown,
)

BYOD = Path(__file__).parent / "fixtures" / "byod"
ACCOUNTS = BYOD / "salesforce_api_accounts.csv"
OPPORTUNITIES = BYOD / "salesforce_api_opportunities.csv"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def custom() -> list[tuple[str, dict]]:
    return list(Account.objects.order_by("name").values_list("name", "custom_values"))


def test_the_check_says_custom_columns_are_kept() -> None:
    assert custom_column_decisions(ACCOUNTS) == [
        (
            "salesforce_api_accounts.csv",
            "Region__c",
            "kept as a custom field of the account",
        ),
        (
            "salesforce_api_accounts.csv",
            "Tier__c",
            "kept as a custom field of the account",
        ),
    ]


def test_custom_columns_are_stored_and_a_reimport_changes_nothing() -> None:
    # when
    first = imported(ACCOUNTS)
    again = imported(ACCOUNTS)

    # then
    assert first.status == ImportJob.Status.SUCCEEDED, first.issues
    assert custom() == [
        ("Acme Widgets Europe GmbH", {"Region__c": "EMEA", "Tier__c": "B"}),
        ("Acme Widgets, Inc", {"Region__c": "North America", "Tier__c": "A"}),
    ]
    assert again.counts["Accounts"] == counted(unchanged=2)


def test_a_changed_value_updates_keeps_the_others_and_undo_restores(tmp_path) -> None:
    # given
    imported(ACCOUNTS)
    changed = tmp_path / "accounts.csv"
    changed.write_text(
        '"Id","Name","Tier__c","Renewal_Month__c"\n'
        '"0015g00000AbCdEAAV","Acme Widgets, Inc","A+","March"\n'
        '"0015g00000AbCdFAAV","Acme Widgets Europe GmbH","",""\n'
    )

    # when
    job = imported(changed)

    # then: a blank cell says nothing; a new column is added beside the old
    assert job.counts["Accounts"] == counted(updated=1, unchanged=1)
    assert custom() == [
        ("Acme Widgets Europe GmbH", {"Region__c": "EMEA", "Tier__c": "B"}),
        (
            "Acme Widgets, Inc",
            {
                "Region__c": "North America",
                "Renewal_Month__c": "March",
                "Tier__c": "A+",
            },
        ),
    ]

    # when undone
    mapped_import_undo(mapped=job.mapped, user=None)

    # then
    assert custom()[1] == (
        "Acme Widgets, Inc",
        {"Region__c": "North America", "Tier__c": "A"},
    )


def test_the_account_page_shows_the_custom_fields(client, ops) -> None:
    # given
    imported(ACCOUNTS)
    account = Account.objects.get(name="Acme Widgets, Inc")

    # when
    shown = page_shown(client, ops, "accounts:detail", account.pk)

    # then
    assert (
        "<h2>Fields from the CRM</h2>\n"
        '        <dl class="facts custom-fields">\n'
        "          <div><dt>Region__c</dt><dd>North America</dd></div>"
        "<div><dt>Tier__c</dt><dd>A</dd></div>"
    ) in shown


def test_an_account_without_custom_fields_shows_no_such_card(client, ops) -> None:
    account = Account.objects.create(name="Plain Co")
    client.force_login(ops)

    page = client.get(reverse("accounts:detail", args=[account.pk]))

    assert b"Fields from the CRM" not in page.content


def deals() -> list[tuple[str, dict]]:
    return list(
        Opportunity.objects.order_by("external_id").values_list(
            "external_id", "custom_values"
        )
    )


def test_a_deals_custom_columns_are_stored_and_a_reimport_changes_nothing() -> None:
    # given
    imported(ACCOUNTS)

    # when
    first = imported(OPPORTUNITIES)
    again = imported(OPPORTUNITIES)

    # then
    assert first.status == ImportJob.Status.SUCCEEDED, first.issues
    assert deals() == [("0065g00000Q1w2eAAB", {"Forecast_Category__c": "Closed"})]
    assert again.counts["Deals"] == counted(unchanged=1)


def test_a_deals_changed_value_updates_keeps_the_others_and_undo_restores(
    tmp_path,
) -> None:
    # given
    imported(ACCOUNTS)
    imported(OPPORTUNITIES)
    changed = tmp_path / "opportunities.csv"
    changed.write_text(
        '"Id","AccountId","StageName","Amount","CloseDate","IsWon",'
        '"Forecast_Category__c","Competitor__c"\n'
        '"0065g00000Q1w2eAAB","0015g00000AbCdEAAV","Closed Won","48000",'
        '"2026-03-31","true","Commit","Globex"\n'
    )

    # when
    job = imported(changed)

    # then: a new column is added beside the old, a changed one replaced
    assert job.counts["Deals"] == counted(updated=1)
    assert deals() == [
        (
            "0065g00000Q1w2eAAB",
            {"Competitor__c": "Globex", "Forecast_Category__c": "Commit"},
        )
    ]

    # when undone
    mapped_import_undo(mapped=job.mapped, user=None)

    # then
    assert deals() == [("0065g00000Q1w2eAAB", {"Forecast_Category__c": "Closed"})]


def test_undoing_the_import_that_made_a_deal_removes_it_and_its_fields() -> None:
    imported(ACCOUNTS)
    job = imported(OPPORTUNITIES)

    mapped_import_undo(mapped=job.mapped, user=None)

    assert deals() == []


def test_the_account_page_lists_the_deals_fields_from_the_crm(client, ops) -> None:
    # given
    imported(ACCOUNTS)
    imported(OPPORTUNITIES)
    account = Account.objects.get(name="Acme Widgets, Inc")

    # when
    shown = page_shown(client, ops, "accounts:detail", account.pk)

    # then
    deal = Opportunity.objects.get()
    assert (
        '<tr><td class="wrap"><span class="deal-name">Acme renewal 2026</span> '
        '<span class="muted deal-id">0065g00000Q1w2eAAB</span></td>'
        '<td class="wrap">Unspecified</td><td>Won</td>'
        '<td class="num">48,000.00 USD</td><td>31 Mar 2026</td>'
        '<td class="wrap">—</td>'
        '<td><dl class="custom-fields">'
        "<div><dt>Forecast_Category__c</dt><dd>Closed</dd></div></dl></td>"
        f'<td><a href="/accounts/deals/{deal.pk}/edit/" '
        'aria-label="Edit deal 0065g00000Q1w2eAAB">Edit</a></td></tr>'
    ) in shown
    assert "The latest" not in shown


def test_the_account_page_names_how_many_deals_it_leaves_out(client, ops) -> None:
    # given
    account = Account.objects.create(name="Many Deals Co")
    product = Product.objects.create(name="Widgets")
    Opportunity.objects.bulk_create(
        Opportunity(
            external_id=f"D-{number:02}",
            account=account,
            product=product,
            stage=Opportunity.Stage.WON,
            closed_on=date(2026, 1, number),
            custom_values={"Region__c": "EMEA"},
        )
        for number in range(1, 23)
    )
    Opportunity.objects.create(
        external_id="D-plain", account=account, product=product, stage="won"
    )
    client.force_login(ops)

    # when
    page = client.get(reverse("accounts:detail", args=[account.pk]))

    # then: the deal without a close date first, then the latest close
    # dates, 20 of the 23
    shown = page.content.decode()
    assert shown.count('<tr><td class="wrap"><span class="deal-id">D-') == 20
    assert shown.index('<td class="wrap"><span class="deal-id">D-plain<') < shown.index(
        '<td class="wrap"><span class="deal-id">D-22<'
    )
    assert shown.index('<td class="wrap"><span class="deal-id">D-22<') < shown.index(
        '<td class="wrap"><span class="deal-id">D-04<'
    )
    assert '<td class="wrap"><span class="deal-id">D-03<' not in shown
    assert "The latest 20 of 23 deals." in shown


def test_the_api_gives_an_accounts_custom_fields_read_only(ops) -> None:
    # given
    imported(ACCOUNTS)
    account = Account.objects.get(name="Acme Widgets, Inc")
    url = reverse("accounts_api:detail", args=[account.pk])

    # when
    read = custom_values_read_only(user=ops, url=url, attempt={"Tier__c": "C"})

    # then
    assert read == {"Region__c": "North America", "Tier__c": "A"}
    account.refresh_from_db()
    assert account.custom_values == {"Region__c": "North America", "Tier__c": "A"}
