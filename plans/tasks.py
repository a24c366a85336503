"""Background work for plans: closing each fiscal quarter with a snapshot."""

import logging

from celery import shared_task

from plans.review_services import plan_snapshots_quarter_end

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def plan_snapshots_quarter_end_task() -> int:
    """Snapshot every open plan at the end of the fiscal quarter; idempotent."""
    return plan_snapshots_quarter_end()
