"""Background work for plans: quarter-end snapshots, stored dashboards."""

import logging

from celery import shared_task

from config.pending import LongTask
from plans.dashboard_summaries import (
    dashboard_summaries_refresh,
    dashboard_summary_refresh,
)
from plans.review_services import plan_snapshots_quarter_end
from scoring.tasks import scoring_run_task

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def plan_snapshots_quarter_end_task() -> int:
    """Snapshot every open plan at the end of the fiscal quarter; idempotent."""
    return plan_snapshots_quarter_end()


# A LongTask: with no broker it builds in a thread of the web process, never
# inside the request that asked for it.
@shared_task(
    base=LongTask,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def dashboard_summary_refresh_task(summary_id: int) -> None:
    """Build one stored dashboard (again) on the current data; idempotent."""
    dashboard_summary_refresh(summary_id=summary_id)


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def dashboard_summaries_refresh_task() -> int:
    """Build again the stored dashboards too large to build in a request."""
    built = dashboard_summaries_refresh()
    logger.info("Built %s stored dashboards again", built)
    return built


def on_score_run_finished(sender: object = None, **kwargs: object) -> None:
    """Once a score run's task has finished, refresh the large dashboards."""
    if getattr(sender, "name", None) != scoring_run_task.name:
        return

    try:
        dashboard_summaries_refresh_task.delay()
    except Exception:
        # Their pages say how old their figures are and ask again.
        logger.exception("Could not enqueue the dashboards' refresh")
