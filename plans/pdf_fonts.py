"""The font the PDF exports write with, shipped beside this module.

reportlab's built-in Helvetica covers Latin-1 only: an Arabic account name
or a symbol in a measure printed as empty boxes. DejaVu Sans covers Latin,
Greek, Cyrillic, Arabic, Hebrew and many symbols; it ships here (licence
in fonts/LICENSE) so an export reads the same on every machine, whatever
fonts it has installed.
"""

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "LodeSans"
FONT_BOLD = "LodeSans-Bold"


def pdf_fonts_register() -> None:
    """Make FONT and FONT_BOLD known to reportlab, once per process."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, FONT_DIR / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, FONT_DIR / "DejaVuSans-Bold.ttf"))
    # Paragraph markup such as <b> finds the bold face through this family.
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT_BOLD)
    addMapping(FONT, 0, 1, FONT)
    addMapping(FONT, 1, 1, FONT_BOLD)
