"""The probe scenario: every documented behaviour of the 9 operations, every choice the README
records where the docs are silent (each probe named after its choice), and the error statuses
the contract declares. Each probe is a few requests, run the same way on both sides."""

from __future__ import annotations

from .steps import (
    UNKNOWN,
    P,
    Probe,
    Step,
    create,
    get,
    probe,
    rollback,
    update,
    variables,
    version,
)

TOO_BIG = b'{"name": "' + b"x" * (3 * 1024 * 1024) + b'"}'  # over the mock's 2 MiB limit
TOO_DEEP = b'{"name": "n", "template": "t", "metadata": {"a": ' + b"[" * 200 + b"]" * 200 + b"}}"

VARIABLES = variables({"name": "Alice", "company": "Acme"})

DOCUMENTED = [
    probe("create-prompt", create(description="d", metadata={"team": "drift"})),
    probe("get-prompt", create(), get()),
    probe("get-prompt-rendered", create(), get(query=VARIABLES)),
    probe("get-prompt-version", create(), version(), get(query="version=1")),
    probe(
        "list-prompts",
        create("p1"),
        create("p2"),
        create("p3"),
        Step("GET", P, query="limit=2"),
        Step("GET", P, query="limit=2&after={p2}"),
        Step("GET", P, query="order=asc&limit=20"),
    ),
    probe("update-prompt", create(), update({"name": "renamed", "metadata": {"x": 1}}), get()),
    probe("delete-prompt", create(), Step("DELETE", f"{P}/{{p}}"), get()),
    probe("create-version", create(), version(), get()),
    probe(
        "list-versions",
        create(),
        version(),
        version("v3"),
        Step("GET", f"{P}/{{p}}/versions"),
        Step("GET", f"{P}/{{p}}/versions", query="order=asc&limit=2"),
    ),
    probe("get-version", create(), version(), Step("GET", f"{P}/{{p}}/versions/2")),
    probe("rollback", create(), version(), rollback({"version": 1}), get()),
]

STATUSES = [
    probe("status-400", Step("GET", P, query="limit=0")),
    probe("status-401", Step("GET", P, authorization=None)),
    probe("status-404", Step("GET", f"{P}/{UNKNOWN}")),
    probe("status-405", Step("DELETE", P)),
    probe("status-413", Step("POST", P, raw=TOO_BIG)),
    probe("status-415", Step("POST", P, raw=b"name=x", content_type="text/plain")),
]

