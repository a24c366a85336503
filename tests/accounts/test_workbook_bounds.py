"""A workbook that would cost far too much to read is refused at once.

A small XLSX can unpack to hundreds of megabytes, and one huge comment, tag
or processing instruction takes expat a time that grows with its square.
The page, the API and the command line refuse such a file, naming it and
its sheet, and keep nothing; an entity pointing at a file on the server is
never read.
"""

import io
import random
import time
import zipfile
from pathlib import Path
from xml.etree.ElementTree import ParseError

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts import workbook_bounds
from accounts.models import ImportJob, MappedImport
from accounts.tabular import WorkbookBoundError, table_read
from accounts.workbook_bounds import MarkupError, MarkupScanner

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
        f'Type="{RELATIONS}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONS}"><sheets>'
        '<sheet name="Accounts" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
        f'Type="{RELATIONS}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    ),
}
ROWS = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Account Name</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>Heron Freight</t></is></c></row>'
)


def workbook(sheet: bytes) -> bytes:
    """Zip a workbook of one sheet, 'Accounts', holding these XML bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in PARTS.items():
            archive.writestr(name, part)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def sheet_with(extra: bytes, *, prolog: bytes = b"") -> bytes:
    """Return sheet XML with `extra` after its two rows."""
    return (
        b'<?xml version="1.0"?>'
        + prolog
        + f'<worksheet xmlns="{MAIN}"><sheetData>{ROWS}'.encode()
        + extra
        + b"</sheetData></worksheet>"
    )


def comment_bomb(megabytes: int) -> bytes:
    """A sheet of two rows and one comment of spaces, as the tester sent."""
    return workbook(sheet_with(b"<!--" + b" " * (megabytes << 20) + b"-->"))


def loose_comment(size: int) -> bytes:
    """A comment of random letters: it packs too little for the ratio check."""
    letters = random.Random(7).choices(b"abcdefghijklmnopqrstuvwxyz", k=size)
    return workbook(sheet_with(b"<!--" + bytes(letters) + b"-->"))


def assert_nothing_left(media: Path) -> None:
    assert ImportJob.objects.count() == 0
    assert MappedImport.objects.count() == 0
    assert list((media / "imports").iterdir()) == []


TOO_BIG = (
    "bomb.xlsx: sheet 'Accounts' unpacks to 3.0 MB; the limit is 2.0 MB (the "
    "upload limit); split it or import fewer rows at once"
)
PACKED_TOO_FAR = (
    "bomb.xlsx: sheet 'Accounts' unpacks to 20.0 MB from 20 KB, 1,017 times "
    "its packed size; a spreadsheet's sheets pack at most about 200 times, so "
    "this is no workbook Lode reads. Save it again from the spreadsheet and "
    "upload it again"
)
LONG_COMMENT = (
    "bomb.xlsx: sheet 'Accounts' holds an XML comment of more than 256 KB "
    "(from byte 256); no spreadsheet writes that, so Lode does not read it. "
    "Save the workbook again from the spreadsheet and upload it again"
)
DOCTYPE = (
    "xxe.xlsx: sheet 'Accounts' declares a document type (<!DOCTYPE ...>), "
    "which is how XML entity attacks start; no spreadsheet writes that, so "
    "Lode does not read it. Save the workbook again from the spreadsheet and "
    "upload it again"
)


# The reader, without the database


def test_a_sheet_over_the_upload_limit_is_refused_before_it_is_read(
    settings,
) -> None:
    settings.LODE_UPLOAD_MAX_BYTES = 2 << 20

    with pytest.raises(WorkbookBoundError) as refused:
        table_read(content=comment_bomb(3), file="bomb.xlsx")

    assert str(refused.value) == TOO_BIG


def test_a_sheet_that_unpacks_a_thousand_times_is_refused_at_once() -> None:
    content = comment_bomb(20)

    started = time.monotonic()
    with pytest.raises(WorkbookBoundError) as refused:
        table_read(content=content, file="bomb.xlsx")
    took = time.monotonic() - started

    assert str(refused.value) == PACKED_TOO_FAR
    # Unbounded, expat spent minutes on this comment.
    assert took < 2


def test_a_long_comment_that_packs_like_data_is_refused_as_it_is_read() -> None:
    content = loose_comment(4 << 20)

    started = time.monotonic()
    with pytest.raises(WorkbookBoundError) as refused:
        table_read(content=content, file="bomb.xlsx")
    took = time.monotonic() - started

    assert str(refused.value) == LONG_COMMENT
    # Unbounded, expat took about 3 seconds on 4 MB, 12 on 8 MB.
    assert took < 2


def test_a_comment_under_the_bound_is_read_past() -> None:
    content = loose_comment(200 * 1024)

    table = table_read(content=content, file="fine.xlsx")

    assert table.columns == ["Account Name"]
    assert table.frame["Account Name"].tolist() == ["Heron Freight"]


def test_a_tag_of_many_attributes_is_refused_however_its_values_read() -> None:
    # ">" inside an attribute value does not end the tag.
    attributes = b" ".join(b'a%d=">"' % number for number in range(60_000))
    content = workbook(sheet_with(b"<x " + attributes + b"/>"))

    with pytest.raises(WorkbookBoundError) as refused:
        table_read(content=content, file="tag.xlsx")

    assert str(refused.value) == (
        "tag.xlsx: sheet 'Accounts' holds a tag of more than 256 KB (from byte "
        "256); no spreadsheet writes that, so Lode does not read it. Save the "
        "workbook again from the spreadsheet and upload it again"
    )


def test_a_sheet_saved_as_utf16_is_refused_naming_why() -> None:
    content = workbook(sheet_with(b"").decode().encode("utf-16"))

    with pytest.raises(WorkbookBoundError) as refused:
        table_read(content=content, file="wide.xlsx")

    assert str(refused.value) == (
        "wide.xlsx: sheet 'Accounts' holds NUL bytes: it is UTF-16 or damaged, "
        "and Lode reads workbook XML saved as UTF-8; no spreadsheet writes that, "
        "so Lode does not read it. Save the workbook again from the spreadsheet "
        "and upload it again"
    )


def xxe_workbook(target: Path) -> bytes:
    prolog = (f'<!DOCTYPE worksheet [<!ENTITY e SYSTEM "file://{target}">]>').encode()
    rows = b'<row r="3"><c r="A3" t="inlineStr"><is><t>&e;</t></is></c></row>'
    return workbook(sheet_with(rows, prolog=prolog))


def test_an_external_entity_is_refused_and_its_file_never_read(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("PEREGRINE-4471")

    with pytest.raises(WorkbookBoundError) as refused:
        table_read(content=xxe_workbook(secret), file="xxe.xlsx")

    assert str(refused.value) == DOCTYPE


def test_openpyxl_alone_would_not_resolve_the_entity_either(tmp_path) -> None:
    # Our bound refuses the DOCTYPE first; underneath, the parser openpyxl
    # uses leaves external entities undefined rather than read the file.
    secret = tmp_path / "secret.txt"
    secret.write_text("PEREGRINE-4471")

    with pytest.raises(ParseError, match="undefined entity &e;"):
        book = load_workbook(io.BytesIO(xxe_workbook(secret)), read_only=True)
        list(book["Accounts"].iter_rows(values_only=True))


# The scanner, fed the same XML in reads of every size


def scanned(xml: bytes, step: int) -> str:
    scanner = MarkupScanner()
    try:
        for start in range(0, len(xml), step):
            scanner.feed(xml[start : start + step])
    except MarkupError as error:
        return str(error)
    return "read"


@pytest.mark.parametrize("step", [1, 2, 3, 7, 16384])
def test_the_scanner_judges_alike_however_the_bytes_are_split(
    monkeypatch, step: int
) -> None:
    monkeypatch.setattr(workbook_bounds, "MARKUP_MAX_BYTES", 40)
    fine = (
        b'<?xml version="1.0"?><r><t a=">>>" b=\'"\'>x</t><!-- a < b -->'
        b"<![CDATA[<!-- not a comment ]]><?pi short?></r>"
    )
    long_tag = b'<r><t a="' + b">" * 40 + b'"/></r>'
    # "<!--" and "->" are no comment's end: the comment runs on.
    long_comment = b"<r><!---> " + b"x" * 40 + b" --></r>"
    doctype = b'<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>'

    assert scanned(fine, step) == "read"
    assert scanned(long_tag, step) == "holds a tag of more than 0 KB (from byte 3)"
    assert scanned(long_comment, step) == (
        "holds an XML comment of more than 0 KB (from byte 3)"
    )
    assert scanned(doctype, step) == (
        "declares a document type (<!DOCTYPE ...>), which is how XML entity "
        "attacks start"
    )


def test_long_cell_text_is_no_long_token(monkeypatch) -> None:
    monkeypatch.setattr(workbook_bounds, "MARKUP_MAX_BYTES", 40)
    text = b"<r><c><v>" + b"9" * 400 + b"</v></c><c/></r>"

    assert scanned(text, 16) == "read"
    assert scanned(text, len(text)) == "read"


# The page, the API and the command line


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.django_db
def test_the_api_refuses_a_bomb_and_keeps_nothing(ops, media) -> None:
    api = APIClient()
    api.force_authenticate(ops)

    response = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile("bomb.xlsx", comment_bomb(20))]},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {"files": [PACKED_TOO_FAR]}
    assert_nothing_left(media)


@pytest.mark.django_db
def test_the_api_never_shows_an_entitys_file(ops, media, tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("PEREGRINE-4471")
    api = APIClient()
    api.force_authenticate(ops)

    response = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile("xxe.xlsx", xxe_workbook(secret))]},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {"files": [DOCTYPE]}
    assert b"PEREGRINE" not in response.content
    assert_nothing_left(media)


@pytest.mark.django_db
def test_the_upload_page_refuses_a_bomb_and_keeps_nothing(ops, media) -> None:
    client = Client()
    client.force_login(ops)

    response = client.post(
        "/accounts/import/wizard/",
        {"files": [SimpleUploadedFile("bomb.xlsx", loose_comment(1 << 20))]},
    )

    assert response.status_code == 200
    assert response.context["errors"] == [LONG_COMMENT]
    assert_nothing_left(media)


@pytest.mark.django_db
def test_the_command_line_refuses_a_bomb_naming_it(ops, media, tmp_path) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(comment_bomb(20))

    with pytest.raises(CommandError) as stopped:
        call_command("import_files", str(path), stdout=io.StringIO())

    assert str(stopped.value) == PACKED_TOO_FAR
    assert_nothing_left(media)
