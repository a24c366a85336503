"""Deals replaced (PUT) or deleted (DELETE) by hand through the API.

Both need the ETag of the last read, as a PATCH does; a deleted deal's
won revenue goes with it, its values go to the history as removed, and
the next import skips its CRM id and says who deleted it.
"""

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import (
    ChangeRecord,
    ImportJob,
    Opportunity,
    OpportunityDeletion,
    RevenueLine,
    User,
)
from accounts.selectors import whitespace_bought_since
from accounts.services import maven_import_directory
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
    mapped_import_undo,
    row_report_path,
)
from config.api import etag_for
from tests.accounts.conftest import STALE_DETAIL, api_for, detail_url, history
from tests.accounts.factories import ProductFactory

pytestmark = pytest.mark.django_db

BYOD = Path(__file__).parent / "fixtures" / "byod"
DELETED_ON = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
REPLACED = {
    "name": "Acme renewal, lost",
    "owner_id": None,
    "stage": "lost",
    "engaged_on": "2026-01-12",
    "closed_on": "2026-03-31",
    "close_value": None,
    "currency": "USD",
}


def deleted(deal: Opportunity, user: User):
    api = api_for(user)
    return api.delete(detail_url(deal), HTTP_IF_MATCH=etag_for(instance=deal))


def test_a_delete_without_if_match_is_refused_with_428(deal, rep) -> None:
    response = api_for(rep).delete(detail_url(deal))

    assert response.status_code == 428
    assert response.json() == {
        "detail": (
            "Send the ETag from your last read in an If-Match header to change this."
        )
    }
    assert Opportunity.objects.filter(pk=deal.pk).exists()


def test_a_stale_delete_is_refused_with_412_and_the_current_deal(deal, rep) -> None:
    # given: someone changed the deal since it was read
    read = etag_for(instance=deal)
    Opportunity.objects.filter(pk=deal.pk).update(
        close_value=Decimal("51000.00"), updated_at=DELETED_ON
    )

    # when
    response = api_for(rep).delete(detail_url(deal), HTTP_IF_MATCH=read)

    # then
    assert response.status_code == 412
    assert response.json()["detail"] == STALE_DETAIL
    assert response.json()["current"]["close_value"] == "51000.00"
    assert Opportunity.objects.filter(pk=deal.pk).exists()
    assert OpportunityDeletion.objects.count() == 0


def test_a_rep_of_another_team_gets_404_and_an_executive_403(
    deal, outsider, executive
) -> None:
    # when
    hidden = deleted(deal, outsider)
    read_only = deleted(deal, executive)
    replaced = api_for(executive).put(
        detail_url(deal),
        {"product_id": deal.product_id, **REPLACED},
        format="json",
        HTTP_IF_MATCH=etag_for(instance=deal),
    )

    # then
    assert hidden.status_code == 404
    assert (read_only.status_code, read_only.json()) == (
        403,
        {"detail": "Executives read Lode but do not change it."},
    )
    assert replaced.status_code == 403
    assert Opportunity.objects.filter(pk=deal.pk).exists()


def test_deleting_a_won_deal_takes_its_revenue_and_records_who(
    deal, rep, account
) -> None:
    # given
    Opportunity.objects.filter(pk=deal.pk).update(stage="won")
    deal.refresh_from_db()
    api = api_for(rep)
    api.patch(
        detail_url(deal),
        {"close_value": "48500.00"},
        format="json",
        HTTP_IF_MATCH=etag_for(instance=deal),
    )
    deal.refresh_from_db()
    assert RevenueLine.objects.filter(account=account).count() == 1
    ChangeRecord.objects.all().delete()

    # when
    response = deleted(deal, rep)

    # then
    assert response.status_code == 204
    assert not Opportunity.objects.filter(pk=deal.pk).exists()
    assert RevenueLine.objects.filter(account=account).count() == 0
    assert whitespace_bought_since(account_ids=[account.pk]) == {}
    assert history() == [
        ("delete", "external_id", "0065g00000Q1w2eAAB", "", "rita"),
        ("delete", "name", "", "", "rita"),
        ("delete", "product", str(deal.product_id), "", "rita"),
        ("delete", "owner", str(rep.pk), "", "rita"),
        ("delete", "stage", "won", "", "rita"),
        ("delete", "engaged_on", "2026-01-12", "", "rita"),
        ("delete", "closed_on", "2026-03-31", "", "rita"),
        ("delete", "close_value", "48500.00", "", "rita"),
        ("delete", "currency", "USD", "", "rita"),
    ]
    assert list(
        OpportunityDeletion.objects.values_list(
            "external_id", "account__name", "deleted_by__username"
        )
    ) == [("0065g00000Q1w2eAAB", "Acme Corporation", "rita")]


