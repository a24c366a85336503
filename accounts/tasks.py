import logging
from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from accounts.models import ImportJob
from accounts.services import maven_import_run
from config.pending import LongTask

logger = logging.getLogger(__name__)

# A job still "running" this long after its last change is taken to be from
# a killed worker, and a redelivered task may run it again.
STALE_IMPORT_AFTER = timedelta(minutes=30)


def _import_job_claim(*, job_id: int) -> bool:
    # The job may be sent more than once (a retry after a broker outage, the
    # pending-work sweeper); of several deliveries only one runs it.
    now = timezone.now()
    claimable = Q(status=ImportJob.Status.PENDING) | Q(
        status=ImportJob.Status.RUNNING, updated_at__lt=now - STALE_IMPORT_AFTER
    )
    claimed = ImportJob.objects.filter(claimable, pk=job_id).update(
        status=ImportJob.Status.RUNNING, updated_at=now
    )
    return claimed == 1


@shared_task(base=LongTask, acks_late=True)
def import_job_task(job_id: int) -> None:
    """Run one import job; a job that already finished is left alone."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        logger.warning("import job %s no longer exists", job_id)
        return
    if job.is_finished:
        logger.info("import job %s already finished as %s", job_id, job.status)
        return
    if not _import_job_claim(job_id=job_id):
        logger.info("import job %s is already running elsewhere", job_id)
        return

    job.refresh_from_db()
    maven_import_run(job=job)


@shared_task(base=LongTask, acks_late=True)
def mapped_import_task(job_id: int) -> None:
    """Run one confirmed wizard import; a finished job is left alone."""
    from accounts.wizard import mapped_import_run

    job = ImportJob.objects.filter(pk=job_id).select_related("mapped").first()
    if job is None or not hasattr(job, "mapped"):
        logger.warning("mapped import %s no longer exists", job_id)
        return
    if job.is_finished:
        logger.info("mapped import %s already finished as %s", job_id, job.status)
        return
    if not _import_job_claim(job_id=job_id):
        logger.info("mapped import %s is already running elsewhere", job_id)
        return

    job.refresh_from_db()
    mapped_import_run(mapped=job.mapped)


@shared_task
def mapped_imports_abandoned_delete_task() -> None:
    """Delete the wizard imports left unstarted for a week, with their files."""
    from accounts.wizard_discard import mapped_imports_abandoned_delete

    mapped_imports_abandoned_delete()
