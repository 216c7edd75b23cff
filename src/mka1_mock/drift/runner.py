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

from ..app import create_app
from ..server import ThreadedServer
from ..settings import Settings
from .compare import Answer, differences
from .probes import SCENARIO
from .steps import P, Probe, Step, body_of, fill

UNREACHABLE_IN_A_ROW = 3
"""Transport failures in a row after which the target counts as gone and the run stops."""
INTERRUPTED = "interrupted"
"""Why a run stopped when Ctrl-C cut it short."""


@dataclass
class Side:
    """One implementation under comparison, with the IDs it gave and the prompts still there."""

    name: str
    url: str
    token: str
    client: httpx.Client
    mark: str  # in the run's owners, and in the names of the prompts it makes
    ids: dict[str, str] = field(default_factory=dict)
    created: dict[str, str | None] = field(default_factory=dict)  # prompt ID -> its owner header
    creators: set[str | None] = field(default_factory=set)  # every owner a create was sent for
    deleted: int = 0
    reachable: bool = True  # False once a cleanup request failed every attempt

    def send(self, step: Step, owners: dict[str, str]) -> Answer:
        headers = {}
        if step.authorization is not None:
            headers["Authorization"] = self.filled(step.authorization)
        owner = owners.get(step.owner, step.owner) if step.owner else step.owner
        if owner is not None:
            headers["X-On-Behalf-Of"] = owner
        if step.content_type is not None and (step.body is not None or step.raw is not None):
            headers["Content-Type"] = step.content_type
        content = step.raw if step.raw is not None else None
        if content is None and step.body is not None:
            content = orjson.dumps(body_of(step, self.filled))
        url = self.url + self.filled(step.path)
        query = self.filled(step.query)
        creates = step.method == "POST" and step.path == P
        if creates:
            self.creators.add(owner)  # before sending: the answer may be lost, not the prompt
        response = self.client.request(
            step.method, url + (f"?{query}" if query else ""), headers=headers, content=content
        )
        answer = answer_of(response)
        body = answer.body if isinstance(answer.body, dict) else {}
        made = body.get("id")
        if creates and response.is_success and isinstance(made, str):
            self.created[made] = owner  # whether the probe meant to create it or not
            if step.learn:
                self.ids[step.learn] = made
        gone = url.rsplit("/", 1)[-1]
        if step.method == "DELETE" and response.is_success and gone in self.created:
            del self.created[gone]
            self.deleted += 1
        return answer

    def filled(self, text: str) -> str:
        return fill(text, self.ids, self.token, self.mark)


def answer_of(response: httpx.Response) -> Answer:
    content_type = response.headers.get("content-type", "")
    return Answer.read(response.status_code, content_type, response.content)


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

    @property
    def interrupted(self) -> bool:
        return self.stopped == INTERRUPTED


def run(target: str, token: str, probes: Sequence[Probe] = SCENARIO, timeout: float = 30.0) -> Run:
    """Every probe on a fresh mock and on the target; then delete what it made on the target
    (the mock goes with the run)."""
    mark = f"mka1-mock-drift-{secrets.token_hex(4)}"
    with fresh_mock() as mock_url, httpx.Client(timeout=timeout, trust_env=False) as client:
        mock = Side("mock", mock_url, token, client, mark)
        theirs = Side("target", target, token, client, mark)
        outcomes: list[Outcome] = []
        stopped = None
        try:
            failures = 0
            for index, probe in enumerate(probes):
                owners = {key: f"{mark}-{index}-{key}" for key in ("a", "b")}
                outcome = _probe(probe, mock, theirs, owners)
                outcomes.append(outcome)
                lost = any(s["target"] == 0 for s in outcome.steps)
                failures = failures + 1 if lost else 0
                if failures >= UNREACHABLE_IN_A_ROW:
                    stopped = f"the target {target} could not be reached {failures} times in a row"
                    break
        except KeyboardInterrupt:
            stopped = INTERRUPTED
            # Cut short anywhere, even inside the client's pool: clean up with a new client.
            theirs.client = httpx.Client(timeout=timeout, trust_env=False)
        finally:
            _find(theirs)
            created = theirs.deleted + len(theirs.created)
            leftovers = _clean(theirs)
            if theirs.client is not client:
                theirs.client.close()
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
            steps.append(_step(step, ours.status, 0, [unreachable("the target", exc)]))
            break
        found = differences(ours, other, learned=(mock.ids, theirs.ids))
        steps.append(_step(step, ours.status, other.status, found))
    return Outcome(probe, steps)


def unreachable(who: str, exc: httpx.TransportError) -> str:
    """A request that got no answer, in words: the difference its step shows."""
    return f"{who} could not be reached: {type(exc).__name__}: {exc}"


def _step(step: Step, mock: int, target: int, found: list[str]) -> dict[str, Any]:
    request = f"{step.method} {step.path}" + (f"?{step.query}" if step.query else "")
    return {"request": request, "mock": mock, "target": target, "differences": found}


def _find(side: Side) -> None:
    """Add the run's prompts it could not read (a lost or unexpected answer) by listing every
    owner it created for: all of its own owners' prompts, only those named with its mark under
    another (no X-On-Behalf-Of: the token's own prompts)."""
    for owner in side.creators:
        for prompt in _listed(side, owner):
            if side.mark in (owner or "") or side.mark in str(prompt.get("name")):
                side.created.setdefault(prompt["id"], owner)


def _listed(side: Side, owner: str | None) -> Iterator[dict[str, Any]]:
    """An owner's prompts on a side, page by page, as far as its answers can be read."""
    after = ""
    while (response := _call(side, "GET", f"{P}?limit=100{after}", owner)) is not None:
        page = answer_of(response).body
        if not response.is_success or not isinstance(page, dict):
            return
        items = [i for i in page.get("data") or [] if isinstance(i, dict) and "id" in i]
        yield from items
        following = f"&after={items[-1]['id']}" if items else after
        if page.get("has_more") is not True or following == after:  # the end, or no way on
            return
        after = following


def _clean(side: Side) -> list[dict[str, Any]]:
    """Delete every prompt a run created on a side; what could not be, listed."""
    left = []
    for prompt_id, owner in list(side.created.items()):
        response = _call(side, "DELETE", f"{P}/{prompt_id}", owner)
        if response is not None and (response.is_success or response.status_code == 404):
            side.created.pop(prompt_id)  # 404: gone already
            side.deleted += response.is_success
        else:
            left.append({"id": prompt_id, "on_behalf_of": owner})
    return left


def _call(
    side: Side, method: str, path: str, owner: str | None, attempts: int = 3
) -> httpx.Response | None:
    """A cleanup request, retried while the connection fails or the answer is a 429 or 5xx;
    None (and no more tries, for this or any later request) once no attempt got an answer."""
    headers = {"Authorization": f"Bearer {side.token}"}
    if owner is not None:
        headers["X-On-Behalf-Of"] = owner
    response = None
    for attempt in range(attempts if side.reachable else 0):
        if attempt:
            time.sleep(0.2 * attempt)
        try:
            response = side.client.request(method, side.url + path, headers=headers)
        except httpx.TransportError:
            continue
        if response.status_code != 429 and response.status_code < 500:
            break
    side.reachable = response is not None
    return response


@contextmanager
def fresh_mock() -> Iterator[str]:
    """A fresh mock of the bundled contract, on a free port."""
    with ThreadedServer(create_app(Settings(port=0, log_level="warning"))) as server:
        yield server.url
