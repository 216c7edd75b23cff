"""Figures measured inside one process: MockServer start and reset, validation cost per
request, and memory for 100,000 prompts. bench/run.py runs it and reads its JSON line."""

import json
import statistics
import time

from mka1_mock import create_app
from mka1_mock.exchange import Answer, Exchange
from mka1_mock.server import MockServer
from mka1_mock.store import Owner


def median_us(n, work, *args):
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        work(*args)
        samples.append(time.perf_counter() - started)
    return round(statistics.median(samples) * 1e6, 2)


starts = []
for _ in range(15):
    t = time.perf_counter()
    server = MockServer().start()
    starts.append(time.perf_counter() - t)
    server.stop()
with MockServer() as server:
    reset = median_us(2000, server.prepare)

app = create_app()
session = app.state.session
checker = next(
    r.app.pipeline.checker
    for r in app.routes
    if getattr(r, "path", "") == "/api/v1/llm/prompts/{id}"
)
ops = {o.operation_id: o for o in session.spec.operations}
owner = Owner("bench")
for i in range(1000):
    prompt = session.store.create(owner, name=f"p{i}", template="Hello {{name}}! " * 64)
cost = {}
cases = {
    "getPrompt": (
        "",
        {"id": prompt.id},
        None,
        200,
        prompt.as_dict() | {"active_template": "t"},
    ),
    "createPrompt": (
        "",
        {},
        {"name": "n", "template": "Hello {{name}}! " * 64},
        201,
        prompt.as_dict() | {"version": prompt.versions[0].as_dict()},
    ),
    "updatePrompt": (
        "",
        {"id": prompt.id},
        {"name": "renamed"},
        200,
        prompt.as_dict(),
    ),
    "listPrompts": (
        "limit=20",
        {},
        None,
        200,
        {
            "object": "list",
            "data": [p.as_dict() for p in session.store.page(owner, 20, "desc")[0]],
            "has_more": True,
        },
    ),
}
for name, (query, path, body, status, data) in cases.items():
    scope = {
        "type": "http",
        "method": ops[name].method,
        "path": "/",
        "query_string": query.encode(),
        "headers": [(b"authorization", b"Bearer bench")],
        "path_params": path,
    }
    exchange = Exchange(scope, None, ops[name])
    exchange.payload = body
    answer = Answer.json(status, data)
    assert checker.compiled.plans[name].read(exchange) is not None
    assert checker.response(exchange, answer) == []
    cost[name] = {
        "request_us": median_us(5000, checker.request, exchange),
        "response_us": median_us(5000, checker.response, exchange, answer),
    }


def rss_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


memory_app = create_app()
store = memory_app.state.session.store
before = rss_kib()
for i in range(100_000):
    prompt = store.create(
        owner, name=f"prompt {i}", template="Hello {{name}}! Welcome to {{company}}."
    )
    store.add_version(owner, prompt.id, "Hi {{name}}, welcome to {{company}}!")
after = rss_kib()
print(
    json.dumps(
        {
            "mockserver_start_ms": round(statistics.median(starts) * 1000, 1),
            "reset_us": reset,
            "validation_cost_us": cost,
            "rss_100k_prompts_mib": round((after - before) / 1024, 1),
            "rss_total_mib": round(after / 1024, 1),
        }
    )
)
