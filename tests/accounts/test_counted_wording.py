"""Counted phrases in the import's progress agree with their number."""

from accounts.wizard import _writing_text


def test_the_progress_names_no_count_before_the_first_row() -> None:
    assert _writing_text("accounts", 0) == "Writing accounts"


def test_the_progress_counts_one_row_in_the_singular() -> None:
    assert _writing_text("accounts", 1) == "Writing accounts: 1 row so far"


def test_the_progress_counts_rows_in_the_plural() -> None:
    assert _writing_text("deals", 2500) == "Writing deals: 2,500 rows so far"
