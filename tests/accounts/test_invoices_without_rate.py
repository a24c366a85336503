"""Invoices no stored rate converts replace won deals only when told to."""

import html
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks
from rest_framework.test import APIClient

from accounts.currency import account_revenue_rollup
from accounts.models import (
    Account,
    CurrencyRate,
    ImportJob,
    InvoicesWithoutRate,
    RevenueLine,
    User,
)
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_undo,
)
from scoring.loading import scoring_frames_load
from scoring.models import AccountScore, ScoreRun
from scoring.services import score_run_request
from tests.accounts.invoice_files import (
    ACME_Q4_RATELESS,
    ACME_Q4_WAITING,
    RATELESS_ROWS,
    erp_file,
)
from tests.accounts.wizard_runs import imported
from tests.security.test_api_examples import answer_errors

pytestmark = pytest.mark.django_db

# Acme's won deals: 17,878.00 USD in Q3 2017 and 6,700.50 USD in Q4 2017.
DEALS_TOTAL = Decimal("24578.50")
Q3_DEALS = Decimal("17878.00")
ACME_Q4 = {
    "account": "Acme Corporation",
    "quarter": "Q4 2017",
    "quarter_start": "2017-10-01",
    "won_deals": 2,
    "won_amounts": {"USD": "6700.50"},
    "invoice_lines": 2,
    "invoice_amounts": {"CHF": "20.00", "EUR": "10.00"},
}
BAD_CHOICE = 'Send keep_deals or replace_deals, not "replace".'


def rates_stored() -> None:
    """Store the rates that convert RATELESS_ROWS' EUR and CHF invoices."""
    for currency, rate in (("EUR", "1.18"), ("CHF", "1.05")):
        CurrencyRate.objects.create(
            currency=currency,
            reporting_currency="USD",
            rate_date=date(2017, 9, 30),
            rate=Decimal(rate),
        )


def scored(account: Account, callbacks: DjangoCaptureOnCommitCallbacks) -> AccountScore:
    with callbacks(execute=True):
        run = score_run_request(trigger="manual")
    run.refresh_from_db()
    assert run.status == run.Status.SUCCEEDED
    return AccountScore.objects.get(run=run, account=account)


