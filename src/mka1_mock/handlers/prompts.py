"""The nine Prompts API operations."""

from __future__ import annotations

from typing import Any

from ..jsondata import whole
from ..rendering import render
from ..session import Session
from ..store import Owner
from . import Call, Handler


def create_prompt(session: Session, call: Call) -> dict[str, Any]:
    body = call.body
    prompt = session.store.create(
        _owner(call),
        name=body["name"],
        template=body["template"],
        description=body.get("description"),
        metadata=body.get("metadata"),
    )
    return prompt.as_dict() | {"version": prompt.versions[0].as_dict()}


def list_prompts(session: Session, call: Call) -> dict[str, Any]:
    query = call.query
    prompts, has_more = session.store.page(
        _owner(call), query["limit"], query["order"], query.get("after")
    )
    page: dict[str, Any] = {
        "object": "list",
        "data": [prompt.as_dict() for prompt in prompts],
        "has_more": has_more,
    }
    if prompts:
        page |= {"first_id": prompts[0].id, "last_id": prompts[-1].id}
    return page


def get_prompt(session: Session, call: Call) -> dict[str, Any]:
    prompt = session.store.get(_owner(call), call.path["id"])
    template = prompt.version(call.query.get("version", prompt.active_version)).template
    data = prompt.as_dict() | {"active_template": template}
    if "variables" in call.query:
        data["rendered_template"] = render(template, call.query["variables"])
    return data


def update_prompt(session: Session, call: Call) -> dict[str, Any]:
    return session.store.update(_owner(call), call.path["id"], call.body).as_dict()


def delete_prompt(session: Session, call: Call) -> dict[str, Any]:
    prompt = session.store.delete(_owner(call), call.path["id"])
    return {"id": prompt.id, "object": "prompt.deleted", "deleted": True}


def create_prompt_version(session: Session, call: Call) -> dict[str, Any]:
    return session.store.add_version(_owner(call), call.path["id"], call.body["template"]).as_dict()


def list_prompt_versions(session: Session, call: Call) -> dict[str, Any]:
    query = call.query
    versions = session.store.versions(_owner(call), call.path["id"], query["limit"], query["order"])
    return {"object": "list", "data": [version.as_dict() for version in versions]}


def get_prompt_version(session: Session, call: Call) -> dict[str, Any]:
    prompt = session.store.get(_owner(call), call.path["id"])
    return prompt.version(call.path["version"]).as_dict()


def rollback_prompt(session: Session, call: Call) -> dict[str, Any]:
    number = whole(call.body["version"])
    return session.store.rollback(_owner(call), call.path["id"], number).as_dict()


def _owner(call: Call) -> Owner:
    assert call.owner is not None, "the Prompts API always authenticates"
    return call.owner


HANDLERS: dict[str, Handler] = {
    "createPrompt": create_prompt,
    "listPrompts": list_prompts,
    "getPrompt": get_prompt,
    "updatePrompt": update_prompt,
    "deletePrompt": delete_prompt,
    "createPromptVersion": create_prompt_version,
    "listPromptVersions": list_prompt_versions,
    "getPromptVersion": get_prompt_version,
    "rollbackPrompt": rollback_prompt,
}
