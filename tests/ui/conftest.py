"""Shared UI fixtures: a real store in tmp_path, set up like an office, and AppContexts on it.

For every UI test module (the form, the queue, detail, printing, day close):

- ``ui_data_dir``: an empty data folder in tmp_path.
- ``empty_store``: the store opened (migrated) there, nothing in it: a PC before set-up.
- ``office_store``: the store with the office and this PC initialised, the demo catalogue,
  a manager (``MANAGER_USER``) and a clerk (``CLERK_USER``), both with ``PASSWORD``.
- ``populated_store``: ``office_store`` plus ``SEEDED_REQUESTS`` requests in varied states
  (made through the real intake path by ``desktop.demo.seed_demo``).
- ``make_ctx(store, *, clerk=None, lang="fa")``: an ``AppContext`` on a store, with its
  own worker; torn down (worker drained, read connection closed) after the test.
- ``ui_ctx``: a clerk logged in on ``office_store``; ``manager_ctx``: the manager;
  ``populated_ctx``: a clerk logged in on ``populated_store``; ``fresh_ctx``: ``empty_store``.
- ``sample_for(ctx, service_code, seed=1)``: a complete valid ``RequestDraft``;
  ``fill_form(form, draft)`` types it into a ``RequestForm`` (Persian digits by default).

The theme (Fusion, Vazirmatn, style sheet) is applied once; the language is reset to
Persian before every test, so a test that switches to English leaves nothing behind.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import QApplication

from desktop.clerks import ClerkDirectory, ClerkInfo
from desktop.config import Settings
from desktop.db.engine import DB_FILENAME, Store
from desktop.demo import DEMO_CLERK, DEMO_MANAGER, DEMO_OFFICE_CODE, DEMO_PASSWORD, seed_demo
from desktop.intake import RequestDraft
from desktop.samples import sample_draft
from rules.normalize import to_ascii_digits, to_persian_digits
from ui.app import build_context
from ui.context import AppContext
from ui.form_fields import ChoiceEditor, DateEditor, FieldEditor, LineEditor
from ui.i18n import LAYOUT_DIRECTION_KEY, apply_language
from ui.request_form import RequestForm
from ui.theme import apply_theme, layout_direction, locale_for, style_sheet
from ui.worker import Worker

MANAGER_USER = DEMO_MANAGER
CLERK_USER = DEMO_CLERK
PASSWORD = DEMO_PASSWORD
OFFICE_CODE = DEMO_OFFICE_CODE
SEEDED_REQUESTS = 30

MakeCtx = Callable[..., AppContext]


@pytest.fixture(scope="session")
def themed_app(qapp: QApplication) -> QApplication:
    apply_theme(qapp)
    return qapp


def _is_persian(app: QApplication) -> bool:
    """The state ``apply_language(app, "fa")`` leaves: its translators (the layout key
    translates to RTL, and the direction followed), its locale and its style sheet."""
    return (
        QCoreApplication.translate("QGuiApplication", LAYOUT_DIRECTION_KEY) == "RTL"
        and app.layoutDirection() == layout_direction("fa")
        and QLocale().name() == locale_for("fa").name()
        and app.styleSheet() == style_sheet("fa")
    )


def _reset_to_persian(app: QApplication) -> None:
    # Only when a test changed it: setting the style sheet again re-polishes every widget
    # still alive, which late in a run cost 7-10 s a test (at load 8) for nothing.
    if not _is_persian(app):
        apply_language(app, "fa")


@pytest.fixture(autouse=True)
def persian_ui(themed_app: QApplication) -> Iterator[None]:
    _reset_to_persian(themed_app)
    yield
    _reset_to_persian(themed_app)


@pytest.fixture
def ui_data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def empty_store(ui_data_dir: Path) -> Iterator[Store]:
    store = Store.open(ui_data_dir)
    yield store
    store.close()


@pytest.fixture(scope="session")
def store_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Set-up stores made once per session and copied per test (migrating and seeding
    every time would cost about a second a test)."""
    templates: dict[str, Path] = {}
    for name, requests in (("office", 0), ("populated", SEEDED_REQUESTS)):
        folder = tmp_path_factory.mktemp(f"template-{name}")
        store = Store.open(folder)
        seed_demo(store, requests=requests)
        store.close()  # the last connection out checkpoints the WAL into the file
        templates[name] = folder
    return templates


