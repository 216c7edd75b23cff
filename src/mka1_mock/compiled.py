"""Per-operation checks compiled once at start-up: the fast half of the Checker.

jsonschema-rs validators over the same schemas of the same document, one registry for all. They
only ever say "valid" for what openapi-core would accept too; any doubt (a failure, a repeated or
empty parameter, a declared response header) goes to openapi-core, which gives the verdict and
names the faults.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import jsonschema_rs

from . import jsondata
from .errors import Detail
from .spec import Operation, Spec

if TYPE_CHECKING:
    from .exchange import Exchange

INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
WRITTEN_AS_INTEGER = re.compile(r"-?[0-9]+")
"""What a query or path integer must look like (Python's int() also takes 1_0, +1, " 1" and
non-ASCII digits)."""
DOCUMENT = "urn:mka1-mock:spec"

Parameters = tuple[Mapping[str, Any], Mapping[str, Any]]
"""A request's (path, query) parameters, cast and with their defaults."""


@dataclass(frozen=True)
class Parameter:
    name: str
    key: str  # how it is looked up: header names in lower case
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
            return jsondata.loads(raw)
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

    def read(self, exchange: Exchange, check: bool = True) -> Parameters | None:
        """The parameters if certainly valid, else None: ask openapi-core. ``check=False``
        only reads them (a benchmark's server without validation)."""
        if self.defer:
            return None
        values: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
        query = exchange.query if exchange.scope["query_string"] else {}
        for parameter in self.parameters:
            if parameter.location == "query":
                given = query.get(parameter.key, ())
                if len(given) > 1:
                    return None
                raw = given[0] if given else None
            elif parameter.location == "path":
                raw = exchange.path_params.get(parameter.key)
            else:
                raw = exchange.headers.get(parameter.key)
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
            if check and not parameter.schema.is_valid(value):
                return None
            values[parameter.location][parameter.name] = value
        body = exchange.payload
        if check and self.body is not None and (body is None or not self.body.is_valid(body)):
            return None
        return values["path"], values["query"]

    def loose_integers(self, exchange: Exchange) -> list[Detail]:
        """Integer parameters not written as one, which openapi-core would still cast."""
        query = exchange.query
        problems = []
        for parameter in self.parameters:
            if parameter.kind != "integer" or parameter.location not in ("query", "path"):
                continue
            given = query.get(parameter.key, [])
            if parameter.location == "path":
                given = [exchange.path_params.get(parameter.key, "")]
            if any(raw and not WRITTEN_AS_INTEGER.fullmatch(raw) for raw in given):
                where = f"{parameter.location}.{parameter.name}"
                problems.append(Detail(where, "must be an integer"))
        return problems

    def answers(self, status: int, data: Any) -> bool:
        """True if a JSON answer certainly keeps the contract; False: ask openapi-core."""
        validator = self.responses.get(status)
        return validator is not None and bool(validator.is_valid(data))


class Compiled:
    """The compiled plan of every operation of a spec, and its components, compiled when asked."""

    def __init__(self, spec: Spec) -> None:
        self._registry = jsonschema_rs.Registry([(DOCUMENT, spec.document)])
        self._components: dict[str, Any] = {}
        self.plans = {op.operation_id: self._plan(spec, op) for op in spec.operations}

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
                parameters[(entry["name"], entry["in"])] = self._parameter(
                    spec.document, entry, where
                )
        # Cookies, and security other than a bearer token (checked before): openapi-core reads them.
        cookies = any(location == "cookie" for _, location in parameters)
        body, defer = None, cookies or not _bearer_or_none(spec.document, definition)
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
        name, location = entry["name"], entry["in"]
        return Parameter(
            name=name,
            key=name.lower() if location == "header" else name,
            location=location,
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
