"""Named sessions: ``/sessions/{name}/...`` gives each name a mock of its own (state, journal,
violations, fault rules, clock, seed), made on first use; paths without it are the default."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from .errors import BadRequest, Detail, InsufficientStorage, NotFound
from .session import Session
from .settings import DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_TTL

PREFIX = "/sessions/"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)
DEFAULT = "default"


class Sessions:
    """The default session and the named ones, bounded in number; idle ones expire."""

    def __init__(
        self,
        default: Session,
        make: Callable[[str], Session],
        limit: int = DEFAULT_MAX_SESSIONS,
        ttl: float = DEFAULT_SESSION_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default = default
        self._make = make
        self.limit = limit
        self.ttl = ttl
        self.clock = clock
        self.changes = 0  # sessions made, dropped or expired: a state file's cue to save
        self._named: dict[str, Session] = {}
        self._used: dict[str, float] = {}
        self._busy: dict[str, int] = {}  # requests in flight, per name: never expired
        self._lock = threading.Lock()

    def enter(self, name: str) -> Session:
        """The session of that name for one request, busy (never expired) until ``leave``."""
        session = self.get(name)
        with self._lock:
            self._busy[name] = self._busy.get(name, 0) + 1
        return session

    def leave(self, name: str) -> None:
        """The request is answered: the session's idle time counts from now."""
        with self._lock:
            self._busy[name] -= 1
            if not self._busy[name]:
                del self._busy[name]
            if name in self._used:
                self._used[name] = self.clock()

    def get(self, name: str) -> Session:
        """The session of that name, made now if it is new (a 400 for a bad name, a 507 when
        there are --max-sessions already and none has been idle for --session-ttl); "default"
        is the default session."""
        if name == DEFAULT:
            return self.default
        if not NAME.fullmatch(name):
            raise BadRequest(
                f"{name!r} is not a session name: 1 to 64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit",
                param="session",
                details=(Detail("path.session", "must be 1 to 64 letters, digits, . _ or -"),),
            )
        with self._lock:
            now = self.clock()
            if name not in self._named:
                self._expire(now)
                if len(self._named) >= self.limit:
                    raise InsufficientStorage(
                        f"There are {len(self._named)} session(s), the most --max-sessions allows:"
                        " DELETE /__mock/sessions/{name} one, or start the mock with a higher "
                        "--max-sessions (idle ones expire after --session-ttl)"
                    )
                self._named[name] = self._make(name)
                self.changes += 1
            self._used[name] = now
            return self._named[name]

    def drop(self, name: str) -> None:
        if name == DEFAULT:
            raise NotFound(
                "The default session is not a named one and cannot be dropped: "
                "POST /__mock/reset resets it",
                param="name",
            )
        with self._lock:
            session = self._named.pop(name, None)
            if session is None:
                raise NotFound(f"No session named {name!r}", param="name")
            del self._used[name]
            self.changes += 1
        session.store.reset()  # its prompts no longer count against --max-prompts

    def named(self) -> Iterator[tuple[str, Session]]:
        with self._lock:
            self._expire(self.clock())
            return iter(list(self._named.items()))

    def listing(self) -> list[dict[str, Any]]:
        """Every session with its size, the default one first."""
        now = self.clock()
        rows: list[tuple[str, Session, float | None]] = [(DEFAULT, self.default, None)]
        rows += [(name, session, self._used.get(name, now)) for name, session in self.named()]
        return [
            {
                "name": name,
                "prompts": len(session.store),
                "requests": len(session.journal),
                "idle_seconds": None if used is None else round(now - used, 3),
            }
            for name, session, used in rows
        ]

    def _expire(self, now: float) -> None:
        for name, used in list(self._used.items()):
            if now - used > self.ttl and name not in self._busy:
                self._named.pop(name).store.reset()
                del self._used[name]
                self.changes += 1
