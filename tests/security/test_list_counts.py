"""Every list and export of accounts holds exactly what each role may see.

On the walker's fixture of three reps with 50 accounts each, a rep sees 50,
the manager over two reps 100, and sales ops (the admin role) and an
executive all 150. The lists are found from the schema and the exports
from the URL configuration; a list counts as one of accounts when sales ops
finds every account in it.
"""

import csv
import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader

from accounts.models import Account, User
from plans.calendar import fiscal_quarter_current
from tests.accounts.factories import UserFactory
from tests.security.test_access_walker import (
    World,
    url_routes,
    world,  # noqa: F401 (a fixture, used by name)
)

pytestmark = pytest.mark.django_db

ACCOUNT_NAME = re.compile(r"(?:north1|north2|south1)-acct-\d\d")
REPS = {"north1": ["north1"], "manager": ["north1", "north2"]}
EVERY_REP = ["north1", "north2", "south1"]
# A list that needs a filter is read with the one that holds every account.
REQUIRED_FILTERS = {"figure": "accounts"}
EXPECTED = {"north1": 50, "manager": 100, "ops": 150, "executive": 150}


@pytest.fixture
def people(world: World) -> dict[str, User]:  # noqa: F811 (the fixture, by name)
    return {
        "north1": world.north1,
        "manager": world.manager,
        "ops": UserFactory.create(username="walker-ops", role=User.Role.OPS),
        "executive": world.executive,
    }


def visible_names(who: str) -> set[str]:
    return {
        f"{rep}-acct-{number:02d}"
        for rep in REPS.get(who, EVERY_REP)
        for number in range(50)
    }


def account_lists() -> list[str]:
    """Return each paged API list with no URL argument, its required filters set."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    lists = []
    for path, methods in schema["paths"].items():
        parameters = methods.get("get", {}).get("parameters", [])
        if "{" in path or "limit" not in {p["name"] for p in parameters}:
            continue
        required = [p["name"] for p in parameters if p.get("required")]
        for name in required:
            assert name in REQUIRED_FILTERS, f"{path} requires `{name}`: set it"
        query = "&".join(f"{name}={REQUIRED_FILTERS[name]}" for name in required)
        lists.append(f"{path}?{query}" if query else path)
    return lists


def list_rows(client: Client, url: str | None) -> list[Any]:
    """Read every page of a list."""
    rows: list[Any] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, f"{url} -> {response.status_code}"
        body = response.json()
        rows.extend(body["results"])
        url = body.get("next")
    return rows


def names_in(text: str) -> set[str]:
    return set(ACCOUNT_NAME.findall(text))


def test_each_account_list_counts_the_visible_accounts(people):
    # given: the lists in which sales ops finds every account
    admin = Client()
    admin.force_login(people["ops"])
    lists = [
        path
        for path in account_lists()
        if len(names_in(str(list_rows(admin, path)))) == 150
    ]
    counted = {}

    # when
    for who in EXPECTED:
        client = Client()
        client.force_login(people[who])
        for path in lists:
            rows = list_rows(client, path)
            counted[who, path] = (len(rows), names_in(str(rows)))

    # then: one row per visible account, and no other account named
    assert "/api/accounts/" in lists
    assert "/api/plans/dashboard/accounts/?figure=accounts" in lists
    assert counted == {
        (who, path): (expected, visible_names(who))
        for who, expected in EXPECTED.items()
        for path in lists
    }


def dashboard_exports() -> list[str]:
    """Return the export routes that take nothing but a file format."""
    return [
        route.name
        for route in url_routes()
        if route.kwargs == ("file_format",) and "export" in route.name
    ]


def workbook_text(body: bytes) -> str:
    """Return the text of every cell of every sheet."""
    book = load_workbook(io.BytesIO(body), read_only=True)
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def workbook_account_rows(body: bytes) -> int:
    """Count the Accounts sheet's rows below its header."""
    sheet = load_workbook(io.BytesIO(body))["Accounts"]
    return sum(1 for row in sheet.iter_rows(min_row=2) if row[0].value is not None)


def test_each_csv_and_xlsx_export_counts_the_visible_accounts(people):
    # given
    exports = dashboard_exports()
    counted = {}

    # when
    for who, name in [(who, name) for who in EXPECTED for name in exports]:
        client = Client()
        client.force_login(people[who])
        for file_format in ["csv", "xlsx"]:
            response = client.get(reverse(name, args=[file_format]))
            assert response.status_code == 200, f"{name} {file_format}"
            body = response.getvalue()
            if file_format == "csv":
                rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
                counted[who, name, file_format] = (
                    len(rows) - 1,
                    names_in(body.decode()),
                )
            else:
                counted[who, name, file_format] = (
                    workbook_account_rows(body),
                    names_in(workbook_text(body)),
                )

    # then
    assert sorted(exports) == ["plans:dashboard_export", "plans_api:dashboard_export"]
    assert counted == {
        (who, name, file_format): (expected, visible_names(who))
        for who, expected in EXPECTED.items()
        for name in exports
        for file_format in ["csv", "xlsx"]
    }


def binary_text(body: bytes, file_format: str) -> str:
    if file_format == "pdf":
        return "\n".join(
            page.extract_text() for page in PdfReader(io.BytesIO(body)).pages
        )
    if file_format == "pptx":
        deck = Presentation(io.BytesIO(body))
        return "\n".join(
            shape.text_frame.text
            for slide in deck.slides
            for shape in slide.shapes
            if shape.has_text_frame
        )
    raise AssertionError(f"no text reader for {file_format}")


def test_binary_review_exports_name_no_other_teams_account(people):
    # given: north1's account, whose parent company sits on South's side
    account = Account.objects.get(name="north1-acct-00")
    account.parent = Account.objects.get(name="south1-acct-49")
    account.save()
    quarter = fiscal_quarter_current().start.isoformat()
    routes = ["plans:review_export", "plans_api:review_export"]
    found = {}

    # when
    for who in ["north1", "manager"]:
        client = Client()
        client.force_login(people[who])
        for name, file_format in [(n, f) for n in routes for f in ["pdf", "pptx"]]:
            response = client.get(
                reverse(name, args=[account.pk, quarter, file_format])
            )
            assert response.status_code == 200, f"{name} {file_format}"
            text = binary_text(response.content, file_format)
            found[who, name, file_format] = names_in(text)

    # then: the account itself, and nothing of South
    assert found == {
        (who, name, file_format): {"north1-acct-00"}
        for who in ["north1", "manager"]
        for name in routes
        for file_format in ["pdf", "pptx"]
    }
