"""mka1-mock: a stateful, self-validating mock of the MKA1 Prompts API."""

from __future__ import annotations

__version__ = "0.1.0"

from .app import create_app
from .errors import ApiError, MockError, StartupError
from .mock import Mock
from .settings import Settings
from .spec import Spec

__all__ = [
    "ApiError",
    "Mock",
    "MockError",
    "Settings",
    "Spec",
    "StartupError",
    "__version__",
    "create_app",
]
