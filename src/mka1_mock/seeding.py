"""Fixture files: seed data in the state format, read and checked before the mock starts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from . import jsondata
from .errors import ApiError, Detail, StartupError
from .faults import Fault, fault_from
from .seeds import check_seeds
from .spec import Operation, admin_spec
from .validation import Checker

SUFFIXES = (".json", ".yaml", ".yml")
STATE_DEPTH = jsondata.MAX_DEPTH + 2
"""How deep a state document (fixtures, the admin API's bodies) nests: a prompt's metadata sits
two levels deeper there (``{"prompts": [{...}]}``) than in a request body."""


def fixture_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Each path itself, or for a folder its JSON/YAML files in name order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix in SUFFIXES)
        else:
            yield path


@cache
def admin_checker() -> Checker:
    """The admin spec's checker (it holds the ``State`` and ``Fault`` schemas), made once."""
    return Checker(admin_spec())


def read_fixtures(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Parse and check every fixture file; the first fault stops start-up, naming file and path."""
    return [read_fixture(path) for path in fixture_files(paths)]


def read_fixture(path: Path) -> dict[str, Any]:
    data = _read(path, "fixture")
    check_fixture(data, str(path))
    return data  # type: ignore[no-any-return]


def read_fault_files(paths: Iterable[Path], operations: Sequence[Operation]) -> list[Fault]:
    """The rules of every ``--faults`` file; the first fault in a file stops start-up."""
    rules = []
    for path in paths:
        data = _read(path, "faults")
        if details := admin_checker().component("FaultFile", data, prefix=""):
            raise StartupError(_fault(str(path), "", details[0]))
        for index, item in enumerate(data["faults"]):
            try:
                rules.append(fault_from(item, operations, where=f"faults[{index}]."))
            except ApiError as error:
                first = error.details[0]
                raise StartupError(f"{path}: {first.location}: {first.message}") from None
    return rules


def _read(path: Path, kind: str) -> Any:
    """JSON (``.json``) or YAML (anything else), with the file named in any error."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            return jsondata.loads(text, STATE_DEPTH)
        data = yaml.safe_load(text)
        jsondata.check_depth(data, STATE_DEPTH)
        return data
    except OSError as exc:
        raise StartupError(f"{path}: cannot read the {kind} file: {exc.strerror}") from None
    except jsondata.TooDeep as exc:
        raise StartupError(f"{path}: {exc.field or '(root)'}: {exc}") from None
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        reason = str(exc).splitlines()[0]
        raise StartupError(f"{path}: not valid {path.suffix[1:].upper()}: {reason}") from None


def check_fixture(data: Any, source: str, at: str = "") -> None:
    """Schema first, then what a schema cannot say (unique IDs, an active version that exists);
    ``at`` is where ``data`` sits in its file."""
    if details := admin_checker().component("State", data, prefix=""):
        raise StartupError(_fault(source, at, details[0]))
    try:
        check_seeds(data)
    except ApiError as error:
        raise StartupError(_fault(source, at, error.details[0])) from None


def _fault(source: str, at: str, first: Detail) -> str:
    return f"{source}: {'.'.join(filter(None, [at, first.location])) or '(root)'}: {first.message}"
