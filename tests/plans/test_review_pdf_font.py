"""The review PDF writes Arabic, CJK and symbols with fonts that have them."""

import io
from datetime import date
from typing import cast

import pytest
from pypdf import PageObject, PdfReader
from pypdf.generic import DictionaryObject

from accounts.models import Account
from plans.calendar import fiscal_quarter_for
from plans.pdf_fonts import FONT, pdf_fonts_register, pdf_lines, pdf_runs
from plans.review_exports import review_pdf
from plans.review_selectors import executive_review_pack

QUARTER = fiscal_quarter_for(date(2026, 4, 1), start_month=1, label_by="end")
NAME = "شركة النور ★ ☺"


def _fonts(page: PageObject) -> DictionaryObject:
    """Return the page's font resources (pypdf types them as any PDF object)."""
    resources = cast(DictionaryObject, page["/Resources"])
    return cast(DictionaryObject, resources["/Font"])


def _pdf_of(name: str) -> PdfReader:
    account = Account.objects.create(name=name)
    pack = executive_review_pack(account=account, quarter=QUARTER)
    return PdfReader(io.BytesIO(review_pdf(pack)))


def _font_names(reader: PdfReader) -> set[str]:
    return {
        str(font["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in _fonts(page).values()
    }


def _first_line_as_drawn(reader: PdfReader) -> str:
    # The layout mode keeps the order glyphs were drawn in; the plain mode
    # puts right-to-left runs back in reading order.
    text = reader.pages[0].extract_text(extraction_mode="layout")
    return text.splitlines()[0].strip()


@pytest.fixture
def fiscal_calendar(settings) -> None:
    settings.FISCAL_YEAR_START_MONTH = 1
    settings.FISCAL_YEAR_LABEL = "end"


@pytest.mark.django_db
def test_arabic_prints_joined_and_right_to_left(fiscal_calendar) -> None:
    # when
    reader = _pdf_of(NAME)

    # then: only the shipped DejaVu faces, embedded, and no built-in font
    assert _font_names(reader) == {"DejaVuSans", "DejaVuSans-Bold"}
    # Laid out as drawn: the two words in the order they are seen, right to
    # left, each letter in its joined form (initial, medial, final), and the
    # symbols as themselves.
    title = _first_line_as_drawn(reader)
    assert title == "Executive review: ﺭﻮﻨﻟﺍ ﺔﻛﺮﺷ ★ ☺, FY2026 Q2"
    assert "\u0634" not in title  # the unjoined letter sheen


@pytest.mark.django_db
def test_chinese_japanese_and_korean_print_in_the_fallback_font(
    fiscal_calendar,
) -> None:
    reader = _pdf_of("東京電力 ひかり 한국전력")

    title = _first_line_as_drawn(reader)

    assert _font_names(reader) == {
        "DejaVuSans",
        "DejaVuSans-Bold",
        "DroidSansFallback",
    }
    assert title == "Executive review: 東京電力 ひかり 한국전력, FY2026 Q2"


def test_text_falls_back_only_where_dejavu_has_no_glyph() -> None:
    pdf_fonts_register()

    runs = list(pdf_runs("Trend: 顧客満足 (%) ★"))

    assert runs == [
        ("LodeSans", "Trend: "),
        ("LodeCJK", "顧客満足"),
        ("LodeSans", " (%) ★"),
    ]


def test_a_long_arabic_paragraph_breaks_before_it_is_reordered() -> None:
    # given: twelve words that take three lines of four
    pdf_fonts_register()
    words = ["واحد", "اثنان", "ثلاثة", "أربعة"] * 3

    # when
    lines = pdf_lines(" ".join(words), width=100, font=FONT, size=10)

    # then: read right to left, line after line, the words come in order
    assert len(lines) == 3
    read = [word for line in lines for word in reversed(line.split(" "))]
    assert (
        read
        == [
            "ﺪﺣﺍﻭ",
            "ﻥﺎﻨﺛﺍ",
            "ﺔﺛﻼﺛ",
            "ﺔﻌﺑﺭﺃ",
        ]
        * 3
    )


@pytest.mark.django_db
def test_emoji_print_in_the_symbol_font_and_unknown_ones_as_a_mark(
    fiscal_calendar,
) -> None:
    # given: an account named with emoji Symbola has (👍, 🚀) and one newer
    # than any bundled font (🫠, Unicode 14)
    reader = _pdf_of("Rocket Labs 🚀 👍 🫠")

    # when
    title = reader.pages[0].extract_text().splitlines()[0]

    # then: the emoji come out of the PDF as themselves, the newer one as the
    # replacement character, and Symbola is embedded beside DejaVu
    assert title == "Executive review: Rocket Labs 🚀 👍 \ufffd, FY2026 Q2"
    assert _font_names(reader) == {"DejaVuSans", "DejaVuSans-Bold", "Symbola"}


def test_a_character_no_font_has_is_written_as_the_replacement() -> None:
    pdf_fonts_register()

    runs = list(pdf_runs("Done 👍\U0001fae0!"))

    assert runs == [
        ("LodeSans", "Done "),
        ("LodeSymbols", "👍"),
        ("LodeSans", "\ufffd!"),
    ]
