from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from accounts.importing import ImportFileError, Issue
from accounts.streaming import table_chunks
from accounts.tabular import (
    SheetChoiceError,
    Table,
    cell_text,
    delimiter_sniff,
    table_read,
)

FIXTURES = Path(__file__).parent / "fixtures" / "byod"


def read(name: str) -> Table:
    return table_read(content=(FIXTURES / name).read_bytes(), file=name)


def rows(table: Table) -> list[list[str]]:
    return table.frame.to_numpy().tolist()


def test_it_reads_utf8_with_a_byte_order_mark() -> None:
    table = read("utf8_bom.csv")

    assert table.encoding == "utf-8-sig"
    assert table.describe() == "Read as UTF-8 with BOM text, comma-separated."
    assert table.columns == ["Account Name", "Billing Country"]
    assert rows(table) == [["Café Müller", "Deutschland"], ["Åkesson AB", "Sverige"]]
    assert table.lines == [2, 3]
    assert table.notes == []


def test_it_reads_utf8_without_a_byte_order_mark() -> None:
    table = read("utf8_plain.csv")

    assert table.encoding == "utf-8"
    assert rows(table) == [["São Paulo Têxtil", "São Paulo"]]


def test_it_falls_back_to_windows_1252_when_strict_utf8_fails() -> None:
    content = (FIXTURES / "windows1252.csv").read_bytes()
    assert b"Caf\xe9 Z\xfcrich" in content

    table = read("windows1252.csv")

    assert table.encoding == "cp1252"
    assert table.describe() == "Read as Windows-1252 text, semicolon-separated."
    assert rows(table) == [["Café Zürich", "Zürich"], ["L’Oréal", "Clichy"]]


def test_it_refuses_bytes_that_are_neither_utf8_nor_windows_1252() -> None:
    with pytest.raises(ImportFileError) as error:
        read("not_text.csv")

    assert error.value.message == (
        "byte 23 (0x81) is neither UTF-8 nor Windows-1252; save the file as "
        "UTF-8 CSV and upload it again"
    )


def _with_nul_bytes(tmp_path: Path, lines: list[int]) -> tuple[Path, bytes]:
    """Write 400 accounts, a NUL in each of `lines` (the header is line 1)."""
    rows = ["Account Name,Industry"] + [f"Account {n},retail" for n in range(400)]
    for line in lines:
        rows[line - 1] = f"Account\x00 {line},retail"
    path = tmp_path / "damaged.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode())
    return path, path.read_bytes()


@pytest.mark.parametrize(
    ("lines", "said"),
    [
        (
            [301],
            "line 301 is damaged: it holds a NUL byte (0x00), which no text has; "
            "remove it and upload the file again",
        ),
        (
            [3, 250, 251],
            "lines 3, 250 and 251 are damaged: they hold NUL bytes (0x00), which "
            "no text has; remove them and upload the file again",
        ),
    ],
)
def test_a_nul_byte_in_text_is_refused_by_line(
    tmp_path: Path, lines: list[int], said: str
) -> None:
    # Line 301 lies past the first 4 KB, all that was once looked at.
    path, content = _with_nul_bytes(tmp_path, lines)

    with pytest.raises(ImportFileError) as whole:
        table_read(content=content, file="damaged.csv")
    with pytest.raises(ImportFileError) as streamed:
        list(table_chunks(path=path, file="damaged.csv"))

    assert whole.value.message == said
    assert streamed.value.message == said


