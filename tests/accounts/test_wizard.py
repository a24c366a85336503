from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from accounts import streaming
from accounts import wizard as wizard_module
from accounts.models import (
    Account,
    AccountTeamMember,
    CurrencyRate,
    ImportJob,
    ImportRowChange,
    Opportunity,
    Product,
    RevenueLine,
    SavedMapping,
    SupportSignal,
    User,
)
from accounts.name_stage import StagedNameIndex
from accounts.services import BUNDLED_DATA, maven_import_directory
from accounts.wizard import (
    WizardError,
    mapped_import_answer,
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_files_read,
    mapped_import_mapping_confirm,
    mapped_import_report_csv,
    mapped_import_start,
    mapped_import_undo,
    record_label,
)
from scoring.models import ScoreRun
from tests.accounts.factories import AccountFactory, UserFactory
from tests.accounts.wizard_steps import opened

BYOD = Path(__file__).parent / "fixtures" / "byod"
WIZARD = Path(__file__).parent / "fixtures" / "wizard"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def imported(
    capture,
    *paths: Path,
    merges: dict[str, str] | None = None,
    keep_good_rows: bool = False,
) -> ImportJob:
    mapped = opened(*paths)
    with capture(execute=True):
        mapped_import_start(
            mapped=mapped, merges=merges or {}, keep_good_rows=keep_good_rows
        )
    mapped.job.refresh_from_db()
    return mapped.job


def portfolio_state() -> dict[str, list[tuple]]:
    return {
        "accounts": list(
            Account.objects.order_by("pk").values_list(
                "pk",
                "name",
                "external_id",
                "sector",
                "annual_revenue",
                "annual_revenue_currency",
                "employees",
                "country",
                "parent_id",
            )
        ),
        "opportunities": list(
            Opportunity.objects.order_by("pk").values_list(
                "external_id", "account_id", "stage", "closed_on", "close_value"
            )
        ),
        "revenue": list(
            RevenueLine.objects.order_by("pk").values_list(
                "account_id", "product_id", "quarter_start", "amount", "currency"
            )
        ),
        "products": list(Product.objects.order_by("pk").values_list("name")),
    }


