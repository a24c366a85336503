"""A deal's name in the CRM is read, stored, shown and set back by an undo."""

from pathlib import Path

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.deal_history import deal_history
from accounts.models import Account, ImportJob, Opportunity
from accounts.recognise import OPPORTUNITY, headers_recognise
from accounts.wizard import mapped_import_check, mapped_import_undo
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_runs import imported
from tests.accounts.wizard_steps import opened

FILE = "deals.csv"
HUBSPOT = "Record ID,Deal Name,Deal Stage,Amount,Close Date,Associated Company IDs\n"
HOSTILE = "<b>Spares</b> & more"
NOT_STORED = "read but not stored: Lode has no such field"


@pytest.mark.parametrize(
    ("headers", "column", "kind"),
    [
        (
            ["Id", "Name", "AccountId", "StageName", "Amount", "CloseDate"],
            "Name",
            "salesforce-api opportunities",
        ),
        (
            ["ID", "NAME", "ACCOUNTID", "STAGENAME", "AMOUNT", "CLOSEDATE"],
            "NAME",
            "salesforce-api opportunities",
        ),
        (
            ["Opportunity ID", "Opportunity Name", "Account Name", "Stage", "Amount"],
            "Opportunity Name",
            "salesforce-report opportunities",
        ),
        (
            ["Opportunity ID", "opportunity_name", "Product Name", "Quantity"],
            "opportunity_name",
            "salesforce-report opportunity products",
        ),
        (
            ["Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date"],
            "Deal Name",
            "hubspot deals",
        ),
        (
            ["Record ID", " deal-NAME ", "Deal Stage", "Amount"],
            " deal-NAME ",
            "hubspot deals",
        ),
        (
            ["opportunity_id", "Deal Name", "account", "deal_stage", "close_value"],
            "Deal Name",
            "bundled pipeline",
        ),
    ],
)
def test_every_deals_layout_maps_the_deal_name(
    headers: list[str], column: str, kind: str
) -> None:
    recognition = headers_recognise(headers=headers)

    assert (recognition.kind, recognition.mapping[column]) == (
        kind,
        (OPPORTUNITY, "name"),
    )


@pytest.fixture
def acme(db: None) -> Account:
    return AccountFactory.create(name="Acme", external_id="00918")


def written(folder: Path, rows: str, header: str = HUBSPOT) -> Path:
    path = folder / FILE
    path.write_text(header + rows, encoding="utf-8")
    return path


def names() -> list[tuple[str, str]]:
    return list(
        Opportunity.objects.order_by("external_id").values_list("external_id", "name")
    )


FIRST = (
    "7001,Acme press line,closedwon,48000,2026-02-13,00918\n"
    f'7002,"{HOSTILE}",appointmentscheduled,1200,2026-09-30,00918\n'
)
RENAMED = (
    "7001,Acme press line phase 2,closedwon,48000,2026-02-13,00918\n"
    f'7002,"{HOSTILE}",appointmentscheduled,1200,2026-09-30,00918\n'
)


