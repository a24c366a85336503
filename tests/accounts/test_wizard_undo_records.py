"""The undo page names the records the undo removes or restores."""

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import (
    Account,
    ChangeRecord,
    Opportunity,
    Product,
    RevenueLine,
    User,
)
from accounts.services import account_update
from accounts.undo_keep import day
from accounts.wizard_undo_list import UNDO_SHOWN
from tests.accounts.factories import AccountFactory, ProductFactory
from tests.accounts.wizard_runs import imported

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def accounts_file(tmp_path, count: int):
    path = tmp_path / "accounts.csv"
    path.write_text(
        "Account Name,Employees\nGull Bank,3500\n"
        + "".join(f"Co {number:03d},{number}\n" for number in range(1, count + 1))
    )
    return path


def shown(client: Client, pk: int) -> list[tuple[str, str]]:
    """Return the undo page's named records, as (record, what the undo does)."""
    page = client.get(reverse("accounts:wizard_undo", args=[pk]))
    assert page.status_code == 200
    return [(one.name, one.action) for one in page.context["records"]]


def test_the_page_names_each_record_and_what_the_undo_does_to_it(
    tmp_path, client, ops: User
) -> None:
    # given
    AccountFactory.create(name="Gull Bank", employees=3400)
    job = imported(accounts_file(tmp_path, 2))
    client.force_login(ops)

    # when
    page = client.get(reverse("accounts:wizard_undo", args=[job.pk]))

    # then
    assert shown(client, job.pk) == [
        ("account Co 001", "deleted"),
        ("account Co 002", "deleted"),
        ("account Gull Bank", "set back"),
    ]
    body = page.content.decode()
    assert '<th scope="row">account Co 001</th><td>deleted</td>' in body
    assert '<th scope="row">account Gull Bank</th><td>set back</td>' in body
    assert 'id="undo-more"' not in body
    assert reverse("accounts:wizard_undo_csv", args=[job.pk]) in body


def test_a_long_list_is_cut_with_how_many_more_and_the_csv_has_all(
    tmp_path, client, ops: User
) -> None:
    # given
    AccountFactory.create(name="Gull Bank", employees=3400)
    job = imported(accounts_file(tmp_path, 60))
    client.force_login(ops)

    # when
    page = client.get(reverse("accounts:wizard_undo", args=[job.pk]))
    download = client.get(reverse("accounts:wizard_undo_csv", args=[job.pk]))

    # then: the first fifty, and how many more
    assert [name for name, _ in shown(client, job.pk)] == [
        f"account Co {number:03d}" for number in range(1, UNDO_SHOWN + 1)
    ]
    assert '<span id="undo-more">and 11 more.</span>' in page.content.decode()
    # and the CSV names all 61, with each record's key
    assert download.status_code == 200
    assert download["Content-Disposition"] == (
        f'attachment; filename="import-{job.pk}-undo.csv"'
    )
    text = download.getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    ids = dict(Account.objects.values_list("name", "pk"))
    assert rows[0] == ["action", "kind", "record", "key", "field", "value", "reason"]
    assert rows[1:] == [
        *(
            [
                "deleted",
                "account",
                f"account Co {number:03d}",
                f"accounts.account:{ids[f'Co {number:03d}']}",
                "",
                "",
                "",
            ]
            for number in range(1, 61)
        ),
        [
            "set back",
            "account",
            "account Gull Bank",
            f"accounts.account:{ids['Gull Bank']}",
            "",
            "",
            "",
        ],
    ]


