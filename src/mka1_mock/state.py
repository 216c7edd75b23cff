"""``--state-file``: the prompts of every session, kept across restarts.

Read at start-up with the same checks as fixtures; written after changes at most once a second,
and at shutdown. Written atomically (a temporary file, fsync, rename), so a kill at any moment
leaves the previous state or the new one, never a broken file.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from . import jsondata
from .errors import ApiError, StartupError
from .seeding import STATE_DEPTH, check_fixture
from .sessions import Sessions

SAVE_EVERY = 1.0
"""Seconds: changes are saved at most this often."""


class StateFile:
    """The state of a mock's sessions in one file: ``{"prompts": [...], "sessions": {name:
    {"prompts": [...]}}}``, the default session's prompts first, in the fixture format."""

    def __init__(self, path: Path, sessions: Sessions) -> None:
        self.path = path
        self.sessions = sessions
        self._saved: tuple[tuple[str, int], ...] = ()
        self._lock = threading.Lock()

    def load(self) -> None:
        """The file's prompts into their sessions, if it exists; a bad one stops start-up."""
        if not self.path.exists():
            return
        try:
            data = jsondata.loads(self.path.read_bytes(), STATE_DEPTH + 2)
        except (OSError, ValueError) as exc:
            raise StartupError(f"{self.path}: not a state file: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("sessions", {}), dict):
            raise StartupError(f"{self.path}: (root): must be an object of prompts and sessions")
        parts = {"": {"prompts": data.get("prompts", [])}}
        parts |= {f"sessions.{name}": part for name, part in data.get("sessions", {}).items()}
        for where, part in parts.items():
            check_fixture(part, str(self.path), at=where)
        try:
            for where, part in parts.items():
                name = where.removeprefix("sessions.")
                session = self.sessions.get(name) if name else self.sessions.default
                session.store.load(part, replace=True)
        except ApiError as error:
            raise StartupError(f"{self.path}: {error}") from None
        self._saved = self._versions()

    def save(self, force: bool = False) -> bool:
        """Write the state if it changed since the last save (or ``force``); whether it did."""
        with self._lock:
            versions = self._versions()
            if versions == self._saved and not force:
                return False
            state: dict[str, Any] = self.sessions.default.store.export()
            state["sessions"] = {name: s.store.export() for name, s in self.sessions.named()}
            _write_atomically(self.path, json.dumps(state, ensure_ascii=False, indent=1))
            self._saved = versions
            return True

    def _versions(self) -> tuple[tuple[str, int], ...]:
        """What tells a change: each store's counter, and the sessions made or dropped (a new
        store counts from 0 again)."""
        named = [(name, s.store.version) for name, s in self.sessions.named()]
        return (("", self.sessions.changes), ("", self.sessions.default.store.version), *named)


class Saver:
    """Saves a state file in the background while it changes, and once more when stopped."""

    def __init__(self, state: StateFile) -> None:
        self.state = state
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mka1-mock-state", daemon=True)

    def start(self) -> Saver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.state.save()

    def _run(self) -> None:
        while not self._stop.wait(SAVE_EVERY):
            self.state.save()


def _write_atomically(path: Path, text: str) -> None:
    """The new text in a temporary file beside the old one, on disk, then renamed over it."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)
