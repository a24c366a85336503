import os
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init, celeryd_init

from config.worker import BrokerWatch, StallExit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("lode")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Lost acks sent again, and the heartbeat the worker's health check reads.
app.steps["consumer"].add(BrokerWatch)
# A worker that stops consuming for WORKER_STALL_EXIT_SECONDS exits, so the
# container's restart policy brings a fresh one.
app.steps["worker"].add(StallExit)


# A process learns it is a worker or beat from these signals alone: each is
# sent once at start, before the process opens its first broker connection.
# Web processes, shells and tests never get them and keep the fast-fail
# broker settings.
@celeryd_init.connect
@beat_init.connect
def use_consumer_broker_settings(sender: Any = None, **kwargs: Any) -> None:
    from django.conf import settings

    app.conf.update(settings.CONSUMER_CELERY_SETTINGS)


@app.on_after_finalize.connect
def schedule_nightly_scoring(sender: Celery, **kwargs: object) -> None:
    from django.conf import settings

    sender.add_periodic_task(
        crontab(hour=settings.SCORING_NIGHTLY_HOUR, minute=0),
        sender.signature("scoring.tasks.scoring_nightly_task"),
        name="nightly score run",
    )
    # Work a request recorded as pending while the broker was away.
    sender.add_periodic_task(
        float(settings.PENDING_RESEND_EVERY_SECONDS),
        sender.signature("config.pending.pending_work_resend_task"),
        name="resend pending work",
    )
    # Close each fiscal quarter with a plan snapshot: hourly, so the first run
    # after local midnight on a quarter's first day takes it; the rest no-op.
    sender.add_periodic_task(
        crontab(minute=5),
        sender.signature("plans.tasks.plan_snapshots_quarter_end_task"),
        name="quarter-end plan snapshots",
    )
    # Imports whose process died mid-run are marked failed (nothing of them
    # was written), so they can be checked and started again.
    sender.add_periodic_task(
        float(settings.LODE_IMPORT_STALLED_SECONDS),
        sender.signature("accounts.tasks.import_jobs_stalled_fail_task"),
        name="stalled imports",
    )
    # Wizard imports whose mapping was never confirmed are deleted, with
    # their uploaded files, a week after the upload.
    sender.add_periodic_task(
        crontab(hour=3, minute=30),
        sender.signature("accounts.tasks.mapped_imports_abandoned_delete_task"),
        name="abandoned wizard imports",
    )
    # Imports that ended LODE_UPLOAD_KEEP_DAYS ago lose their uploaded files
    # (their report and undo stay).
    sender.add_periodic_task(
        crontab(hour=3, minute=45),
        sender.signature("accounts.tasks.import_uploads_expired_delete_task"),
        name="expired import uploads",
    )