@pytest.mark.usefixtures("media_in_tmp", "acme")
def test_a_deal_name_is_stored_counted_and_set_back_by_an_undo(tmp_path) -> None:
    # given: the first import
    first = imported(written(tmp_path, FIRST))
    assert first.status == ImportJob.Status.SUCCEEDED, first.issues
    assert names() == [("7001", "Acme press line"), ("7002", HOSTILE)]

    # when: the same file again, then a file that renames one deal
    again = imported(written(tmp_path, FIRST))
    renaming = opened(written(tmp_path, RENAMED))
    checked = mapped_import_check(mapped=renaming)
    renamed = imported(written(tmp_path, RENAMED))

    # then
    assert first.counts["Deals"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert again.counts["Deals"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "rejected": 0,
    }
    assert renamed.counts["Deals"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 1,
        "rejected": 0,
    }
    press = Opportunity.objects.get(external_id="7001")
    assert checked.changes == [
        {
            "record": "deal 7001 of Acme",
            "key": f"accounts.opportunity:{press.pk}",
            "fields": [
                {
                    "field": "name",
                    "old": "Acme press line",
                    "new": "Acme press line phase 2",
                }
            ],
        }
    ]
    assert not [d for d in checked.decisions if d[2] == NOT_STORED]
    assert names() == [("7001", "Acme press line phase 2"), ("7002", HOSTILE)]
    assert [
        (row.action, row.field, row.old, row.new)
        for row in deal_history(deal=press, limit=20)
        if row.field == "Name"
    ] == [
        ("Changed", "Name", "Acme press line", "Acme press line phase 2"),
        ("Added", "Name", "", "Acme press line"),
    ]

    # when: the renaming import is undone
    mapped_import_undo(mapped=renamed.mapped, user=None)

    # then
    assert names() == [("7001", "Acme press line"), ("7002", HOSTILE)]


@pytest.mark.usefixtures("media_in_tmp", "acme")
def test_a_blank_name_keeps_the_stored_one_and_a_file_without_names_too(
    tmp_path,
) -> None:
    # given
    imported(written(tmp_path, FIRST))

    # when
    blank = imported(written(tmp_path, "7001,,closedwon,48000,2026-02-13,00918\n"))
    unnamed = imported(
        written(
            tmp_path,
            "7002,appointmentscheduled,1200,2026-09-30,00918\n",
            header="Record ID,Deal Stage,Amount,Close Date,Associated Company IDs\n",
        )
    )

    # then
    assert blank.counts["Deals"]["unchanged"] == 1
    assert unnamed.counts["Deals"]["unchanged"] == 1
    assert names() == [("7001", "Acme press line"), ("7002", HOSTILE)]


@pytest.mark.usefixtures("media_in_tmp", "acme")
def test_an_overlong_deal_name_is_refused_with_its_length(tmp_path) -> None:
    long_name = "Acme " + "x" * 196

    job = imported(
        written(tmp_path, f"7001,{long_name},closedwon,48000,2026-02-13,00918\n")
    )

    assert job.status == ImportJob.Status.REJECTED
    assert job.issues == [
        {
            "file": FILE,
            "line": 2,
            "column": "Deal Name",
            "value": long_name[:60] + "…",
            "reason": "201 characters, over the limit of 200",
            "action": "rejected",
        }
    ]
    assert names() == []


@pytest.mark.django_db
@pytest.mark.usefixtures("media_in_tmp")
def test_the_salesforce_exports_store_their_deal_names(tmp_path) -> None:
    # given
    AccountFactory.create(name="Acme Widgets, Inc", external_id="0015g00000AbCdE")
    api = tmp_path / "api.csv"
    api.write_text(
        "Id,Name,AccountId,StageName,Amount,CloseDate\n"
        "0065g00000Q1w2e,Acme renewal 2026,0015g00000AbCdE,Closed Won,48000,"
        "2026-03-31\n"
    )
    report = tmp_path / "report.csv"
    report.write_text(
        "Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Close Date\n"
        '0065g00000Q9z8y,Acme expansion,"Acme Widgets, Inc",Prospecting,9000,'
        "2026-11-30\n"
    )

    # when
    jobs = [imported(api), imported(report)]

    # then
    assert [job.status for job in jobs] == [ImportJob.Status.SUCCEEDED] * 2
    assert names() == [
        ("0065g00000Q1w2e", "Acme renewal 2026"),
        ("0065g00000Q9z8y", "Acme expansion"),
    ]


@pytest.fixture
def named_deal(deal: Opportunity) -> Opportunity:
    Opportunity.objects.filter(pk=deal.pk).update(name=HOSTILE)
    deal.refresh_from_db()
    return deal


SHOWN = (
    '<span class="deal-name">&lt;b&gt;Spares&lt;/b&gt; &amp; more</span> '
    '<span class="muted deal-id">0065g00000Q1w2eAAB</span>'
)


def test_the_account_page_and_the_deal_list_show_the_name_as_text(
    client, rep, named_deal
) -> None:
    client.force_login(rep)

    pages = [
        client.get(reverse(name, args=[named_deal.account_id])).content.decode()
        for name in ("accounts:detail", "accounts:deal_list")
    ]

    assert [SHOWN in page for page in pages] == [True, True]
    assert HOSTILE not in pages[0] + pages[1]


def test_the_deal_page_shows_the_name_as_text(client, rep, named_deal) -> None:
    client.force_login(rep)

    page = client.get(reverse("accounts:deal_edit", args=[named_deal.pk]))

    body = page.content.decode()
    assert HOSTILE not in body
    # In the crumbs, and in the field that edits it.
    assert "› &lt;b&gt;Spares&lt;/b&gt; &amp; more</nav>" in body
    assert (
        '<input type="text" name="name" value="&lt;b&gt;Spares&lt;/b&gt; &amp; more"'
    ) in body


def test_the_api_answers_the_name(rep, named_deal) -> None:
    api = APIClient()
    api.force_authenticate(rep)

    listed = api.get(f"/api/accounts/{named_deal.account_id}/deals/").json()
    one = api.get(f"/api/accounts/deals/{named_deal.pk}/").json()

    assert [deal["name"] for deal in listed["results"]] == [HOSTILE]
    assert one["name"] == HOSTILE