def _store_from(template: Path, data_dir: Path) -> Store:
    for path in template.iterdir():
        if path.name.startswith(DB_FILENAME):
            shutil.copy2(path, data_dir / path.name)
    return Store.open(data_dir)


@pytest.fixture
def office_store(store_templates: dict[str, Path], ui_data_dir: Path) -> Iterator[Store]:
    store = _store_from(store_templates["office"], ui_data_dir)
    yield store
    store.close()


@pytest.fixture
def populated_store(store_templates: dict[str, Path], ui_data_dir: Path) -> Iterator[Store]:
    store = _store_from(store_templates["populated"], ui_data_dir)
    yield store
    store.close()


@pytest.fixture
def make_ctx(ui_data_dir: Path) -> Iterator[MakeCtx]:
    made: list[AppContext] = []

    def make(store: Store, *, clerk: ClerkInfo | str | None = None, lang: str = "fa") -> AppContext:
        settings = Settings(ui_data_dir)
        settings.set("language", lang)
        ctx = build_context(ui_data_dir, store, settings, worker=Worker())
        ctx.catalogs.ensure_seeded()
        if isinstance(clerk, str):
            clerk = next(c for c in ctx.clerks.list() if c.username == clerk)
        ctx.clerk = clerk
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.worker.wait_idle()
        QApplication.processEvents()  # deliver the last results before the store closes
        ctx.queries.close()


@pytest.fixture
def ui_ctx(make_ctx: MakeCtx, office_store: Store) -> AppContext:
    return make_ctx(office_store, clerk=CLERK_USER)


@pytest.fixture
def manager_ctx(make_ctx: MakeCtx, office_store: Store) -> AppContext:
    return make_ctx(office_store, clerk=MANAGER_USER)


@pytest.fixture
def populated_ctx(make_ctx: MakeCtx, populated_store: Store) -> AppContext:
    return make_ctx(populated_store, clerk=CLERK_USER)


@pytest.fixture
def fresh_ctx(make_ctx: MakeCtx, empty_store: Store) -> AppContext:
    return make_ctx(empty_store)


def sample_for(ctx: AppContext, service_code: str, seed: int = 1) -> RequestDraft:
    """A complete, valid draft for one service of the current catalogue."""
    service = ctx.catalogs.current().service(service_code)
    return sample_draft(service, random.Random(seed))


def clerk_named(ctx: AppContext, username: str) -> ClerkInfo:
    return next(c for c in ClerkDirectory(ctx.store).list() if c.username == username)


def fill_form(form: RequestForm, draft: RequestDraft, *, persian_digits: bool = True) -> None:
    """Type a draft into the form the way a clerk would (Persian digits by default).

    Text goes in with ``setText`` (never ``qtbot.keyClicks``: Persian text aborts
    pytest, see FACTS.md); choices by their value; documents ticked; card reference.
    """
    show = to_persian_digits if persian_digits else str
    form.picker.choose(draft.service_code)
    for key, value in draft.applicant.items():
        _type_into(form.applicant_cells[key].editor, show(value))
    for key, value in draft.answers.items():
        _type_into(form.answer_cells[key].editor, show(value))
    for key, box in form.document_boxes.items():
        box.setChecked(key in set(draft.documents))
    form.card_ref.setText(show(draft.card_ref))


def _type_into(editor: FieldEditor, text: str) -> None:
    if isinstance(editor, ChoiceEditor):
        editor.set_value(to_ascii_digits(text))
    elif isinstance(editor, (LineEditor, DateEditor)):
        editor.edit.setText(text)
    else:  # pragma: no cover - a new editor type needs a line here
        raise AssertionError(type(editor))
