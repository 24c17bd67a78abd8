"""What the web app holds while it runs: the workspace's database and settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine


@dataclass
class Web:
    engine: Engine
    folder: Path  # the workspace's folder
    settings: dict[str, Any]
    name: str  # the workspace's, shown in the header
    secure_cookies: bool  # only over HTTPS (on whenever the app is served on TLS)
