"""The import wizard against the findings of a first-time tester (issue #6)."""

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.api_tokens import api_token_create
from accounts.models import (
    Account,
    AccountAlias,
    ImportJob,
    RevenueLine,
    SupportSignal,
    User,
)
from accounts.signals import import_finished
from accounts.wizard import (
    WizardError,
    mapped_import_answer,
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_mapping_confirm,
    mapped_import_start,
    mapped_import_undo,
    wizard_field_choices,
)
from tests.accounts.wizard_steps import opened

WIZARD = Path(__file__).parent / "fixtures" / "wizard"
NINES_30 = "9" * 30

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def imported(capture, *paths: Path) -> ImportJob:
    mapped = opened(*paths)
    with capture(execute=True):
        mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False)
    mapped.job.refresh_from_db()
    return mapped.job


def reasons(outcome_or_job: object) -> list[tuple[int, str, str]]:
    issues = getattr(outcome_or_job, "issues", [])
    return [
        (issue["line"], issue["column"], issue["reason"])
        if isinstance(issue, dict)
        else (issue.line, issue.column, issue.reason)
        for issue in issues
    ]


def test_the_check_refuses_an_annual_revenue_too_large_to_store() -> None:
    outcome = mapped_import_check(mapped=opened(WIZARD / "overlong_revenue.csv"))

    assert reasons(outcome) == [
        (
            2,
            "Annual Revenue",
            "Too large: at most 18 digits before the decimal point.",
        )
    ]
    assert outcome.issues[0].value == NINES_30
    assert outcome.rejected_rows == 1


def test_four_hundred_digits_are_a_row_problem_not_a_crash() -> None:
    outcome = mapped_import_check(mapped=opened(WIZARD / "overlong400.csv"))

    assert reasons(outcome) == [
        (
            2,
            "Annual Revenue",
            "Too large: at most 18 digits before the decimal point.",
        )
    ]


def test_an_over_long_number_rejects_the_import_and_writes_nothing(
    django_capture_on_commit_callbacks,
) -> None:
    job = imported(django_capture_on_commit_callbacks, WIZARD / "overlong_revenue.csv")

    assert job.status == ImportJob.Status.REJECTED
    assert job.progress_message == "Rejected: nothing was written"
    assert not Account.objects.exists()
    assert job.counts["Accounts"]["rejected"] == 1


def test_millions_and_whole_numbers_are_checked_against_their_fields(
    tmp_path,
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        "Account Name,Annual Revenue (M USD),Employees,Year Established\n"
        "Big Co,1234567890123,10,1990\n"
        "Many Co,12.5,3000000000,1990\n"
        "Old Co,12.5,10,40000\n"
        "Fine Co,999999999999.99,2147483647,2026\n",
        encoding="utf-8",
    )
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    mapping = {
        "accounts.csv": {
            "Account Name": ["account", "name"],
            "Annual Revenue (M USD)": ["account", "annual_revenue_musd"],
            "Employees": ["account", "employees"],
            "Year Established": ["account", "year_established"],
        }
    }

    assert (
        mapped_import_mapping_confirm(mapped=mapped, mapping=mapping, user=None) == {}
    )
    outcome = mapped_import_check(mapped=mapped)

    assert reasons(outcome) == [
        (
            2,
            "Annual Revenue (M USD)",
            "Too large: at most 12 digits before the decimal point.",
        ),
        (3, "Employees", "too large: at most 2,147,483,647"),
        (4, "Year Established", "too large: at most 32,767"),
    ]


def test_the_command_reports_the_row_instead_of_a_traceback() -> None:
    out = StringIO()

    with pytest.raises(CommandError, match="ended rejected"):
        call_command(
            "import_files", str(WIZARD / "overlong400.csv"), "--yes", stdout=out
        )

    assert (
        "overlong400.csv:2 Annual Revenue '" + "9" * 400 + "': Too large: at most "
        "18 digits before the decimal point. (rejected)"
    ) in out.getvalue()
    assert not Account.objects.exists()