def test_it_refuses_binary_and_old_excel_files() -> None:
    with pytest.raises(ImportFileError) as binary:
        table_read(content=b"\x00\x01\x02abc", file="blob.csv")
    with pytest.raises(ImportFileError) as xls:
        table_read(content=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", file="old.xls")
    with pytest.raises(ImportFileError) as empty:
        table_read(content=b" \r\n\r\n", file="empty.csv")

    assert binary.value.message == "this is not a CSV text file"
    assert xls.value.message == (
        "this is an old Excel .xls workbook; save it as .xlsx or CSV and upload that"
    )
    assert empty.value.message == "the file is empty"


def test_it_refuses_text_named_as_an_xlsx_workbook(tmp_path: Path) -> None:
    content = b"Account Name,Employees\nAcme,10\n"
    path = tmp_path / "fake.xlsx"
    path.write_bytes(content)

    with pytest.raises(ImportFileError) as read:
        table_read(content=content, file="fake.xlsx")
    with pytest.raises(ImportFileError) as streamed:
        list(table_chunks(path=path, file="fake.xlsx"))

    expected = (
        "fake.xlsx is not a valid XLSX workbook; open it in a spreadsheet, save "
        "it as .xlsx or CSV and upload that"
    )
    assert read.value.message == streamed.value.message == expected


def test_it_reads_utf16_from_excel_unicode_text() -> None:
    content = "Account Name\tEmployees\r\nÆrø Shipping\t12\r\n".encode("utf-16")

    table = table_read(content=content, file="unicode.txt")

    assert table.encoding == "utf-16"
    assert table.delimiter == "\t"
    assert rows(table) == [["Ærø Shipping", "12"]]


def test_it_sniffs_a_semicolon_with_decimal_commas_in_the_values() -> None:
    table = read("semicolon.csv")

    assert table.delimiter == ";"
    assert rows(table) == [
        ["Acme GmbH", "1.234,50", "13.02.2024"],
        ["Beta AG", "980,00", "01.03.2024"],
    ]


def test_it_sniffs_a_tab_and_keeps_leading_zeros_as_text() -> None:
    table = read("tab.tsv")

    assert table.delimiter == "\t"
    assert table.describe() == "Read as UTF-8 text, tab-separated."
    assert rows(table) == [["00123", "Acme Widgets, Inc", "1,200"]]


def test_it_follows_an_excel_sep_hint_line() -> None:
    table = read("sep_hint.csv")

    assert table.delimiter == ";"
    assert table.columns == ["Account Name", "Employees"]
    assert rows(table) == [["Acme, Inc", "10"]]
    assert table.lines == [2]


def test_it_prefers_the_delimiter_that_keeps_rows_the_same_width() -> None:
    text = "a;b;c\n1,5;2,5;3,5\n4,1;5,2;6,3\n"

    assert delimiter_sniff(text=text) == ";"
    assert delimiter_sniff(text="name\nAcme\n") == ","


def test_it_keeps_quoted_line_breaks_in_one_row_and_counts_rows() -> None:
    table = read("quoted_newlines.csv")

    assert rows(table) == [
        ["Acme", "First line\nsecond line, with comma", "10"],
        ["Beta", 'He said "hi"', "20"],
    ]
    # A spreadsheet shows the two-line cell as one row: Beta is row 3.
    assert table.lines == [2, 3]


def test_it_refuses_a_quote_left_open_to_the_end_of_the_file() -> None:
    content = (
        b"Account Name,Annual Revenue,Billing Country\n"
        b'"Open Quote Co,100,Norway\n'
        b"After One,300,Norway\n"
        b"After Two,400,Norway\n"
    )

    with pytest.raises(ImportFileError) as refused:
        table_read(content=content, file="openq.csv")

    assert refused.value.message == (
        "a quoted value that starts on line 2 is never closed; every line after "
        "it would be read into that one value. Add the missing closing quote "
        "and upload the file again"
    )


@pytest.mark.parametrize("ending", [b"", b"\n", b"\r\n"])
def test_it_refuses_a_quote_left_open_on_the_last_line(ending: bytes) -> None:
    content = (
        b"Account Name,Annual Revenue,Billing Country\n"
        b"Fine Co,50,Norway\n"
        b'Alpha Co,"100,Norway' + ending
    )

    with pytest.raises(ImportFileError) as refused:
        table_read(content=content, file="lastq.csv")

    assert refused.value.message == (
        "a quoted value that starts on line 3, the last line, is never closed, "
        "so the rest of that line would be read as one value. Add the missing "
        "closing quote and upload the file again"
    )


def test_a_stream_refuses_a_quote_left_open_on_the_last_line(tmp_path) -> None:
    path = tmp_path / "lastq.csv"
    path.write_bytes(
        b"Account Name,Annual Revenue,Billing Country\n"
        b"Fine Co,50,Norway\n"
        b'"Alpha Co,100,Norway\n'
    )

    with pytest.raises(ImportFileError) as refused:
        list(table_chunks(path=path, file="lastq.csv", rows=10))

    assert refused.value.message.startswith(
        "a quoted value that starts on line 3, the last line, is never closed"
    )


def test_it_keeps_a_lone_quote_inside_a_bare_value() -> None:
    content = b'Account Name,Notes\nAlpha Co,5" pipe\nBeta Co,"closed ""quote"""\n'

    table = table_read(content=content, file="inch.csv")

    assert rows(table) == [["Alpha Co", '5" pipe'], ["Beta Co", 'closed "quote"']]


def test_it_refuses_a_quoted_value_that_swallows_whole_rows() -> None:
    # The quote opened on line 3 is closed by a stray quote on line 6.
    content = (
        b"Account Name,Annual Revenue,Billing Country\r\n"
        b"Fine Co,50,Norway\r\n"
        b'"Open Quote Co,100,Norway\r\n'
        b"After One,300,Norway\r\n"
        b"After Two,400,Norway\r\n"
        b'After Three",500,Norway\r\n'
    )

    with pytest.raises(ImportFileError) as refused:
        table_read(content=content, file="stray.csv")

    assert refused.value.message == (
        "a quoted value that starts on line 3 runs over 3 lines that look like "
        "whole rows; is a closing quote missing? Fix the quotes and upload the "
        "file again"
    )


def test_it_keeps_a_closed_note_whose_lines_hold_a_comma_each() -> None:
    content = (
        b"Account Name,Notes,Billing Country\n"
        b'Acme,"Call back, Monday\nBudget, Q3\nOwner, Ann",Norway\n'
        b"Beta,,Sweden\n"
    )

    table = table_read(content=content, file="notes.csv")

    assert rows(table) == [
        ["Acme", "Call back, Monday\nBudget, Q3\nOwner, Ann", "Norway"],
        ["Beta", "", "Sweden"],
    ]


def test_it_reads_bare_carriage_return_line_endings() -> None:
    content = (FIXTURES / "cr_only.csv").read_bytes()
    assert b"\n" not in content

    table = read("cr_only.csv")

    assert rows(table) == [["Acme", "10"], ["Beta", "20"]]
    assert table.lines == [2, 3]


@pytest.mark.parametrize(
    ("name", "described", "expected"),
    [
        (
            "cr_only_semicolon.csv",
            "semicolon-separated",
            [
                ["Account Name", "Annual Revenue", "Employees"],
                ["Cr Semi One", "1.000,50", "10"],
                ["Cr Semi Two", "2.000,00", "20"],
            ],
        ),
        (
            "cr_only_tab.tsv",
            "tab-separated",
            [
                ["Account Name", "Period", "Tickets"],
                ["Zeroes & Co", "2025-04", "12"],
                ["Blank Revenue KG", "Q2 2025", "3"],
            ],
        ),
    ],
)
def test_it_finds_the_delimiter_of_bare_carriage_return_files(
    name: str, described: str, expected: list[list[str]]
) -> None:
    content = (FIXTURES / name).read_bytes()
    assert b"\n" not in content

    table = read(name)
    [chunk] = table_chunks(path=FIXTURES / name, file=name)

    assert table.describe() == f"Read as UTF-8 text, {described}."
    assert [table.columns, *rows(table)] == expected
    assert table.lines == [2, 3]
    assert [chunk.columns, *rows(chunk)] == expected


def test_it_drops_blank_rows_with_a_note() -> None:
    table = read("trailing_blank.csv")

    assert rows(table) == [["Acme", "10"], ["Beta", "20"]]
    assert table.lines == [2, 4]
    assert table.notes == [
        Issue("trailing_blank.csv", 3, "", "", "blank row left out", "dropped"),
        Issue(
            "trailing_blank.csv",
            5,
            "",
            "",
            "3 blank rows at the end left out",
            "dropped",
        ),
    ]


def test_one_blank_row_at_the_end_is_counted_in_the_singular() -> None:
    table = table_read(content=b"Name,Value\nAcme,10\n,\n", file="one.csv")

    assert table.notes == [
        Issue("one.csv", 3, "", "", "1 blank row at the end left out", "dropped")
    ]


def test_it_rejects_a_row_wider_than_the_header_and_pads_a_short_one() -> None:
    table = read("ragged.csv")

    assert rows(table) == [["Acme", "10", ""], ["Gamma", "30", "Banking"]]
    assert table.lines == [2, 4]
    assert table.row_count == 3
    assert table.notes == [
        Issue(
            "ragged.csv",
            2,
            "Industry",
            "Acme,10",
            "2 values but the header has 3 columns: 'Industry' is read as blank",
            "repaired",
        ),
        Issue(
            "ragged.csv",
            3,
            "",
            "Beta,20,Retail,extra",
            "4 values but the header has 3 columns",
            "rejected",
        ),
    ]


def test_it_refuses_a_short_row_another_delimiter_splits_to_the_width() -> None:
    content = (
        b"Account Name,Industry,Annual Revenue\n"
        b"Alpha Inc,Tech,100\n"
        b"Beta LLC;Tech;200\n"
        b"Gamma,Retail\n"
        b"Delta,Tech;300\n"
    )

    table = table_read(content=content, file="mixed_rows.csv")

    assert rows(table) == [["Alpha Inc", "Tech", "100"], ["Gamma", "Retail", ""]]
    assert table.row_count == 4
    advice = (
        "semicolons seem to separate its values while the file is "
        "comma-separated; save the file with commas throughout and upload it "
        "again"
    )
    assert table.notes == [
        Issue(
            "mixed_rows.csv",
            3,
            "Account Name",
            "Beta LLC;Tech;200",
            "1 value but the header has 3 columns; split at semicolons too it "
            "has 3: " + advice,
            "rejected",
        ),
        Issue(
            "mixed_rows.csv",
            4,
            "Annual Revenue",
            "Gamma,Retail",
            "2 values but the header has 3 columns: 'Annual Revenue' is read as blank",
            "repaired",
        ),
        Issue(
            "mixed_rows.csv",
            5,
            "Industry",
            "Tech;300",
            "2 values but the header has 3 columns; split at semicolons too it "
            "has 3: " + advice,
            "rejected",
        ),
    ]


def test_decimal_commas_and_commas_in_names_keep_a_semicolon_file_whole() -> None:
    content = (
        b"Name;Revenue, EUR;Country\nAcme, Inc;1.234,56;DE\nBeta;12;FR\nGamma;7,5;FR\n"
    )

    table = table_read(content=content, file="semicolons.csv")

    assert table.delimiter == ";"
    assert rows(table) == [
        ["Acme, Inc", "1.234,56", "DE"],
        ["Beta", "12", "FR"],
        ["Gamma", "7,5", "FR"],
    ]
    assert table.notes == []


def test_a_header_and_rows_mixing_delimiters_refuse_the_file() -> None:
    content = (
        b"Account Name,Industry;Annual Revenue\nAlpha Inc,Tech;100\nBeta LLC;Tech,200\n"
    )
    path_message = (
        "the file mixes commas and semicolons as delimiters: line 1, the header "
        "row, is split at commas but its column 'Industry;Annual Revenue' holds "
        "a semicolon, and the rows below split the same way (line 2: "
        "'Alpha Inc,Tech;100'), so Lode cannot tell which values belong to "
        "which column. Choose the delimiter that separates the columns, comma "
        "or semicolon (Delimiter on the upload page, --delimiter on the command "
        'line, "delimiters" in the API), and the other is read as text; or save '
        "the file with one delimiter throughout and upload it again"
    )

    with pytest.raises(ImportFileError) as read_whole:
        table_read(content=content, file="mixed.csv")

    assert str(read_whole.value) == f"mixed.csv: {path_message}"


def test_streamed_chunks_refuse_a_file_mixing_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"Account Name;Industry,Annual Revenue\nAlpha Inc;Tech,100\nBeta LLC,Tech;200\n"
    )

    with pytest.raises(ImportFileError) as streamed:
        next(table_chunks(path=path, file="mixed.csv", rows=100, sheet=None))

    # Both delimiters split every line alike: the sniffer's first, commas.
    assert str(streamed.value) == (
        "mixed.csv: the file mixes commas and semicolons as delimiters: line 1, "
        "the header row, is split at commas but its column 'Account Name;"
        "Industry' holds a semicolon, and the rows below split the same way "
        "(line 2: 'Alpha Inc;Tech,100'), so Lode cannot tell which values "
        "belong to which column. Choose the delimiter that separates the "
        "columns, comma or semicolon (Delimiter on the upload page, --delimiter "
        'on the command line, "delimiters" in the API), and the other is read '
        "as text; or save the file with one delimiter throughout and upload it "
        "again"
    )


