import json
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import AccountAlias, MappedImport
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
)
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = "Account Name,Employees\nACME CORPORATION INC,100\nWayne Enterprises,50\n"
UNREADABLE = (
    "A ticked duplicate could not be read: {value!r} is not a pair of names like "
    '["incoming name", "existing account"]. Tick the duplicates on this page again.'
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def mapped(tmp_path: Path) -> MappedImport:
    AccountFactory(name="Acme Corporation")
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS)
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    return mapped


@pytest.mark.parametrize(
    "value",
    [
        '[&quot;ACME CORP.&quot;, "x"]',
        '["only one"]',
        '{"a":1}',
        '"str"',
        '["a","b","c"]',
        '["", "Acme Corporation"]',
        "[1, 2]",
    ],
)
@pytest.mark.parametrize("action", [{}, {"recheck": "1"}])
def test_the_check_page_refuses_a_merge_it_cannot_read(
    client, ops, mapped, value, action
) -> None:
    client.force_login(ops)

    response = client.post(
        reverse("accounts:wizard_check", args=[mapped.job_id]),
        {"merge": [value], "keep_good_rows": "on", **action},
    )

    assert response.status_code == 400
    assert response.context["refused"] == [UNREADABLE.format(value=value)]
    mapped.refresh_from_db()
    assert mapped.confirmed_at is None
    assert mapped.merges == {}


@pytest.mark.parametrize("action", [{}, {"recheck": "1"}])
def test_the_check_page_refuses_a_merge_the_check_did_not_propose(
    client, ops, mapped, action
) -> None:
    # given
    client.force_login(ops)
    url = reverse("accounts:wizard_check", args=[mapped.job_id])

    # when
    response = client.post(
        url,
        {
            "merge": [
                json.dumps(["ACME CORPORATION INC", "Acme Corporation"]),
                json.dumps(["Wayne Enterprises", "Acme Corporation"]),
            ],
            "keep_good_rows": "on",
            **action,
        },
    )

    # then
    assert response.status_code == 400
    assert response.context["refused"] == [
        "'Wayne Enterprises' is 'Acme Corporation': "
        "the check proposes no such duplicate"
    ]
    assert (
        "&#x27;Wayne Enterprises&#x27; is &#x27;Acme Corporation&#x27;: "
        "the check proposes no such duplicate"
    ) in response.content.decode()
    mapped.refresh_from_db()
    assert mapped.confirmed_at is None
    assert mapped.merges == {}
    assert AccountAlias.objects.count() == 0


def test_the_check_page_starts_with_a_merge_the_check_proposed(
    client, ops, mapped
) -> None:
    client.force_login(ops)

    response = client.post(
        reverse("accounts:wizard_check", args=[mapped.job_id]),
        {"merge": [json.dumps(["ACME CORPORATION INC", "Acme Corporation"])]},
    )

    assert response.status_code == 302
    assert response.url == reverse("accounts:wizard_report", args=[mapped.job_id])
    mapped.refresh_from_db()
    assert mapped.merges == {"ACME CORPORATION INC": "Acme Corporation"}
