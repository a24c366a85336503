"""A rename made while Redis is stalled reaches the chart once it is back.

With a real prefork worker and beat, through the stalling proxy
(tests.security.redis_proxy): the rename answers in time, stays marked in
PostgreSQL, and beat's sweep has the worker redraw the current chart,
with no score run.
"""

import pytest
from django.urls import reverse

from accounts.models import Account, User
from scoring.models import RenamedAccount, ScoreRun
from scoring.services import score_run_request
from tests.accounts.conftest import api_for
from tests.accounts.factories import UserFactory
from tests.scoring.test_runs import portfolio_create
from tests.security import redis_proxy as proxies
from tests.security import test_worker_stall as stall
from tests.security.redis_proxy import RedisProxy, proxied_url, proxy_holds
from tests.security.test_broker_outage import (
    ANSWER_WITHIN_SECONDS,
    FINISHED_RUN,
    finished,
    timed,
    web_broker,
)
from tests.security.test_worker_stall import beat_sent_the_sweep, eventually

heartbeat_file = stall.heartbeat_file
celery_worker_env = stall.celery_worker_env
celery_beat = stall.celery_beat
redis_proxy = proxies.redis_proxy


@pytest.fixture
def redis_url(redis_proxy: RedisProxy, settings) -> str:
    return proxied_url(redis_proxy, settings.REDIS_URL)


@pytest.fixture
def celery_worker_pool() -> list[str]:
    return ["--pool=prefork", "--concurrency=2"]


def names_drawn(run: ScoreRun) -> set[str]:
    run.refresh_from_db()
    assert run.figure is not None
    return {
        label.split("</b>")[0].removeprefix("<b>")
        for trace in run.figure["data"]
        if "customdata" in trace
        for label in trace.get("text", [])
    }


@pytest.mark.worker
def test_a_rename_while_redis_is_stalled_reaches_the_chart_after(
    redis_proxy, redis_url, celery_worker, celery_beat
):
    # given a current run, drawn by the worker, and beat sending its sweeps
    accounts = portfolio_create(size=4)
    with web_broker(redis_url):
        scored = finished(score_run_request(trigger="manual"), FINISHED_RUN)
    assert scored.status == ScoreRun.Status.SUCCEEDED, scored.message
    eventually(lambda: beat_sent_the_sweep(celery_beat), "beat's first sweep", 90)
    renamed = accounts[0]
    api = api_for(UserFactory.create(username="olga", role=User.Role.OPS))
    url = reverse("accounts_api:detail", args=[renamed.pk])
    etag = api.get(url)["ETag"]

    # when the account is renamed while Redis passes nothing
    redis_proxy.stall()
    try:
        with web_broker(redis_url):
            response, seconds = timed(
                lambda: api.patch(
                    url, {"name": "Renamed 0000"}, format="json", HTTP_IF_MATCH=etag
                )
            )
        marked = list(RenamedAccount.objects.values_list("account", flat=True))
        drawn_during_stall = names_drawn(scored)
        held_throughout = proxy_holds(redis_url)
    finally:
        redis_proxy.resume()

    # then the rename answered in time, and waits marked in the database
    assert held_throughout
    assert response.status_code == 200
    assert seconds < ANSWER_WITHIN_SECONDS
    assert marked == [renamed.pk]
    assert "Account 0000" in drawn_during_stall

    # and once Redis answers, the worker (sent by the sweep) draws the name in
    # the same run's chart, with no new run, and unmark it
    eventually(lambda: "Renamed 0000" in names_drawn(scored), "the name drawn", 60)
    assert "Account 0000" not in names_drawn(scored)
    eventually(lambda: not RenamedAccount.objects.exists(), "the mark deleted")
    assert ScoreRun.objects.get(is_current=True).pk == scored.pk
    assert ScoreRun.objects.count() == 1
    assert Account.objects.get(pk=renamed.pk).name == "Renamed 0000"
