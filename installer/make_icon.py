"""Draw Pishkhan's application icon: resources/icons/pishkhan.png and pishkhan.ico.

A teal rounded square with a white «پ» (the first letter of پیشخوان) set in
the bundled Vazirmatn Bold, and a small amber "sent" tick in the corner.
Drawn with QPainter (PySide6 is already a dependency: no Pillow needed) at
every size Windows asks for, so small sizes are rendered, not shrunk.

The .ico is written by hand (ICONDIR + PNG-compressed entries, supported by
Windows since Vista) rather than through Qt's ico plugin, whose output
depends on which image plugins a Qt build happens to ship.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python installer/make_icon.py``.
The output is committed; re-run only when the design changes.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
)

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
FONT = ROOT / "resources" / "fonts" / "Vazirmatn-Bold.ttf"
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
PNG_SIZE = 512
LOGO_FILE = "pishkhan-logo@2x.png"
LOGO_SIZE = 128

TEAL_TOP = QColor("#138a7e")
TEAL_BOTTOM = QColor("#0b5f57")
AMBER = QColor("#f5b43c")


def draw(size: int, family: str) -> QImage:
    """The icon at ``size`` × ``size`` pixels, transparent outside the square."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)

    # Tiny sizes keep less margin so the shape stays readable in a taskbar.
    margin = size * (0.03 if size <= 24 else 0.06)
    square = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    radius = square.width() * 0.22
    gradient = QLinearGradient(square.topLeft(), square.bottomLeft())
    gradient.setColorAt(0.0, TEAL_TOP)
    gradient.setColorAt(1.0, TEAL_BOTTOM)
    path = QPainterPath()
    path.addRoundedRect(square, radius, radius)
    p.fillPath(path, gradient)

    font = QFont(family)
    font.setPixelSize(max(8, round(square.height() * 0.78)))
    # Centre the glyph's ink, not its line box (the dots hang far below the
    # baseline); a little left and up, because the tick takes the corner.
    letter = QPainterPath()
    letter.addText(QPointF(0, 0), font, "پ")
    ink = letter.boundingRect()
    target = square.center() - QPointF(square.width() * 0.05, square.height() * 0.04)
    letter.translate(target - ink.center())
    p.fillPath(letter, QColor("white"))

    if size >= 24:
        # The "sent" mark: an amber disc with a white tick, bottom right.
        d = square.width() * 0.36
        disc = QRectF(square.right() - d * 0.92, square.bottom() - d * 0.92, d, d)
        disc.translate(-square.width() * 0.02, -square.height() * 0.02)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(AMBER)
        p.drawEllipse(disc)
        pen = QPen(QColor("white"), max(1.5, d * 0.13))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        c, r = disc.center(), d / 2
        tick = QPainterPath(QPointF(c.x() - r * 0.45, c.y() + r * 0.02))
        tick.lineTo(QPointF(c.x() - r * 0.10, c.y() + r * 0.36))
        tick.lineTo(QPointF(c.x() + r * 0.48, c.y() - r * 0.32))
        p.drawPath(tick)
    p.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError("Qt could not encode PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO file whose entries are PNG images (ICONDIR, ICONDIRENTRY × n, data)."""
    count = len(pngs)
    header = struct.pack("<HHH", 0, 1, count)  # reserved, type 1 = icon, count
    offset = 6 + 16 * count
    entries, blobs = [], []
    for size, blob in sorted(pngs.items()):
        dim = 0 if size >= 256 else size  # 0 means 256 in the directory entry
        entries.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset))
        blobs.append(blob)
        offset += len(blob)
    return header + b"".join(entries) + b"".join(blobs)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    font_id = QFontDatabase.addApplicationFont(str(FONT))
    if font_id < 0:
        print(f"cannot load {FONT}", file=sys.stderr)
        return 1
    family = QFontDatabase.applicationFontFamilies(font_id)[0]
    ICONS.mkdir(parents=True, exist_ok=True)
    (ICONS / "pishkhan.png").write_bytes(png_bytes(draw(PNG_SIZE, family)))
    # The login window's logo at its size (64 px, drawn at 2× for high-DPI screens):
    # no scaling at start-up, when every millisecond before the first window counts.
    (ICONS / LOGO_FILE).write_bytes(png_bytes(draw(LOGO_SIZE, family)))
    pngs = {size: png_bytes(draw(size, family)) for size in ICO_SIZES}
    (ICONS / "pishkhan.ico").write_bytes(ico_bytes(pngs))
    print(
        f"wrote {ICONS / 'pishkhan.png'}, {ICONS / LOGO_FILE} and {ICONS / 'pishkhan.ico'} "
        f"({len(pngs)} sizes)"
    )
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
