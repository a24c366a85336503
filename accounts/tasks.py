import logging

from celery import shared_task

from accounts.models import ImportJob
from accounts.services import maven_import_run

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def import_job_task(job_id: int) -> None:
    """Run one import job; a job that already finished is left alone."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        logger.warning("import job %s no longer exists", job_id)
        return
    if job.is_finished:
        logger.info("import job %s already finished as %s", job_id, job.status)
        return

    maven_import_run(job=job)