def test_a_second_delete_answers_404(deal, rep) -> None:
    etag = etag_for(instance=deal)
    assert deleted(deal, rep).status_code == 204

    again = api_for(rep).delete(detail_url(deal), HTTP_IF_MATCH=etag)

    assert again.status_code == 404


def test_a_put_replaces_every_field_a_user_may_set(deal, rep, account) -> None:
    # given
    other = ProductFactory.create(name="GTK 500")

    # when
    response = api_for(rep).put(
        detail_url(deal),
        {"product_id": other.pk, **REPLACED},
        format="json",
        HTTP_IF_MATCH=etag_for(instance=deal),
    )

    # then
    assert response.status_code == 200, response.json()
    deal.refresh_from_db()
    assert response["ETag"] == etag_for(instance=deal)
    assert (
        deal.name,
        deal.product_id,
        deal.owner_id,
        deal.stage,
        deal.close_value,
        deal.currency,
    ) == ("Acme renewal, lost", other.pk, None, "lost", None, "USD")


def test_a_put_must_send_every_field(deal, rep) -> None:
    response = api_for(rep).put(
        detail_url(deal),
        {"product_id": deal.product_id, "stage": "won"},
        format="json",
        HTTP_IF_MATCH=etag_for(instance=deal),
    )

    assert response.status_code == 400
    assert response.json() == {
        name: ["This field is required."]
        for name in (
            "name",
            "close_value",
            "currency",
            "engaged_on",
            "closed_on",
            "owner_id",
        )
    }


def test_a_put_needs_if_match_and_a_fresh_one(deal, rep) -> None:
    body = {"product_id": deal.product_id, **REPLACED}
    read = etag_for(instance=deal)
    Opportunity.objects.filter(pk=deal.pk).update(updated_at=DELETED_ON)

    missing = api_for(rep).put(detail_url(deal), body, format="json")
    stale = api_for(rep).put(detail_url(deal), body, format="json", HTTP_IF_MATCH=read)

    assert missing.status_code == 428
    assert stale.status_code == 412
    assert stale.json()["current"]["stage"] == "engaging"


def test_a_put_that_wins_a_deal_counts_its_revenue(deal, rep, account) -> None:
    response = api_for(rep).put(
        detail_url(deal),
        {
            "product_id": deal.product_id,
            **REPLACED,
            "stage": "won",
            "close_value": "47000.00",
        },
        format="json",
        HTTP_IF_MATCH=etag_for(instance=deal),
    )

    assert response.status_code == 200, response.json()
    assert list(
        RevenueLine.objects.values_list("quarter_start", "amount", "currency")
    ) == [(date(2026, 1, 1), Decimal("47000.00"), "USD")]


# The next import


def wizard_imported(path: Path, *, user: User) -> ImportJob:
    mapped = mapped_import_create_from_paths(user=user, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=user) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    return job


def test_the_wizard_skips_a_deal_deleted_by_hand_and_says_who(
    settings, tmp_path, ops, bruce
) -> None:
    # given: an imported won deal that Bruce deletes on 5 Dec
    settings.MEDIA_ROOT = tmp_path / "media"
    wizard_imported(BYOD / "salesforce_api_accounts.csv", user=ops)
    wizard_imported(BYOD / "salesforce_api_opportunities.csv", user=ops)
    deal = Opportunity.objects.get()
    User.objects.filter(pk=bruce.pk).update(role=User.Role.OPS)
    bruce.refresh_from_db()
    assert deleted(deal, bruce).status_code == 204
    OpportunityDeletion.objects.update(deleted_at=DELETED_ON)

    # when: the same export is imported again
    job = wizard_imported(BYOD / "salesforce_api_opportunities.csv", user=ops)

    # then
    reason = "deleted by Bruce Wayne on 5 Dec 2026, skipped"
    assert Opportunity.objects.count() == 0
    assert RevenueLine.objects.count() == 0
    assert [
        (issue["line"], issue["column"], issue["value"], issue["reason"])
        for issue in job.issues
        if issue["action"] == "skipped"
    ] == [(2, "Id", "0065g00000Q1w2eAAB", reason)]
    with row_report_path(job=job).open(encoding="utf-8") as report:
        rows = list(csv.reader(report))
    assert [
        "salesforce_api_opportunities.csv",
        "2",
        "skipped",
        "deal 0065g00000Q1w2eAAB of Acme Widgets, Inc",
        reason,
        "",
    ] in rows


