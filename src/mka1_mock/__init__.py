"""mka1-mock: a stateful, self-validating mock of the MKA1 Prompts API."""

from __future__ import annotations

from ._version import __version__
from .app import create_app
from .errors import ApiError, MockError, StartupError
from .server import MockServer
from .session import Session
from .settings import Settings
from .spec import Spec

__all__ = [
    "ApiError",
    "MockError",
    "MockServer",
    "Session",
    "Settings",
    "Spec",
    "StartupError",
    "__version__",
    "create_app",
]
