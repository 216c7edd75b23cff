// Tests of a tiny MKA1 Prompts API client against mka1-mock, with Node's own test runner and
// fetch only (no npm packages). Every test gets a session of its own, so they run in parallel
// against one mock process without seeing each other's prompts, journal, fault rules or clock.
//
//   MKA1_MOCK_URL=http://127.0.0.1:8000 node --test      (or ./run.sh, which starts the mock)

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, test } from "node:test";

const MOCK_URL = (process.env.MKA1_MOCK_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
const TOKEN = "node-test-key";
const PROMPT_ID = /^prompt_[0-9a-f]{32}$/;
const RETRIED = new Set([429, 500, 502, 503, 504]);

// ---------------------------------------------------------------- the client under test

/** A minimal client, as an application would write one: JSON in and out, retries on 429/5xx. */
class PromptsClient {
  constructor(baseUrl, token, { attempts = 3, backoffMs = 20 } = {}) {
    this.baseUrl = baseUrl;
    this.token = token;
    this.attempts = attempts;
    this.backoffMs = backoffMs;
  }

  async request(method, path, body) {
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${this.baseUrl}/api/v1/llm/prompts${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!RETRIED.has(response.status) || attempt >= this.attempts) {
        return { status: response.status, body: await response.json() };
      }
      await response.body?.cancel();
      const retryAfter = Number(response.headers.get("retry-after"));
      await sleep(retryAfter > 0 ? retryAfter * 1000 : this.backoffMs * attempt);
    }
  }

  create(prompt) {
    return this.request("POST", "", prompt);
  }

  get(id) {
    return this.request("GET", `/${id}`);
  }

  list() {
    return this.request("GET", "");
  }
}

// ---------------------------------------------------------------- the mock's admin API

/** A new session of the mock: its URL is the mock's base URL for everything, admin included. */
async function newSession(t) {
  const name = randomUUID();
  const url = `${MOCK_URL}/sessions/${name}`;
  t.after(async () => {
    // Not required (idle sessions expire), but it keeps a long-running mock small.
    const response = await fetch(`${MOCK_URL}/__mock/sessions/${name}`, { method: "DELETE" });
    await response.body?.cancel();
  });
  return url;
}

