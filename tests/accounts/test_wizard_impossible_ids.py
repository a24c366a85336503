"""An import id no row could have answers 404, like a deal's."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User

# Past a 64-bit id: SQLite overflows and PostgreSQL refuses such a number.
TOO_BIG = "99999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/accounts/imports/{TOO_BIG}/",
        f"/api/accounts/imports/{TOO_BIG}/report.csv",
        f"/api/accounts/imports/{TOO_BIG}/changes.csv",
        f"/api/accounts/imports/{TOO_BIG}/mapping/",
        f"/api/accounts/imports/{TOO_BIG}/check/",
        f"/api/accounts/imports/{TOO_BIG}/undo/",
        f"/api/accounts/deals/{TOO_BIG}/",
        f"/api/accounts/imports/{2**63}/",
    ],
)
def test_the_api_answers_404_for_an_id_past_64_bits(ops: User, path: str) -> None:
    api = APIClient()
    api.force_authenticate(user=ops)

    response = api.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    "method,path",
    [
        ("post", f"/api/accounts/imports/{TOO_BIG}/start/"),
        ("post", f"/api/accounts/imports/{TOO_BIG}/undo/"),
        ("post", f"/api/accounts/imports/{TOO_BIG}/discard/"),
        ("post", f"/api/accounts/imports/{TOO_BIG}/reopen/"),
        ("put", f"/api/accounts/imports/{TOO_BIG}/mapping/"),
    ],
)
def test_the_api_answers_404_to_a_change_of_an_impossible_import(
    ops: User, method: str, path: str
) -> None:
    api = APIClient()
    api.force_authenticate(user=ops)

    response = getattr(api, method)(path, {}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    "path",
    [
        f"/accounts/import/{TOO_BIG}/",
        f"/accounts/import/{TOO_BIG}/progress/",
        f"/accounts/import/wizard/{TOO_BIG}/",
        f"/accounts/import/wizard/{TOO_BIG}/mapping/",
        f"/accounts/import/wizard/{TOO_BIG}/check/",
        f"/accounts/import/wizard/{TOO_BIG}/changes.csv",
        f"/accounts/import/wizard/{TOO_BIG}/report.csv",
        f"/accounts/import/wizard/{TOO_BIG}/undo/",
        f"/accounts/import/wizard/{TOO_BIG}/sheet/",
        f"/accounts/import/wizard/{2**63}/",
    ],
)
def test_the_pages_answer_404_for_an_id_past_64_bits(ops: User, path: str) -> None:
    client = Client()
    client.force_login(ops)

    response = client.get(path)

    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        f"/accounts/import/{TOO_BIG}/retry/",
        f"/accounts/import/wizard/{TOO_BIG}/discard/",
        f"/accounts/import/wizard/{TOO_BIG}/reopen/",
        f"/accounts/import/wizard/{TOO_BIG}/answer/",
        f"/accounts/import/wizard/{TOO_BIG}/undo/",
    ],
)
def test_the_pages_answer_404_to_a_post_for_an_impossible_import(
    ops: User, path: str
) -> None:
    client = Client()
    client.force_login(ops)

    response = client.post(path)

    assert response.status_code == 404


def test_the_largest_possible_id_is_looked_up_and_not_found(ops: User) -> None:
    api = APIClient()
    api.force_authenticate(user=ops)

    response = api.get(f"/api/accounts/imports/{2**63 - 1}/")

    assert response.status_code == 404