def test_a_header_naming_a_semicolon_above_plain_rows_is_read() -> None:
    content = b"Account Name,Notes;Comments\nAcme,fine\nBeta,good\n"

    table = table_read(content=content, file="notes.csv")

    assert table.columns == ["Account Name", "Notes;Comments"]
    assert rows(table) == [["Acme", "fine"], ["Beta", "good"]]
    assert table.notes == []


def test_it_drops_a_salesforce_report_footer_with_a_note() -> None:
    table = read("salesforce_report_accounts.csv")

    assert [row[0] for row in rows(table)] == [
        "Acme Widgets, Inc",
        "Acme Widgets Europe GmbH",
        "Harbor Bank of the North",
    ]
    assert table.lines == [2, 3, 4]
    assert table.notes == [
        Issue(
            "salesforce_report_accounts.csv",
            6,
            "",
            "Grand Totals (3 records)",
            "Salesforce report footer, lines 6-12, is not data and was left out",
            "dropped",
        )
    ]


def test_it_drops_report_total_and_subtotal_rows_with_a_note() -> None:
    table = read("salesforce_report_totals.csv")

    assert [row[0] for row in rows(table)] == [
        "Zephyr Analytics",
        "Total Logistics",
        "Harbor Bank of the North",
    ]
    assert table.lines == [2, 4, 5]
    file = "salesforce_report_totals.csv"
    assert table.notes == [
        Issue(
            file,
            3,
            "",
            "Subtotal $1,250,000.00 120",
            "the report's summary row 'Subtotal' adds up other rows, is not data "
            "and was left out",
            "dropped",
        ),
        Issue(
            file,
            7,
            "",
            "Total $13,650,000.00 1,370",
            "the report's summary row 'Total' adds up other rows, is not data "
            "and was left out",
            "dropped",
        ),
        Issue(
            file,
            9,
            "",
            "Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.",
            "Salesforce report footer, lines 9-12, is not data and was left out",
            "dropped",
        ),
    ]


