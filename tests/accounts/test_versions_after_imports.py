"""An import and its undo move the version of every deal and person they change.

The ETag and the edit forms' version are the record's `updated_at`; an
import or an undo writes many rows at once, and a form or API client that
read a record before it must be refused, not take the old values back in as
a hand edit.
"""

from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Account, ImportJob, Opportunity, User
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
    mapped_import_undo,
)
from config.api import etag_for
from stakeholders.models import Stakeholder
from stakeholders.services import stakeholder_erase
from tests.accounts.conftest import STALE_DETAIL, api_for, detail_url, page_url
from tests.accounts.test_deal_page import form_data

PEOPLE = Path(__file__).parents[1] / "stakeholders" / "fixtures"
LOST = (
    "Opportunity ID,Account Name,Stage,Created Date,Close Date,Amount,Currency\n"
    "0065g00000Q1w2eAAB,Acme Corporation,Closed Lost,2026-01-12,2026-03-31,0,USD\n"
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def imported(paths: list[Path], *, user: User) -> ImportJob:
    mapped = mapped_import_create_from_paths(user=user, paths=paths)
    assert mapped_import_mapping_accept(mapped=mapped, user=user) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    return job


@pytest.fixture
def lost_file(tmp_path: Path) -> Path:
    path = tmp_path / "deal_stage_change.csv"
    path.write_text(LOST)
    return path


def stale_deal_message(deal: Opportunity) -> str:
    when = date_format(timezone.localtime(deal.updated_at), "j M Y H:i")
    return (
        f"Deal {deal.external_id} was changed since you opened this page "
        f"(last changed {when}), so nothing was saved. The "
        "form now shows the deal as it is; make your change again if it is "
        "still needed."
    )


def test_an_undone_import_refuses_the_deal_form_read_before_the_undo(
    client, deal, rep, ops, lost_file
) -> None:
    # given: the import sets the deal to lost, and the rep opens its page
    product = str(deal.product_id)
    job = imported([lost_file], user=ops)
    deal.refresh_from_db()
    assert deal.stage == Opportunity.Stage.LOST
    # (the page offers catalogue products only, not the import's placeholder)
    read = form_data(deal, currency="EUR", product=product)

    # when: ops undo the import, then the rep saves what they read
    mapped_import_undo(mapped=job.mapped, user=ops)
    client.force_login(rep)
    response = client.post(page_url(deal), read)

    # then: refused, and the undone stage is not taken back in
    deal.refresh_from_db()
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == page_url(deal)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        stale_deal_message(deal)
    ]
    assert (deal.stage, str(deal.close_value), deal.currency) == (
        "engaging",
        "48000.00",
        "USD",
    )


def test_an_undone_import_refuses_a_deal_patch_with_the_etag_before_it(
    deal, rep, ops, lost_file
) -> None:
    # given
    job = imported([lost_file], user=ops)
    api = api_for(rep)
    before = api.get(detail_url(deal))["ETag"]

    # when
    mapped_import_undo(mapped=job.mapped, user=ops)
    after = api.get(detail_url(deal))["ETag"]
    response = api.patch(
        detail_url(deal), {"currency": "EUR"}, format="json", HTTP_IF_MATCH=before
    )

    # then
    deal.refresh_from_db()
    assert after != before
    assert after == etag_for(instance=deal)
    assert response.status_code == 412
    assert response.json()["detail"] == STALE_DETAIL
    assert response.json()["current"]["stage"] == "engaging"
    assert deal.currency == "USD"


def test_an_import_refuses_the_deal_form_and_patch_read_before_it(
    client, deal, rep, ops, lost_file
) -> None:
    # given: the rep read the deal, as a page and through the API
    read = form_data(deal, currency="EUR")
    api = api_for(rep)
    before = api.get(detail_url(deal))["ETag"]

    # when: an import updates it
    imported([lost_file], user=ops)
    client.force_login(rep)
    page = client.post(page_url(deal), read)
    patch = api.patch(
        detail_url(deal), {"currency": "EUR"}, format="json", HTTP_IF_MATCH=before
    )

    # then: both are refused, and the import's stage stands
    deal.refresh_from_db()
    assert [str(m) for m in get_messages(page.wsgi_request)] == [
        stale_deal_message(deal)
    ]
    assert patch.status_code == 412
    assert (deal.stage, deal.currency) == ("lost", "USD")


@pytest.fixture
def ines(account: Account) -> Stakeholder:
    account.external_id = "0015e00000VirAAA"
    account.save()
    return Stakeholder.objects.create(
        account=account,
        external_id="0035e00000AbCdEAA1",
        first_name="Ines",
        last_name="Gruber",
        title="CFO",
        email="ines.gruber@vireo.example",
    )


def person_url(person: Stakeholder) -> str:
    return reverse("stakeholders_api:detail", args=[person.pk])


def test_an_undone_import_refuses_a_person_patch_and_form_read_before_it(
    client, ines, rep, ops
) -> None:
    # given: the import changes Ines's title; the rep reads her
    job = imported([PEOPLE / "salesforce_contacts.csv"], user=ops)
    ines.refresh_from_db()
    assert ines.title == "Chief Financial Officer"
    api = api_for(rep)
    before = api.get(person_url(ines))["ETag"]
    version = etag_for(instance=ines)

    # when: ops undo the import; the rep sends what they read
    mapped_import_undo(mapped=job.mapped, user=ops)
    patch = api.patch(
        person_url(ines), {"goals": "Cut DSO"}, format="json", HTTP_IF_MATCH=before
    )
    client.force_login(rep)
    form = client.post(
        reverse("stakeholders:leave", args=[ines.pk]), {"version": version}
    )

    # then
    ines.refresh_from_db()
    assert patch.status_code == 412
    assert patch.json()["current"]["title"] == "CFO"
    assert patch["ETag"] == etag_for(instance=ines) != before
    when = date_format(timezone.localtime(ines.updated_at), "j M Y H:i")
    assert [str(m) for m in get_messages(form.wsgi_request)] == [
        f"Ines Gruber was changed since you opened this page: now active, last "
        f"changed {when} by {ops.display_name}. Nothing was done; check the page "
        "as it is now and try again if it is still needed."
    ]
    assert (ines.title, ines.goals, ines.status) == ("CFO", "", "active")


def test_an_import_refuses_a_person_patch_read_before_it(ines, rep, ops) -> None:
    api = api_for(rep)
    before = api.get(person_url(ines))["ETag"]

    imported([PEOPLE / "salesforce_contacts.csv"], user=ops)
    patch = api.patch(
        person_url(ines), {"title": "CFO"}, format="json", HTTP_IF_MATCH=before
    )

    ines.refresh_from_db()
    assert patch.status_code == 412
    assert ines.title == "Chief Financial Officer"


def test_an_erasure_moves_the_version_of_a_colleague_whose_notes_it_scrubs(
    ines, rep, bruce
) -> None:
    # given: Tom's goals quote Ines, and the rep read Tom
    tom = Stakeholder.objects.create(
        account=ines.account,
        first_name="Tom",
        last_name="Yates",
        goals="Win over Ines Gruber",
    )
    api = api_for(rep)
    before = api.get(person_url(tom))["ETag"]

    # when
    stakeholder_erase(user=bruce, stakeholder=ines)
    patch = api.patch(
        person_url(tom),
        {"goals": "Win over Ines Gruber first"},
        format="json",
        HTTP_IF_MATCH=before,
    )

    # then
    tom.refresh_from_db()
    assert patch.status_code == 412
    assert tom.goals == "Win over [erased]"
