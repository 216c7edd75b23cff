"""Secrets out of everything the proxy writes or serves, identities kept apart.

Each distinct secret becomes its own stable pseudonym (``redacted-1``, ``redacted-2``, ...), so a
replay still tells two owners apart; the auth scheme, a missing value and an empty value stay as
they were, so it still tells a missing credential from a wrong one.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable

from .exchange import RawHeaders

SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-on-behalf-of"}
)

AUTH_SCHEMES = frozenset({"basic", "bearer", "digest", "negotiate", "ntlm", "hoba", "mutual"})


class Redactor:
    """Replaces secret header values with pseudonyms, the same secret always with the same one."""

    def __init__(self, keep: Collection[str] = ()) -> None:
        self.secret = SECRET_HEADERS - {name.lower() for name in keep}
        self._pseudonyms: dict[str, str] = {}
        self._lock = threading.Lock()

    def pseudonym(self, secret: str) -> str:
        with self._lock:
            if secret not in self._pseudonyms:
                self._pseudonyms[secret] = f"redacted-{len(self._pseudonyms) + 1}"
            return self._pseudonyms[secret]

    def value(self, name: str, value: str) -> str:
        """A header's value as it may be written down."""
        name = name.lower()
        if name not in self.secret or value == "":
            return value
        if name in ("authorization", "proxy-authorization"):
            scheme, space, credentials = value.partition(" ")
            if not space:  # a scheme alone stays; a bare credential does not
                return value if scheme.lower() in AUTH_SCHEMES else self.pseudonym(value)
            return f"{scheme} {self.pseudonym(credentials)}" if credentials.strip() else value
        if name in ("cookie", "set-cookie"):
            return self._cookies(name, value)
        return self.pseudonym(value)

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(name, self.value(name, value)) for name, value in headers]

    def raw(self, headers: Iterable[tuple[bytes, bytes]]) -> RawHeaders:
        """ASGI-style headers, redacted."""
        return [
            (name, self.value(name.decode("latin-1"), value.decode("latin-1")).encode("latin-1"))
            for name, value in headers
        ]

    def _cookies(self, name: str, value: str) -> str:
        """Cookie values become pseudonyms; cookie names and Set-Cookie attributes stay."""
        parts = value.split(";")
        # Cookie: every part is name=value; Set-Cookie: only the first, then attributes.
        secret_parts = range(len(parts)) if name == "cookie" else range(1)
        for index in secret_parts:
            key, equals, secret = parts[index].partition("=")
            if equals and secret.strip():
                parts[index] = f"{key}={self.pseudonym(secret.strip())}"
        return ";".join(parts)


class Clear(Redactor):
    """Redacts nothing (the mock, whose tokens are test tokens)."""

    def __init__(self) -> None:
        super().__init__(keep=SECRET_HEADERS)
