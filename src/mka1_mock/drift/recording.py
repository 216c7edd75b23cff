"""A proxy's HAR recording: replayed against a mock and compared, or turned into fixtures."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from .. import jsondata
from ..errors import StartupError
from .compare import PROMPT_ID, VERSION_ID, Answer, differences
from .runner import answer_of, unreachable

ID = re.compile(r"(?:prompt|pver)_[0-9a-f]{32}")
SKIPPED = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding"}


@dataclass(frozen=True)
class Recorded:
    """One exchange of a recording: the request as sent, the answer as the upstream gave it."""

    method: str
    target: str  # path and query
    headers: list[tuple[str, str]]
    body: bytes | None
    answer: Answer
    operation_id: str | None


def read(path: Path) -> list[Recorded]:
    """The upstream's exchanges of a HAR file (not those the proxy answered itself)."""
    try:
        entries = jsondata.loads(path.read_bytes(), 64)["log"]["entries"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StartupError(f"{path}: not a HAR file: {exc}") from None
    return [_recorded(e) for e in entries if e.get("_answered_by", "upstream") == "upstream"]


def _recorded(entry: dict[str, Any]) -> Recorded:
    request, response = entry["request"], entry["response"]
    url = urlsplit(request["url"])
    target = url.path + (f"?{url.query}" if url.query else "")
    headers = [(h["name"], h["value"]) for h in request["headers"]]
    post = request.get("postData")
    content = response.get("content", {})
    answer = Answer.read(response["status"], content.get("mimeType", ""), _bytes(content) or b"")
    operation_id = entry.get("_operation_id")
    return Recorded(request["method"], target, headers, _bytes(post), answer, operation_id)


def _bytes(content: dict[str, Any] | None) -> bytes | None:
    if not content or "text" not in content:
        return None
    if content.get("encoding") == "base64":
        return base64.b64decode(content["text"])
    return str(content["text"]).encode()


@dataclass
class Replay:
    """A recording sent again, in order, with the IDs it learned mapped to the new ones."""

    client: httpx.Client
    url: str
    token: str | None = None  # replaces the recording's (redacted) bearer tokens
    ids: dict[str, str] = field(default_factory=dict)  # recorded ID -> ID on this side
    stopped: str | None = None  # why the replay ended early, if it did

    def steps(self, recording: list[Recorded]) -> Iterator[dict[str, Any]]:
        """Each exchange replayed; the first that cannot reach the server is the last (the
        exchanges after it build on what it did)."""
        for recorded in recording:
            step = {
                "request": f"{recorded.method} {recorded.target}",
                "operation_id": recorded.operation_id,
                "recorded": recorded.answer.status,
            }
            try:
                answer = self.send(recorded)
            except httpx.TransportError as exc:
                self.stopped = f"the server {self.url} could not be reached"
                yield step | {"replayed": 0, "differences": [unreachable("the server", exc)]}
                return
            self._learn(recorded.answer.body, answer.body)
            found = differences(answer, recorded.answer, ("mock", "recording"))
            yield step | {"replayed": answer.status, "differences": found}

    def send(self, recorded: Recorded) -> Answer:
        headers = [(n, v) for n, v in recorded.headers if n.lower() not in SKIPPED]
        if self.token is not None:
            headers = [
                (n, f"Bearer {self.token}" if n.lower() == "authorization" else v)
                for n, v in headers
            ]
        body = self._map(recorded.body.decode("utf-8", "replace")) if recorded.body else None
        target = self._map(recorded.target)
        response = self.client.request(
            recorded.method, self.url + target, headers=headers, content=body
        )
        return answer_of(response)

    def _map(self, text: str) -> str:
        return ID.sub(lambda match: self.ids.get(match.group(), match.group()), text)

    def _learn(self, recorded: Any, replayed: Any) -> None:
        """Recorded IDs and the replay's at the same places of the two answers."""
        if isinstance(recorded, dict) and isinstance(replayed, dict):
            for key in recorded.keys() & replayed.keys():
                self._learn(recorded[key], replayed[key])
        elif isinstance(recorded, list) and isinstance(replayed, list):
            for mine, theirs in zip(recorded, replayed, strict=False):
                self._learn(mine, theirs)
        elif isinstance(recorded, str) and isinstance(replayed, str):
            for pattern in (PROMPT_ID, VERSION_ID):
                if pattern.fullmatch(recorded) and pattern.fullmatch(replayed):
                    self.ids.setdefault(recorded, replayed)


def to_fixtures(
    recording: list[Recorded], token: str, warn: Callable[[str], None] = lambda line: None
) -> dict[str, Any]:
    """The prompts and versions a recording shows, rebuilt in its order with its deletes, as a
    fixture for ``token`` (``X-On-Behalf-Of`` values, pseudonyms included, stay the owners);
    ``warn`` hears of each prompt left out because the recording misses some of its versions."""
    prompts: dict[str, dict[str, Any]] = {}
    for recorded in recording:
        status, body = recorded.answer.status, recorded.answer.body
        if status >= 300 or not isinstance(body, dict):
            continue
        owner = {"token": token}
        if on_behalf_of := _header(recorded.headers, "x-on-behalf-of"):
            owner["on_behalf_of"] = on_behalf_of
        kind = body.get("object")
        if kind == "prompt.deleted":
            prompts.pop(body.get("id", ""), None)
        elif kind == "prompt":
            prompt = prompts.setdefault(body["id"], {"owner": owner, "versions": {}})
            prompt.update({key: body[key] for key in _PROMPT_FIELDS if key in body})
            if "description" not in body and recorded.method in ("PUT", "GET"):
                prompt.pop("description", None)
            prompt["latest"] = body.get("latest_version", prompt.get("latest"))
            if isinstance(body.get("version"), dict):
                _version(prompt, body["version"])
            if "active_template" in body and "version=" not in recorded.target:
                active = {"template": body["active_template"]}
                prompt["versions"].setdefault(body["active_version"], active)
        elif kind == "prompt.version" and body.get("prompt_id") in prompts:
            _version(prompts[body["prompt_id"]], body)
            if recorded.method == "POST":
                _made(prompts[body["prompt_id"]], body)
        elif kind == "list":
            for item in body.get("data", []):
                if item.get("object") == "prompt.version" and item.get("prompt_id") in prompts:
                    _version(prompts[item["prompt_id"]], item)
    fixtures = []
    for prompt_id, prompt in prompts.items():
        if _complete(prompt):
            fixtures.append(_fixture(prompt_id, prompt))
        else:
            seen = ", ".join(map(str, sorted(prompt["versions"]))) or "none"
            warn(f"{prompt_id} left out: it has versions 1 to {_latest(prompt)}, seen: {seen}")
    return {"prompts": fixtures}


_PROMPT_FIELDS = ("name", "description", "metadata", "created_at", "updated_at", "active_version")


def _version(prompt: dict[str, Any], version: dict[str, Any]) -> None:
    prompt["versions"][version["version"]] = {
        key: version[key] for key in ("id", "template", "created_at") if key in version
    }


def _made(prompt: dict[str, Any], version: dict[str, Any]) -> None:
    """A version created: the prompt's latest and active, updated when it was made."""
    prompt["latest"] = prompt["active_version"] = version["version"]
    if "created_at" in version:
        prompt["updated_at"] = version["created_at"]


def _latest(prompt: dict[str, Any]) -> int:
    """The prompt's latest version number, as last seen (else the highest version seen)."""
    latest = prompt.get("latest")
    return latest if isinstance(latest, int) else max(prompt["versions"], default=0)


def _complete(prompt: dict[str, Any]) -> bool:
    """Whether every version 1..latest was seen (a fixture cannot leave one out)."""
    numbers = sorted(prompt["versions"])
    wanted = list(range(1, _latest(prompt) + 1))
    return bool(numbers) and numbers == wanted and "name" in prompt


def _fixture(prompt_id: str, prompt: dict[str, Any]) -> dict[str, Any]:
    versions = [prompt["versions"][number] for number in sorted(prompt["versions"])]
    fields = {key: prompt[key] for key in _PROMPT_FIELDS if key in prompt}
    if fields.get("active_version", 1) > len(versions):
        fields.pop("active_version")
    return {"owner": prompt["owner"], "id": prompt_id, **fields, "versions": versions}


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name and value), None)
