"""Plan comments through the API: read them paged, add one, refuse junk."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from plans.models import Comment, Plan

pytestmark = pytest.mark.django_db


def _comment(plan: Plan, author: User, body: str, minutes_ago: int) -> Comment:
    comment = Comment.objects.create(plan=plan, author=author, body=body)
    Comment.objects.filter(pk=comment.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return comment


def test_it_lists_a_plans_comments_newest_first(
    client: Client, rep: User, manager: User, plan: Plan
) -> None:
    older = _comment(plan, rep, "Budget confirmed", 30)
    newer = _comment(plan, manager, "Push for Q3", 5)
    client.force_login(manager)

    response = client.get(f"/api/plans/{plan.pk}/comments/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [c["id"] for c in body["results"]] == [newer.pk, older.pk]
    assert body["results"][0]["body"] == "Push for Q3"
    assert body["results"][0]["author"] == manager.display_name
    assert body["results"][0]["author_id"] == manager.pk


def test_it_filters_by_author_orders_and_pages(
    client: Client, rep: User, manager: User, plan: Plan
) -> None:
    first = _comment(plan, rep, "One", 30)
    _comment(plan, manager, "Two", 20)
    third = _comment(plan, rep, "Three", 10)
    client.force_login(rep)

    mine = client.get(f"/api/plans/{plan.pk}/comments/?author={rep.pk}").json()
    oldest = client.get(
        f"/api/plans/{plan.pk}/comments/?ordering=created_at&limit=1"
    ).json()

    assert [c["id"] for c in mine["results"]] == [third.pk, first.pk]
    assert oldest["count"] == 3
    assert [c["id"] for c in oldest["results"]] == [first.pk]


def test_it_refuses_unknown_and_malformed_parameters(
    client: Client, rep: User, plan: Plan
) -> None:
    client.force_login(rep)

    unknown = client.get(f"/api/plans/{plan.pk}/comments/?since=2026-01-01")
    malformed = client.get(f"/api/plans/{plan.pk}/comments/?ordering=body")

    assert unknown.status_code == 400
    assert unknown.json() == {
        "since": [
            "Unknown query parameter; this list takes: author, cursor, limit, offset, "
            "ordering."
        ]
    }
    assert malformed.status_code == 400
    assert malformed.json() == {"ordering": ['"body" is not a valid choice.']}


def test_an_outsider_gets_404_for_reading_and_writing(
    client: Client, outsider: User, plan: Plan
) -> None:
    client.force_login(outsider)

    read = client.get(f"/api/plans/{plan.pk}/comments/")
    write = client.post(
        f"/api/plans/{plan.pk}/comments/",
        {"body": "Hello"},
        content_type="application/json",
    )

    assert (read.status_code, write.status_code) == (404, 404)
    assert Comment.objects.count() == 0


def test_an_executive_reads_but_does_not_comment(
    client: Client, executive: User, rep: User, plan: Plan
) -> None:
    _comment(plan, rep, "Budget confirmed", 1)
    client.force_login(executive)

    read = client.get(f"/api/plans/{plan.pk}/comments/")
    write = client.post(
        f"/api/plans/{plan.pk}/comments/",
        {"body": "Hello"},
        content_type="application/json",
    )

    assert read.json()["count"] == 1
    assert write.status_code == 403


def test_a_blank_comment_is_refused_under_its_field(
    client: Client, rep: User, plan: Plan
) -> None:
    client.force_login(rep)

    response = client.post(
        f"/api/plans/{plan.pk}/comments/",
        {"body": "   "},
        content_type="application/json",
    )
    created = client.post(
        f"/api/plans/{plan.pk}/comments/",
        {"body": " Met the CFO "},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"body": ["This field may not be blank."]}
    assert created.status_code == 201
    assert created.json()["body"] == "Met the CFO"
    assert created.json()["author"] == rep.display_name
