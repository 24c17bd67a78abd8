"""The imports page: upload a file of items, map its columns to kinfold's fields when
they are not its own, and see what was imported and what went to quarantine, and why.
Team leaders and admins import; everyone may read the history.

An upload is kept in the workspace's `uploads/` folder only until it is imported."""

from __future__ import annotations

import re
import secrets
import shutil
import time
from pathlib import Path

import yaml
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile

from kinfold.accounts import ADMIN, TEAM_LEADER
from kinfold.errors import KinfoldError
from kinfold.ingest.fields import CANONICAL, NAME_FIELDS, REQUIRED
from kinfold.ingest.mapping import canonical_mapping
from kinfold.ingest.readers import read_table
from kinfold.intake import import_and_place
from kinfold.store.schema import imports, quarantine
from kinfold.web.render import render
from kinfold.web.security import PageSession, RecordId, WebState, checked_form, need_role

router = APIRouter(include_in_schema=False)
IMPORTERS = (TEAM_LEADER, ADMIN)
MAX_BYTES = 50 * 1024 * 1024
TYPES = (".csv", ".xlsx", ".json", ".jsonl", ".xes", ".gz")
SOURCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}")
TOKEN = re.compile(r"[0-9a-f]{16}")
QUARANTINE_SHOWN = 200
UPLOAD_KEPT = 3600.0  # seconds an upload may wait for its columns to be matched
NO_SOURCE = (
    "Enter the source system's name, such as benefits: the file has no source column to say it"
)


@router.get("/imports")
def imports_page(request: Request, session: PageSession, state: WebState) -> Response:
    return _page(request, session, state)


@router.post("/imports")
async def upload(request: Request, session: PageSession, state: WebState) -> Response:
    need_role(session.account, *IMPORTERS)
    if int(request.headers.get("content-length") or 0) > MAX_BYTES + 1_000_000:
        return _page(request, session, state, 413, errors={"file": _too_big()})
    form = await request.form(max_files=1, max_fields=20)
    try:
        await checked_form(request, session)
        return await _upload_form(request, session, state, form)
    finally:
        await form.close()  # the upload's spooled copy


async def _upload_form(
    request: Request, session: PageSession, state: WebState, form: FormData
) -> Response:
    errors: dict[str, str] = {}
    source = str(form.get("source", "")).strip()
    if source and not good_source(source):
        errors["source"] = "The source system's name can hold letters, digits and spaces only"
    given = form.get("file")
    problem = upload_problem(given if isinstance(given, UploadFile) else None)
    if problem:
        errors["file"] = problem
    if errors:
        return _page(request, session, state, 400, errors=errors, source=source)
    assert isinstance(given, UploadFile)
    path = save_upload(state, given)
    try:
        (path.parent / "source.txt").write_text(source, encoding="utf-8")
    except OSError:
        shutil.rmtree(path.parent, ignore_errors=True)
        raise
    return await run_in_threadpool(
        _import_or_map, request, session, state, path.parent.name, path, source, None
    )


@router.post("/imports/{token}/map")
async def map_columns(
    request: Request, token: str, session: PageSession, state: WebState
) -> Response:
    need_role(session.account, *IMPORTERS)
    form = await checked_form(request, session)
    folder = _upload(state, token)
    path = next(p for p in folder.iterdir() if p.name not in ("source.txt", "mapping.yaml"))
    source = (folder / "source.txt").read_text(encoding="utf-8")
    chosen = {field: str(form.get(f"field-{field}", "")) for field in CANONICAL}
    fields = {field: column for field, column in chosen.items() if column}
    errors = {
        f"field-{field}": f"Choose the column that holds {field.replace('_', ' ')}"
        for field in REQUIRED
        if field not in fields
    }
    if not any(field in fields for field in NAME_FIELDS):
        errors["field-full_name"] = "Choose the column (or columns) holding the person's name"
    if errors:
        return _mapping_page(request, token, read_table(path).columns, source, errors, chosen, 400)
    mapping = folder / "mapping.yaml"
    mapping.write_text(yaml.safe_dump({"fields": fields}, allow_unicode=True), encoding="utf-8")
    return await run_in_threadpool(
        _import_or_map, request, session, state, token, path, source, mapping
    )


@router.get("/imports/{import_id}")
def import_page(
    request: Request, import_id: RecordId, session: PageSession, state: WebState
) -> Response:
    with state.engine.connect() as conn:
        found = conn.execute(select(imports).where(imports.c.id == import_id)).first()
        if found is None:
            raise KinfoldError(f"There is no import {import_id}.")
        rows = conn.execute(
            select(quarantine.c.row_number, quarantine.c.column_name, quarantine.c.reason)
            .where(quarantine.c.import_id == import_id)
            .order_by(quarantine.c.row_number)
            .limit(QUARANTINE_SHOWN)
        ).all()
    return render(request, "import.html", title=f"Import {import_id}", found=found,
                  quarantined=rows, shown=QUARANTINE_SHOWN)  # fmt: skip


