"""Local accounts of the web app and its API: roles, passwords, sessions, API tokens.

- Passwords are hashed with argon2id; five wrong passwords in a row lock the account
  for fifteen minutes (the lock-out is the same for a wrong name, so a name cannot be
  told from the answer).
- A session and an API token are random 256-bit secrets; the store keeps only their
  SHA-256, so a copy of the database signs no one in. A session lasts eight hours and
  carries its own CSRF token.
- Roles: a caseworker sees and acts on their own team's cases; a team leader sees their
  team's and manages its backlog and rule; an analyst sees every team, with people
  pseudonymised; an admin manages users, teams, skills and routing.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, insert, select, update

from kinfold import clock
from kinfold.errors import KinfoldError
from kinfold.store import events
from kinfold.store.schema import api_tokens, sessions, sign_in_failures, teams, users, workers

CASEWORKER, TEAM_LEADER, ANALYST, ADMIN = "caseworker", "team leader", "analyst", "admin"
ROLES = (CASEWORKER, TEAM_LEADER, ANALYST, ADMIN)
TEAM_ROLES = (CASEWORKER, TEAM_LEADER)  # these belong to one team and see only its cases
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
TOKEN_DAYS, MAX_TOKEN_DAYS = 90, 366  # how long an API token lasts: by default, at most
THROTTLE, THROTTLE_WINDOW = 20, timedelta(minutes=10)  # failed sign-ins from one address
SESSION_FOR = timedelta(hours=8)
MIN_PASSWORD = 12

_hasher = PasswordHasher()
# Each check takes 64 MiB and most of a core for a moment: a storm of sign-ins (a whole
# office at nine) queues for a few of them rather than exhausting the machine.
_CHECKING = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))


@cache
def _nobody() -> str:
    """What a password is checked against for a name no account has, hashed once when
    first needed (not whenever kinfold starts)."""
    return _hasher.hash("a password no account has")


class AccountError(KinfoldError):
    """An account cannot be made or used as asked, and why."""


@dataclass(frozen=True)
class Account:
    user_id: int
    username: str
    display_name: str
    role: str
    team_id: int | None
    team: str | None
    worker_ref: str | None  # the roster's worker this user is, to be given cases
    active: bool = True  # may sign in

    @property
    def sees_every_team(self) -> bool:
        return self.role not in TEAM_ROLES

    @property
    def pseudonymised(self) -> bool:
        """Analysts see people as pseudonyms unless they ask (and are audited)."""
        return self.role == ANALYST

    def may_see_team(self, team_id: int | None) -> bool:
        return self.sees_every_team or (team_id is not None and team_id == self.team_id)


@dataclass(frozen=True)
class Session:
    token: str  # the cookie's value (only its hash is stored)
    csrf_token: str
    account: Account


def add_user(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str | None = None,
    team: str | None = None,
    worker_ref: str | None = None,
    actor: str = "admin",
) -> Account:
    """A new account; a caseworker or team leader needs a team, and a caseworker is one
    of the roster's workers (to be given cases)."""
    username = username.strip().lower()
    if (
        not username
        or len(username) > 100
        or not username.replace(".", "").replace("-", "").replace("_", "").isalnum()
    ):
        raise AccountError(
            f"'{username}' is not a user name.",
            "Use letters, digits, dots, hyphens or underscores (at most 100).",
        )
    if role not in ROLES:
        raise AccountError(f"'{role}' is not a role.", f"The roles are: {', '.join(ROLES)}.")
    check_password(password)
    with engine.begin() as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first():
            raise AccountError(f"There is already a user '{username}'.")
        team_id = _team_id(conn, team) if team else None
        if role in TEAM_ROLES and team_id is None:
            raise AccountError(f"A {role} belongs to a team.", "Give --team.")
        worker_id = _worker_id(conn, worker_ref) if worker_ref else None
        if role == CASEWORKER and worker_id is None:
            raise AccountError(
                "A caseworker is one of the roster's workers.", "Give --worker (their reference)."
            )
        inserted = conn.execute(
            insert(users).values(
                username=username,
                display_name=(display_name or username).strip(),
                password_hash=_hasher.hash(password),
                role=role,
                team_id=team_id,
                worker_id=worker_id,
                active=True,
                failed_sign_ins=0,
                created_at=clock.now(),
            )
        )
        user_id = int(inserted.inserted_primary_key[0])  # type: ignore[index]
        events.record(conn, actor=actor, action="user.added", entity_type="user",
                      entity_id=user_id, after={"username": username, "role": role,
                                                "team": team, "worker": worker_ref})  # fmt: skip
        return _account(conn, user_id)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"A password has at least {MIN_PASSWORD} characters.")


def sign_in(engine: Engine, username: str, password: str) -> Session:
    """A new session, or `AccountError` in the same words whatever was wrong (no such
    user, a wrong password, a locked or stopped account), after the same work: the answer
    tells no one which user names exist."""
    now = clock.now()
    wrong = AccountError(
        "The user name or password is not right.",
        f"An account is locked after too many wrong passwords ({MAX_FAILURES} in a row), "
        f"for {LOCK_FOR.seconds // 60} minutes: try again then, or ask an admin.",
    )
    with engine.begin() as conn:
        row = conn.execute(
            select(users.c.id, users.c.password_hash, users.c.active, users.c.failed_sign_ins,
                   users.c.locked_until).where(users.c.username == username.strip().lower())
        ).first()  # fmt: skip
        if row is None:
            _verify(_nobody(), password)  # the same time spent as for a real account
            raise wrong
        user_id, hashed, active, failures, locked_until = row
        if locked_until is not None and clock.as_utc(locked_until) > now:
            _verify(hashed, password)  # the same time spent as for any other answer
            raise wrong
        if not _verify(hashed, password) or not active:
            failures += 1
            locked = now + LOCK_FOR if failures >= MAX_FAILURES else None
            conn.execute(update(users).where(users.c.id == user_id).values(
                failed_sign_ins=0 if locked else failures, locked_until=locked))  # fmt: skip
            events.record(conn, actor=username, action="user.sign_in_failed",
                          entity_type="user", entity_id=user_id,
                          after={"locked": locked is not None})  # fmt: skip
            started = None  # the failure is kept: raised once the transaction is written
        else:
            started = _start_session(conn, user_id, username, now)
    if started is None:
        raise wrong
    return started


def _start_session(conn: Connection, user_id: int, username: str, now: datetime) -> Session:
    conn.execute(update(users).where(users.c.id == user_id)
                 .values(failed_sign_ins=0, locked_until=None))  # fmt: skip
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    conn.execute(insert(sessions).values(token_hash=_digest(token), user_id=user_id,
                                         csrf_token=csrf, created_at=now,
                                         expires_at=now + SESSION_FOR))  # fmt: skip
    events.record(conn, actor=username, action="user.signed_in", entity_type="user",
                  entity_id=user_id)  # fmt: skip
    return Session(token, csrf, _account(conn, user_id))


def session(engine: Engine, token: str) -> Session | None:
    """The live session of a cookie's token, if any."""
    with engine.connect() as conn:
        row = conn.execute(
            _ACCOUNTS.add_columns(sessions.c.csrf_token, sessions.c.expires_at)
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(sessions.c.token_hash == _digest(token), users.c.active)
        ).first()  # fmt: skip
    if row is None or clock.as_utc(row.expires_at) <= clock.now():
        return None
    return Session(token, row.csrf_token, Account(*row[:_FIELDS]))


def sign_out(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.token_hash == _digest(token)))


def new_api_token(engine: Engine, username: str, name: str, days: int = TOKEN_DAYS) -> str:
    """A new API token for the user, named (once per user) and lasting `days`: shown
    once, kept only as its hash."""
    name = name.strip()
    if not name or len(name) > 200:
        raise AccountError("A token needs a name (at most 200 characters): what uses it.")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise AccountError(f"A token lasts from 1 to {MAX_TOKEN_DAYS} days, not {days}.")
    token, now = secrets.token_urlsafe(32), clock.now()
    with engine.begin() as conn:
        user_id = _user_id(conn, username)
        taken = select(api_tokens.c.name).where(api_tokens.c.user_id == user_id,
                                                 api_tokens.c.name == name)  # fmt: skip
        if conn.execute(taken).first() is not None:
            raise AccountError(f"{username} already has a token called '{name}'.",
                               "Revoke it first, or give the new one another name.")  # fmt: skip
        conn.execute(insert(api_tokens).values(
            token_hash=_digest(token), user_id=user_id, name=name, created_at=now,
            expires_at=now + timedelta(days=days)))  # fmt: skip
        events.record(conn, actor=username, action="user.token_created", entity_type="user",
                      entity_id=user_id, after={"name": name, "days": days})  # fmt: skip
    return token


@dataclass(frozen=True)
class Token:
    name: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None


def list_tokens(engine: Engine, username: str) -> list[Token]:
    """The user's API tokens (their names and dates: the tokens are never kept)."""
    with engine.connect() as conn:
        user_id = _user_id(conn, username)
        rows = conn.execute(
            select(api_tokens.c.name, api_tokens.c.created_at, api_tokens.c.expires_at,
                   api_tokens.c.last_used_at)
            .where(api_tokens.c.user_id == user_id).order_by(api_tokens.c.created_at)
        ).all()  # fmt: skip
    return [Token(name, clock.as_utc(made), clock.as_utc(ends),
                  None if used is None else clock.as_utc(used))
            for name, made, ends, used in rows]  # fmt: skip


