"""What the web app holds while it runs: the workspace's database and settings."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
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
    throttle: Throttle = field(default_factory=lambda: Throttle())
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


class Throttle:
    """Failed sign-ins per client address: at most `limit` in `window` seconds, then none
    until the oldest of them is that old. With a lock-out per account (accounts.py), this
    stops one address trying many accounts. Kept in memory, per process."""

    def __init__(self, limit: int = 20, window: float = 600.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, address: str) -> int:
        """Seconds before `address` may try again (0: now)."""
        with self._lock:
            failures = self._recent(address)
            if len(failures) < self.limit:
                return 0
            return int(failures[0] + self.window - time.monotonic()) + 1

    def failed(self, address: str) -> None:
        with self._lock:
            failures = self._recent(address)
            failures.append(time.monotonic())
            self._failures[address] = failures

    def _recent(self, address: str) -> deque[float]:
        """The address's failures within the window; the map keeps only addresses with some."""
        failures = self._failures.pop(address, deque())
        while failures and failures[0] <= time.monotonic() - self.window:
            failures.popleft()
        if failures:
            self._failures[address] = failures
        return failures