BUNDLED = {
    "accounts.csv": [
        "account,sector,year_established,revenue,employees,office_location,"
        "subsidiary_of",
        "Acme Corporation,technology,1996,1100.04,2822,United States,",
    ],
    "products.csv": ["product,series,sales_price", "GTX Basic,GTX,550"],
    "sales_teams.csv": [
        "sales_agent,manager,regional_office",
        "Moses Frase,Dustin Brinkmann,Central",
    ],
    "sales_pipeline.csv": [
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,"
        "close_date,close_value",
        "OPP1,Moses Frase,GTX Basic,Acme Corporation,Won,2017-01-05,2017-03-01,500",
        "OPP2,Moses Frase,GTX Basic,Acme Corporation,Won,2017-01-09,2017-03-20,520",
    ],
}


def test_the_bundled_import_skips_a_deal_deleted_by_hand(tmp_path, ops) -> None:
    # given: two won deals of one quarter, and one deleted by hand
    for name, lines in BUNDLED.items():
        (tmp_path / name).write_text("\n".join(lines) + "\n")
    maven_import_directory(directory=tmp_path, user=ops)
    deal = Opportunity.objects.get(external_id="OPP2")
    assert deleted(deal, ops).status_code == 204
    OpportunityDeletion.objects.update(deleted_at=DELETED_ON)

    # when
    job = maven_import_directory(directory=tmp_path, user=ops)

    # then: OPP2 stays deleted and the quarter's revenue is OPP1's alone
    assert job.status == ImportJob.Status.SUCCEEDED
    assert list(Opportunity.objects.values_list("external_id", flat=True)) == ["OPP1"]
    assert list(RevenueLine.objects.values_list("quarter_start", "amount")) == [
        (date(2017, 1, 1), Decimal("500.00"))
    ]
    assert [
        (issue["line"], issue["column"], issue["value"], issue["reason"])
        for issue in job.issues
        if issue["action"] == "skipped"
    ] == [
        (
            3,
            "opportunity_id",
            "OPP2",
            f"deleted by {ops.display_name} on 5 Dec 2026, skipped",
        ),
    ]


def test_the_admin_deletes_a_deal_as_the_api_does(client, deal, ops) -> None:
    # given
    User.objects.filter(pk=ops.pk).update(is_staff=True, is_superuser=True)
    client.force_login(ops)

    # when
    response = client.post(
        reverse("admin:accounts_opportunity_delete", args=[deal.pk]),
        {"post": "yes"},
    )

    # then
    assert response.status_code == 302
    assert not Opportunity.objects.filter(pk=deal.pk).exists()
    assert list(
        OpportunityDeletion.objects.values_list("external_id", "deleted_by__username")
    ) == [("0065g00000Q1w2eAAB", "oona")]
    assert ("delete", "stage", "engaging", "", "oona") in history()


def test_undoing_the_import_of_a_deleted_deal_keeps_nothing_of_it(
    settings, tmp_path, ops
) -> None:
    # given: an imported won deal, deleted by hand
    settings.MEDIA_ROOT = tmp_path / "media"
    wizard_imported(BYOD / "salesforce_api_accounts.csv", user=ops)
    job = wizard_imported(BYOD / "salesforce_api_opportunities.csv", user=ops)
    assert deleted(Opportunity.objects.get(), ops).status_code == 204

    # when
    done = mapped_import_undo(mapped=job.mapped, user=ops)

    # then: nothing is kept for a deal that is gone, and it stays deleted
    assert done.kept == []
    assert (Opportunity.objects.count(), RevenueLine.objects.count()) == (0, 0)
    assert list(OpportunityDeletion.objects.values_list("external_id", flat=True)) == [
        "0065g00000Q1w2eAAB"
    ]
