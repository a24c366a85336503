import os
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from django.db.models.signals import post_save
from openpyxl import Workbook

from accounts import streaming
from accounts.importing import ImportFileError
from accounts.models import Account, ImportJob, Opportunity, RevenueLine
from accounts.streaming import table_chunks
from accounts.tabular import table_read
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create,
    mapped_import_create_from_paths,
    mapped_import_files_read,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
)

BYOD = Path(__file__).parent / "fixtures" / "byod"
READABLE = sorted(
    path
    for path in BYOD.iterdir()
    if path.suffix in (".csv", ".tsv") and path.name != "not_text.csv"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("path", READABLE, ids=lambda path: path.name)
@pytest.mark.parametrize("rows", [1, 2, 1000])
def test_chunks_hold_the_same_rows_lines_and_notes_as_one_read(
    path: Path, rows: int
) -> None:
    whole = table_read(content=path.read_bytes(), file=path.name)

    chunks = list(table_chunks(path=path, file=path.name, rows=rows))

    frame = pd.concat([chunk.frame for chunk in chunks], ignore_index=True)
    assert frame.equals(whole.frame.reset_index(drop=True))
    assert [line for chunk in chunks for line in chunk.lines] == whole.lines
    # The note on rows short of the header comes with the last chunk.
    notes = sorted(
        (note for chunk in chunks for note in chunk.notes), key=lambda n: n.line
    )
    assert notes == whole.notes
    assert {(chunk.encoding, chunk.delimiter) for chunk in chunks} == {
        (whole.encoding, whole.delimiter)
    }


def test_a_file_neither_utf8_nor_windows_1252_is_refused_with_the_byte() -> None:
    path = BYOD / "not_text.csv"

    with pytest.raises(ImportFileError) as refused:
        list(table_chunks(path=path, file=path.name))

    assert refused.value.message == (
        "byte 23 (0x81) is neither UTF-8 nor Windows-1252; save the file as "
        "UTF-8 CSV and upload it again"
    )


def test_a_quote_left_open_far_down_a_file_stops_the_chunks(tmp_path: Path) -> None:
    path = tmp_path / "openq.csv"
    good = "".join(f"Firm {number},{number},Norway\n" for number in range(10))
    path.write_text(
        "Account Name,Annual Revenue,Billing Country\n"
        + good
        + '"Open Quote Co,100,Norway\nAfter One,300,Norway\n'
    )

    chunks = table_chunks(path=path, file="openq.csv", rows=2)
    heads = [next(chunks), next(chunks)]
    with pytest.raises(ImportFileError) as refused:
        list(chunks)

    assert [head.lines for head in heads] == [[2, 3], [4, 5]]
    assert refused.value.message.startswith(
        "a quoted value that starts on line 12 is never closed;"
    )


def test_a_file_rewritten_while_it_is_read_is_refused_not_cut_short(
    tmp_path: Path,
) -> None:
    # given
    path = tmp_path / "firms.csv"
    header = "Account Name,Annual Revenue,Billing Country\n"
    rows = [f"Firm {number},{number},Norway\n" for number in range(2000)]
    path.write_text(header + "".join(rows))
    chunks = table_chunks(path=path, file="firms.csv", rows=100)
    first = next(chunks)

    # when: another upload writes its own, shorter file over it, in place
    with path.open("w") as other:
        other.write(header + "".join(rows[:10]))

    # then
    with pytest.raises(ImportFileError) as refused:
        list(chunks)
    assert first.lines[0] == 2
    assert refused.value.message == (
        "the file changed while it was read, so it may not have been read "
        "whole; start the import again"
    )


def _firms_workbook(path: Path, count: int) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Account Name", "Annual Revenue", "Billing Country"])
    for number in range(count):
        sheet.append([f"Firm {number}", number, "Norway"])
    workbook.save(path)


def test_a_workbook_rewritten_while_it_is_read_is_refused_not_cut_short(
    tmp_path: Path,
) -> None:
    # given
    path = tmp_path / "firms.xlsx"
    _firms_workbook(path, 2000)
    shorter = tmp_path / "shorter.xlsx"
    _firms_workbook(shorter, 10)
    chunks = table_chunks(path=path, file="firms.xlsx", rows=100)
    first = next(chunks)

    # when: another upload writes its own, shorter workbook over it, in place
    with path.open("r+b") as other:
        other.write(shorter.read_bytes())
        other.truncate()

    # then
    with pytest.raises(ImportFileError) as refused:
        list(chunks)
    assert first.lines[:2] == [2, 3]
    assert refused.value.message == (
        "the file changed while it was read, so it may not have been read "
        "whole; start the import again"
    )


def test_a_workbook_touched_while_it_is_read_is_refused(tmp_path: Path) -> None:
    # given
    path = tmp_path / "firms.xlsx"
    _firms_workbook(path, 300)
    chunks = table_chunks(path=path, file="firms.xlsx", rows=100)
    next(chunks)

    # when: the same bytes written again, in place: only the time moves
    content = path.read_bytes()
    before = path.stat()
    with path.open("r+b") as other:
        other.write(content)
    # The clock that stamps files is coarse: move the time past any doubt.
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))

    # then
    with pytest.raises(ImportFileError) as refused:
        list(chunks)
    assert refused.value.message == (
        "the file changed while it was read, so it may not have been read "
        "whole; start the import again"
    )


def test_an_unchanged_workbook_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "firms.xlsx"
    _firms_workbook(path, 300)

    chunks = list(table_chunks(path=path, file="firms.xlsx", rows=100))

    assert [len(chunk.lines) for chunk in chunks] == [100, 100, 100]
    assert chunks[-1].frame.iloc[-1].tolist() == ["Firm 299", "299", "Norway"]