def test_salesforce_api_exports_import_with_no_manual_mapping(
    django_capture_on_commit_callbacks,
) -> None:
    # when
    job = imported(
        django_capture_on_commit_callbacks,
        BYOD / "salesforce_api_accounts.csv",
        BYOD / "salesforce_api_opportunities.csv",
    )

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    parent = Account.objects.get(external_id="0015g00000AbCdEAAV")
    child = Account.objects.get(external_id="0015g00000AbCdFAAV")
    assert (parent.name, parent.sector, parent.employees, parent.country) == (
        "Acme Widgets, Inc",
        "Manufacturing",
        1200,
        "United States",
    )
    assert (parent.annual_revenue, parent.annual_revenue_currency) == (
        Decimal("12500000.00"),
        "USD",
    )
    assert child.parent == parent
    assert child.annual_revenue == Decimal("3400000.00")

    deal = Opportunity.objects.get(external_id="0065g00000Q1w2eAAB")
    assert (deal.account, deal.stage, deal.closed_on, deal.close_value) == (
        parent,
        Opportunity.Stage.WON,
        date(2026, 3, 31),
        Decimal("48000"),
    )
    line = RevenueLine.objects.get(account=parent)
    assert (line.quarter_start, line.amount, line.currency) == (
        date(2026, 1, 1),
        Decimal("48000"),
        "USD",
    )
    assert job.counts["Accounts"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert job.counts["Deals"]["created"] == 1


def test_a_data_loader_export_in_upper_case_is_recognised() -> None:
    mapped = mapped_import_create_from_paths(
        user=None, paths=[BYOD / "salesforce_dataloader_accounts.csv"]
    )

    [preview] = mapped_import_files_read(mapped=mapped)

    assert preview.kind == "salesforce-api accounts"
    assert preview.mapping["NAME"] == ("account", "name")
    assert preview.mapping["ANNUALREVENUE"] == ("account", "annual_revenue")


def test_a_hubspot_company_export_imports_with_no_manual_mapping(
    django_capture_on_commit_callbacks,
) -> None:
    job = imported(django_capture_on_commit_callbacks, BYOD / "hubspot_companies.csv")

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    account = Account.objects.get()
    # The leading zero of the record ID is kept: it is text, not a number.
    assert account.external_id == "00918273645"
    assert (account.name, account.sector, account.employees) == (
        "ACME WIDGETS, INC",
        "Machinery",
        1200,
    )
    assert (account.annual_revenue, account.annual_revenue_currency) == (
        Decimal("12500000.00"),
        "USD",
    )


def test_a_report_export_drops_its_footer_and_keeps_a_revenue_without_a_rate(
    django_capture_on_commit_callbacks,
) -> None:
    job = imported(
        django_capture_on_commit_callbacks, BYOD / "salesforce_report_accounts.csv"
    )

    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.counts["Accounts"]["created"] == 3
    europe = Account.objects.get(name="Acme Widgets Europe GmbH")
    assert (
        europe.annual_revenue,
        europe.annual_revenue_currency,
        europe.annual_revenue_rate,
        europe.annual_revenue_rate_date,
    ) == (Decimal("3400000.00"), "EUR", None, None)
    assert europe.annual_revenue_musd is None
    assert europe.parent == Account.objects.get(name="Acme Widgets, Inc")
    harbor = Account.objects.get(name="Harbor Bank of the North")
    # Zero employees is kept apart from a blank revenue.
    assert (harbor.employees, harbor.annual_revenue) == (0, None)
    reasons = {
        (issue["line"], issue["action"], issue["reason"]) for issue in job.issues
    }
    assert (
        3,
        "kept",
        "kept as 3,400,000.00 EUR, not converted: no EUR to USD rate was stored "
        "when it was given, so the scoring leaves it out: import a EUR rate, "
        "with this file or later, to convert it",
    ) in reasons
    assert (
        6,
        "dropped",
        "Salesforce report footer, lines 6-12, is not data and was left out",
    ) in reasons


def test_a_stored_rate_converts_revenue_to_the_reporting_currency(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    rates = imported(django_capture_on_commit_callbacks, WIZARD / "rates.csv")
    assert rates.counts["Currency rates"]["created"] == 2
    assert CurrencyRate.objects.get(currency="EUR").rate == Decimal("1.085")

    # when
    imported(
        django_capture_on_commit_callbacks, BYOD / "salesforce_report_accounts.csv"
    )

    # then: EUR 3,400,000.00 is kept in EUR, at 1.085 it is USD 3.689 million
    europe = Account.objects.get(name="Acme Widgets Europe GmbH")
    assert (
        europe.annual_revenue,
        europe.annual_revenue_currency,
        europe.annual_revenue_rate,
        europe.annual_revenue_rate_date,
    ) == (Decimal("3400000.00"), "EUR", Decimal("1.085"), date(2026, 11, 30))
    assert europe.annual_revenue_musd == Decimal("3.689")


def test_semicolons_decimal_commas_and_day_first_dates_import_as_written(
    django_capture_on_commit_callbacks,
) -> None:
    job = imported(
        django_capture_on_commit_callbacks,
        WIZARD / "accounts_semicolon.csv",
        WIZARD / "opportunities_semicolon.csv",
    )

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    nordlicht = Account.objects.get(name="Nordlicht Maschinenbau GmbH")
    assert nordlicht.annual_revenue == Decimal("1250000.00")
    brightwater = Account.objects.get(name="Brightwater Foods")
    assert brightwater.annual_revenue == Decimal("980500.50")
    assert brightwater.employees == 1200
    press = Opportunity.objects.get(account=nordlicht, close_value=Decimal("48000"))
    assert press.closed_on == date(2026, 2, 13)
    assert Opportunity.objects.get(close_value=Decimal("90000")).stage == (
        Opportunity.Stage.ENGAGING
    )
    line = RevenueLine.objects.get(account=nordlicht)
    assert (line.product.name, line.quarter_start, line.amount) == (
        "GTX Pro",
        date(2026, 1, 1),
        Decimal("50000"),
    )
    assert job.counts["Revenue lines"]["created"] == 2


def test_an_accounts_file_indexes_the_account_names_once_per_import(
    monkeypatch, tmp_path: Path
) -> None:
    # given: one row a chunk; the third row's name is the first row's
    # account, created by this import two chunks earlier
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 1)
    built: list[list[str]] = []

    class CountedIndex(StagedNameIndex):
        def fill(self, names: Iterable[str]) -> None:
            names = list(names)
            built.append(names)
            super().fill(names)

    monkeypatch.setattr(wizard_module, "StagedNameIndex", CountedIndex)
    AccountFactory.create(name="Acme  Widgets Inc.")
    path = tmp_path / "accounts.csv"
    path.write_text(
        'Account Name,Employees\nNordic Steel AB,10\n"ACME WIDGETS, INC",20\n'
        "NORDIC STEEL,30\nDelft Instruments,40\n",
        encoding="utf-8",
    )
    mapped = opened(path)

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then: every chunk was matched against the one index, kept up to date:
    # the stored names were staged once, the created ones as they came
    assert built[0] == ["Acme  Widgets Inc."]
    assert sum(len(names) for names in built) == 5
    assert [(p["incoming"], p["existing"], p["kind"]) for p in outcome.proposals] == [
        ("ACME WIDGETS, INC", "Acme  Widgets Inc.", "same"),
        ("NORDIC STEEL", "Nordic Steel AB", "same"),
    ]
    assert outcome.counts["Accounts"]["created"] == 4


def test_it_proposes_names_equal_after_normalisation_and_merges_only_when_confirmed(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    acme = AccountFactory.create(name="Acme  Widgets Inc.", employees=900)
    AccountFactory.create(name="Harbor Bank of the North")
    mapped = opened(WIZARD / "duplicates.csv")

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then
    assert [(p["incoming"], p["existing"], p["kind"]) for p in outcome.proposals] == [
        ("ACME WIDGETS, INC", "Acme  Widgets Inc.", "same")
    ]
    assert outcome.counts["Accounts"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert Account.objects.count() == 2

    # when the user confirms the proposal
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_start(
            mapped=mapped,
            merges={"ACME WIDGETS, INC": "Acme  Widgets Inc."},
            keep_good_rows=False,
        )

    # then
    acme.refresh_from_db()
    assert acme.employees == 1200
    assert sorted(Account.objects.values_list("name", flat=True)) == [
        "Acme  Widgets Inc.",
        "Harbor Bank of the North",
        "Harbor Bank of the South",
    ]


def test_reimporting_the_same_files_changes_nothing(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    paths = (
        WIZARD / "accounts_semicolon.csv",
        WIZARD / "opportunities_semicolon.csv",
    )
    imported(django_capture_on_commit_callbacks, *paths)
    before = portfolio_state()

    # when
    again = imported(django_capture_on_commit_callbacks, *paths)

    # then
    assert again.status == ImportJob.Status.SUCCEEDED
    assert portfolio_state() == before
    assert not ImportRowChange.objects.filter(job=again).exists()
    for counts in again.counts.values():
        assert counts["created"] == counts["updated"] == 0
    assert again.counts["Accounts"]["unchanged"] == 2
    assert again.counts["Deals"]["unchanged"] == 4


def test_undoing_an_import_restores_the_state_before_it(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    AccountFactory.create(
        name="Brightwater Foods",
        employees=50,
        sector="Food",
        annual_revenue=Decimal("500000.00"),
    )
    before = portfolio_state()
    job = imported(
        django_capture_on_commit_callbacks,
        WIZARD / "accounts_semicolon.csv",
        WIZARD / "opportunities_semicolon.csv",
    )
    assert job.counts["Accounts"] == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "rejected": 0,
    }
    assert portfolio_state() != before

    # when
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_undo(mapped=job.mapped, user=None)

    # then
    assert portfolio_state() == before
    job.mapped.refresh_from_db()
    assert job.mapped.undone_at is not None
    with pytest.raises(WizardError, match="already been undone"):
        mapped_import_undo(mapped=job.mapped, user=None)


def test_it_refuses_to_undo_an_import_whose_rows_a_later_one_changed(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    first = imported(
        django_capture_on_commit_callbacks, WIZARD / "accounts_semicolon.csv"
    )
    later = imported(django_capture_on_commit_callbacks, WIZARD / "accounts_update.csv")
    assert later.counts["Accounts"]["updated"] == 1

    # when / then
    with pytest.raises(WizardError) as refused:
        mapped_import_undo(mapped=first.mapped, user=None)
    assert str(refused.value) == (
        f"Import {later.pk} changed the same rows afterwards; undo it first."
    )

    mapped_import_undo(mapped=later.mapped, user=None)
    assert Account.objects.get(name="Brightwater Foods").employees == 1200
    mapped_import_undo(mapped=first.mapped, user=None)
    assert not Account.objects.exists()


def test_one_bad_row_rejects_the_import_unless_good_rows_are_kept(
    django_capture_on_commit_callbacks,
) -> None:
    rejected = imported(django_capture_on_commit_callbacks, WIZARD / "one_bad_row.csv")

    assert rejected.status == ImportJob.Status.REJECTED
    assert not Account.objects.exists()
    assert {
        "file": "one_bad_row.csv",
        "line": 3,
        "column": "Employees",
        "value": "ten",
        "reason": "not a number",
        "action": "rejected",
    } in rejected.issues
    assert rejected.counts["Accounts"]["rejected"] == 1

    kept = imported(
        django_capture_on_commit_callbacks,
        WIZARD / "one_bad_row.csv",
        keep_good_rows=True,
    )

    assert kept.status == ImportJob.Status.SUCCEEDED
    assert list(Account.objects.values_list("name", flat=True)) == ["Good Co"]
    assert kept.counts["Accounts"] == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }


def test_a_column_that_cannot_decide_its_date_order_asks_before_writing() -> None:
    # given
    mapped = mapped_import_create_from_paths(
        user=None, paths=[BYOD / "dates_ambiguous.csv"]
    )
    problems = mapped_import_mapping_confirm(
        mapped=mapped,
        mapping={
            "dates_ambiguous.csv": {
                "Opportunity Name": ["opportunity", "account_name"],
                "Close Date": ["opportunity", "close_date"],
            }
        },
        user=None,
    )
    assert problems == {}

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then
    [(file, question)] = outcome.questions
    assert file == "dates_ambiguous.csv"
    assert question.message == (
        "No date in 'Close Date' says whether it is day-first or month-first: "
        "is '01/03/2024' (line 2) day/month/year or month/day/year?"
    )
    assert not outcome.can_write

    # when answered
    mapped_import_answer(
        mapped=mapped, file=file, column="Close Date", option="day-first"
    )

    # then the column reads, and the rows fail only for want of an account
    outcome = mapped_import_check(mapped=mapped)
    assert outcome.questions == []
    assert {issue.reason for issue in outcome.issues} == {
        "no account 'Renewal'; import the accounts first or in the same upload",
        "no account 'Expansion'; import the accounts first or in the same upload",
    }


def test_a_confirmed_mapping_is_offered_again_for_the_same_headers() -> None:
    # given
    first = mapped_import_create_from_paths(
        user=None, paths=[WIZARD / "unknown_headers.csv"]
    )
    [preview] = mapped_import_files_read(mapped=first)
    assert (preview.kind, preview.mapping) == ("unknown", {})

    # when
    problems = mapped_import_mapping_confirm(
        mapped=first,
        mapping={
            "unknown_headers.csv": {
                "Kunde": ["account", "name"],
                "Branche": ["account", "sector"],
                "Mitarbeiter": ["account", "employees"],
            }
        },
        user=None,
    )

    # then
    assert problems == {}
    assert SavedMapping.objects.count() == 1
    second = mapped_import_create_from_paths(
        user=None, paths=[WIZARD / "unknown_headers.csv"]
    )
    [preview] = mapped_import_files_read(mapped=second)
    assert preview.source == "saved"
    assert preview.mapping == {
        "Kunde": ("account", "name"),
        "Branche": ("account", "sector"),
        "Mitarbeiter": ("account", "employees"),
    }


def test_a_mapping_that_mixes_records_or_repeats_a_field_is_refused() -> None:
    mapped = mapped_import_create_from_paths(
        user=None, paths=[WIZARD / "unknown_headers.csv"]
    )

    problems = mapped_import_mapping_confirm(
        mapped=mapped,
        mapping={
            "unknown_headers.csv": {
                "Kunde": ["account", "name"],
                "Branche": ["account", "name"],
                "Mitarbeiter": ["product", "name"],
            }
        },
        user=None,
    )

    assert problems == {
        "unknown_headers.csv": [
            "'Branche' and 'Kunde' both map to account.name",
            "one file holds one kind of record; this mapping mixes accounts, products",
        ]
    }


def test_support_signals_and_erp_revenue_import_against_known_accounts(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    imported(django_capture_on_commit_callbacks, WIZARD / "accounts_semicolon.csv")

    # when
    job = imported(
        django_capture_on_commit_callbacks,
        WIZARD / "support.csv",
        WIZARD / "erp_revenue.csv",
    )

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    signal = SupportSignal.objects.get(account__name="Brightwater Foods")
    assert (signal.period_start, signal.tickets, signal.satisfaction, signal.nps) == (
        date(2026, 1, 1),
        3,
        Decimal("78"),
        -12,
    )
    # Each invoice line is kept with its own date, in its quarter.
    lines = RevenueLine.objects.order_by("account__name", "booked_on").values_list(
        "account__name", "booked_on", "quarter_start", "amount", "currency"
    )
    assert list(lines) == [
        (
            "Brightwater Foods",
            date(2026, 4, 3),
            date(2026, 4, 1),
            Decimal("1000"),
            "EUR",
        ),
        (
            "Brightwater Foods",
            date(2026, 5, 20),
            date(2026, 4, 1),
            Decimal("500"),
            "EUR",
        ),
        (
            "Nordlicht Maschinenbau GmbH",
            date(2026, 4, 10),
            date(2026, 4, 1),
            Decimal("2000"),
            "USD",
        ),
    ]


def test_an_import_that_wrote_starts_a_score_run_and_reports_as_csv(
    django_capture_on_commit_callbacks,
) -> None:
    job = imported(
        django_capture_on_commit_callbacks,
        WIZARD / "one_bad_row.csv",
        keep_good_rows=True,
    )

    assert ScoreRun.objects.filter(trigger="import").exists()
    report = "".join(mapped_import_report_csv(job=job))
    good = Account.objects.get(name="Good Co")
    assert report.splitlines()[:7] == [
        "file,line,outcome,object,reason,key",
        f"one_bad_row.csv,2,created,account Good Co,,accounts.account:{good.pk}",
        "one_bad_row.csv,3,rejected,,Employees: not a number,",
        "",
        "file,line,column,value,reason,action",
        "one_bad_row.csv,3,Employees,ten,not a number,rejected",
        "",
    ]
    assert "Accounts,1,0,0,1" in report


def test_owners_join_the_account_team_and_unknown_owners_are_reported(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    jane = UserFactory.create(username="jpark", first_name="Jane", last_name="Park")

    # when
    job = imported(
        django_capture_on_commit_callbacks, BYOD / "salesforce_report_accounts.csv"
    )

    # then
    assert sorted(
        AccountTeamMember.objects.filter(user=jane).values_list(
            "account__name", flat=True
        )
    ) == ["Acme Widgets Europe GmbH", "Acme Widgets, Inc"]
    assert job.counts["Account team members"]["created"] == 2
    assert {
        "file": "salesforce_report_accounts.csv",
        "line": 4,
        "column": "Account Owner",
        "value": "Luis Ortega",
        "reason": "no Lode user has this login, email or name (1 row); the owner "
        "was left as it was",
        "action": "kept",
    } in job.issues

    # when undone, the team is as before
    mapped_import_undo(mapped=job.mapped, user=None)
    assert not AccountTeamMember.objects.exists()


def test_the_check_says_nothing_is_lost_of_a_deal_with_a_name() -> None:
    mapped = opened(BYOD / "salesforce_api_opportunities.csv")

    outcome = mapped_import_check(mapped=mapped)

    # The deal's Name is stored on the deal, so no column is said lost.
    assert [d for d in outcome.decisions if d[2].startswith("read but not")] == []
    # An opportunity's own CRM fields are kept on the deal.
    assert (
        "salesforce_api_opportunities.csv",
        "Forecast_Category__c",
        "kept as a custom field of the deal",
    ) in outcome.decisions


def test_salesforce_report_exports_import_together_and_again_unchanged(
    django_capture_on_commit_callbacks,
) -> None:
    paths = (
        BYOD / "salesforce_report_accounts.csv",
        BYOD / "salesforce_report_opportunities.csv",
    )

    first = imported(django_capture_on_commit_callbacks, *paths)
    again = imported(django_capture_on_commit_callbacks, *paths)

    assert first.status == ImportJob.Status.SUCCEEDED, first.issues
    deal = Opportunity.objects.get()
    assert deal.account is not None
    assert (deal.account.name, deal.stage, deal.closed_on, deal.close_value) == (
        "Acme Widgets, Inc",
        Opportunity.Stage.WON,
        date(2026, 3, 31),
        Decimal("48000.00"),
    )
    # A report export carries no deal ID: a stable one is made from the
    # account, deal name and close date, so the second import matches it.
    assert deal.external_id.startswith("wiz-")
    # Undo lists and row reports name such a deal by its name instead.
    assert (
        record_label(deal, account_name=lambda pk: "Acme", product_name=str)
        == 'deal "Acme renewal 2026" of Acme'
    )
    assert again.counts["Deals"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 1,
        "rejected": 0,
    }
    line = RevenueLine.objects.get()
    assert (line.quarter_start, line.amount, line.currency) == (
        date(2026, 1, 1),
        Decimal("48000.00"),
        "USD",
    )


def test_hubspot_companies_and_deals_import_with_no_manual_mapping(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    jane = UserFactory.create(username="jpark", first_name="Jane", last_name="Park")

    # when
    job = imported(
        django_capture_on_commit_callbacks,
        BYOD / "hubspot_companies.csv",
        WIZARD / "hubspot_deals.csv",
    )

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    deals = {
        deal.external_id: (
            deal.account.external_id if deal.account else None,
            deal.stage,
            deal.owner,
        )
        for deal in Opportunity.objects.select_related("account", "owner")
    }
    assert deals == {
        "7001": ("00918273645", Opportunity.Stage.WON, jane),
        "7002": ("00918273645", Opportunity.Stage.ENGAGING, jane),
        "7003": ("00918273645", Opportunity.Stage.LOST, None),
    }
    line = RevenueLine.objects.get()
    assert (line.quarter_start, line.amount) == (date(2026, 1, 1), Decimal("48000"))


def test_a_deal_owner_joins_the_account_team_and_sees_the_account(
    django_capture_on_commit_callbacks, client: Client
) -> None:
    # given a rep who owns deals at an account whose file names no owner
    jane = UserFactory.create(
        username="jpark", first_name="Jane", last_name="Park", role=User.Role.REP
    )
    other = UserFactory.create(username="other", role=User.Role.REP)

    # when
    job = imported(
        django_capture_on_commit_callbacks,
        BYOD / "hubspot_companies.csv",
        WIZARD / "hubspot_deals.csv",
    )

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    account = Account.objects.get(external_id="00918273645")
    assert list(account.team_members.all()) == [jane]
    client.force_login(jane)
    listed = client.get("/api/accounts/").json()["results"]
    assert [row["name"] for row in listed] == [account.name]
    client.force_login(other)
    assert client.get("/api/accounts/").json()["results"] == []
    assert client.get(f"/api/accounts/{account.pk}/").status_code == 404

    # and undo takes the membership back with the deals
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_undo(mapped=job.mapped, user=None)
    assert not AccountTeamMember.objects.exists()


def test_a_file_that_breaks_after_its_head_is_a_problem_not_a_crash(
    tmp_path: Path,
) -> None:
    # given: the preview reads fine, the rest cannot be read as CSV
    path = tmp_path / "broken.csv"
    path.write_text(
        "Account Name,Employees\n"
        + "".join(f"Firm {n},1\n" for n in range(1200))
        + 'Bad,"'
        + "x" * 200_000
        + '"\n',
        encoding="utf-8",
    )
    mapped = opened(path)

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then
    assert not outcome.can_write
    [problem] = outcome.problems
    assert problem.startswith("broken.csv: line ")
    assert "cannot be read as CSV" in problem


def test_the_bundled_accounts_file_reimports_unchanged_in_millions(
    django_capture_on_commit_callbacks,
) -> None:
    # given the bundled data set imported by its own importer
    maven_import_directory()
    before = portfolio_state()
    acme = Account.objects.get(name="Acme Corporation")
    assert (acme.sector, acme.annual_revenue, acme.annual_revenue_currency) == (
        "technology",
        Decimal("1100040000.00"),
        "USD",
    )

    # when its accounts.csv comes through the wizard
    mapped = opened(BUNDLED_DATA / "accounts.csv")
    preview = mapped_import_files_read(mapped=mapped)[0]
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False)
    mapped.job.refresh_from_db()

    # then the revenue is read as millions and the misspellings repaired again
    assert preview.mapping["revenue"] == ("account", "annual_revenue_musd")
    assert preview.notes[0].startswith("revenue is read in millions of US dollars")
    assert mapped.job.status == ImportJob.Status.SUCCEEDED, mapped.job.issues
    assert mapped.job.counts["Accounts"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 85,
        "rejected": 0,
    }
    assert portfolio_state() == before
    repaired = {
        (issue["column"], issue["value"], issue["reason"])
        for issue in mapped.job.issues
        if issue["action"] == "repaired"
    }
    assert ("sector", "technolgy", "misspelt sector, read as 'technology'") in repaired
    assert (
        "office_location",
        "Philipines",
        "misspelt country, read as 'Philippines'",
    ) in repaired


def test_a_semicolon_bundled_file_reads_its_decimal_commas_in_millions(
    django_capture_on_commit_callbacks,
) -> None:
    job = imported(django_capture_on_commit_callbacks, WIZARD / "bundled_semicolon.csv")

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert list(
        Account.objects.order_by("name").values_list(
            "name", "annual_revenue", "annual_revenue_currency"
        )
    ) == [
        ("Brasserie Lumière", Decimal("1234567890000.00"), "USD"),
        ("Käsefabrik Müller GmbH", Decimal("987654000000.00"), "USD"),
    ]


def test_the_row_report_keeps_uploaded_formulas_inert(
    django_capture_on_commit_callbacks, tmp_path: Path
) -> None:
    upload = tmp_path / "formula.csv"
    upload.write_text(
        'Account Name,Employees\nGood Co,10\nBad Co,"=HYPERLINK(""x"")"\n'
    )

    job = imported(django_capture_on_commit_callbacks, upload, keep_good_rows=True)

    report = "".join(mapped_import_report_csv(job=job))
    assert report.splitlines()[5] == (
        'formula.csv,3,Employees,"\'=HYPERLINK(""x"")",not a number,rejected'
    )
