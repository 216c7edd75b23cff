"""The contract: ``openapi.yaml``, loaded and checked once, with its operation table."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import yaml

from . import jsondata
from .errors import StartupError

try:  # libyaml reads the spec ten times faster
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader  # type: ignore[assignment]

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def default_spec_path() -> Path:
    """The ``openapi.yaml`` shipped inside the package (the repository's top-level file)."""
    return Path(str(resources.files("mka1_mock") / "openapi.yaml"))


def admin_spec_path() -> Path:
    """The admin API's own OpenAPI document."""
    return Path(str(resources.files("mka1_mock") / "admin.yaml"))


@cache
def admin_spec() -> Spec:
    """The admin API's spec, loaded once per process."""
    return Spec.load(admin_spec_path())


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, with what the pipeline needs to know up front."""

    operation_id: str
    method: str
    path: str
    success_status: int
    error_statuses: frozenset[int]
    takes_body: bool


class Spec:
    """A validated OpenAPI document, its openapi-core validator and its operations."""

    def __init__(self, document: dict[str, Any], source: str, text: str = "") -> None:
        self.document = document
        self.source = source
        self.text = text or yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        _check(document, source, self.text)
        self.operations = tuple(self._operations())

    @cached_property
    def openapi(self) -> Any:
        """openapi-core's view of the spec, built when first needed (it takes 0.3 s to import)."""
        from openapi_core import Config, OpenAPI

        # The mock's JSON reader: NaN, a lone surrogate or deep nesting in a JSON parameter is a
        # 400, not a crash. spec_validator_cls=None: the spec was checked at load.
        config = Config(
            spec_validator_cls=None,  # type: ignore[arg-type]  # None skips, per its check_spec
            extra_media_type_deserializers={"application/json": _read_json},
        )
        return OpenAPI.from_dict(self.document, config=config)

    @classmethod
    def load(cls, path: Path | str | None = None) -> Spec:
        """Read and check a spec file; any fault stops start-up with the file named."""
        path = Path(path) if path is not None else default_spec_path()
        try:
            text = path.read_text(encoding="utf-8")
            document = yaml.load(text, Loader=SafeLoader)
        except OSError as exc:
            raise StartupError(f"{path}: cannot read the spec: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            reason = str(exc).replace("\n", " ")
            raise StartupError(f"{path}: not valid YAML: {reason}") from None
        if not isinstance(document, dict):
            raise StartupError(f"{path}: (root): the spec must be a mapping")
        return cls(document, str(path), text)

    def subset(self, operation_ids: Collection[str]) -> Spec:
        """The same document with only these operations (the proxy's share of the admin API)."""
        document = copy.deepcopy(self.document)
        for path, item in list(document.get("paths", {}).items()):
            for method in METHODS:
                if method in item and item[method].get("operationId") not in operation_ids:
                    del item[method]
            if not any(method in item for method in METHODS):
                del document["paths"][path]
        return Spec(document, self.source)

    def by_path(self) -> dict[str, dict[str, Operation]]:
        """The operations of each path, by method, in the spec's order."""
        paths: dict[str, dict[str, Operation]] = {}
        for operation in self.operations:
            paths.setdefault(operation.path, {})[operation.method] = operation
        return paths

    @cached_property
    def json(self) -> bytes:
        return json.dumps(self.document, ensure_ascii=False).encode()

    def _operations(self) -> Any:
        for path, item in self.document.get("paths", {}).items():
            for method in METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                where = f"{self.source}: paths/{path}/{method}"
                if "operationId" not in operation:
                    raise StartupError(f"{where}: operationId is missing")
                successes = [int(code) for code in operation["responses"] if str(code)[0] == "2"]
                if len(successes) != 1:
                    raise StartupError(f"{where}: needs exactly one 2xx response")
                yield Operation(
                    operation_id=operation["operationId"],
                    method=method.upper(),
                    path=path,
                    success_status=successes[0],
                    error_statuses=frozenset(
                        int(code) for code in operation["responses"] if str(code)[0] in "45"
                    ),
                    takes_body="requestBody" in operation,
                )


def _check(document: dict[str, Any], source: str, text: str) -> None:
    """openapi-spec-validator's verdict, remembered per exact text and validator version: a spec
    that passed once passes again, and the check (with its 0.2 s of imports) is skipped."""
    validator_version = metadata.version("openapi-spec-validator")
    key = hashlib.sha256(f"{validator_version}\0{text}".encode()).hexdigest()
    marker = _cache_folder() / f"valid-spec-{key}"
    if marker.exists():
        return
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate(document)
    except OpenAPIValidationError as exc:
        where = _locate(document, list(exc.absolute_path), exc.instance) or "(root)"
        reason = exc.message.splitlines()[0]
        raise StartupError(f"{source}: {where}: {reason}") from None
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass  # no cache: the next start checks again


def _cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(os.environ.get("MKA1_MOCK_CACHE") or Path(base) / "mka1-mock")


def _locate(document: Any, relative: list[Any], instance: Any) -> str:
    """The full path of a failing value: the validator reports paths inside a nested schema
    relative to that schema, so find the node where that relative path leads to the value."""
    stack: list[tuple[Any, list[str]]] = [(document, [])]
    while stack:
        node, path = stack.pop(0)
        target = node
        for part in relative:
            if isinstance(target, dict) and part in target:
                target = target[part]
            elif isinstance(target, list) and isinstance(part, int) and part < len(target):
                target = target[part]
            else:
                break
        else:
            if target == instance:
                return "/".join([*path, *map(str, relative)])
        if isinstance(node, dict):
            stack.extend((child, [*path, str(key)]) for key, child in node.items())
        elif isinstance(node, list):
            stack.extend((child, [*path, str(index)]) for index, child in enumerate(node))
    return "/".join(map(str, relative))


def _read_json(value: bytes | str, **parameters: str) -> Any:
    """openapi-core's JSON deserializer (it passes media type parameters such as charset)."""
    return jsondata.loads(value)
