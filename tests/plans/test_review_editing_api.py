"""Measures, voice entries, manager reviews, links and snapshots by API.

Each write goes through the same service as the page: the account team
writes, executives read, others get 404; edits and deletes need the ETag
of the last read, and each leaves a line in the account's history.
"""

import json
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, ChangeRecord, User
from plans.models import (
    CustomerLink,
    ExecutiveReview,
    ManagerReview,
    Plan,
    PlanSnapshot,
    ValueMeasure,
    VoiceOfCustomer,
)
from plans.review_services import plan_snapshot_take, value_measure_create
from plans.services import plan_create
from stakeholders.models import Stakeholder
from tests.responses import ClientResponse
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def _send(
    client: Client, method: str, url: str, body: dict, **headers: str
) -> ClientResponse:
    return client.generic(
        method, url, json.dumps(body), content_type="application/json", headers=headers
    )


@pytest.fixture
def rep_client(client: Client, rep: User) -> Client:
    client.force_login(rep)
    return client


@pytest.fixture
def person(account: Account) -> Stakeholder:
    return StakeholderFactory.create(account=account)


@pytest.fixture
def measure(rep: User, account: Account) -> ValueMeasure:
    return value_measure_create(
        user=rep,
        account=account,
        values={"name": "Hours saved", "direction": "up", "baseline": Decimal(400)},
    )


@pytest.fixture
def measure_url(account: Account, measure: ValueMeasure) -> str:
    return f"/api/plans/accounts/{account.pk}/scorecard/measures/{measure.pk}/"


@pytest.fixture
def links_url(account: Account) -> str:
    return f"/api/plans/accounts/{account.pk}/customer-links/"


Race = Callable[[str, str, Callable[[int], dict]], tuple[str, list[int]]]