def test_it_keeps_a_last_row_that_only_looks_like_a_footer() -> None:
    content = b"Account Name\nAcme\nGenerated Byte Ltd\nTotal Energies\n"

    table = table_read(content=content, file="one_column.csv")

    assert rows(table) == [["Acme"], ["Generated Byte Ltd"], ["Total Energies"]]
    assert table.notes == []


def test_it_names_empty_and_repeated_header_cells() -> None:
    content = b"Name,,Amount,amount\nAcme,x,1,2\n"

    table = table_read(content=content, file="headers.csv")

    assert table.columns == ["Name", "Column 2", "Amount", "amount (2)"]
    assert [note.reason for note in table.notes] == [
        "the header cell is empty",
        "the column name 'amount' repeats, read as 'amount (2)'",
    ]


def workbook_bytes(tmp_path: Path) -> bytes:
    workbook = Workbook()
    notes = workbook.active
    notes.title = "Notes"
    notes.append(["Exported from the CRM"])
    accounts = workbook.create_sheet("Accounts")
    accounts.append(["Account ID", "Account Name", "Employees", "Created", "Active"])
    accounts.append(["00042", "Acme GmbH", 1200, datetime(2024, 2, 13), True])
    accounts.append([None, None, None, None, None])
    accounts.append([123456789012, "Beta AG", 12.5, datetime(2024, 3, 1, 9, 30), False])
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    return path.read_bytes()


