"""The pages' templates (Jinja2, escaping everything a user typed) and their filters."""

from __future__ import annotations

from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

WEB = Path(str(resources.files("kinfold.web")))
templates = Jinja2Templates(directory=WEB / "templates")


def day(value: date | datetime | None) -> str:
    """22 November 2026"""
    return "" if value is None else f"{value:%-d %B %Y}"


def moment(value: datetime | None) -> str:
    """22 November 2026 at 14:05"""
    return "" if value is None else f"{value:%-d %B %Y} at {value:%H:%M}"


def number(value: float | int) -> str:
    return f"{value:,}"


templates.env.filters.update(day=day, moment=moment, number=number)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    session = getattr(request.state, "session", None)
    return templates.TemplateResponse(
        request,
        name,
        {
            "session": session,
            "account": session.account if session else None,
            "service": request.app.state.web.name,
            "path": request.url.path,
            "errors": {},  # a form's errors by field, and what was typed in it
            "form": {},
            **context,
        },
        status_code=status_code,
    )
