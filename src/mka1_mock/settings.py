"""The one settings object that the CLI, MockServer and the pytest plugin all build."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .limits import DEFAULT_MAX_PROMPTS

MIB = 1024 * 1024
DEFAULT_MAX_SESSIONS = 1000
DEFAULT_SESSION_TTL = 3600.0


@dataclass(frozen=True)
class Settings:
    """How a mock behaves; every field has the default the README documents."""

    host: str = "127.0.0.1"
    port: int = 8000
    seed: int | None = None
    api_keys: frozenset[str] = field(default_factory=frozenset)
    log_level: str = "info"
    # Room for the largest body the contract allows with its documented lengths: a 100,000
    # character template written as JSON escapes of astral characters is 1.2 MB.
    max_body_size: int = 2 * MIB
    spec_path: Path | None = None
    fixtures: tuple[Path, ...] = ()
    journal_size: int = 1000
    latency_ms: tuple[int, int] | None = None
    fault_files: tuple[Path, ...] = ()
    max_sessions: int = DEFAULT_MAX_SESSIONS
    session_ttl: float = DEFAULT_SESSION_TTL
    max_prompts: int | None = DEFAULT_MAX_PROMPTS
    cors_origins: tuple[str, ...] = ("*",)  # () turns CORS off
    admin_token: str | None = None
    state_file: Path | None = None
