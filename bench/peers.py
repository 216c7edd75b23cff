"""The peers: Prism, json-server and WireMock, installed by npm into bench/.cache, and the
answers of mka1-mock that json-server and WireMock are given to serve."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from servers import (
    MOCK,
    MOCK_COMMAND,
    PROMPTS,
    ROOT,
    SEEDED,
    Server,
    call,
    fetch,
    prompt_id,
    seed_state,
    serving,
)

CACHE = ROOT / "bench" / ".cache"
PRISM_VERSION = "5.14.2"  # newer releases need Node 24
JSON_SERVER_VERSION = "1.0.0-beta.15"  # wants Node 22 by its engines field; runs on Node 20
WIREMOCK_VERSION = "3.13.2"  # the npm package bundles the standalone jar
PRISM, JSON_SERVER, WIREMOCK = (
    f"Prism {PRISM_VERSION}",
    f"json-server {JSON_SERVER_VERSION}",
    f"WireMock {WIREMOCK_VERSION}",
)
# The 1 KB createPrompt body, as bench/lua/common.lua sends it.
TEMPLATE = '{"name": "bench", "template": "' + "Hello {{name}}! " * 64 + '"}'
# json-server serves /prompts and /prompts/:id; its PUT replaces the whole item (the prompt would
# lose all but its name), so the updates of the mix are PATCH, which merges like updatePrompt.
JSON_SERVER_ARGS = ("/prompts", "_page=1&_per_page=20", "PATCH")


def npm_install(
    folder_name: str, package: str, version: str, wanted: str
) -> tuple[str | None, str]:
    """package@version from npm into bench/.cache/folder_name; the path of the file that the glob
    ``wanted`` finds there, or (None, why) when it cannot be had."""
    folder = CACHE / folder_name

    def installed() -> str | None:
        manifest = folder / "node_modules" / package / "package.json"
        if not manifest.exists() or json.loads(manifest.read_text()).get("version") != version:
            return None
        return next((str(path) for path in sorted(folder.glob(wanted))), None)

    found = installed()
    if found is None:
        if shutil.which("npm") is None:
            return None, "npm is not installed"
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(folder),
                "--no-audit",
                "--no-fund",
                f"{package}@{version}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        found = installed()
        if done.returncode != 0 or found is None:
            said = [line for line in done.stderr.splitlines() if "complete log" not in line]
            return None, f"npm install failed: {' / '.join(said[:3]) or done.returncode}"
    return found, f"{package}@{version} from npm"


def prism_peer(binary: str) -> Server:
    """Prism mocking the same openapi.yaml."""
    return Server(
        PRISM, [binary, "mock", "-h", "127.0.0.1", str(ROOT / "openapi.yaml"), "-p", "{port}"]
    )


def record_mock_answers() -> dict[str, Any]:
    """Start mka1-mock once, seeded as for the load, and record what it answers: every seeded
    prompt as getPrompt returns it (json-server's data), and one (status, body) per operation
    (WireMock's stubs). The list is recorded before the create, as the list workload sees it."""
    with serving(Server(MOCK, MOCK_COMMAND)) as url:
        seed_state(url, SEEDED)
        prompts = [call(url, "GET", f"{PROMPTS}/{prompt_id(i)}") for i in range(1, SEEDED + 1)]
        return {
            "prompts": prompts,
            "get": fetch(url, "GET", f"{PROMPTS}/{prompt_id(1)}"),
            "list": fetch(url, "GET", f"{PROMPTS}?limit=20"),
            "create": fetch(url, "POST", PROMPTS, TEMPLATE),
            "update": fetch(url, "PUT", f"{PROMPTS}/{prompt_id(1)}", '{"name": "renamed 1"}'),
        }


def json_server_peer(binary: str, scratch: Path, prompts: list[Any]) -> Server:
    """json-server on a db.json of the seeded prompts in a scratch folder. It keeps its data in
    memory and rewrites the whole db.json on every write, so a create costs more as prompts pile
    up; and it did not reliably reload db.json rewritten while it ran. So each workload starts a
    new process from a freshly written db.json, and so does each measured run of a workload that
    writes (each process with its own warm-up, whose creates stay: about 2 s worth of them)."""
    folder = scratch / "json-server"
    folder.mkdir()
    seed = json.dumps({"prompts": prompts})

    def write_db() -> None:
        (folder / "db.json").write_text(seed)

    return Server(
        JSON_SERVER,
        [binary, "--host", "127.0.0.1", "--port", "{port}", "db.json"],
        ready="/prompts?_page=1&_per_page=1",
        cwd=folder,
        script_args=JSON_SERVER_ARGS,
        prepare=write_db,
        restart=True,
    )


def wiremock_peer(jar: str, scratch: Path, recorded: dict[str, Any]) -> Server:
    """WireMock with one stub per operation, answering what mka1-mock answered. Default options:
    its request journal keeps every request, so it is cleared before each run, as the mock's
    state is reset."""
    root = scratch / "wiremock"
    (root / "mappings").mkdir(parents=True)
    by_id = {"urlPathPattern": PROMPTS + "/prompt_[0-9a-f]{32}"}
    stubs = {
        "getPrompt": ("GET", by_id, recorded["get"]),
        "createPrompt": ("POST", {"urlPath": PROMPTS}, recorded["create"]),
        "updatePrompt": ("PUT", by_id, recorded["update"]),
        "listPrompts": ("GET", {"urlPath": PROMPTS}, recorded["list"]),
    }
    for name, (method, url, (status, body)) in stubs.items():
        stub = {
            "name": name,
            "request": {"method": method, **url},
            "response": {
                "status": status,
                "body": body,
                "headers": {"Content-Type": "application/json"},
            },
        }
        (root / "mappings" / f"{name}.json").write_text(json.dumps(stub, indent=2))

    def clear_journal(url: str) -> None:
        fetch(url, "DELETE", "/__admin/requests")

    return Server(
        WIREMOCK,
        [
            "java",
            "-jar",
            jar,
            "--port",
            "{port}",
            "--bind-address",
            "127.0.0.1",
            "--root-dir",
            str(root),
            "--disable-banner",
        ],
        ready="/__admin/health",
        reset=clear_journal,
        timeout=120,
    )
