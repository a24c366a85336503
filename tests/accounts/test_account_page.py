import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import (
    Account,
    AccountAlias,
    CurrencyRate,
    ImportJob,
    Opportunity,
)
from accounts.selectors import DEALS_SHOWN, deal_list_for_account
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_start,
)
from scoring.models import AccountScore, ScoreRun, ScoringModel
from tests.accounts.factories import (
    AccountFactory,
    ProductFactory,
    RevenueLineFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CURRENCY_FILES = Path(__file__).parent / "fixtures" / "currency"


def won(
    account, product, value: str, number: int, currency: str = "USD"
) -> Opportunity:
    return Opportunity.objects.create(
        external_id=f"{account.pk}-{number}",
        account=account,
        product=product,
        stage=Opportunity.Stage.WON,
        closed_on=datetime.date(2017, 3, 1),
        close_value=Decimal(value),
        currency=currency,
    )


def test_another_account_answers_404(client, outsider, account):
    client.force_login(outsider)

    response = client.get(reverse("accounts:detail", args=[account.pk]))

    assert response.status_code == 404


def test_it_shows_the_facts_products_family_and_team(client, rep, account):
    # given
    bought = ProductFactory.create(name="GTX Basic", list_price=Decimal("550"))
    ProductFactory.create(name="MG Advanced", list_price=Decimal("3393"))
    RevenueLineFactory.create(account=account, product=bought, amount=Decimal("1200"))
    visible_child = AccountFactory.create(name="Child Visible", parent=account)
    visible_child.team_members.add(rep)
    AccountFactory.create(name="Child Hidden", parent=account)
    client.force_login(rep)

    # when
    response = client.get(reverse("accounts:detail", args=[account.pk]))

    # then
    html = response.content.decode()
    overview = response.context["overview"]
    assert [p.name for p in overview.products_bought] == ["GTX Basic"]
    assert [p.name for p in overview.products_not_bought] == ["MG Advanced"]
    assert "3,393.00 USD" in html
    assert reverse("accounts:detail", args=[visible_child.pk]) in html
    assert "Child Hidden" in html
    assert "not in your accounts" in html
    assert rep.display_name in html
    assert 'id="revenue-data"' in html


def test_a_credit_alone_leaves_the_product_in_the_whitespace(client, rep, account):
    # given a product with only a credit note against it
    credited = ProductFactory.create(name="GTK 500", list_price=Decimal("26768"))
    RevenueLineFactory.create(account=account, product=credited, amount=Decimal("-500"))
    client.force_login(rep)

    # when
    response = client.get(reverse("accounts:detail", args=[account.pk]))

    # then it is still a product the account has not bought
    overview = response.context["overview"]
    assert [p.name for p in overview.products_bought] == []
    assert [p.name for p in overview.products_not_bought] == ["GTK 500"]


def test_won_revenue_equals_the_sum_of_won_close_values(client, rep, account):
    product = ProductFactory.create(name="GTX Pro")
    won(account, product, "4514", 1)
    won(account, product, "1054", 2)
    Opportunity.objects.create(
        external_id="lost-1",
        account=account,
        product=product,
        stage=Opportunity.Stage.LOST,
        close_value=Decimal("0"),
    )
    Opportunity.objects.create(
        external_id="open-1",
        account=account,
        product=product,
        stage=Opportunity.Stage.ENGAGING,
    )
    client.force_login(rep)

    response = client.get(reverse("accounts:detail", args=[account.pk]))

    assert response.context["overview"].won_revenue == Decimal("5568")
    assert response.context["overview"].open_deals == 1
    assert "5,568.00 USD" in response.content.decode()


def test_won_deals_no_rate_converts_are_counted_apart(client, rep, account):
    # given: the tester's 2017 deals, one of them in yen with no rate
    product = ProductFactory.create(name="GTX Pro")
    won(account, product, "100.00", 1)
    won(account, product, "200.00", 2)
    won(account, product, "5000000", 3, "JPY")
    client.force_login(rep)

    # when
    response = client.get(reverse("accounts:detail", args=[account.pk]))

    # then
    overview = response.context["overview"]
    assert overview.won_revenue == Decimal("300.00")
    assert (overview.won_deals, overview.won_deals_converted) == (3, 2)
    html = response.content.decode()
    assert (
        '<span class="muted" data-testid="won-deals">(2 of 3 deals; 1 JPY deal '
        "has no rate)</span>"
    ) in html
    assert (
        "5,000,000 JPY not included (1 deal): no JPY rate on or before 1 Mar 2017"
    ) in html


def test_a_single_won_deal_no_rate_converts_reads_as_not_counted(
    client, rep, account
) -> None:
    # given: one won deal, in yen, with no rate
    product = ProductFactory.create(name="GTX Pro")
    won(account, product, "5000000", 3, "JPY")
    client.force_login(rep)

    # when
    response = client.get(reverse("accounts:detail", args=[account.pk]))

    # then: not "0 of 1 deals"
    html = response.content.decode()
    assert (
        '<span class="muted" data-testid="won-deals">(no deal counted: 1 JPY deal '
        "has no rate)</span>"
    ) in html


def test_it_converts_revenue_and_won_deals_and_names_rates_and_gaps(
    client, rep, account
):
    # given the tester's Rheinwerk: invoices in EUR and SEK, deals closed
    # on 1 Mar 2017 in EUR, SEK and CHF, and EUR rates only, from the end
    # of 2016 and of 2025
    quarter = datetime.date(2026, 1, 1)
    wartung = ProductFactory.create(name="Wartung")
    ersatzteile = ProductFactory.create(name="Ersatzteile")
    lizenz = ProductFactory.create(name="Lizenz")
    for product, amount, currency, day in [
        (wartung, "1234.50", "EUR", quarter),
        (ersatzteile, "12000", "EUR", quarter),
        (lizenz, "10000", "SEK", quarter),
        (wartung, "700", "EUR", datetime.date(2016, 10, 1)),
    ]:
        RevenueLineFactory.create(
            account=account,
            product=product,
            quarter_start=day,
            amount=Decimal(amount),
            currency=currency,
        )
    won(account, wartung, "10000", 1, "EUR")
    won(account, lizenz, "100000", 2, "SEK")
    won(account, wartung, "5000", 3, "CHF")
    CurrencyRate.objects.create(
        currency="EUR", rate="1.05", rate_date=datetime.date(2016, 12, 30)
    )
    CurrencyRate.objects.create(
        currency="EUR", rate="1.08", rate_date=datetime.date(2025, 12, 31)
    )
    client.force_login(rep)

    # when
    response = client.get(reverse("accounts:detail", args=[account.pk]))

    # then: each amount at the latest rate on or before its own date
    overview = response.context["overview"]
    assert overview.revenue_by_quarter == [
        {"quarter": "2026-01-01", "product": "Ersatzteile", "amount": 12960.0},
        {"quarter": "2026-01-01", "product": "Wartung", "amount": 1333.26},
    ]
    assert overview.revenue_rollup.notes() == [
        "EUR at 1.08 from 31 Dec 2025",
        "700.00 EUR not included (1 line): no EUR rate on or before 1 Oct 2016",
        "10,000.00 SEK not included (1 line): no SEK rate on or before 1 Jan 2026",
    ]
    assert overview.won_revenue == Decimal("10500.00")
    assert overview.won_rollup.notes() == [
        "EUR at 1.05 from 30 Dec 2016",
        "5,000.00 CHF not included (1 deal): no CHF rate on or before 1 Mar 2017",
        "100,000.00 SEK not included (1 deal): no SEK rate on or before 1 Mar 2017",
    ]
    html = response.content.decode()
    assert "10,500.00 USD" in html
    assert overview.won_deals == 3
    assert overview.won_deals_converted == 1
    assert (
        '<span class="muted" data-testid="won-deals">(1 of 3 deals; 2 deals in '
        "CHF and SEK have no rate)</span>"
    ) in html
    assert "EUR at 1.08 from 31 Dec 2025" in html
    assert (
        "700.00 EUR not included (1 line): no EUR rate on or before 1 Oct 2016" in html
    )
    assert "115,000" not in html
    assert 'data-currency="USD"' in html


def test_it_totals_in_the_active_models_reporting_currency(client, rep, account):
    # given a 250,000 SEK invoice and a model reporting in EUR
    ScoringModel.objects.update(is_active=False)
    ScoringModel.objects.create(name="Europe", is_active=True, reporting_currency="EUR")
    product = ProductFactory.create(name="Wartung")
    RevenueLineFactory.create(
        account=account,
        product=product,
        quarter_start=datetime.date(2025, 10, 1),
        amount=Decimal("250000"),
        currency="SEK",
    )
    won(account, product, "1000", 1, "EUR")
    CurrencyRate.objects.create(
        currency="SEK",
        reporting_currency="EUR",
        rate="0.088",
        rate_date=datetime.date(2025, 9, 30),
    )
    CurrencyRate.objects.create(
        currency="SEK", rate="0.095", rate_date=datetime.date(2025, 9, 30)
    )
    client.force_login(rep)

    # when
    response = client.get(reverse("accounts:detail", args=[account.pk]))

    # then
    overview = response.context["overview"]
    assert overview.revenue_by_quarter == [
        {"quarter": "2025-10-01", "product": "Wartung", "amount": 22000.0}
    ]
    html = response.content.decode()
    assert "1,000.00 EUR" in html
    assert "SEK at 0.088 from 30 Sep 2025" in html
    assert 'data-currency="EUR"' in html


def test_a_kwd_reporting_currency_shows_every_fils_on_the_page(client, rep, account):
    # given a model reporting in KWD, a deal in dinars and one in euros
    ScoringModel.objects.update(is_active=False)
    ScoringModel.objects.create(name="Gulf", is_active=True, reporting_currency="KWD")
    product = ProductFactory.create(name="Support")
    won(account, product, "12.345", 1, "KWD")
    won(account, product, "1234.56", 2, "EUR")
    RevenueLineFactory.create(
        account=account,
        product=product,
        quarter_start=datetime.date(2016, 10, 1),
        amount=Decimal("1.5"),
        currency="KWD",
    )
    CurrencyRate.objects.create(
        currency="EUR",
        reporting_currency="KWD",
        rate="0.33",
        rate_date=datetime.date(2016, 1, 1),
    )
    client.force_login(rep)

    # when
    response = client.get(reverse("accounts:detail", args=[account.pk]))

    # then 12.345 + 407.4048 is kept to the fils, rounded half to even
    overview = response.context["overview"]
    assert overview.won_revenue == Decimal("419.750")
    html = response.content.decode()
    assert '<dd data-testid="won-revenue">419.750 KWD <span' in html
    assert "EUR at 0.33 from 1 Jan 2016" in html
    assert 'data-currency="KWD" data-minor-digits="3"' in html


def test_an_imported_account_names_the_currencies_behind_its_money(
    client, ops, settings, tmp_path, django_capture_on_commit_callbacks
):
    # given a Salesforce export with revenue in EUR and deals closed in
    # February and March 2026 in three currencies, and a EUR rate from
    # before them
    settings.MEDIA_ROOT = tmp_path / "media"
    CurrencyRate.objects.create(
        currency="EUR", rate="1.08", rate_date=datetime.date(2026, 1, 31)
    )
    mapped = mapped_import_create_from_paths(
        user=None,
        paths=[
            CURRENCY_FILES / "salesforce_accounts.csv",
            CURRENCY_FILES / "salesforce_opportunities.csv",
        ],
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_start(mapped=mapped, merges={}, keep_good_rows=True)
    mapped.job.refresh_from_db()
    assert mapped.job.status == ImportJob.Status.SUCCEEDED, mapped.job.issues
    account = Account.objects.get(external_id="0015g00000AbCdE2")
    client.force_login(ops)

    # when
    response = client.get(reverse("accounts:detail", args=[account.pk]))

    # then
    html = response.content.decode()
    assert "12,500,000.00 EUR" in html
    assert "about 13.50 M USD; EUR at 1.08 from 31 Jan 2026" in html
    assert "10,800.00 USD" in html
    assert "(1 of 3 deals; 2 deals in CHF and SEK have no rate)" in html
    assert (
        "100,000.00 SEK not included (1 deal): no SEK rate on or before 11 Feb 2026"
        in html
    )
    assert (
        "5,000.00 CHF not included (1 deal): no CHF rate on or before 1 Mar 2026"
        in html
    )


def test_a_company_revenue_shows_exactly_as_stored_with_its_currency(
    client, rep, account
):
    # given
    Account.objects.filter(pk=account.pk).update(
        annual_revenue=Decimal("4999.00"), annual_revenue_currency="USD"
    )
    client.force_login(rep)

    # when
    response = client.get(reverse("accounts:detail", args=[account.pk]))

    # then
    html = response.content.decode()
    assert '<span data-testid="company-revenue">4,999.00 USD</span>' in html
    assert "company-revenue-note" not in html


def test_a_zero_company_revenue_is_shown_apart_from_none(client, rep, account):
    client.force_login(rep)
    Account.objects.filter(pk=account.pk).update(
        annual_revenue=Decimal("0"), annual_revenue_currency="USD"
    )
    zero = client.get(reverse("accounts:detail", args=[account.pk]))
    Account.objects.filter(pk=account.pk).update(
        annual_revenue=None, annual_revenue_currency=""
    )

    blank = client.get(reverse("accounts:detail", args=[account.pk]))

    assert (
        '<span data-testid="company-revenue">0.00 USD</span>' in zero.content.decode()
    )
    assert "<dt>Company revenue</dt><dd>—</dd>" in blank.content.decode()


def test_it_explains_the_current_score(client, rep, account):
    model = ScoringModel.objects.filter(is_active=True).first()
    model = model or ScoringModel.objects.create(name="Default", is_active=True)
    run = ScoreRun.objects.create(
        scoring_model=model, status=ScoreRun.Status.SUCCEEDED, is_current=True
    )
    AccountScore.objects.create(
        run=run,
        account=account,
        performance=60.0,
        potential=80.0,
        quadrant=AccountScore.Quadrant.GROW,
        tier=AccountScore.Tier.B,
        ttm_revenue=Decimal("10000"),
        components={
            "performance": {
                "ttm_revenue": {
                    "raw": 10000.0,
                    "normalised": 80.0,
                    "weight": 50.0,
                    "points": 40.0,
                },
                "growth": {
                    "raw": 0.1,
                    "normalised": 40.0,
                    "weight": 50.0,
                    "points": 20.0,
                },
            },
            "potential": {},
            "peer_group": {"level": "sector", "sector": "retail", "peers": 7},
        },
    )
    client.force_login(rep)

    response = client.get(reverse("accounts:detail", args=[account.pk]))

    html = response.content.decode()
    assert "Why this account scores as it does" in html
    assert "Trailing-12-month won revenue" in html
    assert "67 %" in html  # 40 of the 60 performance points
    assert "10.0 %" in html  # growth shown as a percentage
    assert "sector retail, 7 peers" in html


# One without a rate, so the page also names what it leaves out.
CURRENCIES = ["USD", "EUR", "SEK", "CHF"]


def grow_account(account, rep, start: int, stop: int) -> None:
    """Add revenue lines, won deals, subsidiaries, team members and aliases."""
    products = [ProductFactory.create(name=f"P{index}") for index in range(4)]
    for index in range(start, stop):
        RevenueLineFactory.create(
            account=account,
            product=products[index % 4],
            quarter_start=datetime.date(2000 + index // 4, 1 + 3 * (index % 4), 1),
            currency=CURRENCIES[index % 4],
        )
        won(account, products[index % 4], "10", index, CURRENCIES[index % 3])
        child = AccountFactory.create(name=f"Child {index}", parent=account)
        if index % 2:
            child.team_members.add(rep)
        account.team_members.add(UserFactory.create(username=f"teammate{index}"))
        AccountAlias.objects.create(
            account=account,
            name=f"{account.name} {index} Inc",
            job=ImportJob.objects.create(
                created_by=UserFactory.create(username=f"importer{index}")
            ),
        )


# With a team, relatives, aliases and an account without a plan.
ACCOUNT_PAGE_QUERIES = 19


def page_queries(client, account) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("accounts:detail", args=[account.pk]))
    assert response.status_code == 200
    return len(queries)


def test_the_page_runs_the_same_queries_with_2_or_40_revenue_lines(
    client, rep, account
):
    # The count includes the sections other apps register, so the test
    # compares sizes rather than pinning a number that grows with them.
    client.force_login(rep)
    for currency in ["EUR", "SEK"]:
        CurrencyRate.objects.create(
            currency=currency, rate="0.1", rate_date=datetime.date(2026, 1, 1)
        )
    grow_account(account, rep, 0, 2)
    small = page_queries(client, account)

    grow_account(account, rep, 2, 40)
    large = page_queries(client, account)

    assert account.revenue_lines.count() == 40
    # Session, user, account; the currency and its rates once for every
    # section; revenue, products, relatives with which are visible, team,
    # deals twice, aliases; the score; five for the stakeholder section (no
    # people, so no roles of theirs); the plan, which the account lacks.
    assert small == large == ACCOUNT_PAGE_QUERIES


@pytest.mark.parametrize("who", ["manager", "ops"])
def test_a_manager_and_ops_take_the_same_queries_at_two_sizes(
    request, client, rep, account, who
):
    client.force_login(request.getfixturevalue(who))
    grow_account(account, rep, 0, 2)
    small = page_queries(client, account)

    grow_account(account, rep, 2, 40)
    large = page_queries(client, account)

    assert small == large == ACCOUNT_PAGE_QUERIES


def test_the_page_asks_no_more_whether_the_user_may_edit(client, rep, ops, account):
    # The account was just read through the access rule, so the sections'
    # edit checks answer without asking the database again.
    client.force_login(rep)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("accounts:detail", args=[account.pk]))

    assert response.status_code == 200
    checks = [q["sql"] for q in queries if q["sql"].startswith("SELECT 1 AS")]
    assert checks == [], checks


def test_an_unknown_head_count_shows_a_dash(client, rep, account):
    account.employees = None
    account.save(update_fields=["employees"])
    client.force_login(rep)

    page = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()

    assert "<dt>Employees</dt><dd>—</dd>" in page


def test_the_latest_deals_are_read_in_order_from_an_index(postgres, rep, account):
    # given: an account with many deals, some still open (no close date),
    # and sorting forbidden, so a plan that must sort says so
    product = ProductFactory.create()
    Opportunity.objects.bulk_create(
        Opportunity(
            external_id=f"D-{index:04}",
            account=account,
            product=product,
            owner=rep,
            stage=Opportunity.Stage.WON if index % 3 else Opportunity.Stage.ENGAGING,
            closed_on=datetime.date(2017, 1, 1) + datetime.timedelta(days=index)
            if index % 3
            else None,
        )
        for index in range(300)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_opportunity")

    # when
    sql, params = deal_list_for_account(account=account)[
        :DEALS_SHOWN
    ].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    # then
    assert "opportunity_account_latest" in plan, plan
    assert "Sort" not in plan, plan
    shown = list(deal_list_for_account(account=account)[:3])
    assert [deal.closed_on for deal in shown] == [None, None, None]
