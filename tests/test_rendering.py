"""Unit tests of ``mka1_mock.rendering.render``: the documented placeholder rules."""

from __future__ import annotations

from typing import Any

import pytest

from mka1_mock.rendering import render


@pytest.mark.parametrize(
    ("template", "variables", "expected"),
    [
        pytest.param("Hello, {{name}}!", {"name": "Alice"}, "Hello, Alice!", id="one-key"),
        pytest.param(
            "Hello, {{name}}! Welcome to {{company}}.",
            {"name": "Alice", "company": "Acme"},
            "Hello, Alice! Welcome to Acme.",
            id="docs-example",
        ),
        pytest.param("{{a}}{{b}}{{a}}", {"a": "1", "b": "2"}, "121", id="adjacent-and-repeated"),
        pytest.param("no placeholders", {"x": "y"}, "no placeholders", id="plain-text"),
        pytest.param("", {"x": "y"}, "", id="empty-template"),
        pytest.param("a{{x}}b", {"x": ""}, "ab", id="empty-string-value"),
        pytest.param("{{x}}", {"x": "  padded  "}, "  padded  ", id="value-verbatim"),
        pytest.param("{{x}}", {"x": "line\nbreak\t\\"}, "line\nbreak\t\\", id="control-chars"),
    ],
)
def test_render_replaces_known_keys(
    template: str, variables: dict[str, Any], expected: str
) -> None:
    assert render(template, variables) == expected


@pytest.mark.parametrize(
    ("template", "variables", "expected"),
    [
        pytest.param("{{ name }}", {"name": "A"}, "{{ name }}", id="spaced-not-trimmed"),
        pytest.param("{{ name }}", {" name ": "A"}, "A", id="spaced-key-matches-spaced"),
        pytest.param("{{name}}", {" name ": "A"}, "{{name}}", id="spaced-key-not-plain"),
        pytest.param("{{Name}}", {"name": "A"}, "{{Name}}", id="case-sensitive"),
        pytest.param("{{name }}", {"name": "A", "name ": "B"}, "B", id="trailing-space-key"),
        pytest.param("{{}}", {"": "E"}, "E", id="empty-key"),
        pytest.param("{{a.b}}", {"a": {"b": 1}}, "{{a.b}}", id="no-path-lookup"),
    ],
)
def test_render_key_is_exact_text_between_braces(
    template: str, variables: dict[str, Any], expected: str
) -> None:
    assert render(template, variables) == expected


@pytest.mark.parametrize(
    ("template", "variables", "expected"),
    [
        pytest.param("Hi {{name}}", {}, "Hi {{name}}", id="no-variables"),
        pytest.param("{{a}} {{b}}", {"a": "1"}, "1 {{b}}", id="one-of-two"),
        pytest.param("{{ spaced }} {{x}}", {"x": "1"}, "{{ spaced }} 1", id="spacing-kept"),
        pytest.param("{name} {{x} {x}}", {"x": "1", "name": "n"}, "{name} {{x} {x}}",
                     id="single-braces"),
        pytest.param("{{a{b}}", {"a{b": "X", "b": "Y"}, "{{a{b}}", id="brace-in-key"),
        pytest.param("{{a}b}}", {"a}b": "X"}, "{{a}b}}", id="closing-brace-in-key"),
        pytest.param("{{unclosed", {"unclosed": "X"}, "{{unclosed", id="unclosed"),
    ],
)  # fmt: skip
def test_render_leaves_unmatched_as_written(
    template: str, variables: dict[str, Any], expected: str
) -> None:
    assert render(template, variables) == expected


def test_render_innermost_braces_form_the_placeholder() -> None:
    assert render("{{{x}}}", {"x": "V"}) == "{V}"


@pytest.mark.parametrize(
    ("template", "variables", "expected"),
    [
        pytest.param("{{a}}", {"a": "{{b}}", "b": "B"}, "{{b}}", id="value-is-placeholder"),
        pytest.param("{{a}}", {"a": "{{a}}"}, "{{a}}", id="value-is-itself"),
        pytest.param("{{a}}b}}", {"a": "{{", "b": "B"}, "{{b}}", id="value-opens-placeholder"),
        pytest.param("{{{{a}}x}}", {"a": "", "x": "X"}, "{{x}}", id="empty-value-joins-braces"),
        pytest.param("{{a}}{{b}}", {"a": "{{", "b": "}}"}, "{{}}", id="values-make-braces"),
    ],
)
def test_render_is_one_pass(template: str, variables: dict[str, Any], expected: str) -> None:
    assert render(template, variables) == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(3, "3", id="int"),
        pytest.param(-7, "-7", id="negative-int"),
        pytest.param(1.5, "1.5", id="float"),
        pytest.param(True, "true", id="true"),
        pytest.param(False, "false", id="false"),
        pytest.param(None, "null", id="null"),
        pytest.param({"a": 1}, '{"a":1}', id="object"),
        pytest.param([1, 2], "[1,2]", id="array"),
        pytest.param({"a": [1, {"b": None}], "c": "d"}, '{"a":[1,{"b":null}],"c":"d"}',
                     id="nested"),
        pytest.param({}, "{}", id="empty-object"),
        pytest.param([], "[]", id="empty-array"),
        pytest.param(["x y", 'q"'], '["x y","q\\""]', id="strings-inside-are-json"),
        pytest.param({"k": "\u00e9\U0001f600"}, '{"k":"\u00e9\U0001f600"}',
                     id="unicode-inside-not-escaped"),
    ],
)  # fmt: skip
def test_render_non_string_values_as_compact_json(value: Any, text: str) -> None:
    assert render("<{{v}}>", {"v": value}) == f"<{text}>"


def test_render_string_value_is_not_json_quoted() -> None:
    assert render("{{v}}", {"v": "3"}) == "3"
    assert render("{{v}}", {"v": 'say "hi"'}) == 'say "hi"'


@pytest.mark.parametrize(
    ("template", "variables", "expected"),
    [
        pytest.param("\u4f60\u597d {{\u540d\u524d}}", {"\u540d\u524d": "\u4e16\u754c"},
                     "\u4f60\u597d \u4e16\u754c", id="cjk-key-and-value"),
        pytest.param("{{\U0001f600}}!", {"\U0001f600": "\U0001f389"}, "\U0001f389!",
                     id="emoji-key-and-value"),
        pytest.param("Gr\u00fc\u00dfe {{n}}", {"n": "Ren\u00e9e"}, "Gr\u00fc\u00dfe Ren\u00e9e",
                     id="latin-accents"),
        pytest.param("{{e\u0301}}", {"\u00e9": "precomposed"}, "{{e\u0301}}",
                     id="no-unicode-normalisation"),
        pytest.param("\u200b{{x}}\u200b", {"x": "\u00a0"}, "\u200b\u00a0\u200b",
                     id="invisible-characters-kept"),
    ],
)  # fmt: skip
def test_render_unicode(template: str, variables: dict[str, Any], expected: str) -> None:
    assert render(template, variables) == expected


def test_render_does_not_modify_variables() -> None:
    variables: dict[str, Any] = {"a": {"b": [1]}, "c": "d"}
    render("{{a}}{{c}}", variables)
    assert variables == {"a": {"b": [1]}, "c": "d"}