def test_it_reads_a_named_xlsx_sheet_as_text(tmp_path: Path) -> None:
    content = workbook_bytes(tmp_path)

    table = table_read(content=content, file="export.xlsx", sheet="Accounts")

    assert table.encoding == "xlsx"
    assert table.describe() == "Read sheet 'Accounts' of an XLSX workbook."
    assert rows(table) == [
        ["00042", "Acme GmbH", "1200", "2024-02-13", "TRUE"],
        ["123456789012", "Beta AG", "12.5", "2024-03-01 09:30:00", "FALSE"],
    ]
    assert table.lines == [2, 4]
    assert [note.reason for note in table.notes] == ["blank row left out"]


def test_it_refuses_a_workbook_with_several_sheets_unless_one_is_chosen(
    tmp_path: Path,
) -> None:
    content = workbook_bytes(tmp_path)
    path = tmp_path / "export.xlsx"

    with pytest.raises(SheetChoiceError) as read:
        table_read(content=content, file="export.xlsx")
    with pytest.raises(SheetChoiceError) as streamed:
        list(table_chunks(path=path, file="export.xlsx"))

    for error in (read.value, streamed.value):
        assert str(error) == (
            "export.xlsx: the workbook has data on 2 sheets: 'Notes', "
            "'Accounts'; choose the sheet to import"
        )
        assert error.sheets == ["Notes", "Accounts"]
    [chunk] = table_chunks(path=path, file="export.xlsx", sheet="Accounts")
    assert chunk.describe() == "Read sheet 'Accounts' of an XLSX workbook."
    assert chunk.lines == [2, 4]


