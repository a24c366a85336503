"""Correcting and deleting scorecard measures and voice entries in Chromium."""

from datetime import date
from decimal import Decimal

import pytest

from plans.models import ValueMeasure, VoiceOfCustomer
from plans.review_services import (
    customer_link_create,
    value_measure_create,
    voice_create,
)
from stakeholders.models import Stakeholder
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rep_corrects_a_measure_and_deletes_a_quote(
    browser, page, live_server, rep, account
):
    # given
    measure = value_measure_create(
        user=rep,
        account=account,
        values={"name": "Hours saved", "direction": "up", "baseline": Decimal(400)},
    )
    voice = voice_create(
        user=rep,
        account=account,
        values={
            "kind": "quote",
            "body": "<b>Great</b> =HYPERLINK(1)",
            "speaker": "CFO",
            "said_on": date(2026, 11, 2),
        },
    )
    browser_login(page, live_server, rep.username)
    page.goto(f"{live_server.url}/plans/account/{account.pk}/scorecard/")

    # when: the measure is corrected
    editor = page.locator(f"[data-testid=measure-edit-{measure.pk}]")
    editor.locator("summary").click()
    editor.locator("input[name=unit]").fill("hours")
    editor.get_by_role("button", name="Save measure").click()
    page.get_by_text("Measure Hours saved saved.").wait_for()

    # when: the quote is deleted
    entry = page.locator(f"[data-testid=voice-edit-{voice.pk}]")
    assert entry.locator("textarea[name=body]").input_value() == (
        "<b>Great</b> =HYPERLINK(1)"
    )
    entry.locator("summary").click()
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    entry.get_by_role("button", name="Delete this entry").click()
    assert asked == ["Delete this entry from CFO? This cannot be undone."]
    assert VoiceOfCustomer.objects.exists(), "dismissing the question keeps it"
    page.once("dialog", lambda dialog: dialog.accept())
    entry.get_by_role("button", name="Delete this entry").click()
    page.get_by_text("Entry deleted.").wait_for()

    # then
    assert ValueMeasure.objects.get().unit == "hours"
    assert not VoiceOfCustomer.objects.exists()


def test_a_refused_measure_edit_stays_open_with_what_was_typed(
    browser, page, live_server, rep, account
):
    # given
    measure = value_measure_create(
        user=rep,
        account=account,
        values={"name": "Hours saved", "direction": "up", "baseline": Decimal(400)},
    )
    browser_login(page, live_server, rep.username)
    page.goto(f"{live_server.url}/plans/account/{account.pk}/scorecard/")

    # when
    editor = page.locator(f"[data-testid=measure-edit-{measure.pk}]")
    editor.locator("summary").click()
    editor.locator("input[name=unit]").fill("hours a month")
    editor.locator("input[name=baseline]").fill("12345678901234567890")
    editor.get_by_role("button", name="Save measure").click()
    page.get_by_text("Hours saved not saved: Baseline: at most 15 digits").wait_for()

    # then
    editor = page.locator(f"[data-testid=measure-edit-{measure.pk}]")
    assert editor.get_attribute("open") is not None
    assert editor.locator("input[name=unit]").input_value() == "hours a month"
    assert editor.locator(".field-error").inner_text() == "At most 15 digits"
    assert ValueMeasure.objects.get().unit == ""


@pytest.mark.parametrize("width", [1366, 820])
def test_a_long_chart_title_ends_in_an_ellipsis_and_an_empty_one_says_so(
    browser, page, live_server, rep, account, width
):
    # given
    name = "Hours saved <b>" + "W" * 120
    value_measure_create(
        user=rep,
        account=account,
        values={"name": name, "direction": "up", "baseline": Decimal(400)},
    )
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, rep.username)

    # when
    page.goto(f"{live_server.url}/plans/account/{account.pk}/scorecard/")
    chart = page.locator("#trend .trend-chart").first
    title = chart.locator(".trend-title")

    # then
    assert title.inner_text() == name
    assert title.get_attribute("title") == name
    assert title.evaluate("el => el.scrollWidth > el.clientWidth"), "clipped"
    assert title.evaluate("el => getComputedStyle(el).textOverflow") == "ellipsis"
    assert chart.get_by_text("No figures yet").is_visible()
    assert chart.locator(".main-svg").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_revoking_a_customer_link_asks_first(browser, page, live_server, rep, account):
    # given
    contact = Stakeholder.objects.create(
        account=account, first_name="Carla", last_name="Finch", title="CFO"
    )
    link, _token = customer_link_create(
        user=rep, account=account, stakeholder=contact, days=14
    )
    browser_login(page, live_server, rep.username)
    page.goto(f"{live_server.url}/plans/account/{account.pk}/scorecard/")
    revoke = page.get_by_role("button", name="Revoke")

    # when the question is dismissed
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    revoke.click()

    # then nothing is revoked
    assert asked == [
        "Revoke Carla Finch's link? It stops working at once and cannot be "
        "turned back on."
    ]
    link.refresh_from_db()
    assert link.revoked_at is None

    # when it is accepted
    page.once("dialog", lambda dialog: dialog.accept())
    revoke.click()
    page.get_by_text("Revoked").wait_for()

    # then
    link.refresh_from_db()
    assert link.revoked_by == rep
