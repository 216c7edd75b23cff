"""openapi-core's and jsonschema's verdicts, told in the contract's plain words."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from jsonschema.exceptions import ValidationError as SchemaError
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.deserializing.media_types.exceptions import MediaTypeDeserializeError
from openapi_core.deserializing.styles.exceptions import EmptyQueryParameterValue
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.request.exceptions import (
    MissingRequestBodyError,
    MissingRequiredParameter,
    ParameterValidationError,
    RequestBodyValidationError,
    SecurityValidationError,
)
from openapi_core.validation.response.exceptions import (
    DataValidationError,
    HeaderValidationError,
    MissingData,
)
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

from .errors import Detail
from .jsondata import TooDeep

TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "object": "an object",
    "array": "an array",
    "boolean": "true or false",
    "null": "null",
}


def request_details(errors: Iterable[Exception]) -> Iterator[Detail]:
    for error in errors:
        cause = error.__cause__
        if isinstance(error, SecurityValidationError):
            continue  # credentials are auth's business: its own stage, or the proxy's upstream
        if isinstance(error, ParameterValidationError):
            where = f"{error.location}.{error.name}"
            if isinstance(error, MissingRequiredParameter):
                yield Detail(where, "is required")
            elif isinstance(cause, InvalidSchemaValue):
                yield from schema_details(where, _schema_errors(cause))
            elif isinstance(cause, CastError):
                yield Detail(where, f"must be {TYPE_WORDS.get(cause.type or '', cause.type)}")
            elif isinstance(cause, MediaTypeDeserializeError):
                problem = cause.__context__  # what our JSON reader said
                deep = isinstance(problem, TooDeep)
                yield Detail(where, str(problem) if deep else "is not valid JSON")
            elif isinstance(cause, EmptyQueryParameterValue):
                yield Detail(where, "must not be empty")
            else:
                yield Detail(where, "is not valid")
        elif isinstance(error, MissingRequestBodyError):
            yield Detail("body", "is required")
        elif isinstance(error, RequestBodyValidationError) and _is_schema_failure(cause):
            yield from schema_details("body", _schema_errors(cause))
        else:
            yield Detail("body", f"is not valid ({type(error).__name__})")


def response_details(errors: Iterable[Exception], status: int) -> Iterator[Detail]:
    for error in errors:
        cause = error.__cause__
        if isinstance(error, ResponseNotFound):
            yield Detail("response.status", f"{status} is not a status this operation declares")
        elif isinstance(error, MissingData):
            yield Detail("response.body", "is missing")
        elif isinstance(error, DataValidationError) and _is_schema_failure(cause):
            yield from schema_details("response.body", _schema_errors(cause))
        elif isinstance(cause, MediaTypeNotFound):
            declared = ", ".join(cause.availableMimetypes)
            media = cause.mimetype or "(none)"
            yield Detail("response.header.Content-Type", f"{media} is not {declared}")
        elif isinstance(cause, MediaTypeDeserializeError):
            yield Detail("response.body", "is not valid JSON")
        elif isinstance(error, HeaderValidationError):
            yield Detail(f"response.header.{getattr(error, 'name', '?')}", "is not valid")
        else:
            yield Detail("response", f"is not valid ({type(error).__name__})")


def schema_details(prefix: str, errors: Iterable[SchemaError]) -> Iterator[Detail]:
    """One plain-words detail per JSON Schema failure, located by its path."""
    errors = list(errors)
    # When an allOf branch fails, its annotations are dropped, so unevaluatedProperties then
    # calls every property of that object unexpected: a false echo of a real failure at that
    # object or inside it.
    failing = [tuple(e.absolute_path) for e in errors if e.validator != "unevaluatedProperties"]
    for error in errors:
        at = tuple(error.absolute_path)
        if error.validator == "unevaluatedProperties" and any(f[: len(at)] == at for f in failing):
            continue
        where = prefix + "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
        ).lstrip("." if not prefix else "")
        if error.validator == "required":
            for name in error.validator_value:
                if isinstance(error.instance, dict) and name not in error.instance:
                    yield Detail(f"{where}.{name}".lstrip("."), "is required")
        elif error.validator in ("allOf", "anyOf", "oneOf") and error.context:
            yield from schema_details(prefix, error.context)
        else:
            yield Detail(where, plain_message(error))


def plain_message(error: SchemaError) -> str:
    """What a JSON Schema keyword failure means, without JSON Schema words."""
    rule, value = error.validator, error.validator_value
    if rule == "type":
        kinds = value if isinstance(value, list) else [value]
        return "must be " + " or ".join(TYPE_WORDS.get(kind, str(kind)) for kind in kinds)
    if rule == "minLength":
        return "must not be empty" if value == 1 else f"must be at least {value} characters long"
    if rule == "maxLength":
        return f"must be at most {value} characters long (it has {len(error.instance)})"
    if rule == "minimum":
        return f"must be at least {value}"
    if rule == "maximum":
        return f"must be at most {value}"
    if rule == "enum":
        return "must be one of " + ", ".join(json.dumps(option) for option in value)
    if rule == "const":
        return f"must be {json.dumps(value)}"
    if rule == "pattern":
        return f"must match the pattern {value}"
    if rule == "format":
        return f"must be a valid {value}"
    if rule == "maxItems":
        return f"must have at most {value} items"
    if rule == "minItems":
        return f"must have at least {value} item{'s' if value != 1 else ''}"
    if rule in ("additionalProperties", "unevaluatedProperties"):
        extra = error.message.split("(")[-1].rstrip(")")
        return f"has properties the contract does not allow: {extra}"
    return str(error.message)


def _is_schema_failure(cause: BaseException | None) -> bool:
    return isinstance(cause, InvalidSchemaValue)


def _schema_errors(cause: BaseException | None) -> list[SchemaError]:
    assert isinstance(cause, InvalidSchemaValue)
    return [error for error in cause.schema_errors if isinstance(error, SchemaError)]


def unique(details: Iterable[Detail]) -> Iterator[Detail]:
    seen: set[Detail] = set()
    for detail in details:
        if detail not in seen:
            seen.add(detail)
            yield detail
