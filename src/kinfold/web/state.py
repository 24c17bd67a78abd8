"""What the web app holds while it runs: the workspace's database and settings."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from kinfold.settings import Settings
from kinfold.workspace import SETTINGS_FILE


@dataclass
class Web:
    engine: Engine
    folder: Path  # the workspace's folder
    settings: Settings
    name: str  # the workspace's, shown in the header
    secure_cookies: bool  # only over HTTPS (on whenever the app is served on TLS)
    settings_changed: int = 0  # kinfold.yaml's modification time (ns) when last read

    def __post_init__(self) -> None:
        self.settings_changed = self._settings_file().stat().st_mtime_ns

    def current(self) -> Web:
        """This, with the settings read again if kinfold.yaml changed since: another of
        the app's processes (or an editor) may have saved it."""
        changed = self._settings_file().stat().st_mtime_ns
        if changed != self.settings_changed:
            with _READING:
                self.settings = Settings.read(self._settings_file())
                self.settings_changed = changed
        return self

    def _settings_file(self) -> Path:
        return self.folder / SETTINGS_FILE


_READING = threading.Lock()
