"""Reading copies shown as page images: a PDF page rendered to PNG with PDFium (pypdfium2).

Reading copies (TT05 art. 37) are AES-256 encrypted with an empty user password and an owner password
nobody knows; PDFium opens them with the empty password. The researcher's browser only ever receives
PNG images, never the PDF. PDFium is not thread-safe and waitress serves with threads: every call into
it holds one process-wide lock. A page is rendered at the configured resolution, scaled down when it
would exceed ``MAX_PIXELS`` on its longer side (a huge page size must not exhaust memory).
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pypdfium2 as pdfium

READING_PASSWORD = ""  # the user password of reading copies: anyone may open, nobody may print or copy
MAX_PIXELS = 3000  # the longer side of a rendered page, at most
POINTS_PER_INCH = 72
_PDFIUM = threading.Lock()


class PageError(Exception):
    """The reading copy cannot be opened, or has no such page."""


def page_count(path: Path) -> int:
    """How many pages the PDF at ``path`` has."""
    with _PDFIUM:
        document = _open(path)
        try:
            return len(document)
        finally:
            document.close()


def render_png(path: Path, number: int, dpi: int) -> bytes:
    """Page ``number`` (1-based) of the PDF at ``path`` as a PNG image at ``dpi`` dots per inch."""
    with _PDFIUM:
        document = _open(path)
        try:
            if not 1 <= number <= len(document):
                raise PageError(f"no page {number} in {path.name} ({len(document)} pages)")
            page = document[number - 1]
            try:
                width, height = page.get_size()
                scale = dpi / POINTS_PER_INCH
                longest = max(width, height, 1) * scale
                if longest > MAX_PIXELS:
                    scale *= MAX_PIXELS / longest
                bitmap = page.render(scale=scale)
                try:
                    image = bitmap.to_pil()
                finally:
                    bitmap.close()
            finally:
                page.close()
        finally:
            document.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(path, password=READING_PASSWORD)
    except (pdfium.PdfiumError, OSError) as exc:
        raise PageError(f"cannot open {path.name}: {exc}") from None
