"""PDFium for the scans: one lock for every call, and a PDF's first page as a small picture.

PDFium is not thread-safe, not even across different documents (pypdfium2's own
documentation: calls from two threads at once may crash or corrupt the process), and the
documents area runs the scan pipeline on two worker threads at once (two PDFs dropped
together). So every use of pdfium in the counter holds `PDFIUM`: `shrink` while it opens
and renders a PDF, `first_page` while it draws a thumbnail. Nothing here imports Qt: the UI
turns the picture into its own image type.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image

#: Held around every pdfium call in the process (see above).
PDFIUM = threading.Lock()


@dataclass(frozen=True)
class FirstPage:
    """A PDF's first page fitted into a box, and how many pages the PDF has."""

    image: Image.Image  # RGB
    pages: int


class PageNotShown(Exception):
    """The PDF or its first page could not be drawn (damaged, password, no page)."""


def first_page(data: bytes, width: int, height: int) -> FirstPage:
    """The first page of the PDF `data` rendered to fit `width` x `height` pixels.

    Raises `PageNotShown` for a PDF that cannot be opened or whose first page cannot be
    loaded or drawn; the caller shows a plain sheet instead.
    """
    with PDFIUM:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise PageNotShown(str(exc)) from exc
        try:
            pages = len(pdf)
            if pages == 0:
                raise PageNotShown("no pages")
            page = pdf[0]
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
    return FirstPage(image, pages)
