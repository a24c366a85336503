"""A people file rewritten while its import reads it is refused, not cut short.

Issue #6: a 1,048,576-row import read only its first 151,014 rows, because
another database's upload, given the same job number and so the same
folder, wrote its own people.csv over the file in place; the run took the
rows read so far for the whole file and refused each of them for a manager
listed further down.
"""

from pathlib import Path

import pytest

from accounts import streaming
from accounts.models import ImportJob
from accounts.wizard import (
    mapped_import_run,
)
from stakeholders import wizard_people
from stakeholders.models import PersonImportRow, Stakeholder
from tests.stakeholders.people_files import (
    started_people_import,
    synthetic_accounts,
    synthetic_people,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_people_file_rewritten_while_read_is_refused_whole(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # given
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 100)
    monkeypatch.setattr(wizard_people, "STAGE_ROWS", 100)
    synthetic_accounts()
    mapped = started_people_import(tmp_path / "people.csv", 2000)
    upload = Path(mapped.files[0]["path"])
    shorter = tmp_path / "shorter.csv"
    synthetic_people(shorter, 100)
    stage = wizard_people.PeopleWrite._stage

    def stage_then_overwrite(self, checked) -> None:
        stage(self, checked)
        if self.staged <= 100:
            # As another upload into the same folder would: in place.
            upload.write_bytes(shorter.read_bytes())

    monkeypatch.setattr(wizard_people.PeopleWrite, "_stage", stage_then_overwrite)

    # when
    with django_capture_on_commit_callbacks(execute=False):
        job = mapped_import_run(mapped=mapped)

    # then
    assert job.status == ImportJob.Status.REJECTED
    assert [(i["file"], i["line"], i["reason"]) for i in job.issues] == [
        (
            "people.csv",
            1,
            "the file changed while it was read, so it may not have been read "
            "whole; start the import again",
        )
    ]
    assert Stakeholder.objects.count() == 0
    assert PersonImportRow.objects.count() == 0