async function admin(session, method, path, body) {
  const response = await fetch(`${session}/__mock/${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json();
  assert.ok(response.ok, `${method} /__mock/${path}: ${response.status} ${JSON.stringify(data)}`);
  return data;
}

/** The session's journal: what the client really sent, and what it got. */
async function journal(session, operation) {
  const query = operation === undefined ? "" : `?operation=${operation}`;
  return (await admin(session, "GET", `requests${query}`)).data;
}

// ---------------------------------------------------------------- the tests

describe("a Prompts API client against mka1-mock", { concurrency: true }, () => {
  test("creates a prompt and reads it back", async (t) => {
    const session = await newSession(t);
    const client = new PromptsClient(session, TOKEN);

    const created = await client.create({ name: "greeting", template: "Hello, {{name}}!" });
    assert.equal(created.status, 201);
    assert.match(created.body.id, PROMPT_ID);
    assert.equal(created.body.version.template, "Hello, {{name}}!");

    const read = await client.get(created.body.id);
    assert.equal(read.status, 200);
    assert.equal(read.body.name, "greeting");
    assert.equal(read.body.active_version, 1);

    const calls = await journal(session);
    assert.deepEqual(
      calls.map((call) => [call.method, call.operation_id, call.status]),
      [
        ["POST", "createPrompt", 201],
        ["GET", "getPrompt", 200],
      ],
    );
    assert.deepEqual(calls[0].body, { name: "greeting", template: "Hello, {{name}}!" });
    assert.equal(calls[0].headers.authorization, `Bearer ${TOKEN}`);
  });

  test("retries a 503 from a fault rule, and the journal shows both tries", async (t) => {
    const session = await newSession(t);
    const rule = await admin(session, "POST", "faults", {
      operation: "createPrompt",
      status: 503,
      times: 1,
    });
    const client = new PromptsClient(session, TOKEN);

    const created = await client.create({ name: "retried", template: "Hi" });
    assert.equal(created.status, 201);

    const calls = await journal(session, "createPrompt");
    assert.deepEqual(
      calls.map((call) => [call.status, call.fault]),
      [
        [503, rule.id],
        [201, null],
      ],
    );
    assert.equal(calls[1].response.id, created.body.id);
    const [fired] = (await admin(session, "GET", "faults")).data;
    assert.equal(fired.fired, 1);
  });

  test("gives up after its last attempt when the service keeps failing", async (t) => {
    const session = await newSession(t);
    await admin(session, "POST", "faults", { operation: "listPrompts", status: 502 });
    const client = new PromptsClient(session, TOKEN, { attempts: 3, backoffMs: 5 });

    const listed = await client.list();
    assert.equal(listed.status, 502);
    assert.equal(listed.body.error.type, "server_error");
    assert.deepEqual(
      (await journal(session)).map((call) => call.status),
      [502, 502, 502],
    );
  });

  test("waits as long as a 429's Retry-After says", async (t) => {
    const session = await newSession(t);
    await admin(session, "POST", "faults", {
      operation: "createPrompt",
      status: 429,
      retry_after: 1,
      times: 1,
    });
    const client = new PromptsClient(session, TOKEN, { backoffMs: 1 });

    const started = performance.now();
    const created = await client.create({ name: "patient", template: "Hi" });
    assert.equal(created.status, 201);
    assert.ok(performance.now() - started >= 990, "retried before Retry-After: 1 had passed");

    const [limited, ok] = await journal(session, "createPrompt");
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.response, { error: "Rate limit exceeded" });
    assert.ok(Date.parse(ok.time) - Date.parse(limited.time) >= 990);
  });

  test("a prompt made in one session is not in another's list", async (t) => {
    const [first, second] = await Promise.all([newSession(t), newSession(t)]);
    const mine = new PromptsClient(first, TOKEN);
    const theirs = new PromptsClient(second, TOKEN); // the same token: only the session differs

    const created = await mine.create({ name: "only-here", template: "Hi" });
    assert.equal(created.status, 201);

    assert.deepEqual(
      (await mine.list()).body.data.map((prompt) => prompt.id),
      [created.body.id],
    );
    const other = await theirs.list();
    assert.equal(other.status, 200);
    assert.deepEqual(other.body.data, []);
    assert.equal((await theirs.get(created.body.id)).status, 404);
    assert.deepEqual(
      (await journal(second)).map((call) => call.status),
      [200, 404],
    );
  });

  test("each session has its own clock", async (t) => {
    const session = await newSession(t);
    await admin(session, "PUT", "clock", { now: "2026-03-15T10:30:00Z" });
    const client = new PromptsClient(session, TOKEN);

    const created = await client.create({ name: "dated", template: "Hi" });
    assert.equal(created.body.created_at, "2026-03-15T10:30:00Z");

    const other = new PromptsClient(await newSession(t), TOKEN);
    const now = (await other.create({ name: "now", template: "Hi" })).body.created_at;
    assert.ok(Math.abs(Date.parse(now) - Date.now()) < 60_000, `${now} is not now`);
  });

  test("a request the contract rejects is in the journal with its errors", async (t) => {
    const session = await newSession(t);
    const client = new PromptsClient(session, TOKEN);

    const rejected = await client.create({ name: "", template: "Hi" });
    assert.equal(rejected.status, 400);
    assert.equal(rejected.body.error.param, "name");

    const [call] = await journal(session);
    assert.equal(call.status, 400);
    assert.deepEqual(
      call.request_errors.map((error) => error.location),
      ["body.name"],
    );
    assert.deepEqual((await client.list()).body.data, []); // nothing was stored
  });
});
