"""Celery tasks for stakeholders: thin wrappers around the services."""

import logging

from celery import shared_task

from config.pending import EnqueueOrLeavePendingTask
from stakeholders.coverage_counts import coverage_counts_fold

logger = logging.getLogger(__name__)


# Sending it twice is harmless: a fold finds nothing marked, or skips the
# marks another fold holds.
@shared_task(base=EnqueueOrLeavePendingTask)
def coverage_counts_fold_task() -> None:
    folded = coverage_counts_fold()
    logger.info("coverage counts folded for %s accounts", folded)
