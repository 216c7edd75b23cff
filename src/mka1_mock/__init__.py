"""mka1-mock: a stateful, self-validating mock of the MKA1 Prompts API."""

from __future__ import annotations

from .app import Mock, create_app
from .errors import ApiError, MockError, StartupError
from .settings import Settings
from .spec import Spec

__version__ = "0.1.0"

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
