"""The Redactor: each distinct secret becomes its own stable pseudonym; schemes, cookie names,
Set-Cookie attributes, empty values and other headers stay as they were."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from mka1_mock.redaction import Redactor


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        pytest.param("Authorization", "Bearer tok", "Bearer redacted-1", id="bearer"),
        pytest.param("authorization", "Basic Zm9vOmJhcg==", "Basic redacted-1", id="basic"),
        pytest.param("AUTHORIZATION", "bearer tok", "bearer redacted-1", id="scheme-case-kept"),
        pytest.param("Authorization", "sk-raw-key", "redacted-1", id="no-scheme"),
        pytest.param("Authorization", "Bearer", "Bearer", id="scheme-without-credentials"),
        pytest.param("Authorization", "", "", id="authorization-empty"),
        pytest.param("X-On-Behalf-Of", "user-1", "redacted-1", id="on-behalf-of"),
        pytest.param("x-on-behalf-of", "", "", id="on-behalf-of-empty"),
        pytest.param("Cookie", "sid=abc", "sid=redacted-1", id="cookie"),
        pytest.param(
            "Cookie", "sid=abc; theme=dark", "sid=redacted-1; theme=redacted-2", id="cookies"
        ),
        pytest.param("Cookie", "sid=; theme=dark", "sid=; theme=redacted-1", id="cookie-empty"),
        pytest.param("Cookie", "tok=a=b==", "tok=redacted-1", id="cookie-value-with-equals"),
        pytest.param(
            "Set-Cookie",
            "sid=abc; Path=/; Domain=example.com; Max-Age=3600; Secure; HttpOnly; SameSite=Lax",
            "sid=redacted-1; Path=/; Domain=example.com; Max-Age=3600; Secure; HttpOnly; "
            "SameSite=Lax",
            id="set-cookie-attributes-kept",
        ),
        pytest.param("Set-Cookie", "sid=; Max-Age=0", "sid=; Max-Age=0", id="set-cookie-cleared"),
        pytest.param("Content-Type", "application/json", "application/json", id="not-secret"),
        pytest.param("X-Api-Version", "Bearer tok", "Bearer tok", id="other-header"),
    ],
)
def test_redactor_value(name: str, value: str, expected: str) -> None:
    assert Redactor().value(name, value) == expected


def test_redactor_same_secret_same_pseudonym_and_distinct_secrets_distinct() -> None:
    redactor = Redactor()
    first = redactor.value("Authorization", "Bearer token-a")
    second = redactor.value("Authorization", "Bearer token-b")
    again = redactor.value("authorization", "Bearer token-a")
    user = redactor.value("X-On-Behalf-Of", "user-1")

    assert first == again == "Bearer redacted-1"
    assert second == "Bearer redacted-2"
    assert user == "redacted-3"
    assert redactor.value("X-On-Behalf-Of", "user-1") == user


def test_redactor_pseudonyms_belong_to_one_redactor() -> None:
    one, other = Redactor(), Redactor()
    one.value("Authorization", "Bearer a")
    assert one.value("Authorization", "Bearer b") == "Bearer redacted-2"
    assert other.value("Authorization", "Bearer b") == "Bearer redacted-1"


def test_redactor_keep_names_headers_case_insensitively() -> None:
    redactor = Redactor(keep=["X-ON-BEHALF-OF", "cookie"])

    assert redactor.value("x-on-behalf-of", "user-1") == "user-1"
    assert redactor.value("Cookie", "sid=abc") == "sid=abc"
    assert redactor.value("Authorization", "Bearer tok") == "Bearer redacted-1"
    assert redactor.value("Set-Cookie", "sid=abc; Path=/") == "sid=redacted-2; Path=/"


def test_redactor_headers_keep_order_names_and_repeats() -> None:
    headers = [
        ("Host", "example.com"),
        ("Authorization", "Bearer tok"),
        ("Cookie", "a=1"),
        ("Cookie", "b=2"),
        ("X-On-Behalf-Of", ""),
    ]
    assert Redactor().headers(headers) == [
        ("Host", "example.com"),
        ("Authorization", "Bearer redacted-1"),
        ("Cookie", "a=redacted-2"),
        ("Cookie", "b=redacted-3"),
        ("X-On-Behalf-Of", ""),
    ]


def test_redactor_raw_headers_stay_bytes() -> None:
    raw = [(b"authorization", b"Bearer tok"), (b"x-on-behalf-of", b"caf\xe9")]
    assert Redactor().raw(raw) == [
        (b"authorization", b"Bearer redacted-1"),
        (b"x-on-behalf-of", b"redacted-2"),
    ]


def test_redactor_pseudonyms_stay_distinct_and_stable_across_threads() -> None:
    redactor = Redactor()
    secrets = [f"token-{n}" for n in range(400)]

    def redact(secret: str) -> str:
        return redactor.value("Authorization", f"Bearer {secret}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        first = list(pool.map(redact, secrets))
        second = list(pool.map(redact, reversed(secrets)))

    assert len(set(first)) == len(secrets)
    assert second == first[::-1]
