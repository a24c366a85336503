"""The org chart in Chromium: whole boxes, sentiment stripes, a set order."""

import pytest
from django.urls import reverse

from stakeholders.models import Stakeholder
from tests.conftest import browser_login
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db(transaction=True)

BOXES = """
() => {
  const svg = document.querySelector("#org-chart").getBoundingClientRect();
  return Array.from(document.querySelectorAll("#org-chart .org-node")).map(
    (node) => {
      const box = node.querySelector("rect.box");
      const stripe = node.querySelector("rect.stripe");
      const edge = box.getBoundingClientRect();
      return {
        name: node.querySelector("text.name").firstChild.nodeValue,
        inside: edge.left >= svg.left && edge.right <= svg.right,
        border: getComputedStyle(box).stroke,
        stripe: getComputedStyle(stripe).fill,
      };
    }
  );
}
"""

ALLY_GREEN = "rgb(46, 125, 50)"
OPPONENT_RED = "rgb(180, 35, 24)"


@pytest.mark.parametrize("width", [1366, 820])
def test_the_top_boxes_keep_their_left_border_and_sentiment_stripe(
    page, live_server, rep, account, width
):
    # given: a chief who is an ally, with two reports under her
    chief = StakeholderFactory.create(
        account=account,
        first_name="Vera",
        last_name="Alm",
        title="CEO",
        sentiment=Stakeholder.Sentiment.ALLY,
    )
    for first, last in [("Yusuf", "Zorn"), ("Bea", "Berg")]:
        StakeholderFactory.create(
            account=account,
            first_name=first,
            last_name=last,
            reports_to=chief,
            sentiment=Stakeholder.Sentiment.OPPONENT,
        )
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, rep.username)

    # when
    page.goto(live_server.url + reverse("stakeholders:account", args=[account.pk]))
    page.wait_for_selector("#org-chart .org-node")
    boxes = page.evaluate(BOXES)

    # then: every box lies wholly inside the chart, with a border to see
    assert [box["name"] for box in boxes] == ["Vera Alm", "Bea Berg", "Yusuf Zorn"]
    assert all(box["inside"] for box in boxes), boxes
    assert all(box["border"] not in {"none", ""} for box in boxes), boxes
    assert [box["stripe"] for box in boxes] == [ALLY_GREEN] + [OPPONENT_RED] * 2


def test_long_unbroken_names_stay_within_a_tablet_screen(
    page, live_server, rep, account
):
    # given: a name, title and department with no place to break a line
    person = StakeholderFactory.create(
        account=account,
        first_name="Bartholomew" * 9,
        last_name="<img src=x onerror=alert(1)>",
        title="=HYPERLINK(" + "x" * 180 + ")",
        department="é" * 200,
    )
    StakeholderFactory.create(account=account, last_name="Plain", reports_to=person)
    page.set_viewport_size({"width": 820, "height": 900})
    browser_login(page, live_server, rep.username)

    for path in [
        reverse("stakeholders:account", args=[account.pk]),
        reverse("stakeholders:detail", args=[person.pk]),
    ]:
        # when
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")

        # then: nothing widens the page, and the name is text, not markup
        assert page.evaluate("document.documentElement.scrollWidth") == 820, path
        assert page.locator("img[src=x]").count() == 0, path
