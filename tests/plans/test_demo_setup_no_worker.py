"""The demo setup with a broker and no worker scores in process."""

import io
import re

import pytest
from django.core.management import call_command

from config.celery import app as celery_app
from scoring.models import ScoreRun

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_setup_scores_in_process_when_no_worker_reads_the_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a broker that takes every task and no worker that runs one
    sent: list[int] = []
    # The autouse eager_tasks fixture turns eager mode back on afterwards.
    celery_app.conf.task_always_eager = False
    monkeypatch.setattr(
        "scoring.services._score_run_enqueue", lambda run_id: sent.append(run_id)
    )
    out = io.StringIO()

    # when
    call_command("demo_setup", stdout=out)

    # then
    reported = re.search(r"Score run (\d+): 85 accounts scored", out.getvalue())
    assert reported is not None, out.getvalue()
    run = ScoreRun.objects.get(pk=reported[1])
    assert (run.status, run.is_current, run.accounts_scored) == (
        ScoreRun.Status.SUCCEEDED,
        True,
        85,
    )
    assert int(reported[1]) in sent
    assert ScoreRun.objects.filter(status=ScoreRun.Status.PENDING).count() == 0
