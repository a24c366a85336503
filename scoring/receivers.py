"""Signal receivers: other apps' events that start a score run or that an
import checks with us before it writes."""

import logging

from accounts.import_checks import import_check_register, import_forecast_register
from accounts.models import ImportJob, MappedImport
from accounts.signals import account_renamed, import_finished
from scoring.selectors import scoring_window_forecast, scoring_window_move_check
from scoring.services import (
    score_run_figure_names_request,
    score_run_request,
    scoring_window_import_keep,
    scoring_window_import_release,
)

logger = logging.getLogger(__name__)


def import_finished_score(sender: object, **kwargs: object) -> None:
    job = kwargs.get("job")
    if isinstance(job, ImportJob):
        # An undo sends this too; the window the import kept is released.
        mapped = MappedImport.objects.filter(job=job).first()
        if mapped is not None and mapped.undone_at is not None:
            scoring_window_import_release(job=job)
        elif job.status == ImportJob.Status.SUCCEEDED:
            scoring_window_import_keep(job=job)
    run = score_run_request(
        trigger="import", import_job=job if isinstance(job, ImportJob) else None
    )
    logger.info("Import finished; score run %s requested", run.pk)


def account_renamed_figure(sender: object, **kwargs: object) -> None:
    account_ids = kwargs.get("account_ids")
    if not isinstance(account_ids, list):
        return
    score_run_figure_names_request(account_ids=account_ids)
    logger.info("Accounts %s renamed; the chart's names requested", account_ids)


def receivers_connect() -> None:
    import_finished.connect(
        import_finished_score, dispatch_uid="scoring.import_finished_score"
    )
    account_renamed.connect(
        account_renamed_figure, dispatch_uid="scoring.account_renamed_figure"
    )
    import_check_register(key="scoring.window", check=scoring_window_move_check)
    import_forecast_register(key="scoring.window", forecast=scoring_window_forecast)