def downloaded(client: Client, pk: int) -> list[list[str]]:
    """Return the rows of the undo's CSV, as the page's link downloads it."""
    download = client.get(reverse("accounts:wizard_undo_csv", args=[pk]))
    assert download.status_code == 200
    text = download.getvalue().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_lists_what_the_undo_keeps_with_its_reason(
    tmp_path, client, ops: User, rep: User
) -> None:
    # given: the import makes Co 001 and changes Gull Bank's head count
    AccountFactory.create(name="Gull Bank", employees=3400)
    job = imported(accounts_file(tmp_path, 1))
    made, gull = Account.objects.order_by("name")
    # and Rita then gives Co 001 a sector and corrects Gull Bank's head count
    account_update(
        account=made,
        user=rep,
        data={"sector": "Shipping"},
        expected_version=made.updated_at,
    )
    account_update(
        account=gull,
        user=rep,
        data={"employees": 3600},
        expected_version=gull.updated_at,
    )
    edited = day(ChangeRecord.objects.get(field="employees").changed_at)
    client.force_login(ops)

    # when
    page = client.get(reverse("accounts:wizard_undo", args=[job.pk]))
    rows = downloaded(client, job.pk)

    # then: the page explains both, and so does the CSV, after the set back
    by = f"by {rep.display_name} on {edited}"
    assert page.context["kept"] == [
        f"account Co 001 kept: its sector field was edited {by}.",
        f"employees “3600” kept on account Gull Bank: edited {by}.",
    ]
    assert rows == [
        ["action", "kind", "record", "key", "field", "value", "reason"],
        ["set back", "account", "account Gull Bank", f"accounts.account:{gull.pk}"]
        + ["", "", ""],
        [
            "kept",
            "account",
            "account Co 001",
            f"accounts.account:{made.pk}",
            "",
            "",
            f"its sector field was edited by {rep.display_name} on {edited}",
        ],
        [
            "kept",
            "account",
            "account Gull Bank",
            f"accounts.account:{gull.pk}",
            "employees",
            "3600",
            f"edited by {rep.display_name} on {edited}",
        ],
    ]


def test_the_page_offers_the_csv_when_the_undo_keeps_everything(
    tmp_path, client, ops: User, rep: User
) -> None:
    # given: the import made one account, which Rita has edited since
    path = tmp_path / "accounts.csv"
    path.write_text("Account Name,Employees\nCo 001,1\n")
    job = imported(path)
    made = Account.objects.get()
    account_update(
        account=made,
        user=rep,
        data={"employees": 2},
        expected_version=made.updated_at,
    )
    edited = day(ChangeRecord.objects.get().changed_at)
    client.force_login(ops)

    # when
    page = client.get(reverse("accounts:wizard_undo", args=[job.pk]))

    # then
    assert page.context["records"] == []
    assert (
        f'<a href="{reverse("accounts:wizard_undo_csv", args=[job.pk])}" '
        'id="undo-csv" download>'
    ) in page.content.decode()
    assert downloaded(client, job.pk) == [
        ["action", "kind", "record", "key", "field", "value", "reason"],
        [
            "kept",
            "account",
            "account Co 001",
            f"accounts.account:{made.pk}",
            "",
            "",
            f"its employees field was edited by {rep.display_name} on {edited}",
        ],
    ]


def test_the_csv_names_two_edited_fields_with_one_plural_verb(
    tmp_path, client, ops: User, rep: User
) -> None:
    # given: the import made one account; Rita then edited two of its fields
    path = tmp_path / "accounts.csv"
    path.write_text("Account Name,Employees,Industry\nCo 001,1,Banking\n")
    job = imported(path)
    made = Account.objects.get()
    account_update(
        account=made,
        user=rep,
        data={"employees": 2, "sector": "Insurance"},
        expected_version=made.updated_at,
    )
    edited = day(ChangeRecord.objects.latest("changed_at").changed_at)
    client.force_login(ops)

    # when
    rows = downloaded(client, job.pk)

    # then
    assert rows[1][-1] == (
        f"its sector and employees fields were edited by {rep.display_name} on {edited}"
    )


def test_the_page_reads_as_many_queries_for_5_records_as_for_120(
    tmp_path, client, ops: User
) -> None:
    client.force_login(ops)
    AccountFactory.create(name="Gull Bank", employees=3400)
    small_path = tmp_path / "small"
    small_path.mkdir()
    small = imported(accounts_file(small_path, 5))
    AccountFactory.create(name="Gull Bank Two", employees=1)
    big_path = tmp_path / "big"
    big_path.mkdir()
    big_file = big_path / "accounts.csv"
    big_file.write_text(
        "Account Name,Employees\nGull Bank Two,2\n"
        + "".join(f"Big {number:03d},{number}\n" for number in range(1, 121))
    )
    big = imported(big_file)

    def queries(pk: int) -> int:
        with CaptureQueriesContext(connection) as seen:
            page = client.get(reverse("accounts:wizard_undo", args=[pk]))
        assert page.status_code == 200
        return len(seen)

    assert len(shown(client, small.pk)) == 6
    assert len(shown(client, big.pk)) == UNDO_SHOWN
    assert queries(small.pk) == queries(big.pk)


