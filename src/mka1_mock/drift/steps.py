"""What a drift probe is made of: steps (one request each, with the IDs a side learned filled
in) and the builders the scenario is written with."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

P = "/api/v1/llm/prompts"
UNKNOWN = "prompt_00000000000000000000000000000000"
NAMES = re.compile(r"\{(p\d*|missing)\}")


@dataclass(frozen=True)
class Step:
    """One request. ``{name}`` in the path, query or body is the ID a step before learned on
    the same side, ``{mark}`` the run's mark; ``learn`` keeps the answer's ``id`` under that
    name."""

    method: str
    path: str
    body: Any = None
    query: str = ""
    owner: str | None = "a"  # whose X-On-Behalf-Of: a, b, or none ("" sends it empty)
    authorization: str | None = "Bearer {token}"
    content_type: str | None = "application/json"
    raw: bytes | None = None  # a body sent as these bytes, not as JSON
    learn: str | None = None


@dataclass(frozen=True)
class Probe:
    name: str
    steps: tuple[Step, ...]
    choice: str | None = None  # the README's choice this probe checks; None: documented
    about: str = ""


def create(learn: str = "p", owner: str | None = "a", **fields: Any) -> Step:
    body = {"name": "drift probe {mark}", "template": "Hello, {{name}}! Welcome to {{company}}."}
    return Step("POST", P, body | fields, owner=owner, learn=learn)


def get(name: str = "p", query: str = "", **options: Any) -> Step:
    return Step("GET", f"{P}/{{{name}}}", query=query, **options)


def version(template: str = "Hi {{name}}, welcome to {{company}}!", name: str = "p") -> Step:
    return Step("POST", f"{P}/{{{name}}}/versions", {"template": template})


def rollback(body: Any, name: str = "p") -> Step:
    return Step("POST", f"{P}/{{{name}}}/rollback", body)


def update(body: Any, name: str = "p", **options: Any) -> Step:
    return Step("PUT", f"{P}/{{{name}}}", body, **options)


def probe(name: str, *steps: Step, choice: str | None = None, about: str = "") -> Probe:
    return Probe(name, steps, choice, about)


def variables(value: Any) -> str:
    """``variables=`` with a JSON value, as a query."""
    return "variables=" + quote(json.dumps(value, separators=(",", ":")))


def fill(text: str, ids: dict[str, str], token: str, mark: str) -> str:
    """A template with the IDs this side learned; one it never learned (its create failed) is
    an unknown ID. The mark names what the run made where its owners are not its own."""
    text = text.replace("{token}", token).replace("{mark}", mark)
    return NAMES.sub(lambda match: ids.get(match.group(1), UNKNOWN), text)


def body_of(step: Step, filled: Callable[[str], str]) -> Any:
    """The step's JSON body with its texts filled in."""

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return filled(value)
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    return walk(step.body)
