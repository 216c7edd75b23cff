"""In-memory prompts, kept per owner, with the Prompts API's versioning rules."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

from .clock import Clock
from .errors import NotFound
from .ids import IdSource
from .jsondata import whole
from .limits import Quota
from .prompt import Prompt, Version
from .seeds import check_seeds, export_prompt, seed_time


class Owner(NamedTuple):
    """Who a prompt belongs to: the bearer token, and ``X-On-Behalf-Of`` (None when absent)."""

    token: str
    on_behalf_of: str | None = None


Order = Literal["asc", "desc"]


@dataclass
class Shelf:
    """One owner's prompts: by ID, and by (created_at, sequence) for paging."""

    by_id: dict[str, Prompt] = field(default_factory=dict)
    ordered: list[tuple[tuple[datetime, int], str]] = field(default_factory=list)


class Store:
    """All prompts of all owners. Every method is atomic, so no write is ever lost."""

    def __init__(self, ids: IdSource, clock: Clock, quota: Quota | None = None) -> None:
        self.ids = ids
        self.clock = clock
        self.quota = quota or Quota()
        self.version = 0  # moves on every change: the state file saves when it has
        self._lock = threading.RLock()
        self._shelves: dict[Owner, Shelf] = {}
        self._sequence = 0

    def reset(self) -> None:
        """Forget every prompt of every owner."""
        with self._lock:
            self.quota.give(len(self))
            self._clear()

    def _clear(self) -> None:
        self._shelves.clear()
        self._sequence = 0
        self.version += 1

    def export(self) -> dict[str, Any]:
        """Every prompt of every owner, in the fixture format with every field filled in."""
        with self._lock:
            return {
                "prompts": [
                    export_prompt(owner, shelf.by_id[prompt_id])
                    for owner, shelf in self._shelves.items()
                    for _, prompt_id in shelf.ordered
                ]
            }

    def load(self, data: Mapping[str, Any], *, replace: bool = False, where: str = "") -> int:
        """Add (or, with ``replace``, swap in) schema-valid seed data; all or nothing.

        Returns how many prompts the store holds afterwards. Inconsistent data raises a 400
        whose details are located as ``{where}prompts[i]...``, and consumes no IDs.
        """
        with self._lock:
            taken = set() if replace else {i for _, p in self for i in (p.id, *p.version_ids)}
            items = data["prompts"]
            check_seeds(data, where, taken)
            held = len(self) if replace else 0
            if len(items) > held:
                self.quota.take(len(items) - held)  # all, or none: a 507
            else:
                self.quota.give(held - len(items))
            if replace:
                self._clear()
            for item in items:
                owner, prompt = self._seed(item)
                self._sequence += 1
                prompt.sort_key = (prompt.created_at, self._sequence)
                shelf = self._shelves.setdefault(owner, Shelf())
                shelf.by_id[prompt.id] = prompt
                bisect.insort(shelf.ordered, (prompt.sort_key, prompt.id))
            self.version += 1
            return len(self)

    def _seed(self, item: Mapping[str, Any]) -> tuple[Owner, Prompt]:
        """A prompt from checked seed data, with IDs and times filled in where absent."""
        prompt_id = item.get("id") or self.ids.new("prompt")
        seeds = item["versions"]
        times = [seed_time(seed, "created_at") for seed in seeds]
        created_at = seed_time(item, "created_at") or times[0] or self.clock.now()
        versions = [
            Version(
                seed.get("id") or self.ids.new("pver"),
                prompt_id,
                number,
                seed["template"],
                at or created_at,
            )
            for number, (seed, at) in enumerate(zip(seeds, times, strict=True), start=1)
        ]
        owner = item["owner"]
        prompt = Prompt(
            id=prompt_id,
            name=item["name"],
            description=item.get("description"),
            metadata=dict(item.get("metadata", {})),
            created_at=created_at,
            updated_at=seed_time(item, "updated_at") or max(created_at, versions[-1].created_at),
            active_version=whole(item.get("active_version", len(versions))),
            versions=versions,
            sort_key=(created_at, 0),
        )
        return Owner(owner["token"], owner.get("on_behalf_of") or None), prompt

    def create(
        self,
        owner: Owner,
        name: str,
        template: str,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Prompt:
        with self._lock:
            self.quota.take(1)
            now = self.clock.now()
            prompt_id = self.ids.new("prompt")
            self._sequence += 1
            prompt = Prompt(
                id=prompt_id,
                name=name,
                description=description,
                metadata=dict(metadata or {}),
                created_at=now,
                updated_at=now,
                active_version=1,
                versions=[Version(self.ids.new("pver"), prompt_id, 1, template, now)],
                sort_key=(now, self._sequence),
            )
            shelf = self._shelves.setdefault(owner, Shelf())
            shelf.by_id[prompt_id] = prompt
            bisect.insort(shelf.ordered, (prompt.sort_key, prompt_id))
            self.version += 1
            return prompt

    def get(self, owner: Owner, prompt_id: str) -> Prompt:
        shelf = self._shelves.get(owner)
        prompt = shelf.by_id.get(prompt_id) if shelf else None
        if prompt is None:
            raise NotFound(f"No prompt with id {prompt_id!r}", param="id")
        return prompt

    def page(
        self, owner: Owner, limit: int, order: Order, after: str | None = None
    ) -> tuple[list[Prompt], bool]:
        """Up to ``limit`` prompts after the cursor, and whether more remain."""
        with self._lock:
            shelf = self._shelves.get(owner) or Shelf()
            ordered = shelf.ordered
            if after is not None:
                cursor = shelf.by_id.get(after)
                if cursor is None:  # like any other ID this owner does not have
                    raise NotFound(f"No prompt with id {after!r} to list after", param="after")
                index = bisect.bisect_left(ordered, (cursor.sort_key, after))
                start, stop = (index + 1, len(ordered)) if order == "asc" else (index - 1, -1)
            else:
                start, stop = (0, len(ordered)) if order == "asc" else (len(ordered) - 1, -1)
            step = 1 if order == "asc" else -1
            picked = range(start, stop, step)[: limit + 1]
            prompts = [shelf.by_id[ordered[i][1]] for i in picked]
            return prompts[:limit], len(prompts) > limit

    def update(self, owner: Owner, prompt_id: str, changes: Mapping[str, Any]) -> Prompt:
        """Apply ``name``/``description``/``metadata``; other keys are ignored."""
        with self._lock:
            prompt = self.get(owner, prompt_id)
            if "name" in changes:
                prompt.name = changes["name"]
            if "description" in changes:
                prompt.description = changes["description"]
            if "metadata" in changes:
                prompt.metadata = dict(changes["metadata"])
            prompt.updated_at = self.clock.now()
            self.version += 1
            return prompt

    def delete(self, owner: Owner, prompt_id: str) -> Prompt:
        with self._lock:
            prompt = self.get(owner, prompt_id)
            shelf = self._shelves[owner]
            del shelf.by_id[prompt_id]
            index = bisect.bisect_left(shelf.ordered, (prompt.sort_key, prompt_id))
            del shelf.ordered[index]
            self.quota.give(1)
            self.version += 1
            return prompt

    def add_version(self, owner: Owner, prompt_id: str, template: str) -> Version:
        """Append version ``latest + 1`` and make it active."""
        with self._lock:
            prompt = self.get(owner, prompt_id)
            now = self.clock.now()
            number = prompt.latest_version + 1
            version = Version(self.ids.new("pver"), prompt_id, number, template, now)
            prompt.versions.append(version)
            prompt.active_version = number
            prompt.updated_at = now
            self.version += 1
            return version

    def versions(self, owner: Owner, prompt_id: str, limit: int, order: Order) -> list[Version]:
        with self._lock:
            versions = self.get(owner, prompt_id).versions
            return versions[:limit] if order == "asc" else versions[: -limit - 1 : -1]

    def rollback(self, owner: Owner, prompt_id: str, number: int) -> Prompt:
        """Make an existing version active, older or newer than the current one."""
        with self._lock:
            prompt = self.get(owner, prompt_id)
            prompt.version(number)
            prompt.active_version = number
            prompt.updated_at = self.clock.now()
            self.version += 1
            return prompt

    def __len__(self) -> int:
        return sum(len(shelf.by_id) for shelf in self._shelves.values())

    def __iter__(self) -> Iterator[tuple[Owner, Prompt]]:
        with self._lock:
            items = [(o, p) for o, shelf in self._shelves.items() for p in shelf.by_id.values()]
        return iter(items)
