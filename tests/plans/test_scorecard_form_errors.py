"""A refused scorecard form comes back as typed, its error next to the field."""

from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client

from accounts.models import Account, User
from config.api import etag_for
from plans.calendar import fiscal_quarter_current
from plans.errors import PlanError
from plans.models import ValueMeasure, VoiceOfCustomer
from plans.review_services import value_measure_create, voice_create, voice_update
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

TOO_LONG = "12345678901234567890"


@pytest.fixture
def measure(rep: User, account: Account) -> ValueMeasure:
    return value_measure_create(
        user=rep,
        account=account,
        values={"name": "Hours saved", "direction": "up", "baseline": Decimal(400)},
    )


def _page(response: object) -> str:
    return unescape(response.content.decode())  # type: ignore[attr-defined]


def test_a_refused_new_measure_keeps_every_typed_value(
    client: Client, rep: User, account: Account
) -> None:
    client.force_login(rep)

    response = client.post(
        f"/plans/account/{account.pk}/scorecard/measures/",
        {
            "name": "Invoices per clerk",
            "unit": "invoices",
            "direction": "down",
            "baseline": TOO_LONG,
            "source": "Their ERP",
        },
    )

    assert response.status_code == 400
    page = _page(response)
    assert "Measure not added: Baseline: at most 15 digits" in page
    assert "ensure that" not in page.lower()
    assert 'value="Invoices per clerk"' in page
    assert 'value="invoices"' in page
    assert f'value="{TOO_LONG}"' in page
    assert 'value="Their ERP"' in page
    assert '<option value="down" selected>' in page
    assert '<span class="field-error" id="id_baseline-error">At most 15 digits' in page
    assert not ValueMeasure.objects.exists()


def test_a_refused_measure_edit_stays_open_on_that_measure(
    client: Client, rep: User, account: Account, measure: ValueMeasure
) -> None:
    client.force_login(rep)

    response = client.post(
        f"/plans/account/{account.pk}/scorecard/measures/{measure.pk}/edit/",
        {
            "version": etag_for(instance=measure),
            "name": "Hours saved a month",
            "unit": "hours",
            "direction": "up",
            "baseline": TOO_LONG,
            "source": "Timesheets",
        },
    )

    assert response.status_code == 400
    page = _page(response)
    assert "Hours saved not saved: Baseline: at most 15 digits" in page
    assert f'data-testid="measure-edit-{measure.pk}" open>' in page
    assert 'value="Hours saved a month"' in page
    assert 'value="Timesheets"' in page
    measure.refresh_from_db()
    assert measure.name == "Hours saved"


def test_a_refused_rating_keeps_its_comment(
    client: Client, rep: User, account: Account
) -> None:
    person = StakeholderFactory.create(account=account)
    client.force_login(rep)

    response = client.post(
        f"/plans/account/{account.pk}/scorecard/"
        f"{fiscal_quarter_current().slug}/ratings/",
        {"stakeholder": person.pk, "score": "11", "comment": "Faster close"},
    )

    assert response.status_code == 400
    page = _page(response)
    assert "Faster close</textarea>" in page
    assert "Rate the quarter with a whole number from 1 to 10." in page
    assert 'value="11"' in page


def test_a_survey_score_above_its_scale_is_refused_on_the_page(
    client: Client, rep: User, account: Account
) -> None:
    client.force_login(rep)

    response = client.post(
        f"/plans/account/{account.pk}/scorecard/voice/",
        {
            "kind": "quote",
            "body": "It pays for itself",
            "score": "11",
            "score_max": "10",
            "speaker": "CFO",
            "said_on": "2026-11-30",
        },
    )

    assert response.status_code == 400
    page = _page(response)
    assert "Survey score: must lie between 0 and 10." in page
    assert "It pays for itself</textarea>" in page
    assert not VoiceOfCustomer.objects.exists()


@pytest.mark.parametrize(
    ("score", "score_max", "message"),
    [
        (Decimal(11), Decimal(10), "Survey score: must lie between 0 and 10."),
        (Decimal(-5), Decimal(10), "Survey score: must lie between 0 and 10."),
        (Decimal(3), Decimal(0), "Out of: the top of the scale must be above 0."),
        (Decimal(3), None, "Survey score: give the score and what it is out of"),
    ],
)
def test_the_service_refuses_a_score_outside_its_scale(
    rep: User,
    account: Account,
    score: Decimal,
    score_max: Decimal | None,
    message: str,
) -> None:
    with pytest.raises(PlanError, match=message):
        voice_create(
            user=rep,
            account=account,
            values={
                "kind": "praise",
                "body": "Good",
                "speaker": "CFO",
                "said_on": date(2026, 11, 2),
                "score": score,
                "score_max": score_max,
            },
        )

    assert not VoiceOfCustomer.objects.exists()


def test_an_edit_cannot_lower_the_scale_below_the_score(
    rep: User, account: Account
) -> None:
    entry = voice_create(
        user=rep,
        account=account,
        values={
            "kind": "survey",
            "speaker": "CFO",
            "said_on": date(2026, 11, 2),
            "score": Decimal(8),
            "score_max": Decimal(10),
        },
    )

    with pytest.raises(PlanError, match="must lie between 0 and 5"):
        voice_update(
            user=rep,
            entry=entry,
            values={"score_max": Decimal(5)},
            expected_version=entry.updated_at,
        )

    entry.refresh_from_db()
    assert entry.score_max == Decimal(10)


def test_destructive_scorecard_forms_ask_first(
    client: Client, rep: User, account: Account, measure: ValueMeasure
) -> None:
    voice_create(
        user=rep,
        account=account,
        values={
            "kind": "quote",
            "body": "Great.",
            "speaker": "CFO",
            "said_on": date(2026, 11, 2),
        },
    )
    client.force_login(rep)

    page = _page(client.get(f"/plans/account/{account.pk}/scorecard/"))

    assert 'data-confirm="Delete Hours saved and all its quarterly figures?' in page
    assert 'data-confirm="Delete this entry from CFO?' in page
    assert "js/confirm.js" in page


def test_a_refused_review_names_the_field_as_the_page_does(
    client: Client, rep: User, account: Account
) -> None:
    client.force_login(rep)
    url = f"/plans/account/{account.pk}/review/{fiscal_quarter_current().slug}/"

    response = client.post(url, {"held_on": "next tuesday"}, follow=True)

    page = _page(response)
    assert "Held on: enter a date like 2026-11-30" in page
    assert "held on:" not in page.lower().replace("held on: enter", "")


def test_a_refused_review_keeps_what_was_typed(
    client: Client, rep: User, account: Account
) -> None:
    client.force_login(rep)
    url = f"/plans/account/{account.pk}/review/{fiscal_quarter_current().slug}/"

    response = client.post(
        url,
        {
            "held_on": "next tuesday",
            "attendees": "Dana (CFO), Sam",
            "decisions": "Extend the pilot to <two> sites.",
            "next_steps": "Send the SOW by Friday.",
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Held on: enter a date like 2026-11-30" in unescape(page)
    assert 'value="next tuesday"' in page
    assert ">\nDana (CFO), Sam</textarea>" in page
    assert ">\nExtend the pilot to &lt;two&gt; sites.</textarea>" in page
    assert ">\nSend the SOW by Friday.</textarea>" in page
    assert not account.executive_reviews.exists()
