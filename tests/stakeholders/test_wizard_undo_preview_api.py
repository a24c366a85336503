"""GET …/undo/ previews an undo through the API; POST does it under If-Match."""

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import wizard
from accounts.models import Account, User
from accounts.undo_keep import UndoKeep, undo_keep_find
from stakeholders.models import Activity, Stakeholder
from stakeholders.services import activity_log
from tests.stakeholders.test_wizard_undo_keeps import (
    LATER,
    imported,
    ines_at_vireo,
    kestrel_imported,
    title_edited_later,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

MEETING_KEPT = [
    {
        "kind": "person",
        "record": "person Rosa Vidal",
        "field": None,
        "value": None,
        "reasons": ["a meeting was logged on 5 Dec 2026"],
        "note": "person Rosa Vidal kept: a meeting was logged on 5 Dec 2026.",
    },
    {
        "kind": "account",
        "record": "account Kestrel Mining",
        "field": None,
        "value": None,
        "reasons": ["a meeting was logged on 5 Dec 2026"],
        "note": "account Kestrel Mining kept: a meeting was logged on 5 Dec 2026.",
    },
]


@pytest.fixture
def api(ops) -> APIClient:
    client = APIClient()
    client.force_authenticate(ops)
    return client


def undo_url(job_id: int) -> str:
    return reverse("accounts_api:import_undo", args=[job_id])


def meeting_with_rosa(bruce: User) -> None:
    rosa = Stakeholder.objects.get()
    meeting = activity_log(user=bruce, account=rosa.account, stakeholders=[rosa])
    Activity.objects.filter(pk=meeting.pk).update(created_at=LATER)


def test_the_preview_says_what_is_deleted_and_what_is_kept_and_why(
    api, django_capture_on_commit_callbacks, ops, bruce
) -> None:
    # given: the import made Kestrel Mining and Rosa Vidal; then a meeting
    job = kestrel_imported(django_capture_on_commit_callbacks, ops)
    meeting_with_rosa(bruce)

    # when
    response = api.get(undo_url(job.pk))

    # then: both are kept, so nothing is deleted
    assert response.status_code == 200
    assert response.json() == {
        "can_undo": True,
        "refusal": None,
        "deleted": {},
        "restored": {},
        "users": 0,
        "kept": MEETING_KEPT,
        "records": [],
        "records_total": 0,
        "records_csv": f"/api/accounts/imports/{job.pk}/undo.csv",
    }
    assert response["ETag"].startswith('"')


def test_without_later_work_the_preview_lists_the_deletions(
    api, django_capture_on_commit_callbacks, ops
) -> None:
    job = kestrel_imported(django_capture_on_commit_callbacks, ops)

    response = api.get(undo_url(job.pk))

    rosa = Stakeholder.objects.get(first_name="Rosa", last_name="Vidal")
    kestrel = Account.objects.get(name="Kestrel Mining")
    assert response.json() == {
        "can_undo": True,
        "refusal": None,
        "deleted": {"accounts": 1, "people": 1},
        "restored": {},
        "users": 0,
        "kept": [],
        "records": [
            {
                "action": "deleted",
                "kind": "person",
                "record": "person Rosa Vidal",
                "key": f"stakeholders.stakeholder:{rosa.pk}",
            },
            {
                "action": "deleted",
                "kind": "account",
                "record": "account Kestrel Mining",
                "key": f"accounts.account:{kestrel.pk}",
            },
        ],
        "records_total": 2,
        "records_csv": f"/api/accounts/imports/{job.pk}/undo.csv",
    }


def test_a_value_edited_by_hand_is_kept_with_its_field_and_value(
    api, django_capture_on_commit_callbacks, ops, bruce
) -> None:
    # given: the import changes Ines's title; Bruce then edits it by hand
    ines = ines_at_vireo(seniority="executive")
    job = imported(
        django_capture_on_commit_callbacks, "salesforce_contacts.csv", user=ops
    )
    ines.refresh_from_db()
    title_edited_later(ines, by=bruce, title="Group CFO")

    # when
    preview = api.get(undo_url(job.pk)).json()

    # then
    assert preview["restored"] == {"people": 1}
    assert preview["kept"] == [
        {
            "kind": "person",
            "record": "person Ines Gruber",
            "field": "title",
            "value": "Group CFO",
            "reasons": ["edited by Bruce Wayne on 5 Dec 2026"],
            "note": "title “Group CFO” kept on person Ines Gruber: edited by "
            "Bruce Wayne on 5 Dec 2026.",
        }
    ]


def test_the_undo_needs_the_previews_etag(
    api, django_capture_on_commit_callbacks, ops, bruce
) -> None:
    # given
    job = kestrel_imported(django_capture_on_commit_callbacks, ops)
    meeting_with_rosa(bruce)
    read = api.get(undo_url(job.pk))

    # when
    missing = api.post(undo_url(job.pk))
    stale = api.post(undo_url(job.pk), HTTP_IF_MATCH='"not-the-preview"')
    with django_capture_on_commit_callbacks(execute=False):
        done = api.post(undo_url(job.pk), HTTP_IF_MATCH=read["ETag"])

    # then: only the undo sent with the preview's tag went through
    assert missing.status_code == 428
    assert stale.status_code == 412
    assert stale.json()["current"] == read.json()
    assert stale["ETag"] == read["ETag"]
    assert done.status_code == 200, done.content
    assert done.json()["undone_at"] is not None
    assert list(Stakeholder.objects.values_list("first_name", flat=True)) == ["Rosa"]
    assert list(Account.objects.values_list("name", flat=True)) == ["Kestrel Mining"]


def test_the_undo_works_out_what_it_keeps_once(
    api, django_capture_on_commit_callbacks, ops, bruce, monkeypatch
) -> None:
    # given: an import with kept work, its preview read
    job = kestrel_imported(django_capture_on_commit_callbacks, ops)
    meeting_with_rosa(bruce)
    read = api.get(undo_url(job.pk))
    searches: list[int] = []

    def counted(**kwargs: Any) -> UndoKeep:
        searches.append(kwargs["job"].pk)
        return undo_keep_find(**kwargs)

    monkeypatch.setattr(wizard, "undo_keep_find", counted)

    # when
    with django_capture_on_commit_callbacks(execute=False):
        done = api.post(undo_url(job.pk), HTTP_IF_MATCH=read["ETag"])

    # then: one search served both the ETag check and the undo, which kept
    # what the preview said
    assert done.status_code == 200, done.content
    assert searches == [job.pk]
    assert list(Stakeholder.objects.values_list("first_name", flat=True)) == ["Rosa"]
    assert list(Account.objects.values_list("name", flat=True)) == ["Kestrel Mining"]


def test_work_done_after_the_preview_refuses_the_undo_with_the_new_preview(
    api, django_capture_on_commit_callbacks, ops, bruce
) -> None:
    # given: the preview said everything goes; then someone met Rosa
    job = kestrel_imported(django_capture_on_commit_callbacks, ops)
    read = api.get(undo_url(job.pk))
    meeting_with_rosa(bruce)

    # when
    response = api.post(undo_url(job.pk), HTTP_IF_MATCH=read["ETag"])

    # then
    assert response.status_code == 412
    assert response.json()["current"]["kept"] == MEETING_KEPT
    assert Stakeholder.objects.count() == 1
    job.mapped.refresh_from_db()
    assert job.mapped.undone_at is None


def test_an_undone_import_previews_its_refusal_and_refuses_again(
    api, django_capture_on_commit_callbacks, ops
) -> None:
    # given
    job = kestrel_imported(django_capture_on_commit_callbacks, ops)
    with django_capture_on_commit_callbacks(execute=False):
        first = api.post(
            undo_url(job.pk), HTTP_IF_MATCH=api.get(undo_url(job.pk))["ETag"]
        )
    assert first.status_code == 200

    # when
    read = api.get(undo_url(job.pk))
    again = api.post(undo_url(job.pk), HTTP_IF_MATCH=read["ETag"])

    # then
    assert read.json() == {
        "can_undo": False,
        "refusal": "This import has already been undone.",
        "deleted": {},
        "restored": {},
        "users": 0,
        "kept": [],
        "records": [],
        "records_total": 0,
        "records_csv": None,
    }
    assert again.status_code == 400
    assert again.json() == {
        "non_field_errors": ["This import has already been undone."]
    }


def test_the_undo_page_lists_what_the_api_preview_keeps(
    client, api, django_capture_on_commit_callbacks, ops, bruce
) -> None:
    job = kestrel_imported(django_capture_on_commit_callbacks, ops)
    meeting_with_rosa(bruce)
    client.force_login(ops)

    page = client.get(reverse("accounts:wizard_undo", args=[job.pk]))
    notes = [one["note"] for one in api.get(undo_url(job.pk)).json()["kept"]]

    assert list(page.context["kept"]) == notes


@pytest.mark.parametrize("who", ["rep", "manager", "executive"])
def test_anyone_but_ops_gets_404_for_the_preview(
    django_capture_on_commit_callbacks, ops, who, request
) -> None:
    job = kestrel_imported(django_capture_on_commit_callbacks, ops)
    client = APIClient()
    client.force_authenticate(request.getfixturevalue(who))

    assert client.get(undo_url(job.pk)).status_code == 404
    assert client.post(undo_url(job.pk), HTTP_IF_MATCH='"x"').status_code == 404
