"""The Checker: one object that holds requests, responses and data to one spec.

Compiled checks first (``compiled.py``); openapi-core, the validator of record, whenever they are
in doubt: it gives the verdict, and ``messages.py`` tells its findings in plain words. The
pipeline, seeding and the proxy all call only this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers, QueryParams

from .compiled import Compiled, Parameters
from .errors import Detail, invalid
from .exchange import media_type
from .spec import Operation, Spec

if TYPE_CHECKING:
    from openapi_core.validation.schemas.validators import SchemaValidator

    from .exchange import Answer, Exchange


class Checker:
    """Checks requests, responses and component data against one spec."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.compiled = Compiled(spec)
        self._components: dict[str, SchemaValidator] = {}

    def request(self, exchange: Exchange) -> Parameters:
        """The request's (path, query) parameters; a 400 naming every field at fault."""
        plan = self.compiled.plans[exchange.operation.operation_id]
        checked = plan.read(exchange)
        if checked is not None:
            return checked
        from .messages import request_details, unique

        result = self.spec.openapi.unmarshal_request(_OpenAPIRequest(exchange))
        details = [*request_details(result.errors), *plan.loose_integers(exchange)]
        if details:
            raise invalid(list(unique(details)))
        return result.parameters.path, result.parameters.query

    def response(self, exchange: Exchange, answer: Answer) -> list[Detail]:
        """Every way an answer breaks the contract (an empty list when it keeps it)."""
        plan = self.compiled.plans[exchange.operation.operation_id]
        json = answer.content_type == "application/json"
        if json and answer.data is not None and plan.answers(answer.status, answer.data):
            return []
        from .messages import response_details, unique

        headers = {**answer.headers, "content-type": media_type(answer.content_type)}
        response = _OpenAPIResponse(answer.status, headers, answer.body)
        errors = self.spec.openapi.response_validator.iter_errors(
            _OpenAPIRequest(exchange), response
        )
        return list(unique(response_details(errors, answer.status)))

    def component(self, name: str, data: Any, prefix: str = "response.body") -> list[Detail]:
        """Every way data breaks ``components/schemas/<name>`` (answers outside any operation,
        seed files, fault rules)."""
        if self.compiled.component(name, data):
            return []
        from .messages import schema_details, unique

        errors = self._component(name).validator.iter_errors(data)
        return list(unique(schema_details(prefix, errors)))

    def _component(self, name: str) -> SchemaValidator:
        """openapi-core's validator of a component, over its own view of the same document."""
        if name not in self._components:
            from openapi_core.validation.schemas import oas31_schema_validators_factory

            root = self.spec.openapi.spec
            schema = root / "components" / "schemas" / name
            self._components[name] = oas31_schema_validators_factory.create(root, schema)
        return self._components[name]


class _OpenAPIRequest:
    """openapi-core's view of a request whose operation the router already found."""

    def __init__(self, exchange: Exchange) -> None:
        operation: Operation = exchange.operation
        self.method = operation.method.lower()
        self.host_url = "http://mka1-mock"
        self.path = exchange.path
        self.path_pattern = operation.path
        from openapi_core.datatypes import RequestParameters

        self.parameters = RequestParameters(
            query=QueryParams(exchange.scope["query_string"]),
            header=Headers(scope=exchange.scope),
            path=exchange.path_params,
        )
        self.body = exchange.body
        # The media type alone: the body was read already, and openapi-core fails on a
        # parameter without "=".
        self.content_type = media_type(exchange.headers.get("content-type", ""))


class _OpenAPIResponse:
    """openapi-core's view of an answer about to be sent."""

    def __init__(self, status_code: int, headers: Mapping[str, str], data: bytes) -> None:
        self.status_code = status_code
        self.headers = Headers(headers=dict(headers))
        self.content_type = self.headers.get("content-type", "")
        self.data = data
