"""No page shows template syntax as text; each form sends one CSRF token.

Django reads `{# ... #}` as a comment only within one line: spread over
two, it is printed as it stands, and a tag or variable split over lines
is printed the same way. The first test reads every template of ours with
Django's own lexer; the second walks every page the access walker finds,
as each kind of user, so a mark that reaches a page some other way (a
string in Python, an include's text) is caught too.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType
from django.template.utils import get_app_template_dirs
from django.test import Client

from accounts.models import User
from tests.accounts.factories import UserFactory
from tests.security.test_access_walker import (
    World,
    route_url,
    url_routes,
    world,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.django_db

TEMPLATE_MARKS = ("{#", "#}", "{%", "%}", "{{", "}}")
# Pages that must render for the walk to mean anything: the edit forms
# whose multi-line comment once showed as text.
MUST_RENDER = {"accounts:edit", "accounts:deal_edit", "accounts:deal_create"}
# Data and code a page carries are not shown: `}}` ends many a JSON object.
NOT_SHOWN = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>.*?</form>", re.S | re.I)


def template_files() -> list[Path]:
    """Return every template of ours: the project's folder and our apps'."""
    base = Path(settings.BASE_DIR).resolve()
    folders = [base / "templates", *get_app_template_dirs("templates")]
    ours = [
        Path(folder).resolve()
        for folder in folders
        if Path(folder).resolve().is_relative_to(base)
        and ".venv" not in Path(folder).resolve().relative_to(base).parts
    ]
    return sorted(path for folder in ours for path in folder.rglob("*.*"))


def test_the_template_scan_reads_our_templates() -> None:
    base = settings.BASE_DIR
    names = {path.relative_to(base).as_posix() for path in template_files()}

    assert "templates/base.html" in names
    assert "templates/accounts/_form_fields.html" in names


def test_no_template_prints_its_own_syntax() -> None:
    found = []

    for path in template_files():
        for token in Lexer(path.read_text(encoding="utf-8")).tokenize():
            if token.token_type != TokenType.TEXT:
                continue
            for mark in TEMPLATE_MARKS:
                if mark in token.contents:
                    found.append(
                        f"{path.relative_to(settings.BASE_DIR)} near line "
                        f"{token.lineno}: {mark!r} is printed as text (a "
                        "comment, tag or variable must open and close on one "
                        "line; use {% comment %} for a longer comment)"
                    )

    assert not found, "\n".join(found)


def test_no_page_shows_template_syntax_and_each_form_has_one_csrf_token(
    world: World,  # noqa: F811
) -> None:
    # given: each kind of user, the rep being on the fixture account's team
    ops = UserFactory.create(username="walker-ops", role=User.Role.OPS)
    people = [world.north1, world.manager, world.executive, ops]
    routes = [
        route
        for route in url_routes()
        if not route.template.startswith("api/") and route.name != "logout"
    ]
    rendered: set[str] = set()
    failures: list[str] = []

    # when
    for user in people:
        client = Client()
        client.force_login(user)
        for route in routes:
            url, _ = route_url(route, world)
            response = client.get(url)
            if response.status_code != 200 or not response.get(
                "Content-Type", ""
            ).startswith("text/html"):
                continue
            rendered.add(route.name)
            html = response.content.decode()
            shown = NOT_SHOWN.sub("", html)
            where = f"{user.username} GET {url}"

            # then
            for mark in TEMPLATE_MARKS:
                if mark in shown:
                    at = shown.index(mark)
                    failures.append(
                        f"{mark!r} shown on {where}: {shown[at - 60 : at + 60]!r}"
                    )
            for form in POST_FORM.findall(html):
                tokens = form.count('name="csrfmiddlewaretoken"')
                if tokens != 1:
                    failures.append(
                        f"a form with {tokens} CSRF tokens on {where}: {form[:80]!r}"
                    )

    assert rendered >= MUST_RENDER, f"not rendered: {MUST_RENDER - rendered}"
    assert not failures, "\n".join(failures)
