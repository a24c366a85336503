"""The deal page told apart from itself: a form sent twice, or two tabs."""

from datetime import UTC
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Opportunity
from tests.accounts.conftest import history, page_url
from tests.accounts.test_deal_page import form_data

pytestmark = pytest.mark.django_db


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def changed_at(deal: Opportunity) -> str:
    deal.refresh_from_db()
    return deal.updated_at.astimezone(UTC).strftime("%-d %b %Y %H:%M")


def test_the_same_form_sent_again_is_taken_as_already_saved(client, deal, rep) -> None:
    # given: Rita saves, goes Back, and presses Save again
    client.force_login(rep)
    opened = form_data(deal, stage="won", close_value="50000")
    assert client.post(page_url(deal), opened).status_code == 302

    # when
    response = client.post(page_url(deal), opened)

    # then
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("accounts:detail", args=[deal.account_id]) + "#deals"
    )
    assert said(response) == [
        "Deal 0065g00000Q1w2eAAB saved.",
        "Deal 0065g00000Q1w2eAAB was already saved as sent.",
    ]
    deal.refresh_from_db()
    assert (deal.stage, deal.close_value) == ("won", Decimal("50000.00"))
    assert history() == [
        ("update", "stage", "engaging", "won", "rita"),
        ("update", "close_value", "48000.00", "50000.00", "rita"),
    ]


def test_a_different_form_after_her_own_save_says_it_was_her_other_tab(
    client, deal, rep
) -> None:
    # given: Rita opens the deal in two tabs and saves the first
    client.force_login(rep)
    first_tab = form_data(deal, close_value="50000")
    second_tab = form_data(deal, stage="lost")
    assert client.post(page_url(deal), first_tab).status_code == 302

    # when
    response = client.post(page_url(deal), second_tab)

    # then
    assert response.status_code == 302
    assert response["Location"] == page_url(deal)
    assert said(response) == [
        "Deal 0065g00000Q1w2eAAB saved.",
        "Deal 0065g00000Q1w2eAAB was changed since you opened this page (last "
        f"changed {changed_at(deal)} by you, in another tab or window), so "
        "nothing was saved. The form now shows the deal as it is; make your "
        "change again if it is still needed.",
    ]
    assert (deal.stage, deal.close_value) == ("engaging", Decimal("50000.00"))
