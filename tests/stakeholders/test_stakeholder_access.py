"""Pages and API answer only through the account access rule."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.history import change_list_for_target
from stakeholders.models import Stakeholder
from stakeholders.sections import stakeholder_section_context
from tests.stakeholders.factories import (
    ActivityFactory,
    InfluenceLinkFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(account):
    return StakeholderFactory.create(
        account=account, first_name="Ada", last_name="Lind"
    )


@pytest.fixture
def link(account, person):
    return InfluenceLinkFactory.create(
        source=person, target=StakeholderFactory.create(account=account)
    )


def page_urls(account, person):
    return [
        reverse("stakeholders:account", args=[account.pk]),
        reverse("stakeholders:account_board", args=[account.pk]),
        reverse("stakeholders:detail", args=[person.pk]),
    ]


def api_reads(account, person, link):
    return [
        reverse("stakeholders_api:list", args=[account.pk]),
        reverse("stakeholders_api:owner_list", args=[account.pk]),
        reverse("stakeholders_api:expected_roles", args=[account.pk]),
        reverse("stakeholders_api:link_list", args=[account.pk]),
        reverse("stakeholders_api:finding_list", args=[account.pk]),
        reverse("stakeholders_api:board", args=[account.pk]),
        reverse("stakeholders_api:detail", args=[person.pk]),
        reverse("stakeholders_api:link_detail", args=[link.pk]),
    ]


def test_a_rep_on_the_team_sees_people_links_and_findings(
    client, rep, account, person, link
):
    client.force_login(rep)

    for url in [*page_urls(account, person), *api_reads(account, person, link)]:
        assert client.get(url).status_code == 200, url


def test_a_rep_outside_the_team_gets_404_everywhere(
    client, outsider, account, person, link
):
    client.force_login(outsider)

    for url in [*page_urls(account, person), *api_reads(account, person, link)]:
        assert client.get(url).status_code == 404, url
    writes = [
        ("post", reverse("stakeholders:leave", args=[person.pk])),
        ("post", reverse("stakeholders:erase", args=[person.pk])),
        ("post", reverse("stakeholders_api:create", args=[account.pk])),
        ("post", reverse("stakeholders_api:link_create", args=[account.pk])),
        ("post", reverse("stakeholders_api:activity_create", args=[account.pk])),
        ("post", reverse("stakeholders_api:leave", args=[person.pk])),
        ("post", reverse("stakeholders_api:erase", args=[person.pk])),
        ("put", reverse("stakeholders_api:owner", args=[person.pk])),
        ("patch", reverse("stakeholders_api:detail", args=[person.pk])),
        ("delete", reverse("stakeholders_api:link_detail", args=[link.pk])),
    ]
    for method, url in writes:
        response = (
            getattr(client, method)(
                url, {"confirm": "on"}, content_type="application/json"
            )
            if method != "post"
            else client.post(url, {"confirm": "on"})
        )
        assert response.status_code == 404, url
    person.refresh_from_db()
    assert person.status == Stakeholder.Status.ACTIVE


def test_the_rollup_leaves_out_other_teams_accounts(client, outsider, account, person):
    client.force_login(outsider)

    rollup = client.get(reverse("stakeholders_api:finding_rollup")).json()

    assert rollup["count"] == 0
    assert [item["account"] for item in rollup["results"]] == []


def test_an_executive_reads_but_may_not_change(client, executive, account, person):
    client.force_login(executive)

    assert (
        client.get(reverse("stakeholders_api:detail", args=[person.pk])).status_code
        == 200
    )
    response = client.post(
        reverse("stakeholders_api:create", args=[account.pk]),
        {"last_name": "New"},
        content_type="application/json",
    )

    assert response.status_code == 403


def test_a_rep_adds_a_person_and_the_change_is_recorded(client, rep, account):
    client.force_login(rep)

    response = client.post(
        reverse("stakeholders_api:create", args=[account.pk]),
        {
            "first_name": "Nia",
            "last_name": "Okafor",
            "title": "VP Finance",
            "roles": ["economic-buyer", "finance"],
            "owner": rep.pk,
            "sentiment": 1,
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["seniority"] == "vp"
    assert sorted(body["roles"]) == ["economic-buyer", "finance"]
    person = Stakeholder.objects.get(pk=body["id"])
    records = change_list_for_target(target=person)
    assert {r.field for r in records} >= {"first_name", "owner", "roles"}
    assert {r.changed_by for r in records} == {rep}


def test_an_update_needs_the_etag_and_refuses_a_stale_one(client, rep, person):
    client.force_login(rep)
    url = reverse("stakeholders_api:detail", args=[person.pk])
    etag = client.get(url).headers["ETag"]

    missing = client.patch(url, {"influence": 5}, content_type="application/json")
    saved = client.patch(
        url,
        {"influence": 5},
        content_type="application/json",
        headers={"If-Match": etag},
    )
    stale = client.patch(
        url,
        {"influence": 1},
        content_type="application/json",
        headers={"If-Match": etag},
    )

    assert missing.status_code == 428
    assert saved.status_code == 200
    assert stale.status_code == 412
    assert stale.json()["current"]["influence"] == 5


def test_a_reporting_loop_is_refused_through_the_api_with_names(client, rep, account):
    client.force_login(rep)
    boss = StakeholderFactory.create(account=account, first_name="Bo", last_name="Berg")
    report = StakeholderFactory.create(
        account=account, first_name="Cy", last_name="Carr", reports_to=boss
    )
    url = reverse("stakeholders_api:detail", args=[boss.pk])
    etag = client.get(url).headers["ETag"]

    response = client.patch(
        url,
        {"reports_to": report.pk},
        content_type="application/json",
        headers={"If-Match": etag},
    )

    assert response.status_code == 400
    assert response.json() == {
        "reports_to": [
            "That reporting line would make a loop: Bo Berg → Cy Carr → Bo Berg."
        ]
    }


def test_links_are_created_and_removed_through_the_api(client, rep, account, person):
    client.force_login(rep)
    other = StakeholderFactory.create(account=account)

    created = client.post(
        reverse("stakeholders_api:link_create", args=[account.pk]),
        {"source": person.pk, "target": other.pk, "kind": "conflicts", "strength": 3},
        content_type="application/json",
    )
    link_url = reverse("stakeholders_api:link_detail", args=[created.json()["id"]])
    removed = client.delete(
        link_url, headers={"If-Match": client.get(link_url)["ETag"]}
    )

    assert created.status_code == 201
    assert removed.status_code == 204
    assert not account.influence_links.exists()


def test_a_loop_already_in_the_data_still_renders_marked(client, rep, account):
    client.force_login(rep)
    first = StakeholderFactory.create(account=account)
    second = StakeholderFactory.create(account=account, reports_to=first)
    # Written around the services, as an old import might have left it.
    Stakeholder.objects.filter(pk=first.pk).update(reports_to=second)

    board = client.get(reverse("stakeholders_api:board", args=[account.pk])).json()
    page = client.get(reverse("stakeholders:account", args=[account.pk]))

    assert page.status_code == 200
    assert sorted(board["loops"][0]) == sorted(
        [first.pk, second.pk, board["loops"][0][0]]
    )
    assert {p["id"] for p in board["people"] if p["inLoop"]} == {first.pk, second.pk}


def make_group(account, size, rep):
    people = StakeholderFactory.create_batch(size, account=account, owner=rep)
    for source, target in zip(people, people[1:], strict=False):
        InfluenceLinkFactory.create(source=source, target=target)
    ActivityFactory.create(account=account, stakeholders=people[:3])
    people[0].roles.set([])
    return people


def count_queries(callable_) -> int:
    with CaptureQueriesContext(connection) as queries:
        callable_()
    return len(queries)


def test_the_section_runs_the_same_queries_for_5_and_200_people(client, rep, account):
    from tests.accounts.factories import AccountFactory

    big = AccountFactory.create(name="Big Co")
    big.team_members.add(rep)
    make_group(account, 5, rep)
    make_group(big, 200, rep)
    client.force_login(rep)

    small_section = count_queries(
        lambda: stakeholder_section_context(user=rep, account=account)
    )
    big_section = count_queries(
        lambda: stakeholder_section_context(user=rep, account=big)
    )
    small_page = count_queries(
        lambda: client.get(reverse("accounts:detail", args=[account.pk]))
    )
    big_page = count_queries(
        lambda: client.get(reverse("accounts:detail", args=[big.pk]))
    )
    small_own = count_queries(
        lambda: client.get(reverse("stakeholders:account", args=[account.pk]))
    )
    big_own = count_queries(
        lambda: client.get(reverse("stakeholders:account", args=[big.pk]))
    )

    # People, their roles, links, every buying role, the expected roles of
    # the account and of its sector together, the team; called alone, the
    # section asks the edit right too (the page's access rule answers it).
    assert small_section == big_section == 7
    assert small_page == big_page
    assert small_own == big_own


def test_the_account_page_shows_the_stakeholder_section(client, rep, account, person):
    client.force_login(rep)

    page = client.get(reverse("accounts:detail", args=[account.pk]))

    assert page.status_code == 200
    assert 'id="stakeholders-root"' in page.content.decode()
    assert "Ada Lind" in page.content.decode()
