"""A refusal about one input answers under that input's name, not `detail`."""

import pytest

from plans.services import plan_create
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def test_a_voice_score_above_its_scale_is_refused_under_score(
    client, rep, account
) -> None:
    client.force_login(rep)

    response = client.post(
        f"/api/plans/accounts/{account.pk}/voice/",
        {"kind": "survey", "score": "12", "score_max": "10", "said_on": "2026-11-02"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"score": ["Must lie between 0 and 10."]}


def test_a_voice_scale_of_zero_is_refused_under_score_max(client, rep, account) -> None:
    client.force_login(rep)

    response = client.post(
        f"/api/plans/accounts/{account.pk}/voice/",
        {"kind": "survey", "score": "0", "score_max": "0", "said_on": "2026-11-02"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"score_max": ["The top of the scale must be above 0."]}


def test_a_link_for_someone_who_left_is_refused_under_stakeholder(
    client, rep, account
) -> None:
    person = StakeholderFactory.create(
        account=account, first_name="Ada", last_name="Ng"
    )
    person.status = person.Status.LEFT
    person.save()
    client.force_login(rep)

    response = client.post(
        f"/api/plans/accounts/{account.pk}/customer-links/",
        {"stakeholder": person.pk, "days": 7},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "stakeholder": ["Ada Ng is no longer active at Acme Corporation."]
    }


def test_a_malformed_revenue_since_is_refused_under_since(client, rep, account) -> None:
    client.force_login(rep)

    response = client.get(f"/api/accounts/{account.pk}/revenue/?since=bad")

    assert response.status_code == 400
    assert response.json() == {
        "since": [
            "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
        ]
    }


def test_a_voice_entry_without_speaker_or_words_names_both_fields(
    client, rep, account
) -> None:
    client.force_login(rep)

    response = client.post(
        f"/api/plans/accounts/{account.pk}/voice/",
        {"kind": "quote", "said_on": "2026-11-02"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "speaker": ["Say who said it."],
        "body": ["Write what was said."],
    }


def test_a_next_review_before_the_review_is_refused_under_next_review_on(
    client, manager, account
) -> None:
    plan = plan_create(user=manager, account=account, fiscal_year=2026)
    account.team_members.add(manager)
    client.force_login(manager)

    response = client.post(
        f"/api/plans/{plan.pk}/manager-reviews/",
        {
            "reviewed_on": "2026-05-02",
            "coaching_points": "Meet the CFO.",
            "next_review_on": "2026-05-01",
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "next_review_on": ["The next review must come after this one."]
    }


def test_a_second_plan_for_a_fiscal_year_is_refused_under_fiscal_year(
    client, rep, account
) -> None:
    plan_create(user=rep, account=account, fiscal_year=2026)
    client.force_login(rep)

    response = client.post(
        "/api/plans/",
        {"account": account.pk, "fiscal_year": 2026},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "fiscal_year": ["Acme Corporation already has a plan for FY2026."]
    }