@pytest.mark.django_db
def test_two_uploads_under_the_same_job_number_keep_their_own_files(
    settings, tmp_path: Path
) -> None:
    # given: another database sharing MEDIA_ROOT has an import under the
    # number this one's job gets, still being read
    kept = b"Account Name\nTheirs\n"

    def theirs(instance: ImportJob, created: bool, **kwargs: object) -> None:
        if created:
            folder = Path(settings.MEDIA_ROOT) / "imports" / str(instance.pk)
            folder.mkdir(parents=True)
            (folder / "firms.csv").write_bytes(kept)

    post_save.connect(theirs, sender=ImportJob)
    try:
        # when
        mapped = mapped_import_create(
            user=None, files=[("firms.csv", b"Account Name\nOurs\n")]
        )
    finally:
        post_save.disconnect(theirs, sender=ImportJob)

    # then
    other = Path(settings.MEDIA_ROOT) / "imports" / str(mapped.job_id)
    assert (other / "firms.csv").read_bytes() == kept
    ours = Path(mapped.files[0]["path"])
    assert ours.parent != other
    assert ours.read_bytes() == b"Account Name\nOurs\n"


def test_an_xlsx_workbook_streams_in_chunks(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Account Name", "Employees"])
    for number in range(5):
        sheet.append([f"Firm {number}", number * 10])
    path = tmp_path / "firms.xlsx"
    workbook.save(path)

    chunks = list(table_chunks(path=path, file="firms.xlsx", rows=2))

    assert [chunk.lines for chunk in chunks] == [[2, 3], [4, 5], [6]]
    assert chunks[2].frame.values.tolist() == [["Firm 4", "40"]]


@pytest.mark.django_db
def test_a_file_read_in_chunks_decides_its_dates_from_every_chunk(
    tmp_path: Path, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # given: only the last chunk proves the dates are day-first
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 2)
    Account.objects.create(name="Firm")
    path = tmp_path / "deals.csv"
    path.write_text(
        "Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Close Date\n"
        "D1,One,Firm,Closed Won,100,01/02/2026\n"
        "D2,Two,Firm,Closed Won,200,03/04/2026\n"
        "D3,Three,Firm,Closed Won,300,05/06/2026\n"
        "D4,Four,Firm,Closed Won,400,25/01/2026\n",
        encoding="utf-8",
    )
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False)

    # then
    assert outcome.questions == []
    assert (
        "deals.csv",
        "Close Date",
        "day-first, as '25/01/2026' on line 5 shows",
    ) in outcome.decisions
    assert dict(Opportunity.objects.values_list("external_id", "closed_on")) == {
        "D1": date(2026, 2, 1),
        "D2": date(2026, 4, 3),
        "D3": date(2026, 6, 5),
        "D4": date(2026, 1, 25),
    }
    # Revenue is summed over every chunk before it is written.
    assert dict(RevenueLine.objects.values_list("quarter_start", "amount")) == {
        date(2026, 1, 1): 500,
        date(2026, 4, 1): 500,
    }
    mapped.job.refresh_from_db()
    assert mapped.job.counts["Revenue lines"]["created"] == 2


@pytest.mark.django_db
def test_chunks_that_disagree_on_the_date_order_ask(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 2)
    path = tmp_path / "deals.csv"
    path.write_text(
        "Opportunity Name,Account Name,Close Date\n"
        "One,Firm,25/01/2026\nTwo,Firm,01/01/2026\n"
        "Three,Firm,01/25/2026\nFour,Firm,01/01/2026\n",
        encoding="utf-8",
    )
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    mapped_import_mapping_accept(mapped=mapped, user=None)

    outcome = mapped_import_check(mapped=mapped)

    [(file, question)] = outcome.questions
    assert question.message == (
        "'Close Date' reads as day-first, as '25/01/2026' on line 2 shows in one "
        "part of the file and as month-first, as '01/25/2026' on line 4 shows in "
        "another; which does this column use?"
    )
    assert question.options == ["day-first", "month-first"]


@pytest.mark.django_db
def test_the_preview_reads_only_the_head_of_a_large_file(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr("accounts.wizard.PREVIEW_READ_ROWS", 10)
    path = tmp_path / "many.csv"
    path.write_text(
        "Account Name,Employees\n" + "".join(f"Firm {n},{n}\n" for n in range(100)),
        encoding="utf-8",
    )
    mapped = mapped_import_create_from_paths(user=None, paths=[path])

    [preview] = mapped_import_files_read(mapped=mapped)

    assert preview.row_count is None
    assert len(preview.table.lines) == 10
    assert preview.kind == "salesforce-report accounts"

    # and the run still reads every row
    mapped_import_mapping_accept(mapped=mapped, user=None)
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)
    assert job.status == ImportJob.Status.SUCCEEDED
    assert Account.objects.count() == 100


def test_reading_in_chunks_holds_a_small_part_of_the_file_in_memory(
    tmp_path: Path,
) -> None:
    import tracemalloc

    # given
    path = tmp_path / "invoices.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("Customer;Invoice Date;Net Amount\n")
        for number in range(60_000):
            out.write(f"Customer {number % 500};03/04/2026;{number},50\n")

    # when
    tracemalloc.start()
    rows = sum(len(t.lines) for t in table_chunks(path=path, file="x", rows=1000))
    _, chunked_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    whole = table_read(content=path.read_bytes(), file="x")
    _, whole_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # then
    assert rows == len(whole.lines) == 60_000
    assert chunked_peak * 10 < whole_peak
