import pytest

pytestmark = pytest.mark.django_db


def test_the_login_page_sends_someone_logged_in_to_the_portfolio(client, rep):
    client.force_login(rep)

    response = client.get("/login/")

    assert response.status_code == 302
    assert response["Location"] == "/scoring/portfolio/"


def test_the_login_page_follows_next_for_someone_logged_in(client, rep):
    client.force_login(rep)

    response = client.get("/login/?next=/plans/")

    assert response.status_code == 302
    assert response["Location"] == "/plans/"


def test_a_next_pointing_back_at_login_goes_to_the_portfolio(client, rep):
    client.force_login(rep)

    response = client.get("/login/?next=/login/")

    assert response.status_code == 302
    assert response["Location"] == "/scoring/portfolio/"


def test_a_next_to_another_site_goes_to_the_portfolio(client, rep):
    client.force_login(rep)

    response = client.get("/login/?next=https://example.com/")

    assert response.status_code == 302
    assert response["Location"] == "/scoring/portfolio/"


def test_the_login_page_shows_the_form_to_someone_logged_out(client):
    response = client.get("/login/")

    assert response.status_code == 200
    assert "Log in to Lode" in response.content.decode()
