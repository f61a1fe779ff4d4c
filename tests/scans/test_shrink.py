"""The shrinking pipeline on real files: generated scans, photos, TIFFs, PDFs, and bad input."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from bench.scan_pages import a4_text_page, colour_photo
from desktop.scans import refusals
from desktop.scans.budgets import BUDGETS, MAX_INPUT_BYTES, ScanKind
from desktop.scans.refusals import ScanRefused
from desktop.scans.shrink import JPEG, PDF, shrink_bytes, shrink_file
from rules.bidi import is_isolated

DOC = BUDGETS[ScanKind.DOCUMENT]
PHOTO = BUDGETS[ScanKind.PHOTO]


@pytest.fixture(scope="module")
def a4_jpeg() -> bytes:
    return a4_text_page().jpeg()


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a4_text_scan_becomes_one_grayscale_page_within_budget(a4_jpeg: bytes) -> None:
    scan = shrink_bytes(a4_jpeg, ScanKind.DOCUMENT)
    assert scan.pages == 1 and len(scan.parts) == 1
    part = scan.parts[0]
    assert part.media_type == JPEG
    assert len(part.data) <= DOC.max_bytes < len(a4_jpeg)
    page = _decoded(part.data)
    assert page.mode == "L"
    assert max(page.size) <= DOC.max_long_side
    # 300 dpi A4 at 150 dpi: half each way, the aspect kept
    assert page.size == (1240, 1754)


def test_colour_photo_keeps_colour_turns_upright_and_loses_exif_and_gps() -> None:
    source = colour_photo(size=(1500, 2000))
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825)  # the input has GPS
    scan = shrink_bytes(source, ScanKind.PHOTO)
    part = scan.parts[0]
    page = _decoded(part.data)
    assert page.mode == "RGB"
    assert len(part.data) <= PHOTO.max_bytes
    # 1500×2000 stored with "rotate 90°": shown 4000×3000, then to the photo's longest side
    assert page.size == (PHOTO.max_long_side, PHOTO.max_long_side * 3 // 4)
    assert len(page.getexif()) == 0
    assert b"Exif" not in part.data[:4096]
    assert b"PhoneMaker" not in part.data


def test_multi_page_tiff_gives_one_page_each(tmp_path: Path) -> None:
    pages = [Image.new("L", (1200, 1700), shade) for shade in (250, 200, 150)]
    path = tmp_path / "three.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:], compression="tiff_lzw")
    scan = shrink_file(path, ScanKind.DOCUMENT)
    assert scan.pages == 3
    shades = [_decoded(p.data).getpixel((600, 850)) for p in scan.parts]
    assert [abs(int(s) - e) <= 2 for s, e in zip(shades, (250, 200, 150), strict=True)] == [
        True
    ] * 3


def test_scanned_pdf_is_rendered_and_shrunk(a4_jpeg: bytes, tmp_path: Path) -> None:
    page = _decoded(a4_jpeg)
    path = tmp_path / "scan.pdf"
    page.save(path, "PDF", resolution=300, save_all=True, append_images=[page])
    assert path.stat().st_size > 2 * DOC.max_bytes
    scan = shrink_file(path, ScanKind.DOCUMENT)
    assert scan.pages == 2
    assert all(p.media_type == JPEG and len(p.data) <= DOC.max_bytes for p in scan.parts)
    width, height = _decoded(scan.parts[0].data).size
    assert height == 1754 and abs(width - 1240) <= 1  # points to pixels: one of rounding


def test_small_pdf_travels_as_it_came(tmp_path: Path) -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    scan = shrink_bytes(out.getvalue(), ScanKind.DOCUMENT)
    assert [(p.media_type, p.pages, p.data) for p in scan.parts] == [(PDF, 1, out.getvalue())]


def test_pasted_image_with_transparency_is_flattened_on_white() -> None:
    pasted = Image.new("RGBA", (800, 600), (0, 0, 0, 0))
    pasted.paste((200, 0, 0, 255), (0, 0, 400, 600))
    out = io.BytesIO()
    pasted.save(out, "PNG")
    scan = shrink_bytes(out.getvalue(), ScanKind.PHOTO)
    page = _decoded(scan.parts[0].data).convert("RGB")
    red, white = page.getpixel((100, 300)), page.getpixel((700, 300))
    assert isinstance(red, tuple) and isinstance(white, tuple)
    assert red[0] > 150 and red[1] < 60 and min(white) > 240


def _refusal(data: bytes, kind: ScanKind = ScanKind.DOCUMENT) -> ScanRefused:
    with pytest.raises(ScanRefused) as caught:
        shrink_bytes(data, kind)
    message = caught.value.message
    assert message.fa and message.en and message.fa != message.en
    return caught.value


def test_bytes_that_are_no_image_are_refused() -> None:
    assert _refusal(b"MZ\x90\x00 this is an executable").message == refusals.NOT_AN_IMAGE
    assert _refusal(b"").message == refusals.EMPTY_FILE
    assert _refusal(b"%PDF-1.7\n garbage").message == refusals.NOT_AN_IMAGE


def test_truncated_jpeg_is_refused(a4_jpeg: bytes) -> None:
    assert _refusal(a4_jpeg[: len(a4_jpeg) // 2]).message == refusals.NOT_AN_IMAGE


def test_other_image_formats_are_refused_by_name() -> None:
    out = io.BytesIO()
    Image.new("RGB", (50, 50)).save(out, "GIF")
    refused = _refusal(out.getvalue())
    assert "GIF" in refused.message.en and "GIF" in refused.message.fa
    # A Latin token inside the Persian sentence is isolated left to right.
    assert is_isolated(refused.message.fa, "GIF") and not is_isolated(refused.message.en, "GIF")


def test_an_unreadable_files_reason_is_isolated_in_persian(tmp_path: Path) -> None:
    with pytest.raises(ScanRefused) as refused:
        shrink_file(tmp_path / "gone.jpg", ScanKind.DOCUMENT)
    reason = "No such file or directory"
    assert is_isolated(refused.value.message.fa, reason)
    assert refused.value.message.en == f"The file could not be read ({reason})"


def test_too_many_pixels_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("1", (9000, 9000), 1).save(out, "PNG")  # 81 MP, a few kB on disk
    refused = _refusal(out.getvalue())
    assert "81" in refused.message.en


def test_password_pdf_is_refused_with_its_own_reason() -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    assert _refusal(out.getvalue()).message == refusals.PDF_PROTECTED


def test_file_too_large_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.jpg"
    with path.open("wb") as f:
        f.truncate(MAX_INPUT_BYTES + 1)  # sparse: the check must not need the bytes
    with pytest.raises(ScanRefused) as caught:
        shrink_file(path, ScanKind.DOCUMENT)
    assert "40" in caught.value.message.en and "MB" in caught.value.message.en


def test_missing_file_is_refused_with_the_os_reason(tmp_path: Path) -> None:
    with pytest.raises(ScanRefused) as caught:
        shrink_file(tmp_path / "gone.jpg", ScanKind.DOCUMENT)
    assert "No such file" in caught.value.message.en
