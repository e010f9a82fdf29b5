"""The product's A4 pages as PDF (the briefing, a phase's results): fpdf2 with DejaVu Sans
embedded, which has every Vietnamese diacritic."""
from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

FONTS = Path(__file__).parent / "fonts"
HEADINGS = FontFace(emphasis="BOLD", fill_color=(230, 236, 245))


class Page(FPDF):
    """An A4 page in DejaVu Sans; `flowing` pages break onto the next one (a long table)."""

    def __init__(self, *, flowing: bool = False):
        super().__init__(format="A4")
        self.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
        self.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_auto_page_break(flowing, margin=12)
        self.set_margins(12, 10, 12)
        self.add_page()

    def line_of(self, text: str, size: float, bold: bool = False, height: float | None = None) -> None:
        self.set_font("DejaVu", "B" if bold else "", size)
        self.multi_cell(0, height or size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