def test_it_reads_the_only_sheet_with_data_and_says_which(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.title = "Sheet1"
    deals = workbook.create_sheet("Deals")
    deals.append(["Opportunity Name", "Amount"])
    deals.append(["Acme renewal", 1200])
    workbook.create_sheet("Sheet3")
    path = tmp_path / "deals.xlsx"
    workbook.save(path)

    table = table_read(content=path.read_bytes(), file="deals.xlsx")
    [chunk] = table_chunks(path=path, file="deals.xlsx")

    assert table.describe() == "Read sheet 'Deals' of an XLSX workbook."
    assert chunk.describe() == "Read sheet 'Deals' of an XLSX workbook."
    assert rows(chunk) == [["Acme renewal", "1200"]]


def test_a_sheet_cannot_be_chosen_in_a_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"Account Name\nAcme\n")

    with pytest.raises(ImportFileError) as error:
        list(table_chunks(path=path, file="accounts.csv", sheet="Accounts"))

    assert error.value.message == "a sheet can only be chosen in an XLSX workbook"


def test_it_names_the_sheets_when_the_chosen_one_is_missing(tmp_path: Path) -> None:
    content = workbook_bytes(tmp_path)

    with pytest.raises(ImportFileError) as error:
        table_read(content=content, file="export.xlsx", sheet="Deals")

    assert error.value.message == (
        "there is no sheet 'Deals'; the sheets are 'Notes', 'Accounts'"
    )


def test_it_writes_cells_as_a_csv_export_would() -> None:
    assert cell_text(None) == ""
    assert cell_text(0) == "0"
    assert cell_text(3.0) == "3"
    assert cell_text(0.1) == "0.1"
    assert cell_text(datetime(2024, 1, 31)) == "2024-01-31"


def test_it_refuses_a_file_wider_than_500_columns(tmp_path: Path) -> None:
    header = ",".join(f"c{index}" for index in range(5000))
    content = f"{header}\n{','.join(['1'] * 5000)}\n".encode()
    path = tmp_path / "wide.csv"
    path.write_bytes(content)
    said = (
        "the header has 5,000 columns and Lode reads at most 500; remove the "
        "columns you do not need and upload it again"
    )

    with pytest.raises(ImportFileError) as read_whole:
        table_read(content=content, file="wide.csv")
    with pytest.raises(ImportFileError) as streamed:
        next(table_chunks(path=path, file="wide.csv", rows=100, sheet=None))

    assert read_whole.value.message == said
    assert streamed.value.message == said
    five_hundred = ",".join(f"c{index}" for index in range(500))
    assert len(table_read(content=five_hundred.encode(), file="ok.csv").columns) == 500


