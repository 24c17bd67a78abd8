"""`kinfold serve` (the team's web app) and `kinfold user` (its accounts and API
tokens). Registered on the app of `kinfold.cli.common`."""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated, Any

import typer
from rich.table import Table

from kinfold import accounts
from kinfold.accounts import ROLES
from kinfold.cli.common import WorkspaceOption, actor, app, command, console, guarded
from kinfold.demo.accounts import SIGN_INS
from kinfold.errors import KinfoldError
from kinfold.logs import LOG_CONFIG
from kinfold.workspace import WORKSPACE_ENV, default_path, in_use, open_workspace

TRUSTED_PROXY = (
    "The address (or network, 10.0.0.0/8) of a proxy in front of the app, whose "
    "X-Forwarded-For is believed; again for each. None by default: the address a request "
    "comes from is the client's."
)
user_app = typer.Typer(help="The web app's users: add them, list them, give them API tokens.")
app.add_typer(user_app, name="user")


@command()
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The port.")] = 8000,
    secure_cookies: Annotated[
        bool, typer.Option(help="Send cookies over HTTPS only (behind a TLS proxy).")
    ] = False,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Processes (more than one: PostgreSQL).")
    ] = 1,
    trusted_proxy: Annotated[list[str] | None, typer.Option(help=TRUSTED_PROXY)] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Serve the team's web app (and its API under /api/)."""
    import uvicorn  # the web app's modules load only when it is served

    from kinfold.web.app import SECURE_COOKIES_ENV, create_app

    trusted = [_network(proxy) for proxy in trusted_proxy or []]
    with in_use(workspace or default_path()):  # a restore waits until the app stops
        opened = open_workspace(workspace)  # brings the schema up to date, once
        web = create_app(opened, secure_cookies=secure_cookies)
        console.print(f"kinfold for {opened.name}: http://{host}:{port}/ (Ctrl+C stops it)")
        if opened.settings.demo:
            table = Table("role", "user name", "password", title="Demo sign-ins")
            for sign_in in SIGN_INS:
                team = f" ({sign_in.team})" if sign_in.team else ""
                table.add_row(sign_in.role + team, sign_in.username, sign_in.password)
            console.print(table)
        # uvicorn's own access log has query strings (which may hold what was searched for):
        # the app logs each request's method, path, status and time instead
        served: Any = web
        if workers > 1:  # each process opens the workspace itself
            os.environ[WORKSPACE_ENV] = str(opened.path.resolve())
            os.environ[SECURE_COOKIES_ENV] = "1" if secure_cookies else "0"
            served = "kinfold.web.app:from_environment"
        # idle connections are kept 75 s: longer than a person reads a page, and than a
        # proxy keeps its own (at uvicorn's 5 s, a click after a pause could meet a
        # closing connection)
        uvicorn.run(served, host=host, port=port, workers=workers, factory=workers > 1,
                    log_level="warning", access_log=False, proxy_headers=bool(trusted),
                    forwarded_allow_ips=trusted or "", timeout_keep_alive=75,
                    log_config=LOG_CONFIG)  # fmt: skip


def _network(proxy: str) -> str:
    """A proxy's address or network, checked: a mistyped one would trust no one, or all."""
    try:
        return str(ipaddress.ip_network(proxy, strict=False))
    except ValueError:
        raise KinfoldError(
            f"--trusted-proxy {proxy!r} is not an address or network.",
            "Give one like 10.0.0.5 or 10.0.0.0/24.",
        ) from None


@user_app.command("add")
@guarded
def user_add(
    username: Annotated[str, typer.Argument(help="The user name they sign in with.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    team: Annotated[
        str | None, typer.Option(help="Their team (caseworkers, team leaders).")
    ] = None,
    worker: Annotated[
        str | None, typer.Option(help="The roster's worker they are (to be given cases).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Their name, as the app shows it.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a user; their password is asked for (at least 12 characters)."""
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    opened = open_workspace(workspace)
    try:
        added = accounts.add_user(opened.engine, username, password, role, display_name=name,
                                  team=team, worker_ref=worker)  # fmt: skip
    finally:
        opened.close()
    console.print(
        f"Added {added.username} ({added.role}{', ' + added.team if added.team else ''})."
    )


@user_app.command("list")
@guarded
def user_list(workspace: WorkspaceOption = None) -> None:
    """Every user, with their role and team."""
    opened = open_workspace(workspace)
    try:
        found = accounts.list_users(opened.engine)
    finally:
        opened.close()
    table = Table("user name", "name", "role", "team", "worker")
    for account in found:
        table.add_row(account.username, account.display_name, account.role, account.team or "",
                      account.worker_ref or "")  # fmt: skip
    console.print(table)


@user_app.command("token")
@guarded
def user_token(
    username: Annotated[str, typer.Argument(help="Whose token.")],
    name: Annotated[str, typer.Option(help="What the token is for (once per user).")] = "API",
    days: Annotated[
        int, typer.Option(min=1, max=accounts.MAX_TOKEN_DAYS, help="How many days it lasts.")
    ] = accounts.TOKEN_DAYS,
    workspace: WorkspaceOption = None,
) -> None:
    """A new API token for a user: shown once, send it as `Authorization: Bearer ...`."""
    opened = open_workspace(workspace)
    try:
        token = accounts.new_api_token(opened.engine, username, name, days)
    finally:
        opened.close()
    console.print(token, soft_wrap=True)


@user_app.command("tokens")
@guarded
def user_tokens(
    username: Annotated[str, typer.Argument(help="Whose tokens.")],
    workspace: WorkspaceOption = None,
) -> None:
    """A user's API tokens: their names, when each was made, ends and was last used."""
    opened = open_workspace(workspace)
    try:
        found = accounts.list_tokens(opened.engine, username)
    finally:
        opened.close()
    table = Table("name", "made", "ends", "last used")
    for token in found:
        used = "never" if token.last_used_at is None else f"{token.last_used_at:%-d %B %Y %H:%M}"
        table.add_row(token.name, f"{token.created_at:%-d %B %Y}", f"{token.expires_at:%-d %B %Y}",
                      used)  # fmt: skip
    console.print(table if found else f"{username} has no API tokens.")


@user_app.command("revoke")
@guarded
def user_revoke(
    username: Annotated[str, typer.Argument(help="Whose token.")],
    name: Annotated[str, typer.Argument(help="The token's name.")],
    workspace: WorkspaceOption = None,
) -> None:
    """End one of a user's API tokens, by its name."""
    opened = open_workspace(workspace)
    try:
        accounts.revoke_token(opened.engine, username, name, actor())
    finally:
        opened.close()
    console.print(f"{username}'s token '{name}' no longer works.")
