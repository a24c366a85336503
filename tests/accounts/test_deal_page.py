"""The deal page: edit a deal from its account's page.

It goes through the service the API uses: the same rules and messages, a
version that refuses a stale form, and one history entry per changed field.
"""

from datetime import UTC
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccountTeamMember, Opportunity
from config.api import etag_for
from tests.accounts.conftest import (
    api_for,
    detail_url,
    history,
    page_url,
)
from tests.accounts.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def form_data(deal: Opportunity, **changes: str) -> dict[str, str]:
    data = {
        "product": str(deal.product_id),
        "stage": deal.stage,
        "close_value": "" if deal.close_value is None else str(deal.close_value),
        "currency": deal.currency,
        "engaged_on": deal.engaged_on.isoformat() if deal.engaged_on else "",
        "closed_on": deal.closed_on.isoformat() if deal.closed_on else "",
        "owner": str(deal.owner_id or ""),
        "version": etag_for(instance=deal),
    }
    return {**data, **changes}


def test_the_account_page_links_each_deal_to_its_edit_page(
    client, deal, rep, account
) -> None:
    client.force_login(rep)

    page = client.get(reverse("accounts:detail", args=[account.pk]))

    assert page.status_code == 200
    body = page.content.decode()
    assert f'<a href="{page_url(deal)}" aria-label="Edit deal {deal.external_id}">' in (
        body
    )
    assert "48,000.00 USD" in body


def test_the_account_page_offers_an_executive_no_edit_link(
    client, deal, executive, account
) -> None:
    client.force_login(executive)

    page = client.get(reverse("accounts:detail", args=[account.pk]))

    assert page.status_code == 200
    assert page_url(deal) not in page.content.decode()


def test_the_page_saves_a_deal_and_says_so(client, deal, rep, manager) -> None:
    # given
    AccountTeamMember.objects.create(account=deal.account, user=manager)
    client.force_login(rep)

    # when
    response = client.post(
        page_url(deal),
        form_data(deal, stage="won", close_value="50000", owner=str(manager.pk)),
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("accounts:detail", args=[deal.account_id]) + "#deals"
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Deal 0065g00000Q1w2eAAB saved."
    ]
    deal.refresh_from_db()
    assert (deal.stage, deal.close_value, deal.owner_id) == (
        "won",
        Decimal("50000.00"),
        manager.pk,
    )
    assert history() == [
        ("update", "owner", str(rep.pk), str(manager.pk), "rita"),
        ("update", "stage", "engaging", "won", "rita"),
        ("update", "close_value", "48000.00", "50000.00", "rita"),
    ]


def test_the_page_shows_each_refusal_beside_its_field(client, deal, rep) -> None:
    client.force_login(rep)

    response = client.post(
        page_url(deal),
        form_data(deal, stage="won", closed_on="", close_value="-1", currency="ZZZ"),
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {
        "closed_on": ["A won deal needs a close date."],
        "close_value": ["The amount cannot be below zero."],
        "currency": [
            "The currency ZZZ is not an ISO 4217 currency code: enter one such as EUR."
        ],
    }
    body = response.content.decode()
    assert (
        '<span class="field-error" id="id_closed_on_error">'
        "A won deal needs a close date.</span>"
    ) in body
    # the field names its help and its message for screen readers
    assert 'aria-describedby="id_closed_on_helptext id_closed_on_error"' in body
    deal.refresh_from_db()
    assert deal.stage == "engaging"
    assert history() == []


def test_a_stale_page_form_is_refused_and_nothing_is_saved(
    client, deal, rep, manager
) -> None:
    # given: Rita opens the form, then Mark changes the deal through the API
    client.force_login(rep)
    opened = form_data(deal)
    api = api_for(manager)
    etag = api.get(detail_url(deal))["ETag"]
    assert (
        api.patch(
            detail_url(deal),
            {"close_value": "47000"},
            format="json",
            HTTP_IF_MATCH=etag,
        ).status_code
        == 200
    )
    deal.refresh_from_db()

    # when: Rita sends the form she opened
    response = client.post(page_url(deal), {**opened, "stage": "lost"})

    # then
    assert response.status_code == 302
    assert response["Location"] == page_url(deal)
    when = deal.updated_at.astimezone(UTC).strftime("%-d %b %Y %H:%M")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Deal 0065g00000Q1w2eAAB was changed since you opened this page (last "
        f"changed {when} by {manager.display_name}), so nothing was saved. The "
        "form now shows the deal as it is; make your change again if it is "
        "still needed."
    ]
    deal.refresh_from_db()
    assert (deal.stage, deal.close_value) == ("engaging", Decimal("47000.00"))


def test_a_rep_of_another_team_gets_404_for_the_deal_page(
    client, deal, outsider
) -> None:
    client.force_login(outsider)

    shown = client.get(page_url(deal))
    sent = client.post(page_url(deal), form_data(deal, stage="lost"))

    assert (shown.status_code, sent.status_code) == (404, 404)
    deal.refresh_from_db()
    assert deal.stage == "engaging"


def test_an_executive_gets_403_for_the_deal_page(client, deal, executive) -> None:
    client.force_login(executive)

    assert client.get(page_url(deal)).status_code == 403


def page_queries(client, deal: Opportunity) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page_url(deal))
    assert response.status_code == 200
    return len(queries)


def test_the_deal_page_runs_the_same_queries_at_two_sizes(
    client, deal, rep, account
) -> None:
    # given
    client.force_login(rep)
    small = page_queries(client, deal)

    # when: many more products, team members and recorded edits
    for number in range(30):
        ProductFactory.create(name=f"Extra product {number}")
        AccountTeamMember.objects.create(
            account=account, user=UserFactory.create(username=f"teammate{number}")
        )
    api = api_for(rep)
    for value in range(25):
        etag = api.get(detail_url(deal))["ETag"]
        api.patch(
            detail_url(deal),
            {"close_value": f"{40000 + value}.00"},
            format="json",
            HTTP_IF_MATCH=etag,
        )
    large = page_queries(client, deal)

    # then: session, user, the deal, its products, its owners, its history
    # and what imports changed (a product or owner named there adds one
    # query each, whatever their number)
    assert small == large == 7