def report_workbook(path: Path) -> Path:
    """Save an opportunity report as Salesforce formats it for Excel."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Opportunities"
    sheet.append(["Opportunity Report - Q2 FY2017"])
    sheet.append(["Filtered By: Stage equals Closed Won"])
    sheet.append([])
    sheet.append(["Opportunity ID", "Account Name", "Stage", "Amount"])
    sheet.append(["X-1", "Acme Corporation", "Closed Won", 4821])
    sheet.append(["X-2", "Betatech", "Closed Won", 55.5])
    sheet.append(["Total"])
    workbook.save(path)
    return path


def test_it_finds_the_header_below_a_reports_title_and_drops_its_total(
    tmp_path: Path,
) -> None:
    path = report_workbook(tmp_path / "opps.xlsx")

    read_whole = table_read(content=path.read_bytes(), file="opps.xlsx")
    streamed = next(table_chunks(path=path, file="opps.xlsx", rows=100, sheet=None))

    for table in (read_whole, streamed):
        assert table.columns == ["Opportunity ID", "Account Name", "Stage", "Amount"]
        assert rows(table) == [
            ["X-1", "Acme Corporation", "Closed Won", "4821"],
            ["X-2", "Betatech", "Closed Won", "55.5"],
        ]
        assert table.lines == [5, 6]
        assert [(note.line, note.value, note.reason) for note in table.notes] == [
            (
                1,
                "Opportunity Report - Q2 FY2017",
                "the report's title above the header, lines 1-3, is not data "
                "and was left out",
            ),
            (
                7,
                "Total",
                "Salesforce report footer, line 7, is not data and was left out",
            ),
        ]


def test_it_finds_the_header_below_a_title_line_in_a_csv(tmp_path: Path) -> None:
    content = (
        b"Contacts export\nRecord ID,First Name,Last Name\n1501,Ana,P\xc3\xa9rez\n"
    )
    path = tmp_path / "contacts.csv"
    path.write_bytes(content)

    read_whole = table_read(content=content, file="contacts.csv")
    streamed = next(table_chunks(path=path, file="contacts.csv", rows=100, sheet=None))

    for table in (read_whole, streamed):
        assert table.columns == ["Record ID", "First Name", "Last Name"]
        assert rows(table) == [["1501", "Ana", "Pérez"]]
        assert table.lines == [3]
        assert [note.reason for note in table.notes] == [
            "the report's title above the header, line 1, is not data and was left out"
        ]


def test_a_file_of_one_column_keeps_its_first_line_as_the_header() -> None:
    table = table_read(content=b"Account Name\nAcme\nBeta, Inc\n", file="one.csv")

    assert table.columns == ["Account Name"]
    assert [(note.line, note.reason) for note in table.notes] == [
        (3, "2 values but the header has 1 column")
    ]


def test_a_chosen_empty_sheet_is_named_as_empty(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.title = "Deals"
    workbook.active.append(["Opportunity Name", "Amount"])
    workbook.active.append(["Acme renewal", 1200])
    workbook.create_sheet("Blank")
    path = tmp_path / "deals.xlsx"
    workbook.save(path)

    with pytest.raises(ImportFileError) as read:
        table_read(content=path.read_bytes(), file="deals.xlsx", sheet="Blank")
    with pytest.raises(ImportFileError) as streamed:
        list(table_chunks(path=path, file="deals.xlsx", sheet="Blank"))

    assert read.value.message == "sheet 'Blank' is empty"
    assert streamed.value.message == "sheet 'Blank' is empty"


def test_a_value_past_the_cell_limit_is_refused_in_plain_words(
    tmp_path: Path,
) -> None:
    # An unclosed quote on line 3 runs on past the most a cell may hold.
    content = b'Account Name,Employees\nAcme,10\n"Beta,20\n' + b"x" * 140_000 + b"\n"
    path = tmp_path / "accounts.csv"
    path.write_bytes(content)

    with pytest.raises(ImportFileError) as read:
        table_read(content=content, file="accounts.csv")
    with pytest.raises(ImportFileError) as streamed:
        list(table_chunks(path=path, file="accounts.csv"))

    said = (
        "line 4 cannot be read as CSV (a value there is longer than 131,072 "
        "characters, the most one cell may hold; shorten it, or close the "
        "quote that opens it if it runs on into the lines below)"
    )
    assert read.value.message == said
    assert streamed.value.message == said
