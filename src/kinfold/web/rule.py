"""The priority rule's page: a team's rule (its own, or the workspace's it works by) as a
form of its lines, a preview of which cases an edit would move and how far, and saving it
as a new version (which re-orders the backlogs it rules); the rule as YAML, to download
or to paste. A team leader edits their own team's rule, an admin the workspace's or any
team's; everyone may read the rule of their team (analysts and admins, every team's)."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kinfold.accounts import ADMIN, TEAM_LEADER, TEAM_ROLES, Account
from kinfold.allocate.backlog import refresh
from kinfold.ingest.values import BadValue, normalise_flag
from kinfold.priority.rule import (
    DAYS,
    LINES,
    ORDERS,
    FlagRule,
    Known,
    Rule,
    RuleError,
    key_words,
    parse_rule,
    rule_as_text,
    written_number,
)
from kinfold.priority.run import (
    Move,
    known_here,
    preview,
    rule_in_force,
    rule_teams,
    rule_versions,
    save_rule,
    teams_own_rules,
)
from kinfold.web.pages import too_long
from kinfold.web.render import render
from kinfold.web.security import PageSession, Refused, WebState, checked_form, need_role

router = APIRouter(include_in_schema=False)
EDITORS = (TEAM_LEADER, ADMIN)
RULE_MAX = 50_000  # characters: the shipped rule is about 2,000
SHOWN_MOVES = 25
BLANK_ROWS = 3  # empty rows under the risk flags and the needs, for new ones
OPTIONAL = {"due_harm_days"}  # left empty: due dates give no harm date
Form = dict[str, str | list[str]]


@router.get("/rule")
def rule_page(
    request: Request, session: PageSession, state: WebState, team: int | None = None,
    saved: int = 0,
) -> Response:  # fmt: skip
    return _page(request, session, state, _scope(session.account, team, state), saved=saved)


@router.get("/rule.yaml")
def rule_download(session: PageSession, state: WebState, team: int | None = None) -> Response:
    team_id = _scope(session.account, team, state)
    with state.engine.connect() as conn:
        version, text = rule_in_force(conn, team_id)
    name = f"priority-rule-version-{version}.yaml"
    return Response(text, media_type="application/yaml; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@router.post("/rule/preview")
async def rule_preview(request: Request, session: PageSession, state: WebState) -> Response:
    form = await checked_form(request, session)
    team_id = _editable(session.account, form, state)
    text, fields, errors = _edited(form, state)
    moves = None
    if not errors:
        try:
            moves = preview(state.engine, text, "the rule as edited", team_id=team_id)
        except RuleError as error:
            errors["rule"] = str(error).replace("\n", " ")
    return _page(request, session, state, team_id, 400 if errors else 200, fields=fields,
                 text=text, moves=moves, errors=errors)  # fmt: skip


@router.post("/rule/save")
async def rule_save(request: Request, session: PageSession, state: WebState) -> Response:
    form = await checked_form(request, session)
    team_id = _editable(session.account, form, state)
    text, fields, errors = _edited(form, state)
    note = str(form.get("note", "")).strip()
    if not note:
        errors["note"] = "Say why the rule changed, for its history"
    elif long := too_long(note, "The reason"):
        errors["note"] = long
    if not errors:
        try:
            version = save_rule(state.engine, text, session.account.username,
                                "the rule as edited", note, team_id)  # fmt: skip
        except RuleError as error:
            errors["rule"] = str(error).replace("\n", " ")
        else:
            refresh(state.engine, state.settings, session.account.username)
            scope = "" if team_id is None else f"team={team_id}&"
            return RedirectResponse(f"/rule?{scope}saved={version}", status_code=303)
    return _page(request, session, state, team_id, 400, fields=fields, text=text,
                 errors=errors, note=note)  # fmt: skip


# --- whose rule, and who may change it ----------------------------------------------


def _scope(account: Account, asked: int | None, state: WebState) -> int | None:
    """The team whose rule is shown (None: the workspace's). A caseworker or team leader
    sees their own team's; analysts and admins the one they ask for."""
    if account.role in TEAM_ROLES:
        return account.team_id
    if asked is not None:
        with state.engine.connect() as conn:
            if asked not in dict(rule_teams(conn)):
                raise Refused(f"There is no team {asked}.")
    return asked


def _editable(account: Account, form: Form, state: WebState) -> int | None:
    """The team whose rule the form changes; a team leader changes only their own."""
    need_role(account, *EDITORS)
    asked = str(form.get("team", "")).strip()
    if not asked.isdigit() and asked:
        raise Refused("The form names no team kinfold knows.")
    team_id = _scope(account, int(asked) if asked else None, state)
    if account.role == TEAM_LEADER and (team_id is None or str(team_id) != asked):
        raise Refused("A team leader changes their own team's rule only.")
    return team_id


# --- the form and the rule ----------------------------------------------------------


def _fields(rule: Rule) -> dict[str, str]:
    """The form's fields, filled with `rule`."""
    fields = {"order": rule.order}
    for n, (flag, flag_rule) in enumerate(rule.flags.items()):
        fields |= {f"flag-{n}-name": flag.replace("_", " "),
                   f"flag-{n}-days": str(flag_rule.harm_within_days),
                   f"flag-{n}-points": written_number(flag_rule.points),
                   f"flag-{n}-due": "yes" if flag_rule.by_due_date else ""}  # fmt: skip
    for n, (need, points) in enumerate(rule.needs.items()):
        days = rule.need_harm_days.get(need)
        fields |= {f"need-{n}-name": need, f"need-{n}-points": written_number(points),
                   f"need-{n}-days": "" if days is None else str(days)}  # fmt: skip
    for attribute, _, _ in LINES:
        value = getattr(rule, attribute)
        fields[attribute] = "" if value is None else written_number(value)
    return fields


def _edited(form: Form, state: WebState) -> tuple[str, dict[str, str], dict[str, str]]:
    """The rule's text as edited (pasted as YAML, or from the form's fields), the fields
    to show again, and what is wrong, by field."""
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    if "rule" in form:  # pasted as YAML: the form's fields show it, once it reads
        text = str(form["rule"]).replace("\r\n", "\n")
        if not text.strip():
            return text, {}, {"rule": "Enter the rule"}
        if len(text) > RULE_MAX:
            return (
                text[:RULE_MAX],
                {},
                {"rule": f"The rule must be {RULE_MAX:,} characters or fewer"},
            )
        try:
            return text, _fields(parse_rule(text, "the rule as pasted")), {}
        except RuleError as error:
            return text, {}, {"rule": str(error).replace("\n", " ")}
    with state.engine.connect() as conn:
        known = known_here(conn)
    errors: dict[str, str] = {}
    rule = _rule_of(fields, known, errors)
    return rule_as_text(rule), fields, errors


def _rule_of(fields: dict[str, str], known: Known, errors: dict[str, str]) -> Rule:
    """The rule the form's fields say; what is wrong goes into `errors`, by field."""
    order = fields.get("order", "")
    if order not in ORDERS:
        errors["order"] = "Choose which comes first: the soonest harm, or the most points"
    flags: dict[str, FlagRule] = {}
    for n, name in _named_rows(fields, "flag", "risk flag", errors):
        try:
            flag = normalise_flag(name)
        except BadValue as error:
            errors[f"flag-{n}-name"] = f"Risk flag '{name}': {error}"
            continue
        _known(known, "risk flag", flag, f"flag-{n}-name", name, flags, errors)
        days = _number(fields, f"flag-{n}-days", f"The harm days of '{name}'", errors, whole=True)
        points = _number(fields, f"flag-{n}-points", f"The points of '{name}'", errors)
        flags[flag] = FlagRule(int(days or 0), points or 0, fields.get(f"flag-{n}-due") == "yes")
    needs: dict[str, float] = {}
    need_days: dict[str, int] = {}
    for n, name in _named_rows(fields, "need", "need", errors):
        need = key_words(name)
        _known(known, "need", need, f"need-{n}-name", name, needs, errors)
        needs[need] = _number(fields, f"need-{n}-points", f"The points of '{name}'", errors) or 0
        if fields.get(f"need-{n}-days", "").strip():
            days = _number(
                fields, f"need-{n}-days", f"The harm days of '{name}'", errors, whole=True
            )
            need_days[need] = int(days or 0)
    lines: dict[str, Any] = {}
    for attribute, section, words in LINES:
        value = _number(fields, attribute, f"'{words}' ({section})", errors,
                        whole=attribute in DAYS, optional=attribute in OPTIONAL)  # fmt: skip
        lines[attribute] = value if value is not None or attribute in OPTIONAL else 0
    return Rule(order=order if order in ORDERS else ORDERS[0], flags=flags, needs=needs,
                need_harm_days=need_days, **lines)  # fmt: skip


def _named_rows(
    fields: dict[str, str], kind: str, what: str, errors: dict[str, str]
) -> list[tuple[int, str]]:
    """(row, name) of each filled row of `kind`; a row with figures and no name is an
    error, a row left empty is nothing."""
    named = []
    for n in _filled(fields, kind):
        name = fields.get(f"{kind}-{n}-name", "").strip()
        if name:
            named.append((n, name))
        elif any(fields.get(f"{kind}-{n}-{part}", "").strip() for part in ("days", "points")):
            errors[f"{kind}-{n}-name"] = f"Enter the {what}'s name, or clear its figures"
    return named


def _known(
    known: Known, kind: str, name: str, field: str, written: str, seen: Container[str],
    errors: dict[str, str],
) -> None:  # fmt: skip
    if name in seen:
        errors[field] = f"The {kind} '{written}' is given twice"
        return
    try:
        known.check(kind, name, f"{kind.capitalize()}s")
    except RuleError as error:
        errors[field] = error.message


def _number(
    fields: dict[str, str], field: str, what: str, errors: dict[str, str], whole: bool = False,
    optional: bool = False,
) -> float | None:  # fmt: skip
    text = fields.get(field, "").strip()
    if not text and optional:
        return None
    try:
        value = float(text)
    except ValueError:
        errors[field] = f"{what} must be a number" + (", or left empty" if optional else "")
        return None
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        errors[field] = f"{what} must be zero or more"
        return None
    if whole and not value.is_integer():
        errors[field] = f"{what} must be a whole number of days"
        return None
    return value


# --- the page -----------------------------------------------------------------------


def _page(
    request: Request,
    session: PageSession,
    state: WebState,
    team_id: int | None,
    status: int = 200,
    moves: list[Move] | None = None,
    **context: object,
) -> Response:
    account = session.account
    with state.engine.connect() as conn:
        version, rule_text = rule_in_force(conn, team_id)
        teams = rule_teams(conn)
        own = teams_own_rules(conn)
        versions = rule_versions(conn, team_id if team_id in own else None)
    moved = None if moves is None else [m for m in moves if m.places]
    fields = context.pop("fields", None) or _fields(parse_rule(
        rule_text, f"priority rule version {version}"))  # fmt: skip
    assert isinstance(fields, dict)
    return render(
        request,
        "rule.html",
        status,
        title="Priority rule",
        version=version,
        versions=versions,
        team_id=team_id,
        team_name=dict(teams).get(team_id) if team_id is not None else None,
        own_rule=team_id in own,
        teams=teams if account.role not in TEAM_ROLES else [],
        editor=account.role == ADMIN or (account.role == TEAM_LEADER and team_id is not None),
        fields=fields,
        flag_rows=_rows(fields, "flag"),
        need_rows=_rows(fields, "need"),
        lines=LINES,
        orders=ORDERS,
        moves=None if moved is None else moved[:SHOWN_MOVES],
        up=sum(m.places > 0 for m in moved or []),
        down=sum(m.places < 0 for m in moved or []),
        unmoved=0 if moves is None or moved is None else len(moves) - len(moved),
        **{"note": "", "text": rule_text, **context},
    )


def _rows(fields: dict[str, str], kind: str) -> list[int]:
    """The rows of `kind` to show: those the form has, and `BLANK_ROWS` empty ones."""
    filled = _filled(fields, kind)
    start = max(filled, default=-1) + 1
    return filled + list(range(start, start + BLANK_ROWS))


def _filled(fields: dict[str, str], kind: str) -> list[int]:
    """The rows of `kind` ('flag', 'need') among the form's fields, in order."""
    return sorted({int(key.split("-")[1]) for key in fields
                   if key.startswith(f"{kind}-") and key.split("-")[1].isdigit()})  # fmt: skip
