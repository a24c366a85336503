"""The stakeholder section in Chromium: in-page edits and legible maps."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Account
from stakeholders.models import Stakeholder
from stakeholders.services import stakeholder_update
from tests.conftest import browser_login
from tests.stakeholders.factories import InfluenceLinkFactory, StakeholderFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = "var/shots"

# Pairs of boxes (labels in a chart) that intersect by more than this many
# pixels both ways count as an overlap a reader would trip over.
OVERLAP_TOLERANCE = 2

MEASURE = """
([selector, tolerance]) => {
  const boxes = Array.from(document.querySelectorAll(selector))
    .map((node) => node.getBoundingClientRect())
    .filter((box) => box.width > 0);
  let overlaps = 0;
  for (let i = 0; i < boxes.length; i += 1) {
    for (let j = i + 1; j < boxes.length; j += 1) {
      const a = boxes[i], b = boxes[j];
      const across = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const down = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (across > tolerance && down > tolerance) overlaps += 1;
    }
  }
  return {count: boxes.length, overlaps: overlaps};
}
"""

FITS = """
(selector) => {
  const svg = document.querySelector(selector);
  const holder = svg.parentNode.getBoundingClientRect();
  const box = svg.getBoundingClientRect();
  const texts = Array.from(svg.querySelectorAll("text"))
    .map((node) => node.getBoundingClientRect());
  return {
    svgInside: box.left >= holder.left - 1 && box.right <= holder.right + 1,
    textInside: texts.every((t) => t.left >= box.left - 1 && t.right <= box.right + 1),
  };
}
"""


def shown_texts(page, selector: str) -> list[str]:
    # The first child is the visible text; a <title> after it holds the tooltip.
    return page.eval_on_selector_all(
        selector, "nodes => nodes.map((node) => node.firstChild.nodeValue)"
    )


def org_names(page) -> list[str]:
    return shown_texts(page, "#org-chart .org-node text.name")


def map_names(page) -> list[str]:
    return shown_texts(page, "#influence-map .map-node text.name")


def test_a_rep_adds_a_person_and_a_link_and_both_maps_keep_them(
    page, live_server, rep, account
):
    # given
    boss = StakeholderFactory.create(
        account=account, first_name="Greta", last_name="Holm", title="CEO"
    )
    StakeholderFactory.create(account=account, first_name="Ivo", last_name="Jung")
    browser_login(page, live_server, rep.username)
    page.goto(live_server.url + reverse("accounts:detail", args=[account.pk]))
    page.wait_for_selector("#org-chart .org-node")
    assert sorted(org_names(page)) == ["Greta Holm", "Ivo Jung"]

    # when: add a person who reports to Greta
    page.click("summary:has-text('Add a person')")
    form = page.locator("form[data-action='create-person']")
    form.locator("input[name=first_name]").fill("Nora")
    form.locator("input[name=last_name]").fill("Quist")
    form.locator("input[name=title]").fill("Chief Technology Officer")
    form.locator("select[name=reports_to]").select_option(str(boss.pk))
    form.locator("select[name=influence]").select_option("5")
    form.locator("button[type=submit]").click()
    expect(page.locator("#org-chart .org-node")).to_have_count(3)

    # then: both maps show her, under Greta in the org chart
    assert "Nora Quist" in org_names(page)
    assert "Nora Quist" in map_names(page)
    assert page.url.endswith(f"/accounts/{account.pk}/")
    nora = account.stakeholders.get(last_name="Quist")
    assert nora.reports_to == boss
    assert nora.seniority == "executive"

    # when: link Nora to Ivo
    page.click("summary:has-text('Link two people')")
    link_form = page.locator("form[data-action='create-link']")
    link_form.locator("select[name=source]").select_option(str(nora.pk))
    link_form.locator("select[name=kind]").select_option("conflicts")
    ivo = account.stakeholders.get(last_name="Jung")
    link_form.locator("select[name=target]").select_option(str(ivo.pk))
    link_form.locator("button[type=submit]").click()
    page.wait_for_selector("#influence-map path.link.conflicts")

    # then: the link is drawn and listed; after a reload everything is kept
    assert "Nora Quist conflicts with Ivo Jung" in page.locator(
        "[data-testid=links]"
    ).inner_text().replace("\n", " ")
    page.reload()
    page.wait_for_selector("#influence-map path.link.conflicts")
    assert sorted(org_names(page)) == ["Greta Holm", "Ivo Jung", "Nora Quist"]
    assert sorted(map_names(page)) == ["Greta Holm", "Ivo Jung", "Nora Quist"]
    page.screenshot(path=f"{SHOTS}/stakeholders_added_1366.png", full_page=True)


def test_a_refused_reporting_loop_shows_its_message_in_the_dialog(
    page, live_server, rep, account
):
    boss = StakeholderFactory.create(account=account, first_name="Bo", last_name="Berg")
    StakeholderFactory.create(
        account=account, first_name="Cy", last_name="Carr", reports_to=boss
    )
    report = account.stakeholders.get(last_name="Carr")
    browser_login(page, live_server, rep.username)
    page.goto(live_server.url + reverse("stakeholders:account", args=[account.pk]))
    page.wait_for_selector("#org-chart .org-node")

    page.click(f"button[data-edit='{boss.pk}']")
    dialog = page.locator("#edit-person")
    dialog.locator("select[name=reports_to]").select_option(str(report.pk))
    dialog.locator("button[type=submit]").click()

    page.wait_for_selector("#edit-person .form-error:not(:empty)")
    assert (
        "would make a loop: Bo Berg → Cy Carr → Bo Berg"
        in dialog.locator(".form-error").inner_text()
    )


def test_a_refused_new_person_names_the_field_as_the_form_does(
    page, live_server, rep, account
):
    browser_login(page, live_server, rep.username)
    page.goto(live_server.url + reverse("accounts:detail", args=[account.pk]))
    page.click("summary:has-text('Add a person')")
    form = page.locator("form[data-action='create-person']")

    form.locator("input[name=last_name]").fill("Quist")
    form.locator("input[name=email]").fill("nora at example")
    form.locator("button[type=submit]").click()

    expect(form.locator(".form-error")).to_have_text(
        "Email: Enter a valid email address."
    )
    assert not account.stakeholders.exists()


def build_group(account: Account, size: int) -> None:
    people: list[object] = []
    for index in range(size):
        manager = people[(index - 1) // 3] if index else None
        people.append(
            StakeholderFactory.create(
                account=account,
                first_name=f"Person{index:02d}",
                last_name="Longsurname-Example",
                title="Senior Director of Global Procurement Excellence",
                influence=1 + index % 5,
                sentiment=index % 5 - 2,
                reports_to=manager,
            )
        )
    for source, target in zip(people, people[3:], strict=False):
        InfluenceLinkFactory.create(source=source, target=target, kind="influences")


@pytest.mark.parametrize("size", [5, 60])
def test_the_maps_stay_legible_at_tablet_width(page, live_server, rep, account, size):
    # given
    build_group(account, size)
    page.set_viewport_size({"width": 820, "height": 1000})
    browser_login(page, live_server, rep.username)

    # when
    page.goto(live_server.url + reverse("accounts:detail", args=[account.pk]))
    page.wait_for_selector("#influence-map .map-node")

    # then
    org = page.evaluate(MEASURE, ["#org-chart text", OVERLAP_TOLERANCE])
    influence = page.evaluate(MEASURE, ["#influence-map text.label", OVERLAP_TOLERANCE])
    assert org == {"count": 2 * size, "overlaps": 0}
    # A name may wrap onto a second line: one label more for that person.
    name_lines = page.locator("#influence-map text.name").count()
    assert size <= name_lines <= 2 * size
    assert influence == {"count": name_lines + size, "overlaps": 0}
    for selector in ("#org-chart", "#influence-map"):
        assert page.evaluate(FITS, selector) == {
            "svgInside": True,
            "textInside": True,
        }, selector
    page.locator(".stk-charts").screenshot(path=f"{SHOTS}/stakeholders_{size}_820.png")


def test_a_conflicting_edit_keeps_what_was_typed_beside_their_value(
    page, live_server, rep, account
):
    person = StakeholderFactory.create(
        account=account, first_name="Di", last_name="Dorn", title="Buyer"
    )
    browser_login(page, live_server, rep.username)
    page.goto(live_server.url + reverse("stakeholders:account", args=[account.pk]))
    page.wait_for_selector("#org-chart .org-node")
    page.click(f"button[data-edit='{person.pk}']")
    dialog = page.locator("#edit-person")
    dialog.locator("input[name=title]").fill("Head of Purchasing")

    # Someone else saves first, while the dialog is open.
    stakeholder_update(user=rep, stakeholder=person, data={"title": "Chief Buyer"})
    dialog.locator("button[type=submit]").click()

    page.wait_for_selector("#edit-person .their-value")
    assert "Chief Buyer" in dialog.locator(".their-value").inner_text()
    assert "is kept" in dialog.locator(".form-error").inner_text()
    assert dialog.locator("input[name=title]").input_value() == "Head of Purchasing"
    for width in (1366, 820):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/stk-conflict-{width}.png")

    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    person.refresh_from_db()
    assert person.title == "Head of Purchasing"


HEADS_CLEAR = """
() => {
  const circles = Array.from(document.querySelectorAll("#influence-map circle"))
    .map((c) => ({
      x: +c.getAttribute("cx"), y: +c.getAttribute("cy"), r: +c.getAttribute("r"),
    }));
  const paths = Array.from(document.querySelectorAll("#influence-map path.link-head"));
  let covered = 0;
  for (const path of paths) {
    const total = path.getTotalLength();
    const tip = path.getPointAtLength(total);
    const back = path.getPointAtLength(Math.max(0, total - 8));
    const gap = (c) => Math.hypot(c.x - tip.x, c.y - tip.y) - c.r;
    const target = circles.reduce((best, c) => (gap(c) < gap(best) ? c : best));
    if (Math.hypot(back.x - target.x, back.y - target.y) < target.r) covered += 1;
  }
  return {paths: paths.length, covered: covered};
}
"""


def test_arrow_heads_stay_outside_large_circles(page, live_server, rep, account):
    big = [
        StakeholderFactory.create(account=account, first_name=f"Big{n}", influence=5)
        for n in range(3)
    ]
    small = StakeholderFactory.create(account=account, first_name="Small", influence=1)
    for person in big:
        InfluenceLinkFactory.create(source=small, target=person, kind="influences")
    InfluenceLinkFactory.create(source=big[0], target=big[2], kind="influences")
    browser_login(page, live_server, rep.username)
    page.goto(live_server.url + reverse("stakeholders:account", args=[account.pk]))
    page.wait_for_selector("#influence-map .map-node")

    result = page.evaluate(HEADS_CLEAR)
    # Heads are drawn after (above) the people's circles and names.
    layers = page.eval_on_selector_all(
        "#influence-map > g", "groups => groups.map((g) => g.getAttribute('class'))"
    )

    assert result == {"paths": 4, "covered": 0}
    assert layers.index("link-heads") > layers.index("nodes")
    page.locator("#influence-map").screenshot(path=f"{SHOTS}/stk-arrows.png")


LINKS_INSIDE = """
() => {
  const svg = document.querySelector("#influence-map");
  const height = +svg.getAttribute("height");
  const width = +svg.getAttribute("width");
  return Array.from(svg.querySelectorAll("path.link")).map((path) => {
    const box = path.getBBox();
    const half = +path.getAttribute("stroke-width") / 2;
    return {
      kind: path.getAttribute("class"),
      inside:
        box.y - half >= 0 &&
        box.x - half >= 0 &&
        box.y + box.height + half <= height &&
        box.x + box.width + half <= width,
    };
  });
}
"""


@pytest.mark.parametrize("width", [1366, 820])
def test_an_arc_along_the_top_row_stays_inside_the_map(
    page, live_server, rep, account, width
):
    # given: three of the most influential people, in one row at the top,
    # the outer two allied over the one between them
    first, _, last = (
        StakeholderFactory.create(
            account=account, first_name=name, department="Finance", influence=5
        )
        for name in ("Ada", "Bea", "Cy")
    )
    InfluenceLinkFactory.create(source=first, target=last, kind="allied", strength=3)
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, rep.username)

    # when
    page.goto(live_server.url + reverse("stakeholders:account", args=[account.pk]))
    page.wait_for_selector("#influence-map path.link.allied")
    links = page.evaluate(LINKS_INSIDE)
    page.locator("#influence-map").screenshot(path=f"{SHOTS}/stk-top-arc-{width}.png")

    # then
    assert links == [{"kind": "link allied", "inside": True}]


def test_removing_a_link_asks_first_and_keeps_it_on_cancel(
    page, live_server, rep, account
):
    # given
    ada = StakeholderFactory.create(account=account, first_name="Ada", last_name="Berg")
    cy = StakeholderFactory.create(account=account, first_name="Cy", last_name="Dorn")
    link = InfluenceLinkFactory.create(source=ada, target=cy, kind="influences")
    browser_login(page, live_server, rep.username)
    page.goto(live_server.url + reverse("stakeholders:account", args=[account.pk]))
    questions: list[str] = []

    # when: the rep dismisses the question
    def dismiss(dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click(f"[data-delete-link='{link.pk}']")

    # then: the link stays
    assert questions == [
        "Remove the link “Ada Berg influences Cy Dorn”? This cannot be undone."
    ]
    page.reload()
    expect(page.locator(f"[data-delete-link='{link.pk}']")).to_have_count(1)
    assert account.influence_links.filter(pk=link.pk).exists()

    # when: the rep accepts
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"[data-delete-link='{link.pk}']")

    # then: the link is gone from the page and the database
    expect(page.locator(f"[data-delete-link='{link.pk}']")).to_have_count(0)
    assert not account.influence_links.filter(pk=link.pk).exists()


@pytest.mark.parametrize("size", [1366, 820])
def test_marking_a_person_as_left_asks_and_can_be_undone(
    page, live_server, rep, account, size
):
    # given
    person = StakeholderFactory.create(
        account=account, first_name="Nora", last_name="Quist"
    )
    page.set_viewport_size({"width": size, "height": 900})
    browser_login(page, live_server, rep.username)
    page.goto(live_server.url + reverse("stakeholders:detail", args=[person.pk]))
    leave = page.get_by_role("button", name="Mark as left the account")

    # when: the rep dismisses the question
    page.once("dialog", lambda dialog: dialog.dismiss())
    leave.click()

    # then: nothing changed
    person.refresh_from_db()
    assert person.status == "active"

    # when: the rep accepts, then marks the person back
    page.once("dialog", lambda dialog: dialog.accept())
    leave.click()
    page.get_by_role("button", name="Mark as back at the account").click()

    # then
    expect(page.get_by_text("Nora Quist is back at the account.")).to_be_visible()
    person.refresh_from_db()
    assert person.status == "active"
    assert page.evaluate("document.documentElement.scrollWidth") <= size


CLOSE_NAMES = [
    ("Maximiliane", "Schwarzenberger-Lindqvist"),
    ("Bartholomew", "Fitzgerald-Okonkwo"),
    ("Anneliese", "van der Westhuizen"),
    ("Krzysztof", "Wiśniewski-Kowalczyk"),
    ("Guadalupe", "Hernández de la Vega"),
    ("Oluwaseun", "Adebayo-Johnson"),
    ("Christopher", "Montgomery"),
    ("Alexandria", "Papadopoulou"),
    ("Ximena", "Yilmaz"),
    ("Priya", "Quinn"),
    ("Idris", "Varga"),
    ("Jovana", "Thorne"),
    ("Hana", "Eriksen"),
    ("Quentin", "Okafor"),
]

# Every shape a map node draws: its circle and each line of its labels.
NODE_SHAPES = """
() => Array.from(document.querySelectorAll("#influence-map .map-node")).map(
  (node) => ({
    name: node.querySelector("text.name title").textContent,
    lines: Array.from(node.querySelectorAll("text.name"))
      .map((text) => text.firstChild.nodeValue),
    backdrops: node.querySelectorAll("rect.label-backdrop").length,
    boxes: Array.from(node.querySelectorAll("circle, text.label")).map((shape) => {
      const box = shape.getBoundingClientRect();
      return [box.left, box.top, box.right, box.bottom];
    }),
  })
)
"""


def joined_lines(lines: list[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        text += line if text.endswith("-") else " " + line
    return text


def shapes_overlapping(nodes: list[dict]) -> list[str]:
    """Return the pairs of people whose circle or labels overlap."""
    found = []
    for index, node in enumerate(nodes):
        for other in nodes[index + 1 :]:
            for a in node["boxes"]:
                for b in other["boxes"]:
                    across = min(a[2], b[2]) - max(a[0], b[0])
                    down = min(a[3], b[3]) - max(a[1], b[1])
                    if across > OVERLAP_TOLERANCE and down > OVERLAP_TOLERANCE:
                        found.append(f"{node['name']} / {other['name']}")
    return found


@pytest.mark.parametrize("width", [1366, 820])
def test_people_sitting_close_keep_apart_and_readable(
    page, live_server, rep, account, width
):
    # given: fourteen people at one level of influence, most with long names
    people = [
        StakeholderFactory.create(
            account=account,
            first_name=first,
            last_name=last,
            influence=3 if index < 12 else 4,
        )
        for index, (first, last) in enumerate(CLOSE_NAMES)
    ]
    for source, target in zip(people, people[5:], strict=False):
        InfluenceLinkFactory.create(source=source, target=target, kind="influences")
    page.set_viewport_size({"width": width, "height": 1000})
    browser_login(page, live_server, rep.username)

    # when
    page.goto(live_server.url + reverse("stakeholders:account", args=[account.pk]))
    page.wait_for_selector("#influence-map .map-node")

    # then
    nodes = page.evaluate(NODE_SHAPES)
    assert len(nodes) == 14
    assert shapes_overlapping(nodes) == []
    # Names wrap onto more lines, after a space or a hyphen, rather than
    # lose their end.
    assert {joined_lines(node["lines"]) for node in nodes} == {
        f"{first} {last}" for first, last in CLOSE_NAMES
    }
    # A backdrop under each node's labels keeps passing links out of them.
    assert {node["backdrops"] for node in nodes} == {1}
    page.locator("#influence-map").screenshot(
        path=f"{SHOTS}/influence_close_{width}.png"
    )


NAMES_CLEAR = """
() => {
  const svg = document.querySelector("#influence-map");
  const layers = Array.from(svg.children).map((g) => g.getAttribute("class"));
  const names = Array.from(svg.querySelectorAll("text.label")).map((n) => n.getBBox());
  const on = (p) => names.some(
    (b) => p.x > b.x && p.x < b.x + b.width && p.y > b.y && p.y < b.y + b.height
  );
  const heads = Array.from(svg.querySelectorAll("path.link-head"));
  let headsOnNames = 0;
  for (const head of heads) {
    const total = head.getTotalLength();
    const along = [0, 3, 6, 9].map((back) => head.getPointAtLength(total - back));
    if (along.some(on)) headsOnNames += 1;
  }
  const backdrops = Array.from(svg.querySelectorAll(".label-backdrop"));
  return {
    heads: heads.length,
    headsOnNames: headsOnNames,
    linksUnderNames: layers.indexOf("links") < layers.indexOf("nodes"),
    opaqueBackdrops: backdrops.every((r) => getComputedStyle(r).fillOpacity === "1"),
    backdropPerPerson: backdrops.length === svg.querySelectorAll(".map-node").length,
  };
}
"""


@pytest.mark.parametrize("width", [1366, 820])
def test_at_45_people_no_link_runs_over_a_name(page, live_server, rep, account, width):
    # given: 45 people at every influence level, each linked to three others
    people = [
        StakeholderFactory.create(
            account=account,
            first_name=f"Person{index:02d}",
            last_name="Longsurname",
            influence=5 - index % 5,
        )
        for index in range(45)
    ]
    for index, source in enumerate(people):
        for step in (4, 9, 16):
            InfluenceLinkFactory.create(
                source=source,
                target=people[(index + step) % 45],
                kind=("influences", "allied", "conflicts")[step % 3],
            )
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, rep.username)

    # when
    page.goto(live_server.url + reverse("stakeholders:account", args=[account.pk]))
    page.wait_for_selector("#influence-map .map-node")

    # then: every arrow head sits clear of the names, and the lines pass
    # beneath each name's opaque backdrop
    assert page.evaluate(NAMES_CLEAR) == {
        "heads": 45,
        "headsOnNames": 0,
        "linksUnderNames": True,
        "opaqueBackdrops": True,
        "backdropPerPerson": True,
    }
    page.locator("#influence-map").screenshot(path=f"{SHOTS}/stk-map-45-{width}.png")


def test_a_long_email_stays_whole_on_the_person_page(page, live_server, rep, account):
    # given
    person = Stakeholder.objects.create(
        account=account,
        first_name="Ximena",
        last_name="Dubois",
        email="ximena.dubois@example.invalid",
    )
    browser_login(page, live_server, rep.username)
    page.goto(f"{live_server.url}/stakeholders/{person.pk}/")
    contact = page.locator("dd.contact")

    for width in (1366, 820):
        # when
        page.set_viewport_size({"width": width, "height": 900})

        # then: the address sits on one line
        lines = contact.evaluate(
            "(dd) => { const r = document.createRange();"
            " r.selectNodeContents(dd);"
            " return new Set([...r.getClientRects()].map((x) => x.top)).size; }"
        )
        assert (width, lines) == (width, 1)
        page.screenshot(path=f"var/shots/person-email-{width}.png", full_page=True)
