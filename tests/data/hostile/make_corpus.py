"""The hostile-file corpus: files built to stop or slow the service, made on demand (megabytes
are not committed). `python tests/data/hostile/make_corpus.py [FOLDER]` writes them to FOLDER
(default: beside this script); the tests write them to a temporary folder.

Each file comes with the limit that must refuse it (a word of the refusal's message) and the
size it reaches once read, so a test can say the refusal came before that work.
"""
from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

HEADER = "date,unit_code,metric,value\n"
ROW = "2025-10-20,A,voluntary_si,120\n"


def _wide_header(columns: int) -> bytes:
    """A header of many short names, under the 5 MB cap (the issue's 300,000 columns: 2.6 MB)."""
    names = ",".join(f"c{i}" for i in range(columns))
    return (names + "\n" + ",".join("1" for _ in range(columns)) + "\n").encode()


def _wide_row() -> bytes:
    """A short header and one data row of 300,000 cells."""
    return (HEADER + "2025-10-20,A,voluntary_si," + "1," * 300_000 + "1\n").encode()


def _one_line(size: int) -> bytes:
    """One line without an end: a pasted blob, or a file whose line endings were lost."""
    return ("date,unit_code,metric,value" + "x" * (size - 27)).encode()


def _many_rows(rows: int) -> bytes:
    """Under the byte cap, more rows than any report has: empty rows are cheapest to write."""
    return (HEADER + ROW + ",,,\n" * rows).encode()


def _zip_bomb(uncompressed: int) -> bytes:
    """An .xlsx whose sheet XML is `uncompressed` bytes of one repeated cell (compresses ~1000:1)."""
    cell = '<c t="inlineStr"><is><t>1</t></is></c>'
    row = "<row>" + cell * 1000 + "</row>"
    rows = uncompressed // len(row)
    sheet = io.BytesIO()
    sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
                b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    sheet.write(row.encode() * rows)
    sheet.write(b"</sheetData></worksheet>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        book.writestr("xl/worksheets/sheet1.xml", sheet.getvalue())
    return buffer.getvalue()


CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
</Relationships>"""

# name -> (what makes the bytes, a word the refusal must say)
CORPUS = {
    "wide-300000-columns.csv": (lambda: _wide_header(300_000), "characters"),
    "wide-500-columns.csv": (lambda: _wide_header(500), "columns"),
    "wide-row-300000-cells.csv": (_wide_row, "columns"),
    "one-line-6mb.csv": (lambda: _one_line(6 * 1024 * 1024), "MB"),
    "one-line-4mb.csv": (lambda: _one_line(4 * 1024 * 1024), "characters"),
    "many-rows.csv": (lambda: _many_rows(1_200_000), "rows"),
    "zip-bomb.xlsx": (lambda: _zip_bomb(300 * 1024 * 1024), "MB"),
}


def make(folder: Path) -> dict[str, tuple[Path, str]]:
    """Write the corpus to `folder`; name -> (path, the word its refusal says)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, (build, word) in CORPUS.items():
        path = folder / name
        if not path.exists():
            path.write_bytes(build())
        written[name] = (path, word)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    for name, (path, _) in make(target).items():
        print(f"{path}: {path.stat().st_size:,} bytes")
