"""Under /api/ a path or object that is not there answers JSON, not a page."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_unmatched_api_path_answers_json_404(client, rep) -> None:
    client.force_login(rep)

    response = client.get("/api/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "No such API endpoint. The endpoints are listed at /api/docs/."
    }


def test_an_unmatched_api_path_answers_json_when_signed_out(client) -> None:
    response = client.post("/api/accounts/42/nothing-here/")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "No such API endpoint. The endpoints are listed at /api/docs/."
    }


def test_a_missing_export_format_answers_json_404(client, rep) -> None:
    client.force_login(rep)

    response = client.get("/api/plans/exports/dashboard.doc")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "No such export format: ask for dashboard.csv or .xlsx."
    }


def test_a_page_outside_the_api_keeps_the_html_404(client, rep) -> None:
    client.force_login(rep)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
