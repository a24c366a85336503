"""A refusal about one input answers under that input's name, not `detail`."""

import pytest

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
