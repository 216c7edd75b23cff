"""Seed data (fixtures, imported state, the state file): what its schema cannot check, and a
prompt written out in its format."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .clock import format_timestamp, parse_timestamp
from .errors import Detail, invalid

if TYPE_CHECKING:
    from .prompt import Prompt
    from .store import Owner


def check_seeds(data: Mapping[str, Any], where: str = "", taken: set[str] | None = None) -> None:
    """Raise a 400 for schema-valid seed data that is still inconsistent (see ``_check_seed``);
    ``taken`` holds the IDs already in use."""
    taken = set() if taken is None else taken
    for index, item in enumerate(data["prompts"]):
        _check_seed(item, f"{where}prompts[{index}]", taken)


def _check_seed(item: Mapping[str, Any], where: str, taken: set[str]) -> None:
    """What the State schema cannot say: unique IDs, usable times, an active version that exists."""
    problems = []
    ids = [(f"{where}.id", item.get("id"))]
    ids += [(f"{where}.versions[{n}].id", v.get("id")) for n, v in enumerate(item["versions"])]
    for location, given in ids:
        if given is None:
            continue
        if given in taken:
            problems.append(Detail(location, f"{given} is already taken"))
        taken.add(given)
    stamped = [(f"{where}.{key}", item, key) for key in ("created_at", "updated_at")]
    stamped += [
        (f"{where}.versions[{n}].created_at", v, "created_at")
        for n, v in enumerate(item["versions"])
    ]
    for location, holder, key in stamped:
        try:
            seed_time(holder, key)
        except OverflowError:
            problems.append(Detail(location, "is outside the years 1..9999 in UTC"))
        except ValueError as exc:
            problems.append(Detail(location, f"is not a usable time ({exc})"))
    latest = len(item["versions"])
    if item.get("active_version", latest) > latest:
        problems.append(
            Detail(f"{where}.active_version", f"must be a version that exists (1..{latest})")
        )
    if problems:
        raise invalid(problems)


def seed_time(item: Mapping[str, Any], key: str) -> datetime | None:
    return parse_timestamp(item[key]) if key in item else None


def export_prompt(owner: Owner, prompt: Prompt) -> dict[str, Any]:
    token, on_behalf_of = owner
    data = prompt.as_dict()
    data.pop("object")
    data.pop("latest_version")
    versions = [
        {"id": v.id, "template": v.template, "created_at": format_timestamp(v.created_at)}
        for v in prompt.versions
    ]
    owned = {"token": token} | ({"on_behalf_of": on_behalf_of} if on_behalf_of else {})
    return {"owner": owned} | data | {"versions": versions}