def test_the_check_names_the_quarters_the_choice_decides(
    acme_won: Account, tmp_path: Path
) -> None:
    # given
    mapped = mapped_import_create_from_paths(
        user=None, paths=[erp_file(tmp_path, *RATELESS_ROWS)]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then
    assert [item.as_dict() for item in outcome.waiting] == [ACME_Q4]
    assert [item.text for item in outcome.waiting] == [
        "Acme Corporation Q4 2017: 2 won deals (6,700.50 USD), or 2 invoice "
        "lines (20.00 CHF, 10.00 EUR) that no stored rate converts"
    ]
    assert not RevenueLine.objects.filter(source=RevenueLine.Source.INVOICE).exists()


def test_the_check_names_no_quarter_a_rate_converts(
    acme_won: Account, tmp_path: Path
) -> None:
    rates_stored()
    mapped = mapped_import_create_from_paths(
        user=None, paths=[erp_file(tmp_path, *RATELESS_ROWS)]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    assert mapped_import_check(mapped=mapped).waiting == []


def test_by_default_the_won_deals_keep_counting(
    acme_won: Account,
    tmp_path: Path,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # when
    job = imported(erp_file(tmp_path, *RATELESS_ROWS))

    # then
    assert job.invoices_without_rate == InvoicesWithoutRate.KEEP_DEALS
    assert list(
        RevenueLine.objects.filter(source=RevenueLine.Source.INVOICE)
        .order_by("currency")
        .values_list("currency", "amount", "covers_without_rate")
    ) == [("CHF", Decimal("20.00"), False), ("EUR", Decimal("10.00"), False)]
    assert account_revenue_rollup(account=acme_won).total == DEALS_TOTAL
    assert not RevenueLine.objects.set_aside().exists()
    assert scoring_frames_load().revenue_set_aside == 0
    assert scored(acme_won, django_capture_on_commit_callbacks).ttm_revenue == (
        DEALS_TOTAL
    )


def test_told_to_the_invoices_replace_the_won_deals_at_once(
    acme_won: Account,
    tmp_path: Path,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # when
    job = imported(
        erp_file(tmp_path, *RATELESS_ROWS),
        invoices_without_rate=InvoicesWithoutRate.REPLACE_DEALS,
    )

    # then
    assert job.invoices_without_rate == InvoicesWithoutRate.REPLACE_DEALS
    assert list(
        RevenueLine.objects.filter(source=RevenueLine.Source.INVOICE).values_list(
            "covers_without_rate", flat=True
        )
    ) == [True, True]
    assert account_revenue_rollup(account=acme_won).total == Q3_DEALS
    assert list(RevenueLine.objects.set_aside().values_list("amount", flat=True)) == [
        Decimal("6700.50")
    ]
    assert scored(acme_won, django_capture_on_commit_callbacks).ttm_revenue == (
        Q3_DEALS
    )


def test_storing_a_rate_later_switches_the_quarter_to_the_invoices(
    acme_won: Account,
    tmp_path: Path,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # given
    imported(erp_file(tmp_path, *RATELESS_ROWS))
    assert account_revenue_rollup(account=acme_won).total == DEALS_TOTAL

    # when
    rates_stored()

    # then: 17,878.00 + 10 EUR at 1.18 + 20 CHF at 1.05
    rollup = account_revenue_rollup(account=acme_won)
    assert rollup.total == Decimal("17910.80")
    assert rollup.notes() == [
        "CHF at 1.05 from 30 Sep 2017",
        "EUR at 1.18 from 30 Sep 2017",
    ]
    assert scoring_frames_load().revenue_set_aside == 1
    assert scored(acme_won, django_capture_on_commit_callbacks).ttm_revenue == (
        Decimal("17910.80")
    )


def test_a_rate_imported_later_switches_the_quarter_everywhere(
    client,
    rep: User,
    acme_won: Account,
    tmp_path: Path,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # given: the invoices, then their rates in an import of their own
    imported(erp_file(tmp_path, *RATELESS_ROWS))
    rates = tmp_path / "rates.csv"
    rates.write_text(
        "Currency,Rate,Rate Date\nEUR,1.18,2017-09-30\nCHF,1.05,2017-09-30\n"
    )
    client.force_login(rep)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        job = imported(rates)
    page = client.get(reverse("accounts:detail", args=[acme_won.pk]))

    # then the page counts the invoices instead of Q4's won deals
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    overview = page.context["overview"]
    assert overview.revenue_rollup.total == Decimal("17910.80")
    assert overview.revenue_rollup.notes() == [
        "CHF at 1.05 from 30 Sep 2017",
        "EUR at 1.18 from 30 Sep 2017",
    ]
    assert overview.revenue_set_aside_note == (
        "Won deals of Q4 2017 are set aside: invoices cover that quarter, so "
        "their sales count once."
    )
    # and so does the score run the rate import asked for
    run = ScoreRun.objects.get(import_job=job)
    assert run.status == ScoreRun.Status.SUCCEEDED
    assert run.summary["revenue_set_aside"] == 1
    assert run.summary["left_out_lines"] == {}
    score = AccountScore.objects.get(run=run, account=acme_won)
    assert score.components["left_out"] == {}
    assert score.ttm_revenue == Decimal("17910.80")


def test_undoing_an_import_told_to_replace_counts_the_won_deals_again(
    acme_won: Account, tmp_path: Path
) -> None:
    # given
    job = imported(
        erp_file(tmp_path, *RATELESS_ROWS),
        invoices_without_rate=InvoicesWithoutRate.REPLACE_DEALS,
    )
    assert account_revenue_rollup(account=acme_won).total == Q3_DEALS

    # when
    mapped_import_undo(mapped=job.mapped, user=None)

    # then
    assert account_revenue_rollup(account=acme_won).total == DEALS_TOTAL
    assert not RevenueLine.objects.filter(source=RevenueLine.Source.INVOICE).exists()


def test_undoing_a_reimport_told_to_replace_restores_the_earlier_choice(
    acme_won: Account, tmp_path: Path
) -> None:
    # given: the same invoices, first kept apart, then told to replace
    path = erp_file(tmp_path, *RATELESS_ROWS)
    imported(path)
    again = imported(path, invoices_without_rate=InvoicesWithoutRate.REPLACE_DEALS)
    assert again.counts["Revenue lines"]["updated"] == 2
    assert account_revenue_rollup(account=acme_won).total == Q3_DEALS

    # when
    mapped_import_undo(mapped=again.mapped, user=None)

    # then
    assert list(
        RevenueLine.objects.filter(source=RevenueLine.Source.INVOICE).values_list(
            "covers_without_rate", flat=True
        )
    ) == [False, False]
    assert account_revenue_rollup(account=acme_won).total == DEALS_TOTAL


def test_a_reimport_not_told_keeps_what_the_earlier_one_was_told(
    acme_won: Account, tmp_path: Path
) -> None:
    path = erp_file(tmp_path, *RATELESS_ROWS)
    imported(path, invoices_without_rate=InvoicesWithoutRate.REPLACE_DEALS)

    again = imported(path)

    assert again.counts["Revenue lines"]["unchanged"] == 2
    assert account_revenue_rollup(account=acme_won).total == Q3_DEALS


@pytest.fixture
def api(ops: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(ops)
    return client


@pytest.fixture
def checked_job(acme_won: Account, ops: User, tmp_path: Path) -> int:
    mapped = mapped_import_create_from_paths(
        user=ops, paths=[erp_file(tmp_path, *RATELESS_ROWS)]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    return mapped.job_id


def test_the_api_check_names_the_quarters_and_the_start_takes_the_choice(
    api: APIClient,
    acme_won: Account,
    checked_job: int,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # given
    url = f"/api/accounts/imports/{checked_job}/"

    # when
    check = api.get(url + "check/")
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            url + "start/",
            {"invoices_without_rate": "replace_deals"},
            format="json",
        )

    # then
    assert check.status_code == 200
    assert check.json()["invoices_without_rate"] == [ACME_Q4]
    assert ACME_Q4_WAITING in check.json()["warnings"]
    assert started.status_code == 202
    detail = api.get(url).json()
    assert detail["status"] == ImportJob.Status.SUCCEEDED
    assert detail["invoices_without_rate"] == "replace_deals"
    assert detail["invoices_without_rate_label"] == (
        "invoices without a rate replace the won deals at once"
    )
    assert account_revenue_rollup(account=acme_won).total == Q3_DEALS


def test_the_api_start_keeps_the_won_deals_unless_told(
    api: APIClient,
    acme_won: Account,
    checked_job: int,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    url = f"/api/accounts/imports/{checked_job}/"

    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(url + "start/", {}, format="json")

    assert started.status_code == 202
    assert started.json()["invoices_without_rate"] == "keep_deals"
    assert started.json()["invoices_without_rate_label"] == (
        "won deals count until their quarter's invoices have a rate"
    )
    assert account_revenue_rollup(account=acme_won).total == DEALS_TOTAL


def test_the_api_start_refuses_an_unknown_choice_naming_the_field(
    api: APIClient, acme_won: Account, checked_job: int
) -> None:
    url = f"/api/accounts/imports/{checked_job}/"

    answer = api.post(
        url + "start/", {"invoices_without_rate": "replace"}, format="json"
    )

    assert answer.status_code == 400
    assert answer.json() == {"invoices_without_rate": [BAD_CHOICE]}
    job = ImportJob.objects.get(pk=checked_job)
    assert job.mapped.confirmed_at is None
    assert not RevenueLine.objects.filter(source=RevenueLine.Source.INVOICE).exists()


def test_the_schema_documents_the_choice_and_its_refusal() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    start = schema["paths"]["/api/accounts/imports/{pk}/start/"]["post"]
    body = start["requestBody"]["content"]["application/json"]["schema"]
    components = schema["components"]["schemas"]
    field = components[body["$ref"].rpartition("/")[2]]["properties"][
        "invoices_without_rate"
    ]

    assert components[field["allOf"][0]["$ref"].rpartition("/")[2]]["enum"] == [
        "keep_deals",
        "replace_deals",
    ]
    assert field["default"] == "keep_deals"
    refusal = start["responses"]["400"]["content"]["application/json"]["examples"]
    assert refusal["AnUnknownInvoicesWithoutRate"]["value"] == {
        "invoices_without_rate": [BAD_CHOICE]
    }


def test_the_command_line_takes_the_choice(
    acme_won: Account, tmp_path: Path, settings
) -> None:
    # given
    settings.MEDIA_ROOT = tmp_path / "media"
    path = erp_file(tmp_path, *RATELESS_ROWS)
    out = io.StringIO()

    # when
    call_command(
        "import_files",
        str(path),
        "--invoices-without-rate",
        "replace_deals",
        "--yes",
        stdout=out,
    )

    # then
    job = ImportJob.objects.get()
    assert job.invoices_without_rate == InvoicesWithoutRate.REPLACE_DEALS
    assert account_revenue_rollup(account=acme_won).total == Q3_DEALS


def test_the_command_line_check_names_the_quarters_and_the_default(
    acme_won: Account, tmp_path: Path, settings
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    out = io.StringIO()

    call_command("import_files", str(erp_file(tmp_path, *RATELESS_ROWS)), stdout=out)

    assert (
        "NO RATE Acme Corporation Q4 2017: 2 won deals (6,700.50 USD), or 2 "
        "invoice lines (20.00 CHF, 10.00 EUR) that no stored rate converts. "
        "Keep counting the won deals until a rate is stored "
        "(--invoices-without-rate keep_deals)\n"
    ) in out.getvalue()


def test_the_command_line_refuses_an_unknown_choice(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as refused:
        call_command(
            "import_files",
            str(erp_file(tmp_path, *RATELESS_ROWS)),
            "--invoices-without-rate",
            "replace",
        )

    assert str(refused.value) == (
        "Error: argument --invoices-without-rate: invalid choice: 'replace' "
        "(choose from 'keep_deals', 'replace_deals')"
    )


def test_the_command_line_help_shows_the_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from accounts.management.commands.import_files import Command

    Command().create_parser("manage.py", "import_files").print_help()

    shown = " ".join(capsys.readouterr().out.split())
    assert (
        "--invoices-without-rate {keep_deals,replace_deals} where no stored rate "
        "converts the invoices of a quarter that counts won deals (the check "
        "prints each as NO RATE): keep_deals, the default, keeps counting the "
        "deals until a rate is stored; replace_deals lets the invoices replace "
        "them at once"
    ) in shown


def test_the_check_page_offers_the_choice_and_the_job_page_shows_it(
    client,
    ops: User,
    acme_won: Account,
    checked_job: int,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # given
    client.force_login(ops)
    url = reverse("accounts:wizard_check", args=[checked_job])

    # when
    page = client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(url, {"invoices_without_rate": "replace_deals"})
    report = client.get(reverse("accounts:wizard_report", args=[checked_job]))

    # then
    shown = html.unescape(page.content.decode())
    assert "Invoices without a rate: 1 quarter" in shown
    assert (
        '<input type="radio" name="invoices_without_rate" value="keep_deals" '
        "checked> Keep counting the won deals until a rate is stored"
    ) in shown
    assert [item.as_dict() for item in page.context["waiting"]] == [ACME_Q4]
    assert started.status_code == 302
    assert ImportJob.objects.get(pk=checked_job).invoices_without_rate == (
        "replace_deals"
    )
    assert (
        '<span id="invoices-without-rate">invoices without a rate replace the '
        "won deals at once</span>"
    ) in report.content.decode()
    assert account_revenue_rollup(account=acme_won).total == Q3_DEALS


def test_the_check_page_refuses_an_unknown_choice(
    client, ops: User, acme_won: Account, checked_job: int
) -> None:
    client.force_login(ops)
    url = reverse("accounts:wizard_check", args=[checked_job])

    page = client.post(url, {"invoices_without_rate": "replace"})

    assert page.status_code == 400
    assert page.context["refused"] == [
        "invoices_without_rate must be keep_deals or replace_deals, not 'replace'."
    ]
    assert ImportJob.objects.get(pk=checked_job).mapped.confirmed_at is None


def test_a_large_upload_offers_the_choice_before_it_starts(
    client,
    ops: User,
    acme_won: Account,
    checked_job: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: an upload too large to check with a dry run
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", 10)
    client.force_login(ops)
    url = reverse("accounts:wizard_check", args=[checked_job])

    # when
    page = client.get(url)
    started = client.post(url, {"invoices_without_rate": "replace_deals"})

    # then
    assert page.context["ask_invoices_without_rate"] is True
    assert ACME_Q4_WAITING in page.context["warnings"]
    assert (
        '<input type="radio" name="invoices_without_rate" value="replace_deals"> '
        "Let the invoices replace the won deals now"
    ) in html.unescape(page.content.decode())
    assert started.status_code == 302
    assert ImportJob.objects.get(pk=checked_job).invoices_without_rate == (
        "replace_deals"
    )


ACME_Q4_WITHOUT_RATE = [
    {
        "account": "Acme Corporation",
        "quarter": "Q4 2017",
        "quarter_start": "2017-10-01",
        "currency": "CHF",
        "invoice_lines": 1,
        "amount": "20.00",
        "reason": "no CHF rate on or before 1 Oct 2017",
    },
    {
        "account": "Acme Corporation",
        "quarter": "Q4 2017",
        "quarter_start": "2017-10-01",
        "currency": "EUR",
        "invoice_lines": 1,
        "amount": "10.00",
        "reason": "no EUR rate on or before 1 Oct 2017",
    },
]


def test_the_api_names_the_quarters_without_rate_of_a_large_upload(
    api: APIClient,
    acme_won: Account,
    checked_job: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: an upload too large to check with a dry run
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", 10)
    url = f"/api/accounts/imports/{checked_job}/check/"

    # when
    check = api.get(url)

    # then
    assert check.status_code == 202, check.content
    answer = check.json()
    assert answer["warnings"] == [ACME_Q4_WAITING, *ACME_Q4_RATELESS]
    assert answer["quarters_without_rate"] == ACME_Q4_WITHOUT_RATE
    assert (
        answer_errors(
            method="get",
            path="/api/accounts/imports/{pk}/check/",
            code="202",
            value=answer,
        )
        == []
    )


def test_a_large_upload_names_no_quarter_a_stored_rate_converts(
    api: APIClient,
    acme_won: Account,
    checked_job: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", 10)
    rates_stored()

    # when
    check = api.get(f"/api/accounts/imports/{checked_job}/check/")

    # then
    assert check.status_code == 202, check.content
    assert check.json()["quarters_without_rate"] == []


def test_the_api_check_while_you_wait_names_the_quarters_without_rate(
    api: APIClient, acme_won: Account, checked_job: int
) -> None:
    # when: an upload small enough to check with a dry run
    check = api.get(f"/api/accounts/imports/{checked_job}/check/")

    # then: the same list as a large upload's, as the warnings name them
    assert check.status_code == 200, check.content
    answer = check.json()
    assert answer["quarters_without_rate"] == ACME_Q4_WITHOUT_RATE
    assert set(ACME_Q4_RATELESS) <= set(answer["warnings"])
    assert (
        answer_errors(
            method="get",
            path="/api/accounts/imports/{pk}/check/",
            code="200",
            value=answer,
        )
        == []
    )
    assert not RevenueLine.objects.filter(source=RevenueLine.Source.INVOICE).exists()


def test_the_api_check_while_you_wait_names_no_quarter_a_rate_converts(
    api: APIClient, acme_won: Account, checked_job: int
) -> None:
    rates_stored()

    check = api.get(f"/api/accounts/imports/{checked_job}/check/")

    assert check.status_code == 200, check.content
    assert check.json()["quarters_without_rate"] == []


def test_both_check_answers_document_one_quarter_without_rate_schema() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    check = schema["paths"]["/api/accounts/imports/{pk}/check/"]["get"]
    components = schema["components"]["schemas"]

    def items(code: str) -> dict:
        answer = check["responses"][code]["content"]["application/json"]["schema"]
        properties = components[answer["$ref"].rpartition("/")[2]]["properties"]
        return properties["quarters_without_rate"]["items"]

    assert (
        items("200")
        == items("202")
        == {"$ref": "#/components/schemas/WizardImportQuarterWithoutRate"}
    )
    example = check["responses"]["200"]["content"]["application/json"]["examples"]
    reasons = [
        shown["value"]["quarters_without_rate"][0]["reason"]
        for shown in example.values()
        if shown["value"].get("quarters_without_rate") and "can_write" in shown["value"]
    ]
    assert reasons
    assert set(reasons) == {"no EUR rate on or before 1 Oct 2017"}
