"""Generated stand-ins for what a counter's scanner and phone produce (tests and bench).

`a4_text_page`: a 300 dpi A4 scan of a printed form: slightly grey, noisy paper (a flatbed's
texture, which is what makes real scans large), lines of words at 8, 10 and 12 pt, as on a
birth certificate. `colour_photo`: a phone photo with EXIF, including a GPS position. Both
come from a seed, so every run measures the same pages.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter, ImageFont

A4_300DPI = (2480, 3508)
_WORDS = (
    "birth certificate registry office father mother name family place date issued "
    "number series serial national code province city village street district married "
    "divorced child first second third page holder signature stamp official copy record "
    "identity year month day born registered witness remarks notes address postal"
).split()
_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@dataclass(frozen=True)
class TextPage:
    """A generated page and the words printed on it, per point size."""

    image: Image.Image
    words: dict[int, list[str]]  # point size -> the words in reading order

    def png(self) -> bytes:
        out = io.BytesIO()
        self.image.save(out, "PNG", dpi=(300, 300))
        return out.getvalue()

    def jpeg(self, quality: int = 92) -> bytes:
        out = io.BytesIO()
        self.image.save(out, "JPEG", quality=quality, dpi=(300, 300))
        return out.getvalue()


def _font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(_FONT, size_px)
    except OSError:  # no DejaVu: Pillow's own scalable font
        return ImageFont.load_default(size_px)


def a4_text_page(seed: int = 12, *, sizes: tuple[int, ...] = (8, 10, 12)) -> TextPage:
    rng = random.Random(seed)
    page = Image.effect_noise(A4_300DPI, 9).point(lambda v: 228 + (v - 128) // 6)
    page = page.convert("RGB")
    draw = ImageDraw.Draw(page)
    words: dict[int, list[str]] = {}
    y = 150
    for pt in sizes:
        px = round(pt * 300 / 72)
        font = _font(px)
        printed: list[str] = []
        for _line in range(12):
            line = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(7, 10)))
            draw.text((180, y), line, fill=(25, 25, 30), font=font)
            printed.extend(line.split())
            y += round(px * 1.6)
        words[pt] = printed
        y += px
    # a stamp in blue and a signature-like scrawl, as on the real thing
    draw.ellipse((1700, 3000, 2200, 3400), outline=(40, 60, 170), width=12)
    points = [(300 + i * 20, 3200 + rng.randint(-60, 60)) for i in range(40)]
    draw.line(points, fill=(20, 20, 90), width=6)
    page = page.filter(ImageFilter.GaussianBlur(0.6))  # the scanner's optics
    return TextPage(page, words)


def colour_photo(seed: int = 3, size: tuple[int, int] = (3000, 4000)) -> bytes:
    """A phone-camera JPEG with EXIF orientation and a GPS position."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize(size)
    photo = Image.merge("RGB", (base, base.rotate(90), Image.effect_noise(size, 40)))
    draw = ImageDraw.Draw(photo)
    for _ in range(30):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randint(50, 400)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to show
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (35.0, 41.0, 21.0)
    gps[3] = "E"
    gps[4] = (51.0, 23.0, 20.0)
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()