# Where the docs are silent: each probe is named after the README's choice it checks.
CHOICES = [
    probe(
        "error-body",
        Step("POST", P, {"name": "", "template": "t"}),
        choice="Every error has one body: type, message, code, param, details",
    ),
    probe(
        "cross-owner-get",
        create(),
        get(owner="b"),
        choice="Another owner's prompt answers 404 like a nonexistent one",
    ),
    probe(
        "cross-owner-list",
        create(),
        Step("GET", P, owner="b"),
        choice="Another owner's prompts never show in its lists",
    ),
    probe(
        "cross-token-get",
        create(),
        get(authorization="Bearer {token}-other", owner="a"),
        choice="The owner is the token with X-On-Behalf-Of: another token is another owner",
    ),
    probe(
        "empty-on-behalf-of",
        create(owner=None),
        get(owner=""),
        choice="An empty X-On-Behalf-Of is the same as none",
    ),
    probe(
        "bearer-case",
        Step("GET", P, authorization="bearer {token}"),
        choice="The Bearer scheme name is case-insensitive",
    ),
    probe(
        "cursor-unknown-after",
        Step("GET", P, query=f"after={UNKNOWN}"),
        choice="An after that names no prompt of yours is 404 naming after",
    ),
    probe(
        "cursor-malformed-after",
        Step("GET", P, query="after=0"),
        choice="An after that is not a prompt ID is 400 naming after",
    ),
    probe(
        "create-null-description",
        Step("POST", P, {"name": "n", "template": "t", "description": None}),
        choice="description: null on create is 400",
    ),
    probe(
        "update-null-description",
        create(description="d"),
        update({"description": None}),
        get(),
        choice="description: null on update clears it; prompts then omit the key",
    ),
    probe(
        "description-omitted",
        create(),
        choice="description is omitted when unset (never null); metadata is always there",
    ),
    probe(
        "unknown-fields-ignored",
        Step("POST", P, {"name": "n", "template": "t", "extra": 1}, learn="p"),
        choice="Fields a body schema does not name are ignored",
    ),
    probe(
        "update-template-ignored",
        create(),
        update({"template": "new"}),
        Step("GET", f"{P}/{{p}}/versions"),
        choice="update ignores template and never makes a version",
    ),
    probe("update-empty-body", create(), update({}), choice="{} is a valid no-op update"),
    probe(
        "missing-body",
        Step("POST", P, raw=b""),
        choice="An empty body where one is required is 400",
    ),
    probe(
        "unsupported-media-type",
        Step("POST", P, raw=b'{"name": "n", "template": "t"}', content_type="text/plain"),
        choice="A body that is not application/json is 415, not 400",
    ),
    probe(
        "size-limit",
        Step("POST", P, raw=TOO_BIG),
        choice="A body over the size limit (2 MiB) is 413",
    ),
    probe(
        "integer-written-2.0",
        create(),
        version(),
        rollback({"version": 1.0}),
        choice="In a JSON body 2.0 is an integer",
    ),
    probe(
        "query-integer-strict",
        create(),
        get(query="version=1.0"),
        choice="In a query an integer must be written as one (version=1.0 is 400)",
    ),
    probe(
        "unknown-query-ignored",
        Step("GET", P, query="colour=blue"),
        choice="Query parameters an operation does not have are ignored",
    ),
    probe(
        "version-zero",
        create(),
        get(query="version=0"),
        Step("GET", f"{P}/{{p}}/versions/0"),
        choice="A version that does not exist, 0 included, is 404 naming version",
    ),
    probe(
        "rollback-to-active",
        create(),
        rollback({"version": 1}),
        choice="Rollback to the active version is a 200 that changes only updated_at",
    ),
    probe(
        "rollback-forward",
        create(),
        version(),
        rollback({"version": 1}),
        rollback({"version": 2}),
        version("v3"),
        choice="Rollback may go forward; a new version is latest + 1 even after a rollback",
    ),
    probe(
        "render-unmatched",
        create(template="{{a}} {{ a }} {{}} {{b}}"),
        get(query=variables({"a": "x"})),
        choice="Rendering: exact keys, no trimming, unmatched placeholders stay",
    ),
    probe(
        "render-values",
        create(template="{{n}} {{t}} {{o}} {{z}}"),
        get(query=variables({"n": 3, "t": True, "o": {"a": 1}, "z": None})),
        choice="Rendering: non-strings as compact JSON",
    ),
    probe(
        "render-one-pass",
        create(template="{{a}}"),
        get(query=variables({"a": "{{b}}", "b": "x"})),
        choice="Rendering is one pass: inserted text is not rendered again",
    ),
    probe(
        "variables-not-object",
        create(),
        get(query=variables([1])),
        choice="variables must be a JSON object (else 400 naming variables)",
    ),
    probe(
        "nesting-limit",
        Step("POST", P, raw=TOO_DEEP),
        choice="JSON nests at most 128 levels; deeper is 400 naming the field",
    ),
    probe(
        "delete-body-ignored",
        create(),
        Step("DELETE", f"{P}/{{p}}", {"anything": 1}),
        choice="A body sent to delete is ignored",
    ),
    probe(
        "trailing-slash",
        Step("GET", f"{P}/"),
        choice="A trailing slash makes another path: 404",
    ),
    probe(
        "validation-before-lookup",
        rollback({"version": 0}, name="missing"),
        choice="A bad body on an unknown ID is 400, not 404",
    ),
]

SCENARIO: list[Probe] = DOCUMENTED + STATUSES + CHOICES