def test_a_receiver_failing_after_the_write_does_not_call_it_failed(
    django_capture_on_commit_callbacks, tmp_path
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("Record ID,Company name\n1,Written Co\n", encoding="utf-8")

    def broken(**kwargs: object) -> None:
        raise RuntimeError("a receiver broke")

    import_finished.connect(broken, dispatch_uid="test_broken_receiver")
    try:
        job = imported(django_capture_on_commit_callbacks, path)
    finally:
        import_finished.disconnect(dispatch_uid="test_broken_receiver")

    assert job.status == ImportJob.Status.SUCCEEDED
    assert list(Account.objects.values_list("name", flat=True)) == ["Written Co"]


def test_undo_is_refused_while_a_later_import_wrote_under_its_accounts(
    django_capture_on_commit_callbacks,
) -> None:
    # given accounts, then support signals and revenue lines on them
    first = imported(
        django_capture_on_commit_callbacks, WIZARD / "accounts_semicolon.csv"
    )
    second = imported(
        django_capture_on_commit_callbacks,
        WIZARD / "support.csv",
        WIZARD / "erp_revenue.csv",
    )
    assert second.status == ImportJob.Status.SUCCEEDED

    # when the first is undone, then it is refused and nothing is deleted
    with pytest.raises(WizardError) as refused:
        mapped_import_undo(mapped=first.mapped, user=None)

    assert str(refused.value) == (
        f"Import {second.pk} wrote rows under records this import created, "
        "which undoing it would delete; undo it first."
    )
    assert SupportSignal.objects.count() == 2
    assert RevenueLine.objects.count() == 3

    # when the later import is undone first, then the first one may be
    mapped_import_undo(mapped=second.mapped, user=None)
    mapped_import_undo(mapped=first.mapped, user=None)

    assert not Account.objects.exists()


def test_support_periods_given_as_months_read_as_their_first_day(
    django_capture_on_commit_callbacks,
) -> None:
    imported(django_capture_on_commit_callbacks, WIZARD / "accounts_semicolon.csv")

    outcome = mapped_import_check(mapped=opened(WIZARD / "support_months.csv"))

    assert reasons(outcome) == [(5, "Month", "no such month")]
    job = imported(django_capture_on_commit_callbacks, WIZARD / "support_months.csv")
    assert job.status == ImportJob.Status.REJECTED
    assert not SupportSignal.objects.exists()


def test_month_periods_are_stored_as_the_first_of_the_month(
    django_capture_on_commit_callbacks, tmp_path
) -> None:
    imported(django_capture_on_commit_callbacks, WIZARD / "accounts_semicolon.csv")
    path = tmp_path / "support.csv"
    lines = (WIZARD / "support_months.csv").read_text().splitlines()[:-1]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    job = imported(django_capture_on_commit_callbacks, path)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert sorted(
        SupportSignal.objects.values_list("account__name", "period_start", "tickets")
    ) == [
        ("Brightwater Foods", date(2026, 10, 1), 30),
        ("Nordlicht Maschinenbau GmbH", date(2026, 9, 1), 12),
        ("Nordlicht Maschinenbau GmbH", date(2026, 10, 1), 3),
    ]


def test_a_user_with_the_same_email_and_another_id_is_refused(
    django_capture_on_commit_callbacks,
) -> None:
    imported(django_capture_on_commit_callbacks, WIZARD / "salesforce_users.csv")
    before = list(User.objects.order_by("pk").values_list("pk", "first_name", "email"))

    job = imported(
        django_capture_on_commit_callbacks, WIZARD / "salesforce_users_same_email.csv"
    )

    assert job.status == ImportJob.Status.REJECTED
    assert (
        2,
        "Email",
        "this email is Maria Lindqvist's, whose ID is 0055g00000Mgr01AAA, but "
        "this row has ID 0055g00000U00099",
    ) in reasons(job)
    assert (
        list(User.objects.order_by("pk").values_list("pk", "first_name", "email"))
        == before
    )


def test_the_report_csv_link_of_the_api_serves_a_token_client(
    django_capture_on_commit_callbacks,
) -> None:
    ops = User.objects.create_user(username="ops", role=User.Role.OPS)
    rep = User.objects.create_user(username="rep", role=User.Role.REP)
    _, ops_secret = api_token_create(user=ops, name="sync")
    _, rep_secret = api_token_create(user=rep, name="sync")
    job = imported(django_capture_on_commit_callbacks, WIZARD / "overlong_revenue.csv")
    client = Client()

    detail = client.get(
        f"/api/accounts/imports/{job.pk}/", HTTP_AUTHORIZATION=f"Token {ops_secret}"
    )
    link = detail.json()["report_csv"]
    report = client.get(
        link, HTTP_AUTHORIZATION=f"Token {ops_secret}", HTTP_ACCEPT="text/csv"
    )

    assert link == f"/api/accounts/imports/{job.pk}/report.csv"
    assert report.status_code == 200
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    assert "Too large: at most 18 digits before the decimal point." in (
        report.getvalue().decode()
    )
    for secret, pk in ((rep_secret, job.pk), (ops_secret, job.pk + 1)):
        refused = client.get(
            f"/api/accounts/imports/{pk}/report.csv",
            HTTP_AUTHORIZATION=f"Token {secret}",
        )
        assert refused.status_code == 404


@pytest.mark.parametrize(
    ("query", "accept"),
    [("?format=json", "application/json"), ("?format=csv", "text/csv")],
)
def test_the_report_csv_refuses_a_format_in_the_query(
    django_capture_on_commit_callbacks, query: str, accept: str
) -> None:
    ops = User.objects.create_user(username="ops", role=User.Role.OPS)
    _, secret = api_token_create(user=ops, name="sync")
    job = imported(django_capture_on_commit_callbacks, WIZARD / "overlong_revenue.csv")

    response = Client().get(
        f"/api/accounts/imports/{job.pk}/report.csv{query}",
        HTTP_AUTHORIZATION=f"Token {secret}",
        HTTP_ACCEPT=accept,
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "format": [
            "A download's format is the extension in its path, such as .csv; "
            "remove format from the query."
        ]
    }


def test_the_report_csv_refuses_other_query_parameters_and_errs_in_json(
    django_capture_on_commit_callbacks,
) -> None:
    ops = User.objects.create_user(username="ops", role=User.Role.OPS)
    _, secret = api_token_create(user=ops, name="sync")
    job = imported(django_capture_on_commit_callbacks, WIZARD / "overlong_revenue.csv")
    client = Client()

    unknown = client.get(
        f"/api/accounts/imports/{job.pk}/report.csv?rows=bad",
        HTTP_AUTHORIZATION=f"Token {secret}",
    )
    missing = client.get(
        f"/api/accounts/imports/{job.pk + 1}/report.csv",
        HTTP_AUTHORIZATION=f"Token {secret}",
        HTTP_ACCEPT="text/csv",
    )

    assert unknown.status_code == 400
    assert unknown.json() == {
        "rows": ["Unknown query parameter; this takes no query parameters."]
    }
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"
    assert missing.json() == {"detail": "Not found."}


def test_a_file_of_headers_only_is_a_problem_not_a_success() -> None:
    mapped = mapped_import_create_from_paths(
        user=None, paths=[WIZARD / "headers_only.csv"]
    )
    mapped_import_mapping_accept(mapped=mapped, user=None)

    outcome = mapped_import_check(mapped=mapped)

    assert outcome.problems == [
        "headers_only.csv: the file has a header row but no data rows"
    ]
    assert not outcome.can_write


def test_fields_lode_does_not_keep_are_not_offered_as_targets() -> None:
    offered = {value for _, choices in wizard_field_choices() for value, _ in choices}

    assert {"account.name", "opportunity.name"} <= offered
    assert not offered & {
        "account.city",
        "account.website",
        "opportunity.probability",
    }


def test_the_command_does_not_take_an_abbreviated_option() -> None:
    with pytest.raises(CommandError, match="unrecognized arguments: --map"):
        call_command(
            "import_files", "--map", "{}", str(WIZARD / "overlong_revenue.csv")
        )


def test_input_bodies_in_the_schema_carry_no_developer_notes() -> None:
    client = Client()
    client.force_login(User.objects.create_user(username="ops", role=User.Role.OPS))

    schema = client.get("/api/schema/?format=json")

    assert schema.status_code == 200
    text = schema.content.decode()
    assert "Send only the fields listed: any other is refused" in text
    assert "DRF drops unknown keys" not in text


def test_won_deals_in_three_currencies_keep_a_revenue_line_each(
    django_capture_on_commit_callbacks,
) -> None:
    accounts = imported(
        django_capture_on_commit_callbacks, WIZARD / "sf_report_accounts_try.csv"
    )
    assert accounts.status == ImportJob.Status.SUCCEEDED, accounts.issues

    job = imported(
        django_capture_on_commit_callbacks, WIZARD / "sf_opps_mixed_currency.csv"
    )

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert not [i for i in job.issues if i["action"] == "not written"]
    assert list(
        RevenueLine.objects.order_by("import_key").values_list(
            "quarter_start", "amount", "currency", "source"
        )
    ) == [
        (date(2026, 1, 1), Decimal("5000.00"), "CHF", "pipeline"),
        (date(2026, 1, 1), Decimal("10000.00"), "EUR", "pipeline"),
        (date(2026, 1, 1), Decimal("100000.00"), "SEK", "pipeline"),
    ]


def test_an_amount_sign_that_contradicts_the_currency_column_is_refused(
    django_capture_on_commit_callbacks,
) -> None:
    imported(django_capture_on_commit_callbacks, WIZARD / "sf_report_accounts_try.csv")

    job = imported(
        django_capture_on_commit_callbacks, WIZARD / "sf_opps_symbol_clash.csv"
    )

    assert job.status == ImportJob.Status.REJECTED
    assert [
        (issue["line"], issue["column"], issue["value"], issue["reason"])
        for issue in job.issues
        if issue["action"] == "rejected"
    ] == [
        (2, "Amount", "EUR 100", "the amount is in EUR but 'CurrencyIsoCode' says CAD")
    ]


def test_a_confirmed_merge_is_remembered_and_undone_with_its_import(
    django_capture_on_commit_callbacks,
) -> None:
    # given a merge the user confirmed
    acme = Account.objects.create(name="Acme  Widgets Inc.", employees=900)
    mapped = opened(WIZARD / "duplicates.csv")
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_start(
            mapped=mapped,
            merges={"ACME WIDGETS, INC": "Acme  Widgets Inc."},
            keep_good_rows=False,
        )
    assert AccountAlias.objects.get().account == acme

    # when the same file comes again, then nothing is proposed or changed
    again = opened(WIZARD / "duplicates.csv")
    outcome = mapped_import_check(mapped=again)

    assert outcome.proposals == []
    assert outcome.counts["Accounts"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "rejected": 0,
    }
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_start(mapped=again, merges={}, keep_good_rows=False)
    assert sorted(Account.objects.values_list("name", flat=True)) == [
        "Acme  Widgets Inc.",
        "Harbor Bank of the South",
    ]

    again.job.refresh_from_db()
    assert again.job.counts["Accounts"]["unchanged"] == 2

    # when the import that merged is undone
    mapped.job.refresh_from_db()
    mapped_import_undo(mapped=mapped, user=None)

    # then the alias goes with it
    assert not AccountAlias.objects.exists()
    assert list(Account.objects.values_list("name", flat=True)) == [
        "Acme  Widgets Inc."
    ]


def test_unknown_role_values_are_asked_once_and_mapped_to_lode_roles(
    django_capture_on_commit_callbacks,
) -> None:
    mapped = opened(WIZARD / "users_crm_roles.csv")

    outcome = mapped_import_check(mapped=mapped)

    assert [
        (file, q.column, q.options, q.message) for file, q in outcome.questions
    ] == [
        (
            "users_crm_roles.csv",
            "role=Sales Rep Nordics",
            ["rep", "manager", "executive"],
            "'role' says 'Sales Rep Nordics' (line 2), which is no Lode role; "
            "which role do users with it get?",
        ),
        (
            "users_crm_roles.csv",
            "role=Regional Director",
            ["rep", "manager", "executive"],
            "'role' says 'Regional Director' (line 4), which is no Lode role; "
            "which role do users with it get?",
        ),
    ]
    with pytest.raises(WizardError, match="'ops' is not an answer"):
        mapped_import_answer(
            mapped=mapped,
            file="users_crm_roles.csv",
            column="role=Regional Director",
            option="ops",
        )

    out = StringIO()
    call_command(
        "import_files",
        str(WIZARD / "users_crm_roles.csv"),
        "--answer",
        "users_crm_roles.csv:role=Sales Rep Nordics=rep",
        "--answer",
        "users_crm_roles.csv:role=Regional Director=manager",
        "--yes",
        stdout=out,
    )

    assert sorted(User.objects.values_list("email", "role")) == [
        ("ana.lund@lode.example", "rep"),
        ("kim.berg@lode.example", "manager"),
        ("sven.ek@lode.example", "rep"),
    ]


def test_amounts_and_rates_past_fifteen_digits_are_refused_by_row(tmp_path) -> None:
    # SQLite keeps 15 significant digits exactly; a 16th would be rounded,
    # and 99999999999999.99 could not be read back at all.
    Account.objects.create(name="Big Co")
    Account.objects.create(name="Fine Co")
    revenue = tmp_path / "erp.csv"
    revenue.write_text(
        "Customer,Invoice Date,Product,Net Amount,Currency\n"
        "Big Co,2026-04-03,GTX Pro,99999999999999.99,USD\n"
        "Fine Co,2026-04-03,GTX Pro,9999999999999.99,USD\n",
        encoding="utf-8",
    )
    rates = tmp_path / "rates.csv"
    rates.write_text(
        "Currency,Rate,Rate Date\n"
        "EUR,1.0850000000,2026-11-30\n"
        "GBP,123456.1234567891,2026-11-30\n",
        encoding="utf-8",
    )

    outcome = mapped_import_check(mapped=opened(revenue, rates))

    assert sorted(reasons(outcome)) == [
        (2, "Net Amount", "too many digits: at most 15 significant digits"),
        (3, "Rate", "too many digits: at most 15 significant digits"),
    ]
