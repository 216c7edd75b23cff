"""Server-side ``{{variable}}`` rendering."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# The key is the exact text between the braces: no trimming, no braces inside.
PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")


def render(template: str, variables: Mapping[str, Any]) -> str:
    """Replace known placeholders in one pass; unmatched ones stay as written."""

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in variables:
            return match.group(0)
        value = variables[key]
        if isinstance(value, str):
            return value
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    return PLACEHOLDER.sub(substitute, template)
