import logging

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from accounts.import_liveness import import_job_stalled, import_jobs_stalled_fail
from accounts.models import ImportJob
from accounts.services import maven_import_run
from config.pending import LongTask

logger = logging.getLogger(__name__)


def _import_job_claim(*, job: ImportJob) -> bool:
    # The job may be sent more than once (a retry after a broker outage, the
    # pending-work sweeper); of several deliveries only one runs it. A
    # running one is run again only once its process has died.
    claimable = Q(status=ImportJob.Status.PENDING)
    if import_job_stalled(job=job):
        claimable |= Q(status=ImportJob.Status.RUNNING, updated_at=job.updated_at)
    claimed = ImportJob.objects.filter(claimable, pk=job.pk).update(
        status=ImportJob.Status.RUNNING, updated_at=timezone.now()
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
    if not _import_job_claim(job=job):
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
    if not _import_job_claim(job=job):
        logger.info("mapped import %s is already running elsewhere", job_id)
        return

    job.refresh_from_db()
    mapped_import_run(mapped=job.mapped)


@shared_task
def mapped_imports_abandoned_delete_task() -> None:
    """Delete the wizard imports left unstarted for a week, with their files."""
    from accounts.wizard_discard import mapped_imports_abandoned_delete

    mapped_imports_abandoned_delete()


@shared_task
def import_uploads_expired_delete_task() -> None:
    """Delete the uploaded files of imports that ended LODE_UPLOAD_KEEP_DAYS ago."""
    from accounts.upload_retention import import_uploads_expired_delete

    import_uploads_expired_delete()


@shared_task
def import_jobs_stalled_fail_task() -> None:
    """Mark failed the imports whose process died, so they can run again."""
    import_jobs_stalled_fail()
