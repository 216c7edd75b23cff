"""The fast path of validation: per-operation validators compiled once at start-up.

openapi-core stays the validator of record. These compiled checks (jsonschema-rs, over the same
schemas of the same document) only ever say "valid" for what openapi-core would accept too; any
doubt (a failure, a repeated or empty parameter, a declared response header) goes to openapi-core,
which gives the verdict and its error classes. Valid traffic, the common case, skips its per-call
walk through the spec.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import jsonschema_rs

from .jsondata import strict_loads
from .spec import Operation, Spec

INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
DOCUMENT = "urn:mka1-mock:spec"


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    kind: str  # "integer", "string", "json", or "defer" for what only openapi-core reads
    default: Any
    schema: Any  # a compiled validator

    def read(self, raw: str) -> Any:
        """The value as openapi-core would cast it, or raise ValueError to defer to it."""
        if self.kind == "integer":
            if not INTEGER.fullmatch(raw):
                raise ValueError(raw)
            return int(raw)
        if self.kind == "json":
            return strict_loads(raw)
        if self.kind == "defer":
            raise ValueError(raw)
        return raw


@dataclass(frozen=True)
class Plan:
    """What one operation checks, compiled."""

    parameters: tuple[Parameter, ...]
    body: Any | None
    responses: Mapping[int, Any]  # status -> compiled body validator (absent: defer)
    defer: bool  # a body or security this fast path does not know: always openapi-core


class FastPath:
    """Compiled request and response checks for every operation of a spec."""

    def __init__(self, spec: Spec) -> None:
        self._registry = jsonschema_rs.Registry([(DOCUMENT, spec.document)])
        self._components: dict[str, Any] = {}
        self.plans = {op.operation_id: self._plan(spec, op) for op in spec.operations}

    def request(
        self,
        operation: Operation,
        query: Any,
        headers: Mapping[str, str],
        path: Mapping[str, str],
        payload: Any,
        validate: bool = True,
    ) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
        """(path, query) parameters if certainly valid, else None: ask openapi-core.

        ``validate=False`` (benchmarks only) reads the parameters without checking them.
        """
        plan = self.plans[operation.operation_id]
        if plan.defer:
            return None
        values: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}, "cookie": {}}
        for parameter in plan.parameters:
            if parameter.location == "query":
                given = query.getlist(parameter.name)
                if len(given) > 1:
                    return None
                raw = given[0] if given else None
            elif parameter.location == "path":
                raw = path.get(parameter.name)
            else:
                raw = headers.get(parameter.name)
            if raw is None:
                if parameter.required:
                    return None
                if parameter.default is not None:
                    values[parameter.location][parameter.name] = parameter.default
                continue
            if raw == "":
                return None
            try:
                value = parameter.read(raw)
            except ValueError:
                return None
            if validate and not parameter.schema.is_valid(value):
                return None
            values[parameter.location][parameter.name] = value
        if (
            validate
            and plan.body is not None
            and (payload is None or not plan.body.is_valid(payload))
        ):
            return None
        return values["path"], values["query"]

    def response(self, operation: Operation, status: int, document: Any) -> bool:
        """True if a JSON answer (the data it is serialized from) certainly keeps the contract;
        False: ask openapi-core."""
        validator = self.plans[operation.operation_id].responses.get(status)
        return validator is not None and bool(validator.is_valid(document))

    def component(self, name: str, document: Any) -> bool:
        """Whether data certainly fits ``components/schemas/<name>``; False: ask openapi-core."""
        if name not in self._components:
            self._components[name] = self._compile(f"/components/schemas/{name}")
        return bool(self._components[name].is_valid(document))

    def _compile(self, pointer: str) -> Any:
        return jsonschema_rs.validator_for(
            {"$ref": f"{DOCUMENT}#{quote(pointer, safe='/~')}"},
            registry=self._registry,
            validate_formats=True,
        )

    def _plan(self, spec: Spec, operation: Operation) -> Plan:
        item_pointer = f"/paths/{_escape(operation.path)}"
        item = spec.document["paths"][operation.path]
        definition = item[operation.method.lower()]
        op_pointer = f"{item_pointer}/{operation.method.lower()}"
        parameters = {}
        # Operation parameters override path-item ones with the same name and location.
        for pointer, entries in ((item_pointer, item), (op_pointer, definition)):
            for index, entry in enumerate(entries.get("parameters", [])):
                where = f"{pointer}/parameters/{index}"
                if "$ref" in entry:
                    where = entry["$ref"].removeprefix("#")
                    entry = _resolve(spec.document, where)
                parameter = self._parameter(spec.document, entry, where)
                parameters[(entry["name"], entry["in"])] = parameter
        body, defer = None, not _bearer_or_none(spec.document, definition)
        if operation.takes_body:
            request_body = definition["requestBody"]
            if list(request_body["content"]) == ["application/json"] and request_body.get(
                "required"
            ):
                body = self._compile(f"{op_pointer}/requestBody/content/application~1json/schema")
            else:
                defer = True
        responses = {}
        for code, response in definition["responses"].items():
            where = f"{op_pointer}/responses/{code}"
            if "$ref" in response:
                where = response["$ref"].removeprefix("#")
                response = _resolve(spec.document, where)
            content = list(response.get("content", {}))
            if (
                not str(code).isdigit()
                or response.get("headers")
                or content != ["application/json"]
            ):
                continue  # openapi-core checks these
            responses[int(code)] = self._compile(f"{where}/content/application~1json/schema")
        return Plan(tuple(parameters.values()), body, responses, defer)

    def _parameter(self, document: Any, entry: Mapping[str, Any], where: str) -> Parameter:
        if "content" in entry:
            json_only = list(entry["content"]) == ["application/json"]
            kind = "json" if json_only else "defer"
            schema_at, default = f"{where}/content/application~1json/schema", None
        else:
            schema = entry["schema"]
            while "$ref" in schema:
                schema = _resolve(document, schema["$ref"].removeprefix("#"))
            simple = entry.get("style") is None and entry.get("explode") is None
            kinds = {"integer": "integer", "string": "string"}
            kind = kinds.get(schema.get("type"), "defer") if simple else "defer"
            schema_at, default = f"{where}/schema", schema.get("default")
        if entry["in"] not in ("query", "path", "header"):
            kind = "defer"  # cookies: openapi-core reads them
        return Parameter(
            name=entry["name"],
            location=entry["in"],
            required=bool(entry.get("required")),
            kind=kind,
            default=default,
            schema=self._compile(schema_at),
        )


def _bearer_or_none(document: Any, operation: Mapping[str, Any]) -> bool:
    """Whether the operation needs nothing, or only an HTTP bearer token (checked before)."""
    requirements = operation.get("security", document.get("security", []))
    schemes = document.get("components", {}).get("securitySchemes", {})
    names = {name for requirement in requirements for name in requirement}
    return all(schemes.get(name, {}).get("scheme") == "bearer" for name in names)


def _resolve(document: Any, pointer: str) -> Any:
    node = document
    for part in pointer.lstrip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")
