"""The team's web app: FastAPI, Jinja2 pages in GOV.UK and MOJ Frontend's patterns, htmx
for partial updates, and a JSON API under /api/ for the same operations.

`create_app(workspace)` makes the app; `kinfold serve` runs it with uvicorn.
"""

from __future__ import annotations

import logging
import os
import time

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from kinfold.allocate.case import NoSuchCase
from kinfold.errors import KinfoldError
from kinfold.web import admin, api, exports, imports, measures, pages, review, rule, team
from kinfold.web.render import WEB, render
from kinfold.web.security import BadToken, NotSignedIn, Refused
from kinfold.web.state import Web
from kinfold.workspace import Workspace, open_workspace

VENDOR = WEB / "static" / "vendor"
log = logging.getLogger("kinfold.web")
access = logging.getLogger("kinfold.web.access")  # method, path, status, time: no query strings
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)


SECURE_COOKIES_ENV = "KINFOLD_SECURE_COOKIES"


def from_environment() -> FastAPI:
    """The app of one of `kinfold serve --workers N`'s processes: the workspace of
    $KINFOLD_WORKSPACE, secure cookies if $KINFOLD_SECURE_COOKIES is 1."""
    return create_app(open_workspace(), secure_cookies=os.environ.get(SECURE_COOKIES_ENV) == "1")


def create_app(workspace: Workspace, secure_cookies: bool = False) -> FastAPI:
    if not (VENDOR / "govuk" / "govuk-frontend.min.css").exists():
        raise KinfoldError(
            "The web app's front-end files are missing.",
            "Run `make install` (it installs them from npm).",
        )
    app = FastAPI(
        title="kinfold",
        description="People to help, not things to do: the team's backlog, cases and plans.",
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(_no_nul_in_the_address)],
    )
    app.state.web = Web(
        workspace.engine, workspace.path, workspace.settings, workspace.name, secure_cookies
    )
    imports.sweep_uploads(workspace.path)  # left waiting, or by a crash: personal data
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
    # GOV.UK and MOJ Frontend's stylesheets load their fonts and images from /assets/
    app.mount("/assets", StaticFiles(directory=VENDOR / "assets"), name="assets")
    app.add_middleware(_SecurityHeaders)
    _handlers(app)
    for routes in (pages, team, rule, imports, measures, exports, review, admin, api):
        app.include_router(routes.router)
    return app


def _no_nul_in_the_address(request: Request) -> None:
    """A value in the query string holding a NUL character (`%00`) is refused: no
    database stores one, and PostgreSQL fails on it."""
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise HTTPException(
                400, f"'{name.replace(chr(0), '')}' in the address holds a NUL character (%00)."
            )


class _SecurityHeaders(BaseHTTPMiddleware):
    """The security headers of every response, and how long the app took to make it
    (`Server-Timing: app;dur=12.3`, in milliseconds)."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        took = (time.perf_counter() - started) * 1000
        # the path only: a query string may hold what a user searched for
        access.info("%s %s %d %.1f ms", request.method, request.url.path, response.status_code,
                    took)  # fmt: skip
        response.headers["Server-Timing"] = f"app;dur={took:.1f}"
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.url.scheme == "https" or request.app.state.web.secure_cookies:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if not request.url.path.startswith(("/static", "/assets")):
            response.headers["Cache-Control"] = "no-store"  # personal data: never cached
        return response


def _handlers(app: FastAPI) -> None:
    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _: NotSignedIn) -> Response:
        return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)

    @app.exception_handler(BadToken)
    async def bad_token(request: Request, _: BadToken) -> Response:
        return JSONResponse(
            {"error": "Send a live API token: Authorization: Bearer <token>."},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> Response:
        if is_api(request):
            return JSONResponse({"error": error.message}, status_code=403)
        return render(
            request, "error.html", 403, title="You cannot see this", message=error.message
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        message = "There is no such page." if error.status_code == 404 else str(error.detail)
        if is_api(request):
            return JSONResponse({"error": message}, status_code=error.status_code)
        title = "Page not found" if error.status_code == 404 else "Sorry, there is a problem"
        return render(request, "error.html", error.status_code, title=title, message=message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(part) for part in e['loc'][1:]) or 'request'}: {e['msg']}"
            for e in error.errors()
        ]
        if is_api(request):
            return JSONResponse({"error": "The request is not right.", "problems": problems}, 422)
        return render(
            request,
            "error.html",
            400,
            title="The address is not right",
            message="; ".join(problems),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        # the error's kind and place only: its message may hold what a user typed
        log.error("%s at %s %s", type(error).__name__, request.method, request.url.path)
        message = (
            "Sorry, there is a problem with the service. If you were saving something, "
            "it was not saved: please try again later."
        )
        if is_api(request):
            return JSONResponse({"error": message}, status_code=500)
        return render(
            request, "error.html", 500, title="Sorry, there is a problem", message=message
        )

    @app.exception_handler(KinfoldError)
    async def kinfold_error(request: Request, error: KinfoldError) -> Response:
        status = 404 if isinstance(error, NoSuchCase) else 400
        if is_api(request):
            return JSONResponse({"error": error.message, "hint": error.hint}, status_code=status)
        title = "Case not found" if status == 404 else "That cannot be done"
        return render(request, "error.html", status, title=title, message=str(error))
