"""The nine Prompts API operations."""

from __future__ import annotations

from typing import Any

from ..rendering import render
from ..store import Store
from . import Call, Handler


def create_prompt(store: Store, call: Call) -> dict[str, Any]:
    body = call.body
    prompt = store.create(
        call.owner,
        name=body["name"],
        template=body["template"],
        description=body.get("description"),
        metadata=body.get("metadata"),
    )
    return prompt.as_dict() | {"version": prompt.versions[0].as_dict()}


def list_prompts(store: Store, call: Call) -> dict[str, Any]:
    query = call.query
    prompts, has_more = store.page(call.owner, query["limit"], query["order"], query.get("after"))
    page: dict[str, Any] = {
        "object": "list",
        "data": [prompt.as_dict() for prompt in prompts],
        "has_more": has_more,
    }
    if prompts:
        page |= {"first_id": prompts[0].id, "last_id": prompts[-1].id}
    return page


def get_prompt(store: Store, call: Call) -> dict[str, Any]:
    prompt = store.get(call.owner, call.path["id"])
    template = prompt.version(call.query.get("version", prompt.active_version)).template
    data = prompt.as_dict() | {"active_template": template}
    if "variables" in call.query:
        data["rendered_template"] = render(template, call.query["variables"])
    return data


def update_prompt(store: Store, call: Call) -> dict[str, Any]:
    return store.update(call.owner, call.path["id"], call.body).as_dict()


def delete_prompt(store: Store, call: Call) -> dict[str, Any]:
    prompt = store.delete(call.owner, call.path["id"])
    return {"id": prompt.id, "object": "prompt.deleted", "deleted": True}


def create_prompt_version(store: Store, call: Call) -> dict[str, Any]:
    return store.add_version(call.owner, call.path["id"], call.body["template"]).as_dict()


def list_prompt_versions(store: Store, call: Call) -> dict[str, Any]:
    query = call.query
    versions = store.versions(call.owner, call.path["id"], query["limit"], query["order"])
    return {"object": "list", "data": [version.as_dict() for version in versions]}


def get_prompt_version(store: Store, call: Call) -> dict[str, Any]:
    prompt = store.get(call.owner, call.path["id"])
    return prompt.version(call.path["version"]).as_dict()


def rollback_prompt(store: Store, call: Call) -> dict[str, Any]:
    # JSON Schema counts 2.0 as an integer; the store wants a real int.
    number = int(call.body["version"])
    return store.rollback(call.owner, call.path["id"], number).as_dict()


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
