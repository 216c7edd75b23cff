"""The admin API under ``/__mock/``: reset, state, journal, violations, clock, health."""

from __future__ import annotations

from typing import Any

from .. import report
from .._version import __version__
from ..clock import format_timestamp, parse_timestamp
from ..errors import Detail, invalid
from ..faults import fault_from
from ..jsondata import whole
from ..session import UNSET, Session
from ..sessions import Sessions
from . import Call, Handler


def health(session: Session, call: Call) -> dict[str, Any]:
    return {"status": "ok", "version": __version__}


def reset(session: Session, call: Call) -> dict[str, Any]:
    body = call.body or {}
    session.reset(seed=whole(body.get("seed", UNSET)))
    return _status(session)


def export_state(session: Session, call: Call) -> dict[str, Any]:
    return session.store.export()


def import_state(session: Session, call: Call) -> dict[str, Any]:
    session.store.load(call.body, replace=True, where="body.")
    return _status(session)


def list_requests(session: Session, call: Call) -> dict[str, Any]:
    entries = session.requests(call.query.get("operation"))
    return {"data": [entry.as_dict() for entry in entries]}


def clear_requests(session: Session, call: Call) -> dict[str, Any]:
    session.journal.clear()
    return {"status": "ok"}


def list_violations(session: Session, call: Call) -> dict[str, Any]:
    return {"data": [violation.as_dict() for violation in session.violations]}


def list_crashes(session: Session, call: Call) -> dict[str, Any]:
    return {"data": [crash.as_dict() for crash in session.crashes]}


def get_report(session: Session, call: Call) -> dict[str, Any]:
    return report.build(session)


def list_sessions(session: Session, call: Call) -> dict[str, Any]:
    return {"data": _registry(session).listing()}


def drop_session(session: Session, call: Call) -> dict[str, Any]:
    _registry(session).drop(call.path["name"])
    return {"status": "ok"}


def _registry(session: Session) -> Sessions:
    assert session.registry is not None, "every mock's session knows its registry"
    return session.registry


def list_faults(session: Session, call: Call) -> dict[str, Any]:
    return {"data": [rule.as_dict() for rule in session.faults]}


def add_fault(session: Session, call: Call) -> dict[str, Any]:
    rule = fault_from(call.body, session.spec.operations, where="body.")
    return session.faults.add(rule).as_dict()


def clear_faults(session: Session, call: Call) -> dict[str, Any]:
    session.faults.clear()
    return {"status": "ok"}


def get_clock(session: Session, call: Call) -> dict[str, Any]:
    return {"now": format_timestamp(session.clock.now()), "frozen": session.clock.frozen}


def set_clock(session: Session, call: Call) -> dict[str, Any]:
    body = call.body
    try:
        moment = parse_timestamp(body["now"]) if "now" in body else None
    except OverflowError:
        raise invalid([Detail("body.now", "is outside the years 1..9999 in UTC")]) from None
    except ValueError as exc:
        raise invalid([Detail("body.now", f"is not a usable time ({exc})")]) from None
    frozen = body.get("frozen")
    try:
        session.clock.change(
            at=moment,
            freeze=frozen is True,
            advance=body.get("advance", 0),
            release=frozen is False,
        )
    except OverflowError:
        raise invalid([Detail("body.advance", "moves the clock past the year 9999")]) from None
    return get_clock(session, call)


def _status(session: Session) -> dict[str, Any]:
    return {"status": "ok", "prompts": len(session.store)}


ADMIN_HANDLERS: dict[str, Handler] = {
    "health": health,
    "reset": reset,
    "exportState": export_state,
    "importState": import_state,
    "listRequests": list_requests,
    "clearRequests": clear_requests,
    "listViolations": list_violations,
    "listCrashes": list_crashes,
    "getReport": get_report,
    "listSessions": list_sessions,
    "dropSession": drop_session,
    "listFaults": list_faults,
    "addFault": add_fault,
    "clearFaults": clear_faults,
    "getClock": get_clock,
    "setClock": set_clock,
}
