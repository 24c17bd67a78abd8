"""The priority rule's page: read it, edit it, preview which cases would move and how far,
and save it as a new version (which re-orders every backlog). Team leaders and admins
edit; everyone may read it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kinfold.accounts import ADMIN, TEAM_LEADER
from kinfold.allocate.backlog import refresh
from kinfold.priority.rule import RuleError
from kinfold.priority.run import Move, preview, rule_in_force, rule_versions, save_rule
from kinfold.web.pages import too_long
from kinfold.web.render import render
from kinfold.web.security import PageSession, WebState, checked_form, need_role

router = APIRouter(include_in_schema=False)
EDITORS = (TEAM_LEADER, ADMIN)
RULE_MAX = 50_000  # characters: the shipped rule is about 2,000
SHOWN_MOVES = 25


@router.get("/rule")
def rule_page(request: Request, session: PageSession, state: WebState, saved: int = 0) -> Response:
    with state.engine.connect() as conn:
        _, text = rule_in_force(conn)
    return _page(request, session, state, text=text, saved=saved)


@router.post("/rule/preview")
async def rule_preview(request: Request, session: PageSession, state: WebState) -> Response:
    form = await checked_form(request, session)
    need_role(session.account, *EDITORS)
    text, errors = _text(form)
    moves = None
    if not errors:
        try:
            moves = preview(state.engine, text, "the rule as edited")
        except RuleError as error:
            errors["rule"] = str(error).replace("\n", " ")
    return _page(request, session, state, 400 if errors else 200, text=text, moves=moves,
                 errors=errors)  # fmt: skip


@router.post("/rule/save")
async def rule_save(request: Request, session: PageSession, state: WebState) -> Response:
    form = await checked_form(request, session)
    need_role(session.account, *EDITORS)
    text, errors = _text(form)
    note = str(form.get("note", "")).strip()
    if not note:
        errors["note"] = "Say why the rule changed, for its history"
    elif long := too_long(note, "The reason"):
        errors["note"] = long
    if not errors:
        try:
            version = save_rule(state.engine, text, session.account.username,
                                "the rule as edited", note)  # fmt: skip
        except RuleError as error:
            errors["rule"] = str(error).replace("\n", " ")
        else:
            refresh(state.engine, state.settings, session.account.username)
            return RedirectResponse(f"/rule?saved={version}", status_code=303)
    return _page(request, session, state, 400, text=text, errors=errors, note=note)


def _text(form: dict[str, str | list[str]]) -> tuple[str, dict[str, str]]:
    text = str(form.get("rule", ""))
    if not text.strip():
        return text, {"rule": "Enter the rule"}
    if len(text) > RULE_MAX:
        return text[:RULE_MAX], {"rule": f"The rule must be {RULE_MAX:,} characters or fewer"}
    return text.replace("\r\n", "\n"), {}


def _page(
    request: Request,
    session: PageSession,
    state: WebState,
    status: int = 200,
    moves: list[Move] | None = None,
    **context: object,
) -> Response:
    with state.engine.connect() as conn:
        version, _ = rule_in_force(conn)
        versions = rule_versions(conn)
    moved = None if moves is None else [m for m in moves if m.places]
    return render(
        request,
        "rule.html",
        status,
        title="Priority rule",
        version=version,
        versions=versions,
        editor=session.account.role in EDITORS,
        moves=None if moved is None else moved[:SHOWN_MOVES],
        up=sum(m.places > 0 for m in moved or []),
        down=sum(m.places < 0 for m in moved or []),
        unmoved=0 if moves is None or moved is None else len(moves) - len(moved),
        **{"note": "", **context},
    )
