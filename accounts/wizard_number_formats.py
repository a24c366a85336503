"""Choose the number format a wizard import reads a file's amounts in.

Each amount column's decimal mark is detected from its own values, and a
column that cannot tell is asked (accounts.wizard._decide). A file can
instead be given one format for all its amounts, named by example as
accounts.parsing.NUMBER_FORMATS names them; a value written otherwise is
refused, never guessed. A workbook's number cells were never written in
any format: each is read as its value, and only its text cells are held
to the choice. The page, the command line and the API all record that
choice here, per file, and the mapping saved for the file's headers keeps
it for the next such file.
"""

from collections.abc import Mapping
from typing import Any

from accounts.models import MappedImport
from accounts.parsing import NUMBER_FORMATS
from accounts.wizard import WizardError
from accounts.wizard_sheets import mapped_import_files_choose

# The choice that detects each column's decimal mark, as today.
DETECT = "detect"
# The formats as the forms offer them, after detection: (value, label).
NUMBER_FORMAT_CHOICES = [
    ("1,234.56", "1,234.56 (point decimal)"),
    ("1.234,56", "1.234,56 (comma decimal)"),
    ("1 234,56", "1 234,56 (space thousands, comma decimal)"),
]


def number_format_read(choice: str) -> str | None:
    """Return the number format a choice names; None detects. Refuse others."""
    text = choice.strip()
    if text in ("", DETECT):
        return None
    # A no-break space is what a copied "1 234,56" often holds.
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    if text in NUMBER_FORMATS:
        return text
    raise WizardError(
        f"Unknown number format {choice!r}: choose {DETECT}, "
        + ", ".join(repr(name) for name in NUMBER_FORMATS)
        + "."
    )


def mapped_import_number_formats_choose(
    *, mapped: MappedImport, formats: Mapping[str, str | None]
) -> None:
    """Record the number format of each named file; None or "detect" detects."""

    def record(file: dict[str, Any], choice: str | None) -> None:
        number_format = number_format_read(choice or "")
        # Looked at: "detect" is not undone by the format saved for the headers.
        file["number_format_looked"] = True
        if number_format is None:
            file.pop("number_format", None)
        else:
            file["number_format"] = number_format

    mapped_import_files_choose(
        mapped=mapped, choices=formats, record=record, what="number formats"
    )
