"""The structural comparison of two answers to the same request.

Exact comparison is useless on live data, where IDs and timestamps always differ. This compares
what a client depends on: the status, the media type, the fields at every depth and their JSON
types, the values the request determines (constants such as ``object``, the error ``type`` and
``param``, numbers, booleans, texts the probe sent), and list lengths. IDs and timestamps are
compared by format; an ID each side learned under the same name (the prompts a probe made, p1 and
p2 on each side) also by that name, so that the same prompt is in the same place (list order);
error messages not at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import jsondata
from ..exchange import media_type

PROMPT_ID = re.compile(r"prompt_[0-9a-f]{32}")
VERSION_ID = re.compile(r"pver_[0-9a-f]{32}")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", re.ASCII)
FORMATS = {"prompt ID": PROMPT_ID, "version ID": VERSION_ID, "whole-second UTC time": TIMESTAMP}
ID_KEYS = {"id", "prompt_id", "first_id", "last_id"}
TIME_KEYS = {"created_at", "updated_at"}
IGNORED_KEYS = {"message"}  # an error's words are the implementation's own


ANY_DEPTH = 1000
"""How deep an answer under comparison may nest: the other side has no limit of ours."""


@dataclass(frozen=True)
class Answer:
    """What one side answered: status, media type, and the body (parsed JSON, or None)."""

    status: int
    media_type: str
    body: Any

    @classmethod
    def read(cls, status: int, content_type: str, content: bytes) -> Answer:
        """An answer as it came: its JSON parsed (at any depth), else its text, else None."""
        try:
            body = jsondata.loads(content, ANY_DEPTH) if content else None
        except ValueError:
            body = content.decode("utf-8", "replace")
        return cls(status, media_type(content_type), body)


def differences(
    ours: Answer,
    theirs: Answer,
    names: tuple[str, str] = ("mock", "target"),
    learned: tuple[Mapping[str, str], Mapping[str, str]] = ({}, {}),
) -> list[str]:
    """Every way ``theirs`` differs from ``ours`` in shape, in plain words, each side named;
    ``learned``: each side's IDs by name."""
    return _Comparison(*names, learned).answers(ours, theirs)


class _Comparison:
    def __init__(
        self, ours: str, theirs: str, learned: tuple[Mapping[str, str], Mapping[str, str]]
    ) -> None:
        self.ours, self.theirs = ours, theirs
        self.named = [{value: name for name, value in ids.items()} for ids in learned]

    def both(self, mine: object, other: object) -> str:
        return f"{self.ours} {mine}, {self.theirs} {other}"

    def answers(self, ours: Answer, theirs: Answer) -> list[str]:
        found = []
        if ours.status != theirs.status:
            found.append(f"status: {self.both(ours.status, theirs.status)}")
        if ours.media_type != theirs.media_type:
            found.append(
                f"content type: {self.both(repr(ours.media_type), repr(theirs.media_type))}"
            )
        return found + self.values("body", ours.body, theirs.body)

    def values(self, where: str, ours: Any, theirs: Any) -> list[str]:
        kind, other = _kind(ours), _kind(theirs)
        if kind != other:
            return [f"{where}: {self.both(kind, other)}"]
        if isinstance(ours, dict):
            found = []
            if missing := sorted(set(ours) - set(theirs)):
                found.append(f"{where}: only the {self.ours} has {', '.join(missing)}")
            if extra := sorted(set(theirs) - set(ours)):
                found.append(f"{where}: only the {self.theirs} has {', '.join(extra)}")
            for key in sorted(set(ours) & set(theirs)):
                found += self.field(f"{where}.{key}", key, ours[key], theirs[key])
            return found
        if isinstance(ours, list):
            if len(ours) != len(theirs):
                return [f"{where}: {self.both(f'{len(ours)} items', f'{len(theirs)} items')}"]
            return [
                problem
                for index, (mine, other) in enumerate(zip(ours, theirs, strict=True))
                for problem in self.values(f"{where}[{index}]", mine, other)
            ]
        if ours != theirs:
            return [f"{where}: {self.both(repr(ours), repr(theirs))}"]
        return []

    def field(self, where: str, key: str, ours: Any, theirs: Any) -> list[str]:
        """A field by its role: IDs and times by format, messages not at all, the rest by value."""
        if key in IGNORED_KEYS and isinstance(ours, str) and isinstance(theirs, str):
            return []
        shape = _format(ours)
        if (key in ID_KEYS or key in TIME_KEYS or shape) and isinstance(ours, str):
            if not isinstance(theirs, str):
                return [f"{where}: {self.both('a string', _kind(theirs))}"]
            if shape != (other := _format(theirs)):
                return [f"{where}: {self.both(shape or 'free text', other or repr(theirs))}"]
            return self.identity(where, ours, theirs) if key in ID_KEYS else []
        return self.values(where, ours, theirs)

    def identity(self, where: str, ours: str, theirs: str) -> list[str]:
        """A learned ID where the other side has another: the order or the prompt differs."""
        mine, other = self.named[0].get(ours), self.named[1].get(theirs)
        if mine == other:
            return []
        return [f"{where}: {self.both(mine or 'another ID', other or 'another ID')}"]


def _format(value: Any) -> str | None:
    if isinstance(value, str):
        for name, pattern in FORMATS.items():
            if pattern.fullmatch(value):
                return name
    return None


def _kind(value: Any) -> str:
    """The JSON type, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "an integer" if value.is_integer() else "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
