"""Editing and deleting measures and voice entries on the scorecard page."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Account, ChangeRecord, User
from config.api import etag_for
from plans.models import ValueMeasure, VoiceOfCustomer
from plans.review_services import value_measure_create, voice_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def measure(rep: User, account: Account) -> ValueMeasure:
    return value_measure_create(
        user=rep,
        account=account,
        values={"name": "Hours saved", "direction": "up", "baseline": Decimal(400)},
    )


@pytest.fixture
def voice(rep: User, account: Account) -> VoiceOfCustomer:
    return voice_create(
        user=rep,
        account=account,
        values={
            "kind": "quote",
            "body": "Great.",
            "speaker": "CFO",
            "said_on": date(2026, 11, 2),
        },
    )


def _measure_form(measure: ValueMeasure, **changes: str) -> dict[str, str]:
    return {
        "version": etag_for(instance=measure),
        "name": measure.name,
        "unit": measure.unit,
        "direction": measure.direction,
        "baseline": str(measure.baseline),
        "source": measure.source,
        **changes,
    }


def test_the_page_offers_each_measure_and_entry_for_editing(
    client: Client, rep: User, account: Account, measure: object, voice: object
) -> None:
    client.force_login(rep)

    page = client.get(f"/plans/account/{account.pk}/scorecard/").content.decode()

    assert f'data-testid="measure-edit-{measure.pk}"' in page  # type: ignore[attr-defined]
    assert f'data-testid="voice-edit-{voice.pk}"' in page  # type: ignore[attr-defined]
    assert etag_for(instance=measure).replace('"', "&quot;") in page  # type: ignore[arg-type]


def test_the_executive_sees_no_edit_forms(
    client: Client, executive: User, account: Account, measure: object, voice: object
) -> None:
    client.force_login(executive)

    page = client.get(f"/plans/account/{account.pk}/scorecard/").content.decode()

    assert "measure-edit-" not in page
    assert "voice-edit-" not in page


def test_a_measure_is_edited_from_the_page_with_history(
    client: Client, rep: User, account: Account, measure: ValueMeasure
) -> None:
    client.force_login(rep)
    url = f"/plans/account/{account.pk}/scorecard/measures/{measure.pk}/edit/"

    response = client.post(url, _measure_form(measure, unit="hours"), follow=True)

    assert ValueMeasure.objects.get().unit == "hours"
    assert "Measure Hours saved saved." in response.content.decode()
    assert ChangeRecord.objects.filter(
        object_id=measure.pk, field="unit", new_value="hours"
    ).exists()


def test_an_edit_from_a_stale_page_is_refused(
    client: Client, rep: User, account: Account, measure: ValueMeasure
) -> None:
    # given a form read before someone else's save
    client.force_login(rep)
    url = f"/plans/account/{account.pk}/scorecard/measures/{measure.pk}/edit/"
    stale = _measure_form(measure, unit="days")
    client.post(url, _measure_form(measure, unit="hours"))

    # when
    response = client.post(url, stale, follow=True)

    # then
    assert ValueMeasure.objects.get().unit == "hours"
    assert "Someone changed this measure since you opened the page" in (
        response.content.decode()
    )


def test_a_voice_entry_is_edited_and_deleted_from_the_page(
    client: Client, rep: User, account: Account, voice: VoiceOfCustomer
) -> None:
    client.force_login(rep)
    base = f"/plans/account/{account.pk}/scorecard/voice/{voice.pk}"
    form = {
        "version": etag_for(instance=voice),
        "kind": "praise",
        "body": "Great work.",
        "speaker": "CFO",
        "stakeholder": "",
        "said_on": "2026-11-02",
    }

    client.post(f"{base}/edit/", form)
    voice.refresh_from_db()
    client.post(f"{base}/delete/", {"version": etag_for(instance=voice)})

    assert not VoiceOfCustomer.objects.exists()
    assert ChangeRecord.objects.filter(
        object_id=voice.pk, field="kind", new_value="praise"
    ).exists()
    assert ChangeRecord.objects.filter(object_id=voice.pk, action="delete").exists()


def test_the_executive_may_not_delete_a_measure(
    client: Client, executive: User, account: Account, measure: ValueMeasure
) -> None:
    client.force_login(executive)

    response = client.post(
        f"/plans/account/{account.pk}/scorecard/measures/{measure.pk}/delete/",
        {"version": etag_for(instance=measure)},
        follow=True,
    )

    assert ValueMeasure.objects.exists()
    assert "not change them" in response.content.decode()
