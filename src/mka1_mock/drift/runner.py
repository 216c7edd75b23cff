"""Running the probes side by side, against a fresh mock and a target, and cleaning up after."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from .. import jsondata
from ..app import create_app
from ..server import ThreadedServer
from ..settings import Settings
from .compare import Answer, differences
from .probes import SCENARIO, Probe, Step, body_of, fill

ANY_DEPTH = 1000
"""How deep an answer under comparison may nest: the other side has no limit of ours."""
UNREACHABLE_IN_A_ROW = 3
"""Transport failures in a row after which the target counts as gone and the run stops."""


@dataclass
class Side:
    """One implementation under comparison, with the IDs it gave and the prompts still there."""

    name: str
    url: str
    token: str
    client: httpx.Client
    ids: dict[str, str] = field(default_factory=dict)
    created: dict[str, str | None] = field(default_factory=dict)  # prompt ID -> its owner header
    deleted: int = 0

    def send(self, step: Step, owners: dict[str, str]) -> Answer:
        headers = {}
        if step.authorization is not None:
            headers["Authorization"] = fill(step.authorization, self.ids, self.token)
        owner = owners.get(step.owner, step.owner) if step.owner else step.owner
        if owner is not None:
            headers["X-On-Behalf-Of"] = owner
        if step.content_type is not None and (step.body is not None or step.raw is not None):
            headers["Content-Type"] = step.content_type
        content = step.raw if step.raw is not None else None
        if content is None and step.body is not None:
            content = orjson.dumps(body_of(step, self.ids, self.token))
        url = self.url + fill(step.path, self.ids, self.token)
        query = fill(step.query, self.ids, self.token)
        response = self.client.request(
            step.method, url + (f"?{query}" if query else ""), headers=headers, content=content
        )
        answer = answer_of(response)
        body = answer.body if isinstance(answer.body, dict) else {}
        if response.status_code == 201 and body.get("object") == "prompt":
            self.created[body["id"]] = owner  # whether the probe meant to create it or not
            if step.learn:
                self.ids[step.learn] = body["id"]
        gone = url.rsplit("/", 1)[-1]
        if step.method == "DELETE" and response.status_code == 200 and gone in self.created:
            del self.created[gone]
            self.deleted += 1
        return answer


def answer_of(response: httpx.Response) -> Answer:
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        body = jsondata.loads(response.content, ANY_DEPTH) if response.content else None
    except ValueError:
        body = response.text
    return Answer(response.status_code, media, body)


@dataclass
class Outcome:
    """What a probe found: per step, the request, both statuses and the differences."""

    probe: Probe
    steps: list[dict[str, Any]]

    @property
    def agrees(self) -> bool:
        return not any(step["differences"] for step in self.steps)


@dataclass
class Run:
    outcomes: list[Outcome]
    created: int
    deleted: int
    leftovers: list[dict[str, Any]]
    stopped: str | None = None  # why the run ended early, if it did


def run(target: str, token: str, probes: Sequence[Probe] = SCENARIO, timeout: float = 30.0) -> Run:
    """Every probe on a fresh mock and on the target; then delete what it created, on both."""
    mark = secrets.token_hex(4)
    with _mock() as mock_url, httpx.Client(timeout=timeout, trust_env=False) as client:
        mock, theirs = Side("mock", mock_url, token, client), Side("target", target, token, client)
        outcomes: list[Outcome] = []
        stopped = None
        try:
            failures = 0
            for index, probe in enumerate(probes):
                owners = {key: f"mka1-mock-drift-{mark}-{index}-{key}" for key in ("a", "b")}
                outcome = _probe(probe, mock, theirs, owners)
                outcomes.append(outcome)
                unreachable = any(s["target"] == 0 for s in outcome.steps)
                failures = failures + 1 if unreachable else 0
                if failures >= UNREACHABLE_IN_A_ROW:
                    stopped = f"the target {target} could not be reached {failures} times in a row"
                    break
        except KeyboardInterrupt:
            stopped = "interrupted"
        finally:
            created = theirs.deleted + len(theirs.created)
            leftovers = _clean(theirs) + _clean(mock, quiet=True)
        return Run(outcomes, created, theirs.deleted, leftovers, stopped)


def _probe(probe: Probe, mock: Side, theirs: Side, owners: dict[str, str]) -> Outcome:
    mock.ids.clear()
    theirs.ids.clear()
    steps = []
    for step in probe.steps:
        ours = mock.send(step, owners)
        try:
            other = theirs.send(step, owners)
        except httpx.TransportError as exc:
            problem = f"the target could not be reached: {type(exc).__name__}: {exc}"
            steps.append(_step(step, ours.status, 0, [problem]))
            break
        steps.append(_step(step, ours.status, other.status, differences(ours, other)))
    return Outcome(probe, steps)


def _step(step: Step, mock: int, target: int, found: list[str]) -> dict[str, Any]:
    request = f"{step.method} {step.path}" + (f"?{step.query}" if step.query else "")
    return {"request": request, "mock": mock, "target": target, "differences": found}


def _clean(side: Side, quiet: bool = False, attempts: int = 3) -> list[dict[str, Any]]:
    """Delete every prompt a run created on a side, retrying; what could not be, listed."""
    left = []
    for prompt_id, owner in list(side.created.items()):
        headers = {"Authorization": f"Bearer {side.token}"}
        if owner is not None:
            headers["X-On-Behalf-Of"] = owner
        for attempt in range(attempts):
            url = f"{side.url}/api/v1/llm/prompts/{prompt_id}"
            try:
                response = side.client.delete(url, headers=headers)
            except httpx.TransportError:
                time.sleep(0.2 * (attempt + 1))
                continue
            if response.status_code in (200, 404):  # 404: gone already
                side.created.pop(prompt_id)
                side.deleted += response.status_code == 200
                break
        if prompt_id in side.created and not quiet:
            left.append({"id": prompt_id, "on_behalf_of": owner})
    return left


@contextmanager
def _mock() -> Iterator[str]:
    """A fresh mock of the bundled contract, on a free port."""
    with ThreadedServer(create_app(Settings(port=0, log_level="warning"))) as server:
        yield server.url
