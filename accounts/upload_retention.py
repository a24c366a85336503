"""Delete the uploaded files of imports that ended long ago.

An import keeps its uploads under MEDIA_ROOT/imports/<folder>/ so that a
rejected or failed run can be checked and started again. Once it has ended
for settings.LODE_UPLOAD_KEEP_DAYS, the daily sweep deletes them; the row
report (the folder's report/ subfolder), the import's record and its undo
stay. This bounds how long a copy of what users uploaded outlives its use:
erasing a person rewrites the uploads of the imports that held their rows
(accounts.import_erasure), and any other upload that only mentions them is
gone within the same number of days.

A folder is swept only when every import that reads it (a retry shares its
first run's folder) ended before the cut-off, so a folder an import still
reads, or may be reopened to read, is never touched.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import ImportJob

logger = logging.getLogger(__name__)

REPORT_FOLDER = "report"


def uploads_kept_for() -> timedelta:
    return timedelta(days=settings.LODE_UPLOAD_KEEP_DAYS)


def upload_folder(source_directory: str) -> Path | None:
    """Return an import's folder if an upload made it under MEDIA_ROOT.

    Only such a folder is Lode's to rewrite or delete: a directory named
    on the command line belongs to whoever ran it, and an old row may name
    a path elsewhere.
    """
    uploads = (Path(settings.MEDIA_ROOT) / "imports").resolve()
    folder = Path(source_directory)
    if folder.is_dir() and folder.resolve().parent == uploads:
        return folder
    return None


def _uploads_delete(folder: Path) -> int:
    deleted = 0
    for path in folder.iterdir():
        if path.name == REPORT_FOLDER and path.is_dir():
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
        deleted += 1
    return deleted


def import_uploads_expired_delete(*, now: datetime | None = None) -> list[int]:
    """Delete the uploads of imports that ended LODE_UPLOAD_KEEP_DAYS ago.

    Return the ids of the jobs whose uploads were deleted.
    """
    now = now or timezone.now()
    cutoff = now - uploads_kept_for()
    unfinished = ImportJob.objects.filter(
        source_directory=OuterRef("source_directory"),
    ).filter(Q(finished_at=None) | Q(finished_at__gte=cutoff))
    folders = (
        ImportJob.objects.exclude(source_directory="")
        .filter(uploads_removed_at=None)
        .exclude(Exists(unfinished))
        .order_by("source_directory")
        .values_list("source_directory", flat=True)
        .distinct()
    )

    swept: list[int] = []
    for source_directory in folders:
        folder = upload_folder(source_directory)
        if folder is None:
            continue
        _uploads_delete(folder)
        jobs = ImportJob.objects.filter(
            source_directory=source_directory, uploads_removed_at=None
        )
        swept.extend(jobs.values_list("pk", flat=True))
        jobs.update(uploads_removed_at=now)
    if swept:
        logger.info("deleted the uploaded files of imports %s", sorted(swept))
    return sorted(swept)
