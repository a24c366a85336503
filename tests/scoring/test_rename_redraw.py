"""A hand rename redraws the account's name in the current run's chart.

A rename changes no score, so it starts no run; the worker writes the new
name into the stored chart's labels, and the chart's ETag moves with it.
The rename is marked in the database as it commits, so one made while the
broker is away reaches the chart once it is back, and one made during a
score run reaches that run's chart too.
"""

import socket
import threading
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from django.db import connections
from django.urls import reverse

from accounts.models import Account, RevenueLine, RevenueQuarter
from accounts.services import account_update
from config.pending import pending_work_resend
from scoring.charts import quadrant_figure_build, quadrant_figure_names_set
from scoring.models import RenamedAccount, ScoreRun
from scoring.services import (
    score_run_execute,
    score_run_figure_names_refresh,
    score_run_request,
    scoring_model_active,
)
from tests.accounts.conftest import api_for
from tests.accounts.factories import AccountFactory, ProductFactory
from tests.security.test_broker_outage import TableLock, web_broker


def figure_of(
    names: dict[int, str], *, count: int | None = None, currency: str = "USD"
) -> dict:
    ids = list(names)
    scores = pd.DataFrame(
        {
            "performance": [10.0 + index for index in range(len(ids))],
            "potential": [20.0 + index for index in range(len(ids))],
            "ttm_revenue": [1000.0 * (index + 1) for index in range(len(ids))],
            "tier": ["C"] * len(ids),
            "quadrant": ["monitor"] * len(ids),
        },
        index=ids,
    )
    return quadrant_figure_build(
        scores=scores,
        names=pd.Series(names),
        performance_threshold=50.0,
        potential_threshold=50.0,
        currency=currency,
    )


def labels(figure: dict) -> list[str]:
    return sorted(
        label
        for trace in figure["data"]
        if "customdata" in trace
        for label in trace.get("text", [])
    )


def test_a_new_name_replaces_only_the_name_part_of_a_label() -> None:
    figure = figure_of({1: "Acme", 2: "Globex"})

    moved = quadrant_figure_names_set(
        figure=figure, names={1: "<img src=x onerror=alert(1)>", 2: "Globex"}
    )

    assert moved == 1
    assert labels(figure) == [
        "<b>&lt;img src=x onerror=alert(1)&gt;</b><br>Performance 10 · "
        "Potential 20<br>TTM revenue 1,000.00 USD · Tier C",
        "<b>Globex</b><br>Performance 11 · Potential 21<br>"
        "TTM revenue 2,000.00 USD · Tier C",
    ]


def test_a_label_says_the_revenue_in_the_runs_currency_and_its_decimals() -> None:
    kwd = figure_of({1: "Dinar Trading"}, currency="KWD")
    jpy = figure_of({1: "Yen Works"}, currency="JPY")

    assert labels(kwd) == [
        "<b>Dinar Trading</b><br>Performance 10 · Potential 20<br>"
        "TTM revenue 1,000.000 KWD · Tier C"
    ]
    assert labels(jpy) == [
        "<b>Yen Works</b><br>Performance 10 · Potential 20<br>"
        "TTM revenue 1,000 JPY · Tier C"
    ]


def test_the_webgl_shape_is_renamed_through_its_typed_ids(monkeypatch) -> None:
    monkeypatch.setattr("scoring.charts.SVG_POINTS_MAX", 1)
    figure = figure_of({7: "Acme", 8: "Globex"})
    assert figure["data"][0]["type"] == "scattergl"

    moved = quadrant_figure_names_set(figure=figure, names={8: "Globex & Co"})

    assert moved == 1
    assert labels(figure)[1].startswith("<b>Globex &amp; Co</b><br>")


@pytest.fixture
def scored(django_capture_on_commit_callbacks, account: Account) -> ScoreRun:
    product = ProductFactory.create(name="GTX Pro")
    for index, scored_account in enumerate(
        [account, AccountFactory.create(name="Globex")]
    ):
        RevenueLine.objects.create(
            account=scored_account,
            product=product,
            quarter_start=date(2017, 4, 1),
            amount=Decimal(1000 * (index + 1)),
        )
    with django_capture_on_commit_callbacks(execute=True):
        score_run_request(trigger="manual")
    return ScoreRun.objects.get(is_current=True)


@pytest.mark.django_db
def test_a_rename_through_the_api_redraws_the_chart_and_moves_its_etag(
    client, ops, account, scored, django_capture_on_commit_callbacks
) -> None:
    # given: the chart as someone who sees all read it
    client.force_login(ops)
    before = client.get(reverse("scoring:portfolio_figure"))
    api = api_for(ops)
    url = reverse("accounts_api:detail", args=[account.pk])
    etag = api.get(url)["ETag"]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(
            url, {"name": "Acme & <Sons>"}, format="json", HTTP_IF_MATCH=etag
        )

    # then
    assert response.status_code == 200
    run = ScoreRun.objects.get(is_current=True)
    assert run.pk == scored.pk
    assert run.figure is not None and scored.figure is not None
    shown = labels(run.figure)
    assert [label.split("</b>")[0] for label in shown] == [
        "<b>Acme &amp; &lt;Sons&gt;",
        "<b>Globex",
    ]
    # The scores in each label are the run's, untouched.
    assert [label.split("</b>")[1] for label in shown] == [
        label.split("</b>")[1] for label in labels(scored.figure)
    ]
    again = client.get(
        reverse("scoring:portfolio_figure"), HTTP_IF_NONE_MATCH=before["ETag"]
    )
    assert again.status_code == 200
    assert again.json()["figure"] == run.figure


