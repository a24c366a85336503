"""Discard wizard imports that never started, by hand or after a week.

An import starts when its mapping is confirmed. Before that it holds only
the uploaded files; a user who walks away leaves it in the jobs list, so it
can be discarded there, and the daily sweep removes any left for a week.
"""

import logging
import shutil
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import MappedImport, User
from accounts.upload_retention import upload_folder

logger = logging.getLogger(__name__)

ABANDONED_AFTER = timedelta(days=7)


class DiscardError(Exception):
    """An import that cannot be discarded, in words for the user."""


def _files_delete(mapped: MappedImport) -> None:
    directory = upload_folder(mapped.job.source_directory)
    if directory is not None:
        shutil.rmtree(directory)


def mapped_import_discard(*, mapped: MappedImport, user: User | None) -> None:
    """Delete an import that never started, with its uploaded files."""
    # A rejected run that was reopened is unconfirmed again; one that wrote
    # rows keeps its record of them, for undo.
    if mapped.confirmed_at is not None or mapped.job.row_changes.exists():
        raise DiscardError(
            f"Import {mapped.job_id} has started, so it is kept; undo it "
            "on its report instead."
        )

    job_id = mapped.job_id
    with transaction.atomic():
        mapped.job.delete()
    _files_delete(mapped)
    logger.info(
        "import %s discarded before it started by user %s",
        job_id,
        user.pk if user else None,
    )


def mapped_imports_abandoned_delete(*, older_than: timedelta = ABANDONED_AFTER) -> int:
    """Delete every import that never started and is older than `older_than`."""
    cutoff = timezone.now() - older_than
    abandoned = (
        MappedImport.objects.filter(confirmed_at__isnull=True, created_at__lt=cutoff)
        .exclude(job__row_changes__isnull=False)
        .select_related("job")
    )
    count = 0
    for mapped in abandoned:
        mapped_import_discard(mapped=mapped, user=None)
        count += 1
    if count:
        logger.info("deleted %s imports abandoned before they started", count)
    return count
