"""Choose which row of an uploaded file a wizard import reads as its header.

The header is found below a report's title lines (accounts.tabular
header_find); where that may be wrong the preview says why, and the page,
the command line and the API all record the user's choice here, per file.
"""

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from accounts.importing import ImportFileError
from accounts.models import MappedImport
from accounts.streaming import table_chunks
from accounts.tabular import HeaderRead
from accounts.wizard import WizardError
from accounts.wizard_sheets import mapped_import_files_choose

logger = logging.getLogger(__name__)

# Enough rows to read the header; the rows are read again for the preview.
_HEAD_ROWS = 10


def mapped_import_headers_choose(
    *, mapped: MappedImport, headers: Mapping[str, int | None]
) -> None:
    """Record the header row of each named file; None finds it again."""

    def record(file: dict[str, Any], line: int | None) -> None:
        if line is not None and (isinstance(line, bool) or line < 1):
            raise WizardError(
                f"{file['name']}: the header row is a line number from 1."
            )
        header_read_for(file=file, line=line)
        if line is None:
            file.pop("header_line", None)
        else:
            file["header_line"] = line

    mapped_import_files_choose(
        mapped=mapped, choices=headers, record=record, what="header rows"
    )


def header_read_for(*, file: Mapping, line: int | None) -> HeaderRead:
    """Read a stored file's header at `line`, or refuse it in words."""
    chunks = table_chunks(
        path=Path(file["path"]),
        file=file["name"],
        rows=_HEAD_ROWS,
        sheet=file.get("sheet"),
        header_line=line,
        delimiter=file.get("delimiter"),
    )
    try:
        table = next(chunks)
    except ImportFileError as error:
        raise WizardError(str(error)) from error
    finally:
        chunks.close()
    assert table.header is not None
    return table.header