@pytest.mark.django_db
def test_a_refresh_with_nothing_renamed_leaves_the_run_as_it_was(scored) -> None:
    moved = score_run_figure_names_refresh()

    run = ScoreRun.objects.get(pk=scored.pk)
    assert moved == 0
    assert run.updated_at == scored.updated_at
    assert run.figure == scored.figure


def names_drawn(run: ScoreRun) -> list[str]:
    """The account names in the run's chart labels, sorted."""
    run.refresh_from_db()
    assert run.figure is not None
    return sorted(
        label.split("</b>")[0].removeprefix("<b>") for label in labels(run.figure)
    )


def port_nothing_listens_on() -> int:
    """A local port of ours that refuses connections, as a stopped broker."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_a_rename_while_the_broker_is_down_reaches_the_chart_once_it_is_back(
    ops, account, scored, django_capture_on_commit_callbacks
) -> None:
    # given a rename committed while the broker refuses every connection
    api = api_for(ops)
    url = reverse("accounts_api:detail", args=[account.pk])
    etag = api.get(url)["ETag"]
    stopped = f"redis://127.0.0.1:{port_nothing_listens_on()}/5"
    with web_broker(stopped), django_capture_on_commit_callbacks(execute=True):
        response = api.patch(
            url, {"name": "Acme Holdings"}, format="json", HTTP_IF_MATCH=etag
        )
    assert response.status_code == 200
    assert names_drawn(scored) == ["Acme Corporation", "Globex"]
    assert list(RenamedAccount.objects.values_list("account", flat=True)) == [
        account.pk
    ]

    # when the broker is back and the pending work is sent again
    sent = pending_work_resend(older_than=timedelta(0))

    # then the refresh ran once and drew the new name; nothing is left
    assert sent["chart_names"] == 1
    assert names_drawn(scored) == ["Acme Holdings", "Globex"]
    assert not RenamedAccount.objects.exists()
    assert pending_work_resend(older_than=timedelta(0))["chart_names"] == 0


@pytest.mark.django_db
def test_a_rename_before_any_run_is_current_waits_for_one(ops, account) -> None:
    # given a rename with no chart drawn yet, its refresh lost
    RenamedAccount.objects.create(account=account)

    # when
    moved = score_run_figure_names_refresh()

    # then the mark stays, and the sweep does not send it for nothing
    assert moved == 0
    assert RenamedAccount.objects.count() == 1
    assert pending_work_resend(older_than=timedelta(0))["chart_names"] == 0


def _run_elsewhere(run_id: int, outcome: dict[str, ScoreRun]) -> None:
    """Execute the run in a connection of its own, as a worker would."""
    try:
        outcome["run"] = score_run_execute(run_id=run_id)
    finally:
        connections.close_all()


def test_a_rename_during_a_score_run_reaches_that_runs_chart(
    postgres, transactional_db, ops, account
) -> None:
    # given a current run
    product = ProductFactory.create(name="GTX Pro")
    for index, scored_account in enumerate(
        [account, AccountFactory.create(name="Globex")]
    ):
        RevenueLine.objects.create(
            account=scored_account,
            product=product,
            quarter_start=date(2017, 4, 1),
            amount=Decimal(1000 * (index + 1)),
        )
    first = score_run_request(trigger="manual")  # run on commit, in process
    # and a second run that has read the account names and waits on a lock
    # before it reads the revenue (created as it is, so that nothing else
    # runs it)
    second = ScoreRun.objects.create(
        scoring_model=scoring_model_active(), trigger="manual"
    )
    lock = TableLock(RevenueQuarter)
    outcome: dict[str, ScoreRun] = {}
    try:
        lock.take()
        worker = threading.Thread(target=_run_elsewhere, args=(second.pk, outcome))
        worker.start()
        lock.waited_on()

        # when the account is renamed, and its refresh runs (on commit, in
        # process) on the current run, the first
        account.refresh_from_db()
        account_update(
            account=account,
            user=ops,
            data={"name": "Acme Holdings"},
            expected_version=account.updated_at,
        )
        assert names_drawn(first) == ["Acme Holdings", "Globex"]
        assert not RenamedAccount.objects.exists()
    finally:
        lock.close()
    worker.join(timeout=60)

    # then the second run, now current, draws the new name too, though the
    # refresh had unmarked the rename before the run became current
    second = outcome["run"]
    assert second.status == ScoreRun.Status.SUCCEEDED, second.message
    assert ScoreRun.objects.get(is_current=True).pk == second.pk
    assert names_drawn(second) == ["Acme Holdings", "Globex"]
