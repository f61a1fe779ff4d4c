"""About Pishkhan: version, this installation, and the font's licence (OFL requires it)."""

from __future__ import annotations

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop import __version__
from ui.context import AppContext
from ui.theme import digits, heading_font, resource_path, set_role


class AboutDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lang = ctx.lang
        self.setObjectName("aboutDialog")
        self.setWindowTitle(self.tr("About Pishkhan"))
        self.setMinimumWidth(460)
        logo = QLabel(self)
        pixmap = QPixmap(str(resource_path("icons", "pishkhan.png")))
        if not pixmap.isNull():
            logo.setPixmap(
                pixmap.scaled(
                    72,
                    72,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        title = QLabel(self.tr("Pishkhan"), self)
        title.setFont(heading_font(self.font(), grow=6))
        set_role(title, "heading")
        self.version = QLabel(self.tr("Version %1").replace("%1", digits(__version__, lang)), self)
        self.version.setObjectName("aboutVersion")
        subtitle = QLabel(self.tr("Counter program for government service offices"), self)
        set_role(subtitle, "help")
        head = QVBoxLayout()
        head.addWidget(title)
        head.addWidget(self.version)
        head.addWidget(subtitle)
        top = QHBoxLayout()
        top.addWidget(logo)
        top.addLayout(head, 1)

        lines = []
        if ctx.device is not None:
            lines.append(
                self.tr("Office %1 (%2), counter %3")
                .replace("%1", ctx.device.office_name)
                .replace("%2", digits(ctx.device.office_code, lang))
                .replace("%3", digits(str(ctx.device.counter_no), lang))
            )
        lines.append(self.tr("Data folder: %1").replace("%1", str(ctx.data_dir)))
        lines.append(f"Qt {qVersion()} · PySide6 {PySide6.__version__}")
        details = QLabel("\n".join(lines), self)
        details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        details.setWordWrap(True)
        licence = QLabel(
            self.tr(
                "The Vazirmatn typeface © 2015 The Vazirmatn Project Authors, "
                "used under the SIL Open Font License 1.1; the licence text is shipped "
                "beside the font files (fonts/OFL.txt)."
            ),
            self,
        )
        licence.setObjectName("aboutLicence")
        licence.setWordWrap(True)
        set_role(licence, "help")
        close = QPushButton(self.tr("Close"), self)
        close.setDefault(True)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addLayout(top)
        layout.addWidget(details)
        layout.addWidget(licence)
        layout.addLayout(buttons)
