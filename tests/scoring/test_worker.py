"""Score runs executed by a real Celery worker on Redis and PostgreSQL."""

import time
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Account, RevenueLine
from scoring import selectors
from scoring.models import AccountScore, ScoreRun
from scoring.services import score_run_request
from tests.accounts.factories import AccountFactory, ProductFactory

pytestmark = pytest.mark.worker

FINISHED = {ScoreRun.Status.SUCCEEDED, ScoreRun.Status.FAILED}


def run_finished(run: ScoreRun, timeout: float = 60) -> ScoreRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in FINISHED:
            return run
        time.sleep(0.2)
    pytest.fail(f"score run {run.pk} still {run.status} after {timeout}s")


def portfolio_create(size: int) -> list[Account]:
    product = ProductFactory.create(name="GTX Pro")
    accounts = [
        AccountFactory.create(name=f"Worker account {index}") for index in range(size)
    ]
    RevenueLine.objects.bulk_create(
        RevenueLine(
            account=account,
            product=product,
            quarter_start=date(2017, 4, 1),
            amount=Decimal(500 * (index + 1)),
        )
        for index, account in enumerate(accounts)
    )
    return accounts


def test_the_worker_executes_a_requested_run(celery_worker: None) -> None:
    # given
    portfolio_create(size=8)

    # when the run is requested, committed and sent to Redis
    run = score_run_request(trigger="manual")
    run = run_finished(run)

    # then
    assert run.status == ScoreRun.Status.SUCCEEDED, run.message
    assert run.is_current
    assert run.accounts_scored == 8
    assert AccountScore.objects.filter(run=run).count() == 8
    assert run.figure is not None
    assert sum(len(trace["x"]) for trace in run.figure["data"]) == 8
    assert selectors.score_run_current() == run


def test_a_run_failing_in_the_worker_leaves_the_previous_current(
    celery_worker: None,
) -> None:
    # given a current run
    accounts = portfolio_create(size=5)
    previous = run_finished(score_run_request(trigger="manual"))
    assert previous.is_current

    # and revenue too large for a stored score: the save step refuses it
    # before it writes
    product = ProductFactory.create(name="MG Advanced")
    RevenueLine.objects.bulk_create(
        RevenueLine(
            account=accounts[-1],
            product=product,
            quarter_start=date(2017, month, 1),
            amount=Decimal("90000000000000.00"),
        )
        for month in (7, 10)
    )

    # when
    failing = run_finished(score_run_request(trigger="manual"))
    previous.refresh_from_db()

    # then
    assert failing.status == ScoreRun.Status.FAILED
    assert failing.message == (
        f"Account {accounts[-1].pk} has a TTM revenue of 180,000,000,002,500.00: "
        "a score holds at most 14 digits before the decimal point. Check that "
        "account's revenue lines."
    )
    assert not failing.is_current
    assert AccountScore.objects.filter(run=failing).count() == 0
    assert previous.is_current
    assert AccountScore.objects.filter(run=previous).count() == 5