@pytest.fixture
def race(rep: User) -> Race:
    """Return a sender of ten writes at once, all with the ETag of one read.

    Each write goes from its own client and database connection; the
    sender answers the ETag read and the writes' statuses, sorted.
    """

    def send(
        method: str, url: str, body: Callable[[int], dict]
    ) -> tuple[str, list[int]]:
        reader = Client()
        reader.force_login(rep)
        etag = reader.get(url)["ETag"]
        statuses: list[int] = []
        barrier = threading.Barrier(10)

        def write(number: int) -> None:
            client = Client()
            client.force_login(rep)
            barrier.wait()
            response = _send(client, method, url, body(number), If_Match=etag)
            statuses.append(response.status_code)
            connection.close()

        threads = [threading.Thread(target=write, args=(n,)) for n in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return etag, sorted(statuses)

    return send


def test_a_measure_patch_with_its_etag_saves_and_records_history(
    rep_client: Client, measure: ValueMeasure, measure_url: str
) -> None:
    # given
    etag = rep_client.get(measure_url)["ETag"]

    # when
    response = _send(
        rep_client, "PATCH", measure_url, {"name": "Hours saved a month"}, If_Match=etag
    )

    # then
    assert response.status_code == 200
    assert response.json()["name"] == "Hours saved a month"
    assert response["ETag"] != etag
    record = ChangeRecord.objects.get(
        object_id=measure.pk, field="name", action="update"
    )
    assert (record.old_value, record.new_value) == (
        "Hours saved",
        "Hours saved a month",
    )


def test_a_measure_patch_needs_a_current_etag(
    rep_client: Client, measure_url: str
) -> None:
    etag = rep_client.get(measure_url)["ETag"]
    _send(rep_client, "PATCH", measure_url, {"unit": "hours"}, If_Match=etag)

    missing = _send(rep_client, "PATCH", measure_url, {"unit": "days"})
    stale = _send(rep_client, "PATCH", measure_url, {"unit": "days"}, If_Match=etag)

    assert missing.status_code == 428
    assert stale.status_code == 412
    assert stale.json()["current"]["unit"] == "hours"
    assert ValueMeasure.objects.get().unit == "hours"


def test_a_patch_naming_id_or_an_unknown_key_is_refused_by_name(
    rep_client: Client, measure_url: str
) -> None:
    etag = rep_client.get(measure_url)["ETag"]

    response = _send(
        rep_client,
        "PATCH",
        measure_url,
        {"id": 9, "colour": "red", "unit": "h"},
        If_Match=etag,
    )

    assert response.status_code == 400
    assert set(response.json()) == {"id", "colour"}
    assert "read-only or unknown" in response.json()["id"][0]
    assert ValueMeasure.objects.get().unit == ""


def test_a_plan_item_patch_naming_id_is_refused_by_name(
    rep_client: Client, plan: Plan
) -> None:
    response = _send(
        rep_client,
        "PATCH",
        f"/api/plans/items/plan/{plan.pk}/",
        {"id": 1, "summary": "Grow."},
        If_Match=f'"{plan.version}"',
    )

    assert response.status_code == 400
    assert list(response.json()) == ["id"]
    assert Plan.objects.get().summary == ""


def test_a_measure_delete_needs_the_etag_and_leaves_history(
    rep_client: Client, measure: ValueMeasure, measure_url: str
) -> None:
    etag = rep_client.get(measure_url)["ETag"]

    refused = rep_client.delete(measure_url)
    deleted = rep_client.delete(measure_url, headers={"If-Match": etag})

    assert refused.status_code == 428
    assert deleted.status_code == 204
    assert not ValueMeasure.objects.exists()
    assert ChangeRecord.objects.filter(object_id=measure.pk, action="delete").exists()


def test_the_executive_reads_a_measure_but_cannot_change_it(
    client: Client, executive: User, measure_url: str
) -> None:
    client.force_login(executive)
    etag = client.get(measure_url)["ETag"]

    patch = _send(client, "PATCH", measure_url, {"unit": "h"}, If_Match=etag)
    delete = client.delete(measure_url, headers={"If-Match": etag})

    assert patch.status_code == delete.status_code == 403
    assert ValueMeasure.objects.get().unit == ""


def test_voice_entries_are_created_edited_and_deleted(
    rep_client: Client, account: Account, person: Stakeholder
) -> None:
    # given
    base = f"/api/plans/accounts/{account.pk}/voice/"

    # when
    created = _send(
        rep_client,
        "POST",
        base,
        {
            "kind": "quote",
            "body": "It works.",
            "stakeholder": person.pk,
            "said_on": "2026-11-02",
        },
    )
    url = f"{base}{created.json()['id']}/"
    edited = _send(
        rep_client, "PATCH", url, {"body": "It works well."}, If_Match=created["ETag"]
    )
    listed = rep_client.get(base).json()
    deleted = rep_client.delete(url, headers={"If-Match": edited["ETag"]})

    # then
    assert created.status_code == 201
    assert created.json()["stakeholder"] == person.name
    assert edited.status_code == 200
    assert edited.json()["body"] == "It works well."
    assert listed["count"] == 1
    assert deleted.status_code == 204
    assert not VoiceOfCustomer.objects.exists()


def test_a_voice_entry_cannot_name_a_person_of_another_account(
    rep_client: Client, account: Account
) -> None:
    stranger = StakeholderFactory.create()

    response = _send(
        rep_client,
        "POST",
        f"/api/plans/accounts/{account.pk}/voice/",
        {
            "kind": "quote",
            "body": "Hi",
            "stakeholder": stranger.pk,
            "said_on": "2026-11-02",
        },
    )

    assert response.status_code == 400
    assert list(response.json()) == ["stakeholder"]


def test_a_manager_records_a_review_and_the_rep_reads_it(
    client: Client, manager: User, rep: User, account: Account, plan: Plan
) -> None:
    # given
    account.team_members.add(manager)
    client.force_login(manager)

    # when
    created = _send(
        client,
        "POST",
        f"/api/plans/{plan.pk}/manager-reviews/",
        {
            "reviewed_on": "2026-11-14",
            "coaching_points": "Meet the CFO.",
            "attendees": [rep.pk],
        },
    )
    client.force_login(rep)
    read = client.get(f"/api/plans/manager-reviews/{created.json()['id']}/")
    listed = client.get(f"/api/plans/{plan.pk}/manager-reviews/")

    # then
    assert created.status_code == 201
    assert read.json()["attendees"] == ["rita"]
    assert read.json()["reviewer"] == "mark"
    assert listed.json()["count"] == 1
    assert ChangeRecord.objects.filter(
        field="coaching_points", new_value="Meet the CFO."
    ).exists()


def test_a_rep_may_not_record_a_review_and_an_outsider_sees_none(
    client: Client, rep: User, outsider: User, plan: Plan
) -> None:
    review = ManagerReview.objects.create(
        plan=plan, reviewed_on="2026-11-14", coaching_points="Hidden"
    )
    body = {"reviewed_on": "2026-11-14", "coaching_points": "Mine."}

    client.force_login(rep)
    by_rep = _send(client, "POST", f"/api/plans/{plan.pk}/manager-reviews/", body)
    client.force_login(outsider)
    by_outsider = _send(client, "POST", f"/api/plans/{plan.pk}/manager-reviews/", body)
    read = client.get(f"/api/plans/manager-reviews/{review.pk}/")

    assert by_rep.status_code == 403
    assert by_outsider.status_code == read.status_code == 404
    assert ManagerReview.objects.count() == 1


def test_review_attendees_must_be_on_the_account_team(
    client: Client, manager: User, outsider: User, account: Account, plan: Plan
) -> None:
    account.team_members.add(manager)
    client.force_login(manager)

    response = _send(
        client,
        "POST",
        f"/api/plans/{plan.pk}/manager-reviews/",
        {
            "reviewed_on": "2026-11-14",
            "coaching_points": "Meet the CFO.",
            "attendees": [outsider.pk],
        },
    )

    assert response.status_code == 400
    assert response.json()["attendees"] == [
        f"Not on the account team: {outsider.pk}; name them under other attendees."
    ]
    assert outsider.last_name not in response.content.decode()


def test_a_customer_link_is_made_once_and_revoked(
    rep_client: Client, rep: User, person: Stakeholder, links_url: str
) -> None:
    # when
    created = _send(
        rep_client, "POST", links_url, {"stakeholder": person.pk, "days": 7}
    )
    link_id = created.json()["id"]
    listed = rep_client.get(links_url).json()
    revoked = rep_client.post(f"{links_url}{link_id}/revoke/")
    opened = rep_client.get(created.json()["url"])

    # then
    assert created.status_code == 201
    assert "/plans/customer/" in created.json()["url"]
    assert "url" not in listed["results"][0]
    assert revoked.status_code == 200
    assert revoked.json()["is_usable"] is False
    assert opened.status_code == 404
    assert CustomerLink.objects.get().revoked_by == rep
    assert set(
        ChangeRecord.objects.filter(object_id=link_id).values_list("action", flat=True)
    ) == {"create", "update"}


def test_the_executive_may_list_but_not_make_customer_links(
    client: Client, executive: User, person: Stakeholder, links_url: str
) -> None:
    client.force_login(executive)

    listed = client.get(links_url)
    created = _send(client, "POST", links_url, {"stakeholder": person.pk})

    assert listed.status_code == 200
    assert listed.json()["results"] == []
    assert created.status_code == 403
    assert created.json() == {"detail": "Executives read Lode but do not change it."}
    assert not CustomerLink.objects.exists()


def test_an_erased_persons_link_shows_revoked(
    rep_client: Client, person: Stakeholder, links_url: str
) -> None:
    # given
    created = _send(
        rep_client, "POST", links_url, {"stakeholder": person.pk, "days": 7}
    )

    # when
    etag = rep_client.get(f"/api/stakeholders/people/{person.pk}/")["ETag"]
    erased = rep_client.post(
        f"/api/stakeholders/people/{person.pk}/erase/", headers={"If-Match": etag}
    )
    listed = rep_client.get(links_url).json()["results"]
    opened = rep_client.get(created.json()["url"])

    # then
    assert erased.status_code == 200
    person.refresh_from_db()
    link = CustomerLink.objects.get()
    assert link.revoked_at == person.erased_at
    assert listed[0]["is_usable"] is False
    assert person.erased_at is not None
    assert listed[0]["revoked_at"] == person.erased_at.isoformat().replace(
        "+00:00", "Z"
    )
    assert opened.status_code == 404


def test_snapshots_are_taken_listed_and_read(
    rep_client: Client, outsider: User, plan: Plan
) -> None:
    base = f"/api/plans/{plan.pk}/snapshots/"

    taken = _send(rep_client, "POST", base, {"label": "Before the QBR"})
    listed = rep_client.get(base)
    read = rep_client.get(f"{base}{taken.json()['id']}/")
    rep_client.force_login(outsider)
    hidden = rep_client.get(f"{base}{taken.json()['id']}/")

    assert taken.status_code == 201
    assert listed.json()["count"] == 1
    assert listed.json()["results"][0]["label"] == "Before the QBR"
    assert read.json()["data"]["plan"]["id"] == plan.pk
    assert hidden.status_code == 404


def test_a_snapshot_of_another_plan_is_not_found_under_this_one(
    rep_client: Client, rep: User, account: Account, plan: Plan
) -> None:
    other = plan_create(user=rep, account=account, fiscal_year=2027)
    snapshot = plan_snapshot_take(plan=other, user=rep)

    response = rep_client.get(f"/api/plans/{plan.pk}/snapshots/{snapshot.pk}/")

    assert response.status_code == 404
    assert PlanSnapshot.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_measure_patches_with_one_etag_give_one_success(
    race: Race, measure: ValueMeasure, measure_url: str
) -> None:
    # when ten clients that all read the same version patch at once
    _, statuses = race("PATCH", measure_url, lambda number: {"unit": f"u{number}"})

    # then
    assert statuses == [200] + [412] * 9
    assert ChangeRecord.objects.filter(object_id=measure.pk, field="unit").count() == 1


def test_listing_snapshots_takes_the_same_queries_for_one_or_five(
    rep_client: Client, rep: User, plan: Plan
) -> None:
    url = f"/api/plans/{plan.pk}/snapshots/"
    plan_snapshot_take(plan=plan, user=rep)
    with CaptureQueriesContext(connection) as one:
        rep_client.get(url)
    for _ in range(4):
        plan_snapshot_take(plan=plan, user=rep)

    with CaptureQueriesContext(connection) as five:
        response = rep_client.get(url)

    assert response.json()["count"] == 5
    assert len(five) == len(one)


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_first_saves_of_a_review_give_one_success(
    race: Race, account: Account
) -> None:
    # when ten clients that all read the review before anyone saved it save
    url = f"/api/plans/accounts/{account.pk}/reviews/2026-04-01/"
    etag, statuses = race("PUT", url, lambda number: {"decisions": f"d{number}"})

    # then
    assert etag == '"0"'
    assert statuses == [200] + [412] * 9
    assert ExecutiveReview.objects.get().version == 2