def test_deals_and_revenue_lines_are_named_as_the_check_names_them(
    tmp_path, client, ops: User
) -> None:
    # given
    AccountFactory.create(name="Alpha Co")
    ProductFactory.create(name="GTX Pro")
    path = tmp_path / "deals.csv"
    path.write_text(
        "Opportunity ID,Opportunity Name,Account Name,Product Name,Stage,Amount,"
        "Close Date\n006A1,Press line,Alpha Co,GTX Pro,Closed Won,100,2017-08-15\n"
    )
    job = imported(path)
    client.force_login(ops)

    # when
    records = shown(client, job.pk)

    # then
    assert Opportunity.objects.count() == RevenueLine.objects.count() == 1
    assert Product.objects.count() == 1
    assert records == [
        ("revenue line Alpha Co / GTX Pro / Q3 2017 (won deals)", "deleted"),
        ("deal 006A1 of Alpha Co", "deleted"),
    ]


def test_the_api_names_the_first_records_and_downloads_every_one(
    tmp_path, ops: User
) -> None:
    # given
    AccountFactory.create(name="Gull Bank", employees=3400)
    job = imported(accounts_file(tmp_path, 60))
    api = APIClient()
    api.force_authenticate(ops)
    url = f"/api/accounts/imports/{job.pk}/undo/"
    ids = dict(Account.objects.values_list("name", "pk"))

    # when
    preview = api.get(url)
    download = api.get(preview.json()["records_csv"])
    undone = api.post(url, HTTP_IF_MATCH=preview["ETag"])

    # then
    assert preview.status_code == 200
    body = preview.json()
    assert body["records"][:2] == [
        {
            "action": "deleted",
            "kind": "account",
            "record": "account Co 001",
            "key": f"accounts.account:{ids['Co 001']}",
        },
        {
            "action": "deleted",
            "kind": "account",
            "record": "account Co 002",
            "key": f"accounts.account:{ids['Co 002']}",
        },
    ]
    assert [one["record"] for one in body["records"]] == [
        f"account Co {number:03d}" for number in range(1, UNDO_SHOWN + 1)
    ]
    assert body["records_total"] == 61
    assert body["records_csv"] == f"/api/accounts/imports/{job.pk}/undo.csv"
    assert download.status_code == 200
    assert download["Content-Disposition"] == (
        f'attachment; filename="import-{job.pk}-undo.csv"'
    )
    text = download.getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["action", "kind", "record", "key", "field", "value", "reason"]
    assert len(rows) == 62
    assert rows[-1] == [
        "set back",
        "account",
        "account Gull Bank",
        f"accounts.account:{ids['Gull Bank']}",
        "",
        "",
        "",
    ]
    assert undone.status_code == 200, undone.content


def test_the_api_names_no_records_of_an_import_it_cannot_undo(
    tmp_path, ops: User
) -> None:
    # given
    job = imported(accounts_file(tmp_path, 2))
    api = APIClient()
    api.force_authenticate(ops)
    url = f"/api/accounts/imports/{job.pk}/undo/"
    first = api.get(url)
    assert api.post(url, HTTP_IF_MATCH=first["ETag"]).status_code == 200

    # when
    preview = api.get(url)
    download = api.get(f"/api/accounts/imports/{job.pk}/undo.csv")

    # then
    body = preview.json()
    assert body["refusal"] == "This import has already been undone."
    assert (body["records"], body["records_total"], body["records_csv"]) == (
        [],
        0,
        None,
    )
    assert download.status_code == 400
    assert download.json() == {
        "non_field_errors": ["This import has already been undone."]
    }


def test_the_api_preview_reads_as_many_queries_for_5_records_as_for_120(
    tmp_path, ops: User
) -> None:
    api = APIClient()
    api.force_authenticate(ops)
    small_path = tmp_path / "small"
    small_path.mkdir()
    small = imported(accounts_file(small_path, 5))
    big_path = tmp_path / "big"
    big_path.mkdir()
    big = imported(accounts_file(big_path, 120))

    def queries(pk: int) -> int:
        with CaptureQueriesContext(connection) as seen:
            preview = api.get(f"/api/accounts/imports/{pk}/undo/")
        assert preview.status_code == 200
        return len(seen)

    assert queries(small.pk) == queries(big.pk)
