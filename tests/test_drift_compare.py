"""The drift comparison (``mka1_mock.drift.compare``): two answers to the same request compared by
shape, as a client depends on them; IDs and timestamps by format, error messages not at all."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mka1_mock.drift.compare import Answer, differences
from mka1_mock.drift.runner import answer_of

JSON = "application/json"
ID_1 = "prompt_" + "1" * 32
ID_2 = "prompt_" + "a" * 32
VERSION_1 = "pver_" + "2" * 32
WHEN = "2026-03-15T10:30:00Z"


def prompt(**fields: Any) -> dict[str, Any]:
    """A createPrompt answer, with ``fields`` changed."""
    return {
        "id": ID_1,
        "object": "prompt",
        "name": "drift probe",
        "active_version": 1,
        "latest_version": 1,
        "metadata": {"team": "drift"},
        "created_at": WHEN,
        "updated_at": WHEN,
        "version": {
            "id": VERSION_1,
            "prompt_id": ID_1,
            "version": 1,
            "object": "prompt.version",
            "template": "Hello, {{name}}!",
            "created_at": WHEN,
        },
    } | fields


def error(status: int = 404, **fields: Any) -> dict[str, Any]:
    """An error body, with ``fields`` of its ``error`` changed."""
    base = {
        "type": "not_found_error",
        "message": f"No prompt {ID_1}.",
        "code": status,
        "param": "id",
        "details": [{"location": "path.id", "message": "no such prompt"}],
    }
    return {"error": base | fields}


def compare(ours: Any, theirs: Any, status: int = 200) -> list[str]:
    """The differences of two JSON bodies under the same status and media type."""
    return differences(Answer(status, JSON, ours), Answer(status, JSON, theirs))


def test_compare_same_answer_has_no_difference() -> None:
    assert compare(prompt(), prompt()) == []
    assert compare(error(), error(), 404) == []


def test_compare_two_different_prompt_and_version_ids_agree() -> None:
    other = prompt(id=ID_2, version=prompt()["version"] | {"id": "pver_" + "f" * 32})
    other["version"]["prompt_id"] = ID_2
    assert compare(prompt(), other) == []


def test_compare_list_cursor_ids_are_compared_by_format() -> None:
    page = {"object": "list", "data": [], "first_id": ID_1, "last_id": ID_1, "has_more": False}
    assert compare(page, page | {"first_id": ID_2, "last_id": ID_2}) == []
    assert compare(page, page | {"last_id": 7}) == [
        "body.last_id: mock a string, target an integer"
    ]


@pytest.mark.parametrize(
    ("theirs", "expected"),
    [
        pytest.param(VERSION_1, "body.id: mock prompt ID, target version ID", id="version-id"),
        pytest.param("abc", "body.id: mock prompt ID, target 'abc'", id="free-text"),
        pytest.param(
            "prompt_" + "A" * 32,
            f"body.id: mock prompt ID, target 'prompt_{'A' * 32}'",
            id="upper-case-hex",
        ),
        pytest.param(12, "body.id: mock a string, target an integer", id="number"),
        pytest.param(None, "body.id: mock a string, target null", id="null"),
    ],
)
def test_compare_id_of_another_format_differs(theirs: Any, expected: str) -> None:
    assert compare(prompt(), prompt(id=theirs)) == [expected]


def test_compare_two_whole_second_utc_times_agree() -> None:
    later = "2027-01-02T03:04:05Z"
    assert compare(prompt(), prompt(created_at=later, updated_at=later)) == []


@pytest.mark.parametrize(
    "theirs",
    [
        pytest.param("2026-03-15T10:30:00.123Z", id="fractions"),
        pytest.param("2026-03-15T10:30:00+00:00", id="offset"),
        pytest.param("2026-03-15 10:30:00Z", id="space"),
    ],
)
def test_compare_timestamp_of_another_format_differs(theirs: str) -> None:
    assert compare(prompt(), prompt(updated_at=theirs)) == [
        f"body.updated_at: mock whole-second UTC time, target {theirs!r}"
    ]


def test_compare_timestamp_as_a_number_differs() -> None:
    assert compare(prompt(), prompt(created_at=1773570600)) == [
        "body.created_at: mock a string, target an integer"
    ]


def test_compare_error_messages_are_ignored_at_every_depth() -> None:
    theirs = error(message="Prompt not found", details=[{"location": "path.id", "message": "?"}])
    assert compare(error(), theirs, 404) == []


def test_compare_error_message_of_another_type_differs() -> None:
    assert compare(error(), error(message=None), 404) == [
        "body.error.message: mock a string, target null"
    ]


def test_compare_missing_and_extra_fields_are_named() -> None:
    theirs = prompt(labels=[], tags={})
    del theirs["metadata"]
    assert compare(prompt(), theirs) == [
        "body: only the mock has metadata",
        "body: only the target has labels, tags",
    ]


def test_compare_missing_field_in_a_nested_object_is_named_with_its_path() -> None:
    theirs = error()
    del theirs["error"]["param"]
    assert compare(error(), theirs, 404) == ["body.error: only the mock has param"]


@pytest.mark.parametrize(
    ("field", "theirs", "expected"),
    [
        pytest.param("name", 42, "body.name: mock a string, target an integer", id="name-number"),
        pytest.param(
            "active_version",
            "1",
            "body.active_version: mock an integer, target a string",
            id="version-string",
        ),
        pytest.param(
            "active_version",
            1.5,
            "body.active_version: mock an integer, target a number",
            id="version-fraction",
        ),
        pytest.param(
            "active_version",
            True,
            "body.active_version: mock an integer, target a boolean",
            id="version-boolean",
        ),
        pytest.param("metadata", [], "body.metadata: mock an object, target an array", id="array"),
        pytest.param("metadata", None, "body.metadata: mock an object, target null", id="null"),
    ],
)
def test_compare_value_of_another_json_type_differs(field: str, theirs: Any, expected: str) -> None:
    assert compare(prompt(), prompt(**{field: theirs})) == [expected]


def test_compare_integer_written_with_a_fraction_is_the_same_integer() -> None:
    assert compare(prompt(), prompt(active_version=1.0)) == []


@pytest.mark.parametrize(
    ("field", "theirs", "expected"),
    [
        pytest.param(
            "object",
            "prompt.version",
            "body.object: mock 'prompt', target 'prompt.version'",
            id="object",
        ),
        pytest.param("active_version", 2, "body.active_version: mock 1, target 2", id="number"),
        pytest.param(
            "name", "renamed", "body.name: mock 'drift probe', target 'renamed'", id="text-sent"
        ),
        pytest.param(
            "metadata",
            {"team": "other"},
            "body.metadata.team: mock 'drift', target 'other'",
            id="nested",
        ),
    ],
)
def test_compare_constants_and_values_the_request_determines_are_compared(
    field: str, theirs: Any, expected: str
) -> None:
    assert compare(prompt(), prompt(**{field: theirs})) == [expected]


def test_compare_error_type_code_and_param_are_compared() -> None:
    theirs = error(type="permission_denied_error", code=403, param=None)
    assert compare(error(), theirs, 404) == [
        "body.error.code: mock 404, target 403",
        "body.error.param: mock a string, target null",
        "body.error.type: mock 'not_found_error', target 'permission_denied_error'",
    ]


def test_compare_list_of_another_length_differs_by_count_only() -> None:
    ours = {"object": "list", "data": [prompt(), prompt()], "has_more": True}
    theirs = ours | {"data": [prompt(), prompt(), prompt(name=1)]}
    assert compare(ours, theirs) == ["body.data: mock 2 items, target 3 items"]


def test_compare_list_items_are_compared_at_their_index() -> None:
    ours = {"object": "list", "data": [prompt(), prompt()], "has_more": False}
    theirs = ours | {"data": [prompt(), prompt(name=7, extra=1)], "has_more": 0}
    assert compare(ours, theirs) == [
        "body.data[1]: only the target has extra",
        "body.data[1].name: mock a string, target an integer",
        "body.has_more: mock a boolean, target an integer",
    ]


def test_compare_status_and_media_type_are_compared() -> None:
    ours = Answer(400, JSON, error(400))
    theirs = Answer(422, "text/html", "<h1>Unprocessable</h1>")
    assert differences(ours, theirs) == [
        "status: mock 400, target 422",
        "content type: mock 'application/json', target 'text/html'",
        "body: mock an object, target a string",
    ]


def test_compare_names_the_sides_as_asked() -> None:
    found = differences(Answer(200, JSON, prompt()), Answer(201, JSON, prompt(x=1)), ("a", "b"))
    assert found == ["status: a 200, b 201", "body: only the b has x"]


def test_compare_empty_bodies_agree() -> None:
    assert differences(Answer(204, "", None), Answer(204, "", None)) == []


def test_answer_of_reads_the_media_type_without_parameters_and_the_json_body() -> None:
    response = httpx.Response(
        201, headers={"Content-Type": "Application/JSON; charset=utf-8"}, content=b'{"a": 2.0}'
    )
    assert answer_of(response) == Answer(201, "application/json", {"a": 2.0})


def test_answer_of_keeps_a_body_that_is_not_json_as_text() -> None:
    response = httpx.Response(502, headers={"Content-Type": "text/html"}, content=b"<b>bad</b>")
    assert answer_of(response) == Answer(502, "text/html", "<b>bad</b>")
