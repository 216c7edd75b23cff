"""The admin API under ``/__mock/``: reset, state, journal, violations, clock, health."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..clock import format_timestamp, parse_timestamp
from ..mock import UNSET, Mock
from . import Call, Handler


def health(mock: Mock, call: Call) -> dict[str, Any]:
    return {"status": "ok", "version": __version__}


def reset(mock: Mock, call: Call) -> dict[str, Any]:
    body = call.body or {}
    mock.reset(seed=body.get("seed", UNSET))
    return _status(mock)


def export_state(mock: Mock, call: Call) -> dict[str, Any]:
    return mock.store.export()


def import_state(mock: Mock, call: Call) -> dict[str, Any]:
    mock.store.load(call.body, replace=True, where="body.")
    return _status(mock)


def list_requests(mock: Mock, call: Call) -> dict[str, Any]:
    entries = mock.requests(call.query.get("operation"))
    return {"data": [entry.as_dict() for entry in entries]}


def clear_requests(mock: Mock, call: Call) -> dict[str, Any]:
    mock.journal.clear()
    return {"status": "ok"}


def list_violations(mock: Mock, call: Call) -> dict[str, Any]:
    return {"data": [violation.as_dict() for violation in mock.violations]}


def get_clock(mock: Mock, call: Call) -> dict[str, Any]:
    return {"now": format_timestamp(mock.clock.now()), "frozen": mock.clock.frozen}


def set_clock(mock: Mock, call: Call) -> dict[str, Any]:
    body = call.body
    if "now" in body:
        mock.clock.freeze(parse_timestamp(body["now"]))
    elif body.get("frozen") is True:
        mock.clock.freeze()
    if "advance" in body:
        mock.clock.advance(body["advance"])
    if body.get("frozen") is False:
        mock.clock.release()
    return get_clock(mock, call)


def _status(mock: Mock) -> dict[str, Any]:
    return {"status": "ok", "prompts": len(mock.store)}


ADMIN_HANDLERS: dict[str, Handler] = {
    "health": health,
    "reset": reset,
    "exportState": export_state,
    "importState": import_state,
    "listRequests": list_requests,
    "clearRequests": clear_requests,
    "listViolations": list_violations,
    "getClock": get_clock,
    "setClock": set_clock,
}
