"""Writes for scoring: request a run, execute it, keep the active model."""

import logging
from collections.abc import Callable
from datetime import timedelta
from time import perf_counter

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accounts.models import Account, ImportJob, User
from scoring.charts import (
    quadrant_figure_account_ids,
    quadrant_figure_build,
    quadrant_figure_names_set,
)
from scoring.computation import (
    ScoringResult,
    idle_accounts_warning,
    score_accounts,
    window_label,
)
from scoring.loading import (
    account_scores_save,
    scoring_frames_load,
    scoring_weights_from_model,
)
from scoring.models import RenamedAccount, ScoreRun, ScoringModel
from scoring.selectors import quartile_from_sorted

logger = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "Default"
# A run still "running" this long after it started is taken to be from a
# killed worker, and a redelivered task may run it again.
STALE_RUN_AFTER = timedelta(minutes=30)


def scoring_model_active() -> ScoringModel:
    """Return the active scoring model, creating the default if none is."""
    model = ScoringModel.objects.filter(is_active=True).first()
    if model is not None:
        return model

    model, _ = ScoringModel.objects.get_or_create(name=DEFAULT_MODEL_NAME)
    ScoringModel.objects.filter(pk=model.pk).update(is_active=True)
    model.is_active = True
    return model


def scoring_window_import_keep(*, job: ImportJob) -> bool:
    """Pin the active model's window where an import chose to keep it.

    Called before the import's score run. Only a model still following the
    latest revenue quarter is pinned: one pinned by hand since the check
    keeps its date. Return whether the model was pinned.
    """
    if job.window != ImportJob.Window.KEEP or job.window_before is None:
        return False

    model = scoring_model_active()
    # A compare-and-set that also moves the version (updated_at), so an
    # editor who read the model before is told it changed.
    pinned = ScoringModel.objects.filter(pk=model.pk, score_as_of__isnull=True).update(
        score_as_of=job.window_before, updated_at=timezone.now()
    )
    if pinned:
        logger.info(
            "Import %s kept the scoring window: model %s scores as of %s",
            job.pk,
            model.pk,
            job.window_before,
        )
    return bool(pinned)


def scoring_window_import_release(*, job: ImportJob) -> bool:
    """Let the active model follow the revenue again once its import is undone.

    Only the date the import pinned is released: a date set by hand since
    is kept. Return whether the model was released.
    """
    if job.window != ImportJob.Window.KEEP or job.window_before is None:
        return False

    model = scoring_model_active()
    released = ScoringModel.objects.filter(
        pk=model.pk, score_as_of=job.window_before
    ).update(score_as_of=None, updated_at=timezone.now())
    if released:
        logger.info(
            "Import %s undone: model %s follows the revenue again", job.pk, model.pk
        )
    return bool(released)


def _score_run_enqueue(run_id: int) -> None:
    from scoring.tasks import scoring_run_task

    # With the broker down the page still answers; the run stays pending
    # and the next request or the nightly run re-sends it.
    try:
        scoring_run_task.delay(run_id)
    except BrokerError:
        logger.exception("Could not enqueue score run %s; it stays pending", run_id)


@transaction.atomic
def score_run_request(
    *, trigger: str, user: User | None = None, import_job: ImportJob | None = None
) -> ScoreRun:
    """Create (or reuse the waiting) pending run and enqueue it on commit.

    `import_job` is the import whose finish asks for the run. A waiting run
    reused for an import keeps the job it already names, if any: it was
    created for that one, and it scores the later import's data too.
    """
    run = (
        ScoreRun.objects.select_for_update()
        .filter(status=ScoreRun.Status.PENDING, started_at__isnull=True)
        .order_by("created_at")
        .first()
    )
    if run is None:
        run = ScoreRun(
            scoring_model=scoring_model_active(),
            trigger=trigger,
            requested_by=user if user and user.is_authenticated else None,
            import_job=import_job,
        )
        run.full_clean()
        run.save()
        logger.info("Score run %s requested (%s)", run.pk, trigger)
    else:
        logger.info("Score run %s already pending; reusing it for %s", run.pk, trigger)
        if import_job is not None and run.import_job_id is None:
            run.import_job = import_job
            run.save(update_fields=["import_job", "updated_at"])

    # Sending a waiting run again is harmless: only one execution claims it.
    run_id = run.pk
    transaction.on_commit(lambda: _score_run_enqueue(run_id))
    return run


def _score_run_claim(*, run_id: int) -> bool:
    now = timezone.now()
    claimable = Q(status=ScoreRun.Status.PENDING) | Q(
        status=ScoreRun.Status.RUNNING, started_at__lt=now - STALE_RUN_AFTER
    )
    claimed = (
        ScoreRun.objects.filter(claimable, pk=run_id).update(
            status=ScoreRun.Status.RUNNING,
            started_at=now,
            finished_at=None,
            message="",
            progress=5,
            updated_at=now,
        )
        == 1
    )
    return claimed


def _score_run_progress(*, run_id: int, progress: int) -> None:
    ScoreRun.objects.filter(pk=run_id).update(
        progress=progress, updated_at=timezone.now()
    )


