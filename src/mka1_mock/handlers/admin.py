"""The admin API under ``/__mock/``: reset, state, journal, violations, clock, health."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..clock import format_timestamp, parse_timestamp
from ..errors import Detail, invalid
from ..faults import fault_from
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


def list_faults(mock: Mock, call: Call) -> dict[str, Any]:
    return {"data": [rule.as_dict() for rule in mock.faults]}


def add_fault(mock: Mock, call: Call) -> dict[str, Any]:
    rule = fault_from(call.body, mock.spec.operations, where="body.")
    return mock.faults.add(rule).as_dict()


def clear_faults(mock: Mock, call: Call) -> dict[str, Any]:
    mock.faults.clear()
    return {"status": "ok"}


def get_clock(mock: Mock, call: Call) -> dict[str, Any]:
    return {"now": format_timestamp(mock.clock.now()), "frozen": mock.clock.frozen}


def set_clock(mock: Mock, call: Call) -> dict[str, Any]:
    body = call.body
    try:
        moment = parse_timestamp(body["now"]) if "now" in body else None
    except OverflowError:
        raise invalid([Detail("body.now", "is outside the years 1..9999 in UTC")]) from None
    if moment is not None:
        mock.clock.freeze(moment)
    elif body.get("frozen") is True:
        mock.clock.freeze()
    if "advance" in body:
        try:
            mock.clock.advance(body["advance"])
        except OverflowError:
            raise invalid([Detail("body.advance", "moves the clock past the year 9999")]) from None
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
    "listFaults": list_faults,
    "addFault": add_fault,
    "clearFaults": clear_faults,
    "getClock": get_clock,
    "setClock": set_clock,
}
