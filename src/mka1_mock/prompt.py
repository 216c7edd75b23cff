"""A prompt and its versions, as the store keeps them and the API shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .clock import format_timestamp
from .errors import NotFound


@dataclass(slots=True)  # a hundred thousand of them: no per-object dict
class Version:
    """An immutable prompt version."""

    id: str
    prompt_id: str
    number: int
    template: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "prompt_id": self.prompt_id,
            "version": self.number,
            "object": "prompt.version",
            "template": self.template,
            "created_at": format_timestamp(self.created_at),
        }


@dataclass(slots=True)
class Prompt:
    """A prompt and its versions; version numbers run 1..latest with no gaps."""

    id: str
    name: str
    description: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    active_version: int
    versions: list[Version]
    sort_key: tuple[datetime, int]

    @property
    def version_ids(self) -> list[str]:
        return [version.id for version in self.versions]

    @property
    def latest_version(self) -> int:
        return self.versions[-1].number

    def version(self, number: int) -> Version:
        if 1 <= number <= len(self.versions):
            return self.versions[number - 1]
        raise NotFound(f"Prompt {self.id!r} has no version {number}", param="version")

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "object": "prompt", "name": self.name}
        if self.description is not None:
            data["description"] = self.description
        data |= {
            "active_version": self.active_version,
            "latest_version": self.latest_version,
            "metadata": self.metadata,
            "created_at": format_timestamp(self.created_at),
            "updated_at": format_timestamp(self.updated_at),
        }
        return data
