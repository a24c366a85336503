"""The demo setup with a broker: a real Celery worker scores the bundled data."""

import io
import re

import pytest
from django.core.management import call_command

from scoring.models import ScoreRun

pytestmark = pytest.mark.worker


def test_demo_setup_waits_for_the_worker_to_score(celery_worker: None) -> None:
    out = io.StringIO()

    call_command("demo_setup", stdout=out)

    reported = re.search(r"Score run (\d+): 85 accounts scored", out.getvalue())
    assert reported is not None, out.getvalue()
    run = ScoreRun.objects.get(pk=reported[1])
    assert run.status == ScoreRun.Status.SUCCEEDED, run.message
    assert run.accounts_scored == 85