def _import_or_map(
    request: Request,
    session: PageSession,
    state: WebState,
    token: str,
    path: Path,
    source: str,
    mapping: Path | None,
) -> Response:
    """Import the upload; first ask how its columns match kinfold's fields, when they are
    not kinfold's own and no matching was given. The upload is kept only while it waits
    for that matching: whatever else happens, an error too, it is deleted."""
    waiting = False
    try:
        columns = read_table(path).columns
        if mapping is None:
            rules = canonical_mapping(columns).rules
            if not source and "source" not in rules:
                return _page(request, session, state, 400, errors={"source": NO_SOURCE},
                             source=source)  # fmt: skip
            if not all(f in rules for f in REQUIRED) or not any(f in rules for f in NAME_FIELDS):
                guess = {field: rule.columns[0] for field, rule in rules.items()}
                asked = _mapping_page(request, token, columns, source, {}, guess, 200)
                waiting = True
                return asked
        intake = import_and_place(state.engine, state.settings, path, source or None,
                                  mapping_path=mapping, actor=session.account.username)  # fmt: skip
    except KinfoldError as error:
        return _page(request, session, state, 400, errors={"file": str(error)}, source=source)
    finally:
        if not waiting:
            shutil.rmtree(path.parent, ignore_errors=True)  # personal data: not kept
    if len(intake.imported) > 1:  # one import per source: the list shows them all
        return RedirectResponse("/imports", status_code=303)
    return RedirectResponse(f"/imports/{intake.imported[0].import_id}", status_code=303)


def _mapping_page(
    request: Request,
    token: str,
    columns: list[str],
    source: str,
    errors: dict[str, str],
    chosen: dict[str, str],
    status: int,
) -> Response:
    return render(request, "map.html", status, title="Match the columns", token=token,
                  columns=columns, fields=CANONICAL, required=REQUIRED, names=NAME_FIELDS,
                  source=source, errors=errors, chosen=chosen)  # fmt: skip


def _page(
    request: Request, session: PageSession, state: WebState, status: int = 200, **context: object
) -> Response:
    with state.engine.connect() as conn:
        history = conn.execute(select(imports).order_by(imports.c.id.desc()).limit(50)).all()
    return render(request, "imports.html", status, title="Imports", history=history,
                  importer=session.account.role in IMPORTERS, max_mb=MAX_BYTES // 1024 // 1024,
                  types=TYPES, **{"source": "", **context})  # fmt: skip


def uploads_of(workspace: Path) -> Path:
    return workspace / "uploads"


def _upload(state: WebState, token: str) -> Path:
    folder = uploads_of(state.folder) / token
    if not TOKEN.fullmatch(token) or not folder.is_dir():
        raise KinfoldError("That upload is not waiting any more.", "Upload the file again.")
    return folder


def save_upload(state: WebState, given: UploadFile) -> Path:
    """The upload, written to a folder of its own under the workspace's `uploads/` (its
    name is the upload's token); uploads left waiting too long go first."""
    sweep_uploads(state.folder)
    folder = uploads_of(state.folder) / secrets.token_hex(8)
    folder.mkdir(parents=True)
    path = folder / _safe_name(given.filename or "upload")
    try:
        with path.open("wb") as out:
            shutil.copyfileobj(given.file, out)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return path


def sweep_uploads(workspace: Path, kept_for: float = UPLOAD_KEPT) -> int:
    """Delete the uploads of `workspace` that have waited more than `kept_for` seconds
    (a column matching abandoned, or left by a crash): they hold personal data. Run when
    the app starts and at each upload; how many were deleted."""
    folder = uploads_of(workspace)
    stale = [upload for upload in (folder.iterdir() if folder.is_dir() else [])
             if time.time() - upload.stat().st_mtime > kept_for]  # fmt: skip
    for upload in stale:
        shutil.rmtree(upload, ignore_errors=True)
    return len(stale)


def upload_problem(given: UploadFile | None) -> str | None:
    """What is wrong with an upload, if anything."""
    if given is None or not given.filename:
        return "Select a file to import"
    if not given.filename.lower().endswith(TYPES):
        return f"The file must be one of: {', '.join(TYPES)}"
    if (given.size or 0) > MAX_BYTES:
        return _too_big()
    return None


def good_source(name: str) -> bool:
    return SOURCE.fullmatch(name.strip()) is not None


def _safe_name(name: str) -> str:
    """The file's own name, without any folder, in characters safe on every disk."""
    base = Path(name.replace("\\", "/")).name
    return re.sub(r"[^A-Za-z0-9._ -]", "_", base)[:200] or "upload"


def _too_big() -> str:
    return f"The file must be smaller than {MAX_BYTES // 1024 // 1024} MB"
