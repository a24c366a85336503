"""Celery tasks for scoring: thin wrappers around the run services."""

import logging

from celery import shared_task
from django.db import InterfaceError
from django.db import OperationalError as DatabaseError
from kombu.exceptions import OperationalError as BrokerError

from config.pending import EnqueueOrLeavePendingTask
from scoring.services import (
    score_run_execute,
    score_run_figure_names_refresh,
    score_run_request,
)

logger = logging.getLogger(__name__)

# Only a lost connection is worth another try; a bad input fails the run.
CONNECTION_ERRORS = (BrokerError, DatabaseError, InterfaceError, ConnectionError)
RETRIED = {
    "acks_late": True,
    "autoretry_for": CONNECTION_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 120,
    "max_retries": 5,
}


@shared_task(**RETRIED)
def scoring_run_task(run_id: int) -> None:
    score_run_execute(run_id=run_id)


# A rename's refresh is pending work: its marks wait in the database.
@shared_task(base=EnqueueOrLeavePendingTask, **RETRIED)
def scoring_figure_names_task(run_id: int | None = None) -> None:
    # It redraws the current run, whichever that is when it runs; `run_id`
    # is accepted for messages sent before that.
    score_run_figure_names_refresh()


@shared_task
def scoring_nightly_task() -> None:
    run = score_run_request(trigger="nightly")
    logger.info("Nightly score run %s requested", run.pk)
