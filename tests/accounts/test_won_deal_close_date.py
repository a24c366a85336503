"""A won deal has closed: its close date cannot be after today.

One rule on the model, met by the deal page, the API and the import alike;
a won deal dated in the future would move every account's scoring window.
"""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import ImportJob, Opportunity
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
)
from tests.accounts.conftest import api_for, detail_url, page_url
from tests.accounts.test_deal_page import form_data

pytestmark = pytest.mark.django_db


def future_message() -> str:
    today = timezone.localdate()
    return (
        f"A won deal cannot close after today ({today:%-d %b %Y}); "
        "give the day it was won."
    )


def test_the_model_refuses_a_won_deal_closing_after_today(deal) -> None:
    deal.stage = Opportunity.Stage.WON
    deal.closed_on = timezone.localdate().replace(year=2099, month=12, day=31)

    with pytest.raises(ValidationError) as raised:
        deal.full_clean()

    assert raised.value.message_dict == {"closed_on": [future_message()]}


def test_the_model_takes_a_won_deal_closing_today_and_an_open_one_later(
    deal,
) -> None:
    deal.stage = Opportunity.Stage.WON
    deal.closed_on = timezone.localdate()
    deal.full_clean()

    deal.stage = Opportunity.Stage.ENGAGING
    deal.closed_on = deal.closed_on.replace(year=2099)
    deal.full_clean()


def test_the_deal_page_refuses_it_beside_the_close_date(client, deal, rep) -> None:
    client.force_login(rep)

    response = client.post(
        page_url(deal), form_data(deal, stage="won", closed_on="2099-12-31")
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"closed_on": [future_message()]}
    deal.refresh_from_db()
    assert deal.stage == "engaging"


def test_the_api_refuses_it(deal, rep) -> None:
    client = api_for(rep)
    etag = client.get(detail_url(deal))["ETag"]

    response = client.patch(
        detail_url(deal),
        {"stage": "won", "closed_on": "2099-12-31"},
        format="json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 400
    assert response.json() == {"closed_on": [future_message()]}


def test_the_import_rejects_the_row_and_says_why(
    tmp_path: Path, account, ops, media_in_tmp
) -> None:
    # given
    path = tmp_path / "deals.csv"
    path.write_text(
        "Opportunity ID,Account Name,Stage,Close Date,Amount,Currency\n"
        "006A,Acme Corporation,Closed Won,2099-12-31,5000,USD\n"
        "006B,Acme Corporation,Closed Won,2017-03-31,4000,USD\n"
    )
    mapped = mapped_import_create_from_paths(user=ops, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}

    # when
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=True, enqueue=False)
    job = mapped_import_run(mapped=mapped)

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    rejected = [
        (issue["line"], issue["column"], issue["value"], issue["reason"])
        for issue in job.issues
        if issue["action"] == "rejected"
    ]
    assert rejected == [(2, "Close Date", "2099-12-31", future_message())]
    assert list(Opportunity.objects.values_list("external_id", flat=True)) == ["006B"]