def score_run_execute(
    *,
    run_id: int,
    batch_size: int | None = None,
    on_batch_saved: Callable[[int], None] | None = None,
) -> ScoreRun:
    """Load, score, save and render one run, then make it current.

    Everything written for the run commits together, and the switch of the
    current run is the transaction's last statement, so a failure at any
    point leaves the previous run current and no partial scores behind.
    A run that already finished, or that another worker holds, is left
    alone. `batch_size` and `on_batch_saved` pass through to the save step.
    """
    if not _score_run_claim(run_id=run_id):
        run = ScoreRun.objects.get(pk=run_id)
        logger.info("Score run %s is %s; nothing to do", run_id, run.status)
        return run

    run = ScoreRun.objects.select_related("scoring_model").get(pk=run_id)
    started = perf_counter()
    try:
        weights = scoring_weights_from_model(model=run.scoring_model)
        frames = scoring_frames_load(reporting_currency=weights.reporting_currency)
        loaded = perf_counter()
        _score_run_progress(run_id=run_id, progress=30)

        result = score_accounts(
            accounts=frames.accounts,
            revenue=frames.revenue,
            products=frames.products,
            weights=weights,
            as_of=run.scoring_model.score_as_of,
            rates=frames.rates,
            signals=frames.signals,
            today=timezone.localdate(),
        )
        scored = perf_counter()
        _score_run_progress(run_id=run_id, progress=60)

        # Drawn before the save, so the scores' new partition is attached
        # (locking the default one against readers) just before the commit.
        # Drawn in a thread beside the save it was no faster at load 10-11.
        run.summary = score_run_summary(
            sectors=frames.accounts["sector"],
            potentials=result.scores["potential"],
            reporting_currency=result.reporting_currency,
            left_out_lines=result.left_out_lines,
        )
        run.summary["window"] = score_run_window(result=result)
        run.summary["revenue_set_aside"] = frames.revenue_set_aside
        run.figure = quadrant_figure_build(
            scores=result.scores,
            names=frames.accounts.set_index("account_id")["name"],
            performance_threshold=weights.performance_threshold,
            potential_threshold=weights.potential_threshold,
            currency=result.reporting_currency,
        )
        rendered = perf_counter()

        with transaction.atomic():
            count = account_scores_save(
                run=run,
                result=result,
                batch_size=batch_size,
                on_batch_saved=on_batch_saved,
            )
            saved = perf_counter()

            run.status = ScoreRun.Status.SUCCEEDED
            # A finished run says what it could not count, e.g. "3 lines in
            # SEK left out: no SEK rate to USD on or before each line's
            # quarter start".
            # And which accounts the window leaves with no revenue at all,
            # e.g. after an import of a few recent deals moved it.
            # And how many account-quarters' won deals invoices replaced.
            run.message = "; ".join(
                text
                for text in (
                    left_out_description(
                        left_out_lines=result.left_out_lines,
                        reporting_currency=result.reporting_currency,
                    ),
                    idle_accounts_warning(
                        idle_accounts=result.idle_accounts, as_of=result.as_of
                    ),
                    set_aside_description(quarters=frames.revenue_set_aside),
                )
                if text
            )
            run.progress = 100
            run.as_of = result.as_of
            run.accounts_scored = count
            run.revenue_lines_read = len(frames.revenue)
            run.finished_at = timezone.now()
            run.timings = {
                "load_seconds": round(loaded - started, 4),
                "score_seconds": round(scored - loaded, 4),
                "save_seconds": round(saved - rendered, 4),
                "render_seconds": round(rendered - scored, 4),
                "total_seconds": round(perf_counter() - started, 4),
            }
            run.save()
            _score_run_make_current(run=run)
    except Exception as error:
        logger.exception("Score run %s failed", run_id)
        ScoreRun.objects.filter(pk=run_id).update(
            status=ScoreRun.Status.FAILED,
            message=str(error) or error.__class__.__name__,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        raise

    logger.info(
        "Score run %s scored %s accounts in %ss",
        run_id,
        run.accounts_scored,
        run.timings["total_seconds"],
    )
    return run


# A hand rename changes no score, so it starts no run: the names drawn in
# the current run's chart follow it here instead. Each rename leaves a
# RenamedAccount mark in its own transaction, and only a refresh deletes
# marks: with the current run locked, after reading the names into its
# chart. A run that becomes current takes the same lock and reads the names
# again (_score_run_make_current), so every rename is either drawn in the
# current chart or still marked, whether it came during a run or while the
# broker was away.

NAMES_READ_BATCH = 5_000


def _score_run_figure_enqueue() -> None:
    from scoring.tasks import scoring_figure_names_task

    # Never raises: with the broker away the marks stay, and the pending
    # work sweep (config.pending) sends the refresh once it is back.
    scoring_figure_names_task.delay()


def score_run_figure_names_request(*, account_ids: list[int]) -> None:
    """Mark the accounts renamed and ask the worker to redraw their names.

    One mark stands for them all, naming the account only when it is one:
    an import that renames a million accounts leaves a mark per chunk, not
    a million for a refresh to read and delete.
    """
    if not account_ids:
        return

    only = account_ids[0] if len(account_ids) == 1 else None
    RenamedAccount.objects.create(account_id=only)
    transaction.on_commit(_score_run_figure_enqueue)


def _figure_names_read(*, figure: dict) -> int:
    """Set the account names in `figure` as stored now; return how many moved."""
    ids = sorted(quadrant_figure_account_ids(figure=figure))
    names: dict[int, str] = {}
    for start in range(0, len(ids), NAMES_READ_BATCH):
        batch = ids[start : start + NAMES_READ_BATCH]
        names.update(Account.objects.filter(pk__in=batch).values_list("pk", "name"))
    return quadrant_figure_names_set(figure=figure, names=names)


def score_run_figure_names_refresh() -> int:
    """Redraw the account names in the current run's chart as they are now.

    Return how many labels changed. The renames marked when this starts
    are drawn, and their marks deleted; later ones stay marked. With no
    run current (or one becoming current meanwhile) every mark stays.
    """
    with transaction.atomic():
        run = ScoreRun.objects.select_for_update().filter(is_current=True).first()
        if run is None:
            return 0

        # Read before the names: every rename marked here has committed.
        marks = list(RenamedAccount.objects.values_list("pk", flat=True))
        if not marks:
            # An earlier refresh drew them: an import's chunks each send one.
            return 0

        moved = _figure_names_read(figure=run.figure) if run.figure else 0
        if moved:
            # updated_at is the chart's version: the browser's copy of it
            # (scoring.views._figure_etag) goes stale with it.
            ScoreRun.objects.filter(pk=run.pk).update(
                figure=run.figure, updated_at=timezone.now()
            )
        RenamedAccount.objects.filter(pk__in=marks).delete()
    logger.info("Redrew %s names in the chart of run %s", moved, run.pk)
    return moved


def score_run_summary(
    *,
    sectors: pd.Series,
    potentials: pd.Series,
    reporting_currency: str = "USD",
    left_out_lines: dict[str, int] | None = None,
) -> dict:
    """Return the figures the portfolio page reads for a user who sees all.

    The sector list for the table's filter, and the top-quartile potential
    threshold of the hidden-gold panel, computed as
    selectors.potential_top_quartile_threshold does; the reporting currency
    and the revenue lines left out per currency for want of a rate.
    """
    ordered = np.sort(potentials.to_numpy(dtype="float64"))
    quartile = None
    if len(ordered):
        index, _ = divmod(3 * (len(ordered) - 1), 4)
        quartile = quartile_from_sorted(
            lower=float(ordered[index]),
            upper=float(ordered[min(index + 1, len(ordered) - 1)]),
            count=len(ordered),
        )
    names = sorted({str(name) for name in sectors.fillna("")})
    return {
        "sectors": names,
        "potential_quartile": quartile,
        "reporting_currency": reporting_currency,
        "left_out_lines": dict(sorted((left_out_lines or {}).items())),
    }


def score_run_window(*, result: ScoringResult) -> dict:
    """Return the run's TTM window: its end, quarters and idle accounts."""
    if result.as_of is None:
        return {}
    return {
        "as_of": result.as_of.isoformat(),
        "label": window_label(result.as_of),
        "idle_accounts": result.idle_accounts,
        "warning": idle_accounts_warning(
            idle_accounts=result.idle_accounts, as_of=result.as_of
        ),
    }


def left_out_description(
    *, left_out_lines: dict[str, int], reporting_currency: str
) -> str:
    """Return the lines left out for want of a rate, in words, or ""."""
    parts = [
        f"{count:,} {'line' if count == 1 else 'lines'} in {currency} left out: "
        f"no {currency} rate to {reporting_currency} on or before each line's "
        "quarter start"
        for currency, count in sorted(left_out_lines.items())
        if count
    ]
    return "; ".join(parts)


def set_aside_description(*, quarters: int) -> str:
    """Return the won-deal revenue that invoices replaced, in words, or ""."""
    if not quarters:
        return ""
    noun = "account-quarter" if quarters == 1 else "account-quarters"
    return f"won-deal revenue of {quarters:,} {noun} set aside: invoices cover them"


def _score_run_make_current(*, run: ScoreRun) -> None:
    # A run that finishes after a newer one must not push it aside.
    current = ScoreRun.objects.select_for_update().filter(is_current=True).first()
    if current is not None and current.pk > run.pk:
        logger.info("Score run %s finished after newer run %s", run.pk, current.pk)
        return

    # The names were read when the run started; a rename since may have
    # been drawn into the current chart and its mark deleted. With that
    # chart locked, no refresh runs until this one is current.
    if run.figure and _figure_names_read(figure=run.figure):
        ScoreRun.objects.filter(pk=run.pk).update(figure=run.figure)
    ScoreRun.objects.filter(is_current=True).update(is_current=False)
    ScoreRun.objects.filter(pk=run.pk).update(is_current=True)
    run.is_current = True
