"""PDFium for the scans: one lock for every call, and a PDF's pages as pictures.

PDFium is not thread-safe, not even across different documents (pypdfium2's own
documentation: calls from two threads at once may crash or corrupt the process), and the
documents area runs the scan pipeline on two worker threads at once (two PDFs dropped
together). So every use of pdfium in the counter holds `PDFIUM`: `shrink` while it opens
and renders a PDF, `first_page` while it draws a thumbnail, `page_of` while it draws a page
for the preview. Nothing here imports Qt: the UI turns the picture into its own image type.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image

#: Held around every pdfium call in the process (see above).
PDFIUM = threading.Lock()


@dataclass(frozen=True)
class DrawnPage:
    """A PDF's page fitted into a box, and how many pages the PDF has."""

    image: Image.Image  # RGB
    pages: int


FirstPage = DrawnPage  # the thumbnail's name for it


class PageNotShown(Exception):
    """The PDF or one of its pages could not be drawn (damaged, password, no such page)."""


def first_page(data: bytes, width: int, height: int) -> DrawnPage:
    """The first page of the PDF `data` rendered to fit `width` x `height` pixels.

    Raises `PageNotShown` for a PDF that cannot be opened or whose first page cannot be
    loaded or drawn; the caller shows a plain sheet instead.
    """
    return page_of(data, 0, width, height)


def page_of(data: bytes, index: int, width: int, height: int) -> DrawnPage:
    """Page `index` (from 0) of the PDF `data` rendered to fit `width` x `height` pixels;
    `PageNotShown` as for `first_page`, and for a page the PDF does not have."""
    with PDFIUM:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise PageNotShown(str(exc)) from exc
        try:
            pages = len(pdf)
            if pages == 0:
                raise PageNotShown("no pages")
            if not 0 <= index < pages:
                raise PageNotShown(f"no page {index + 1} of {pages}")
            page = pdf[index]
            try:
                width_pt, height_pt = page.get_size()
                if width_pt <= 0 or height_pt <= 0:
                    raise PageNotShown("a page of no size")
                scale = min(width / width_pt, height / height_pt)
                bitmap = page.render(scale=scale)  # on white, the default
                try:
                    # A copy of the pixels: the bitmap is freed here, under the lock, not
                    # by a finalizer on whichever thread drops it last.
                    image = bitmap.to_pil().convert("RGB").copy()
                finally:
                    bitmap.close()
            finally:
                page.close()
        except (pdfium.PdfiumError, ValueError) as exc:  # ValueError: a page's odd numbers
            raise PageNotShown(str(exc)) from exc
        finally:
            pdf.close()
    return DrawnPage(image, pages)
