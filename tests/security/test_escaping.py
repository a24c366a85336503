import pytest

from accounts.models import Account
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db

HOSTILE = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def hostile_account(rep: object) -> Account:
    account = AccountFactory(name=HOSTILE, sector=FORMULA)
    account.team_members.add(rep)
    return account


def test_a_hostile_name_is_literal_text_in_the_api(client, rep, hostile_account):
    client.force_login(rep)

    listed = client.get("/api/accounts/").json()["results"][0]
    detail = client.get(f"/api/accounts/{hostile_account.pk}/").json()

    assert listed["name"] == HOSTILE
    assert detail["name"] == HOSTILE
    assert detail["sector"] == FORMULA


def test_a_hostile_name_is_never_raw_markup_on_a_page(client, rep, hostile_account):
    client.force_login(rep)
    pages = [
        f"/accounts/{hostile_account.pk}/",
        "/scoring/portfolio/",
        "/plans/",
        "/api/accounts/?format=api",
    ]

    for path in pages:
        html = client.get(path).content.decode()
        assert HOSTILE not in html, path

    detail = client.get(f"/accounts/{hostile_account.pk}/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail
