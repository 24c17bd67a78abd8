"""What the web app writes to its log: what happened and where, never a value from the
data. An exception's message may quote a person (a name in a `ValueError`, SQLAlchemy's
"[parameters: ...]" of a failed statement), so a logged exception is reduced to its kind
and the place it was raised; SQL and its parameters are cut from every message.
"""

from __future__ import annotations

import logging
import re
import traceback
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).parent
SQL_PARTS = re.compile(r"\[(SQL|parameters): .*", re.DOTALL)  # to the end of SQLAlchemy's message
WITHHELD = "its message is not logged: it may quote personal data"


class WithoutPersonalData(logging.Filter):
    """Rewrites each record so that it holds no value from the data (see the module)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("sqlalchemy.engine"):
            return False  # statements and their parameters, when echo is on
        message = SQL_PARTS.sub("[SQL withheld]", record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message} ({described(record.exc_info[1])})"
            record.exc_info, record.exc_text = None, None
        record.msg, record.args = message, None
        return True


def described(error: BaseException) -> str:
    """An exception's kind and where it was raised (the deepest frame in kinfold's code,
    else the deepest of all), without its message."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if Path(frame.filename).is_relative_to(PACKAGE)]
    where = ""
    if ours or frames:
        place = (ours or frames)[-1]
        path = Path(place.filename)
        shown = path.relative_to(PACKAGE.parent) if path.is_relative_to(PACKAGE) else path.name
        where = f" at {shown}:{place.lineno}"
    return f"{type(error).__name__}{where}; {WITHHELD}"


LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"private": {"()": WithoutPersonalData}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["private"],
            "stream": "ext://sys.stderr",
        },
    },
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {name: {"level": "INFO"} for name in ("uvicorn", "uvicorn.error")},
}
