"""Bearer authentication and the owner a request acts for."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from .errors import Detail, Unauthorized
from .store import Owner

HINT = "send Authorization: Bearer <mka1-api-key>"


class BearerAuth:
    """The MKA1 API's auth: any non-empty bearer token, or only ``api_keys`` when given."""

    def __init__(self, api_keys: Collection[str] = ()) -> None:
        self.api_keys = frozenset(api_keys)

    def __call__(self, headers: Mapping[str, str]) -> Owner:
        """The (token, X-On-Behalf-Of) owner, or a 401 saying what is wrong with the header."""
        value = headers.get("authorization")
        if value is None:
            raise _refuse("is missing")
        scheme, _, token = value.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer":
            raise _refuse("must use the Bearer scheme")
        if not token:
            raise _refuse("has an empty token")
        if self.api_keys and token not in self.api_keys:
            raise _refuse("carries a token this mock does not accept")
        # An empty X-On-Behalf-Of is the same as none.
        return Owner(token, headers.get("x-on-behalf-of") or None)


def anyone(headers: Mapping[str, str]) -> None:
    """No auth at all (the admin API): requests act for no owner."""
    return None


def _refuse(problem: str) -> Unauthorized:
    return Unauthorized(
        f"The Authorization header {problem}: {HINT}",
        param="Authorization",
        details=(Detail("header.Authorization", problem),),
    )