def revoke_token(engine: Engine, username: str, name: str, actor: str) -> None:
    """End one of the user's API tokens, by its name."""
    with engine.begin() as conn:
        user_id = _user_id(conn, username)
        mine = (api_tokens.c.user_id == user_id) & (api_tokens.c.name == name.strip())
        gone = conn.execute(delete(api_tokens).where(mine))
        if gone.rowcount == 0:
            raise AccountError(f"{username} has no token called '{name}'.",
                               f"`kinfold user tokens {username}` lists them.")  # fmt: skip
        events.record(conn, actor=actor, action="user.token_revoked", entity_type="user",
                      entity_id=user_id, after={"name": name.strip()})  # fmt: skip


def sign_in_wait(engine: Engine, address: str) -> int:
    """Seconds before `address` may try to sign in again (0: now). At most THROTTLE
    failed sign-ins from one address in THROTTLE_WINDOW, whichever accounts they tried;
    counted in the database, so every process of the web app counts them together."""
    now = clock.now()
    with engine.connect() as conn:
        recent = conn.execute(
            select(sign_in_failures.c.failed_at)
            .where(sign_in_failures.c.address == address[:64],
                   sign_in_failures.c.failed_at > now - THROTTLE_WINDOW)
            .order_by(sign_in_failures.c.failed_at.desc()).limit(THROTTLE)
        ).scalars().all()  # fmt: skip
    if len(recent) < THROTTLE:
        return 0
    free_at = clock.as_utc(recent[-1]) + THROTTLE_WINDOW
    return int((free_at - now).total_seconds()) + 1


def sign_in_failed(engine: Engine, address: str) -> None:
    """Count a failed sign-in from `address` (and forget those too old to count)."""
    now = clock.now()
    with engine.begin() as conn:
        conn.execute(delete(sign_in_failures)
                     .where(sign_in_failures.c.failed_at <= now - THROTTLE_WINDOW))  # fmt: skip
        conn.execute(insert(sign_in_failures).values(address=address[:64], failed_at=now))


def api_account(engine: Engine, token: str) -> Account | None:
    """The account an API token belongs to, if it is a live one."""
    digest = _digest(token)
    with engine.begin() as conn:
        row = conn.execute(
            _ACCOUNTS.join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == digest, users.c.active,
                   api_tokens.c.expires_at > clock.now())
        ).first()  # fmt: skip
        if row is None:
            return None
        conn.execute(update(api_tokens).where(api_tokens.c.token_hash == digest)
                     .values(last_used_at=clock.now()))  # fmt: skip
    return Account(*row)


def list_users(engine: Engine) -> list[Account]:
    with engine.connect() as conn:
        return [Account(*row) for row in conn.execute(_ACCOUNTS.order_by(users.c.username))]


# An account's fields, in the order of Account's
_ACCOUNTS = (
    select(users.c.id, users.c.username, users.c.display_name, users.c.role, users.c.team_id,
           teams.c.name, workers.c.worker_ref, users.c.active)
    .outerjoin(teams, teams.c.id == users.c.team_id)
    .outerjoin(workers, workers.c.id == users.c.worker_id)
)  # fmt: skip
_FIELDS = len(_ACCOUNTS.selected_columns)


def _account(conn: Connection, user_id: int) -> Account:
    return Account(*conn.execute(_ACCOUNTS.where(users.c.id == user_id)).one())


def _user_id(conn: Connection, username: str) -> int:
    found = conn.execute(
        select(users.c.id).where(users.c.username == username.strip().lower())
    ).scalar()
    if found is None:
        raise AccountError(f"There is no user '{username}'.")
    return int(found)


def _team_id(conn: Connection, name: str) -> int:
    found = conn.execute(select(teams.c.id).where(teams.c.name == name.strip())).scalar()
    if found is None:
        known = conn.execute(select(teams.c.name).order_by(teams.c.name)).scalars().all()
        raise AccountError(f"There is no team '{name}'.", f"The teams are: {', '.join(known)}.")
    return int(found)


def _worker_id(conn: Connection, ref: str) -> int:
    found = conn.execute(select(workers.c.id).where(workers.c.worker_ref == ref.strip())).scalar()
    if found is None:
        raise AccountError(f"There is no worker '{ref}' on the roster.")
    return int(found)


def _verify(hashed: str, password: str) -> bool:
    try:
        with _CHECKING:
            return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def as_dict(account: Account) -> dict[str, Any]:
    return {"username": account.username, "name": account.display_name, "role": account.role,
            "team": account.team}  # fmt: skip


def set_active(engine: Engine, username: str, active: bool, actor: str) -> None:
    """Let a user sign in again (and lift a lock-out), or stop them: their sessions and
    API tokens end, and letting them back in brings none of them back."""
    with engine.begin() as conn:
        user_id = _user_id(conn, username)
        conn.execute(update(users).where(users.c.id == user_id).values(
            active=active, failed_sign_ins=0, locked_until=None))  # fmt: skip
        if not active:
            conn.execute(delete(sessions).where(sessions.c.user_id == user_id))
            conn.execute(delete(api_tokens).where(api_tokens.c.user_id == user_id))
        events.record(conn, actor=actor, action="user.activated" if active else "user.stopped",
                      entity_type="user", entity_id=user_id)  # fmt: skip
