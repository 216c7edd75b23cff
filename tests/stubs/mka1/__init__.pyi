"""Types for ``mka1``, the SDK's alias of ``meetkai_mka1`` (which has them; the alias has no
``py.typed``): the same modules under the old name, for mypy (see pyproject.toml)."""

from meetkai_mka1 import *  # noqa: F403
