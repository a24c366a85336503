"""The fonts the PDF exports write with, and the text they are handed.

reportlab's built-in Helvetica covers Latin-1 only: an Arabic account name
or a symbol in a measure printed as empty boxes. DejaVu Sans covers Latin,
Greek, Cyrillic, Arabic, Hebrew and many symbols; Droid Sans Fallback covers
Chinese, Japanese and Korean, and writes whatever DejaVu has no glyph for.
They ship here with Symbola (licences in fonts/), so an export reads the
same on every machine, whatever fonts it has installed.

reportlab draws text left to right, one glyph per character, without
shaping. So right-to-left text is shaped first (Arabic letters take their
joined forms) and put in the order it is seen, one line at a time, with
arabic-reshaper and python-bidi.

Emoji and other pictographs DejaVu lacks (👍, 🚀) print in Symbola, a
monochrome outline font reportlab can embed (it covers Unicode 9). A
character no bundled font has, such as an emoji newer than that, prints as
the replacement character �, so the reader sees something was there;
nothing is dropped without a mark.
"""

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "LodeSans"
FONT_BOLD = "LodeSans-Bold"
FONT_CJK = "LodeCJK"
FONT_SYMBOLS = "LodeSymbols"
# What a character no bundled font has prints as; DejaVu has it.
REPLACEMENT = "\ufffd"

# Hebrew, Arabic, Syriac, Thaana, N'Ko and the Arabic presentation forms.
_RIGHT_TO_LEFT = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def pdf_fonts_register() -> None:
    """Make the fonts known to reportlab, once per process."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    _to_unicode_cmap_fix()
    pdfmetrics.registerFont(TTFont(FONT, FONT_DIR / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_CJK, FONT_DIR / "DroidSansFallback.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_SYMBOLS, FONT_DIR / "Symbola.ttf"))
    # Paragraph markup such as <b> finds the bold face through this family.
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT_BOLD)
    addMapping(FONT, 0, 1, FONT)
    addMapping(FONT, 1, 1, FONT_BOLD)
    # The fallbacks have one face; bold prints in them as regular.
    for fallback in (FONT_CJK, FONT_SYMBOLS):
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(fallback, bold, italic, fallback)


def _utf16_hex(code: int) -> str:
    return chr(code).encode("utf-16-be").hex().upper()


def _to_unicode_cmap_fix() -> None:
    """Make reportlab map characters past U+FFFF back to text correctly.

    Its ToUnicode map writes such a code point as is (<1F680>), where PDF
    wants UTF-16 (<D83DDE80>); readers then lose every emoji when the text
    is copied or extracted. Each such entry is rewritten; the rest is
    reportlab's own output.
    """
    from reportlab.pdfbase import ttfonts

    made = ttfonts.makeToUnicodeCMap
    if getattr(made, "lode_utf16", False):
        return

    def cmap(fontname: str, subset: list[int]) -> str:
        text: str = made(fontname, subset)
        for index, code in enumerate(subset):
            if code > 0xFFFF:
                text = text.replace(
                    f"<{index:02X}> <{code:04X}>",
                    f"<{index:02X}> <{_utf16_hex(code)}>",
                )
        return text

    cmap.lode_utf16 = True  # type: ignore[attr-defined]
    ttfonts.makeToUnicodeCMap = cmap


@cache
def _glyphs(font: str) -> frozenset[int]:
    from reportlab.pdfbase import pdfmetrics

    face = pdfmetrics.getFont(font).face  # type: ignore[attr-defined]
    return frozenset(face.charToGlyph)


def _font_for(character: str, font: str) -> str | None:
    """Return the first font with a glyph for the character, or None."""
    # Spaces stay with the text around them.
    if character.isspace() or ord(character) in _glyphs(font):
        return font
    for fallback in (FONT_CJK, FONT_SYMBOLS):
        if ord(character) in _glyphs(fallback):
            return fallback
    return None


def pdf_runs(text: str, font: str = FONT) -> Iterator[tuple[str, str]]:
    """Yield (font, text) runs: fallbacks write what `font` has no glyph for.

    A character no font has is written as REPLACEMENT in `font`.
    """
    run, run_font = "", font
    for character in text:
        wanted = _font_for(character, font)
        if wanted is None:
            character, wanted = REPLACEMENT, font
        if wanted != run_font and run:
            yield run_font, run
            run = ""
        run, run_font = run + character, wanted
    if run:
        yield run_font, run


def pdf_width(text: str, font: str, size: float) -> float:
    """Return the width the text takes when drawn in runs."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(run, name, size) for name, run in pdf_runs(text, font))


def pdf_is_right_to_left(text: str) -> bool:
    """Return whether the text reads right to left (its first strong letter)."""
    if not _RIGHT_TO_LEFT.search(text):
        return False
    from bidi import get_base_level

    return bool(get_base_level(text))


def pdf_visual(line: str) -> str:
    """Return one line shaped and in the order it is seen, left to right."""
    if not _RIGHT_TO_LEFT.search(line):
        return line
    from arabic_reshaper import reshape
    from bidi import get_display

    return str(get_display(reshape(line)))


def pdf_lines(text: str, *, width: float, font: str, size: float) -> list[str]:
    """Break right-to-left text into lines that fit, each in visual order.

    Reordering must come after the line breaks: reordered whole, the end of
    a long paragraph would print on its first line.
    """
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and pdf_width(pdf_visual(candidate), font, size) > width:
                lines.append(line)
                candidate = word
            line = candidate
        lines.append(line)
    return [pdf_visual(line) for line in lines]


def pdf_markup(line: str, font: str = FONT) -> str:
    """Return one visual line as Paragraph markup, fallback runs marked."""
    return "".join(
        escape(run) if name == font else f'<font face="{name}">{escape(run)}</font>'
        for name, run in pdf_runs(line, font)
    )


def pdf_string(
    x: float,
    y: float,
    text: str,
    *,
    font: str = FONT,
    size: float = 8,
    anchor: str = "start",
    **style: object,
) -> object:
    """Return a chart label as drawn strings, one per font run, shaped."""
    from reportlab.graphics.shapes import Group, String
    from reportlab.pdfbase.pdfmetrics import stringWidth

    line = pdf_visual(text)
    width = pdf_width(line, font, size)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    group = Group()
    for name, run in pdf_runs(line, font):
        group.add(String(left, y, run, fontName=name, fontSize=size, **style))
        left += stringWidth(run, name, size)
    return group


def pdf_cell(text: str, style: object) -> object:
    """Return a table cell's text: shaped, and a Paragraph if it needs the fallback."""
    from reportlab.platypus import Paragraph

    line = pdf_visual(text)
    font = getattr(style, "fontName", FONT)
    if all(name == font for name, _ in pdf_runs(line, font)):
        return line
    return Paragraph(pdf_markup(line, font), style)  # type: ignore[arg-type]
