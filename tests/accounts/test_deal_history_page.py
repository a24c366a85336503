"""A deal's history says names, labels and money, and what imports changed."""

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AccountTeamMember, ChangeRecord, ImportJob, Opportunity
from accounts.services import deal_update
from tests.accounts.conftest import page_url
from tests.accounts.factories import AccountFactory, ProductFactory, UserFactory
from tests.accounts.wizard_runs import imported

pytestmark = pytest.mark.django_db


def history_rows(client, deal: Opportunity) -> list[tuple[str, ...]]:
    """Return the history table's rows as read, without the moment."""
    body = client.get(page_url(deal)).content.decode()
    table = re.search(r'data-testid="history">(.*?)</table>', body, re.S)
    assert table is not None
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1).split("<tbody>")[1], re.S)
    return [
        tuple(
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[1:]
        )
        for row in rows
    ]


def test_a_hand_edit_shows_names_labels_and_money(client, deal, rep, manager) -> None:
    # given: Rita hands the deal to Mark, wins it in euros and moves the product
    AccountTeamMember.objects.create(account=deal.account, user=manager)
    deal_update(
        deal=deal,
        user=rep,
        data={
            "owner": manager,
            "stage": "won",
            "close_value": Decimal("50000.00"),
            "currency": "EUR",
            "product": ProductFactory.create(name="MG Special"),
        },
        expected_version=deal.updated_at,
    )
    client.force_login(rep)

    # when
    rows = history_rows(client, deal)

    # then
    rita, mark = rep.display_name, manager.display_name
    assert rows == [
        (rita, "Changed", "Currency", "USD", "EUR"),
        (rita, "Changed", "Amount", "48,000.00 USD", "50,000.00 EUR"),
        (rita, "Changed", "Stage", "Engaging", "Won"),
        (rita, "Changed", "Owner", rita, mark),
        (rita, "Changed", "Product", "GTX Pro", "MG Special"),
    ]
    assert "owner_id" not in str(rows)


def test_an_imports_changes_are_in_the_history_with_a_link(
    client, ops, rep, tmp_path
) -> None:
    # given: an import adds the deal, a second one wins it
    account = AccountFactory.create(name="Alpha Co")
    account.team_members.add(rep)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text(
        "Id,Account Name,StageName,Amount,CloseDate,CurrencyIsoCode\n"
        "006A1,Alpha Co,Prospecting,1200,2026-05-31,EUR\n",
        encoding="utf-8",
    )
    second.write_text(
        "Id,Account Name,StageName,Amount,CloseDate,CurrencyIsoCode\n"
        "006A1,Alpha Co,Closed Won,1500,2026-05-31,EUR\n",
        encoding="utf-8",
    )
    added = imported(first)
    won = imported(second)
    assert [added.status, won.status] == [ImportJob.Status.SUCCEEDED] * 2
    deal = Opportunity.objects.get(external_id="006A1")
    client.force_login(ops)

    # when
    rows = history_rows(client, deal)

    # then
    by_won, by_added = f"— (import {won.pk})", f"— (import {added.pk})"
    assert rows == [
        (by_won, "Changed", "Amount", "1,200.00 EUR", "1,500.00 EUR"),
        (by_won, "Changed", "Stage", "Prospecting", "Won"),
        (by_added, "Added", "CRM id", "—", "006A1"),
        # The file names no product: the import puts it under a placeholder.
        (by_added, "Added", "Product", "—", "Unspecified"),
        (by_added, "Added", "Stage", "—", "Prospecting"),
        (by_added, "Added", "Amount", "—", "1,200.00 EUR"),
        (by_added, "Added", "Currency", "—", "EUR"),
        (by_added, "Added", "Close date", "—", "31 May 2026"),
    ]
    body = client.get(page_url(deal)).content.decode()
    link = reverse("accounts:import_detail", args=[won.pk])
    assert f'<a href="{link}">import {won.pk}</a>' in body


def test_a_rep_sees_the_import_named_without_a_link(client, deal, rep) -> None:
    # given: a hand edit the page shows, by someone since deleted
    leaver = UserFactory.create(username="lee")
    AccountTeamMember.objects.create(account=deal.account, user=leaver)
    deal_update(
        deal=deal, user=rep, data={"owner": leaver}, expected_version=deal.updated_at
    )
    gone, name = leaver.pk, leaver.display_name
    leaver.delete()
    client.force_login(rep)

    rows = history_rows(client, deal)

    # then: the deletion's own entry names them, and so the edit does
    assert rows == [
        ("—", "User deleted", "Owner", name, "—"),
        (rep.display_name, "Changed", "Owner", rep.display_name, name),
    ]
    # and a user deleted before deletions were recorded has only an id
    ChangeRecord.objects.filter(action="user_delete").delete()
    assert history_rows(client, deal) == [
        (
            rep.display_name,
            "Changed",
            "Owner",
            rep.display_name,
            f"a deleted user (#{gone})",
        )
    ]
