"""
Validation of payloads against the official OCPP 1.6 JSON schemas.

The schemas ship with the package (C{openocpp/messages/schemas/}). Each is
compiled once into a tree of small checking functions that know exactly the
keywords those schemas use (C{type}, C{properties}, C{required},
C{additionalProperties}, C{enum}, C{maxLength}, C{format}, C{multipleOf},
C{items}, C{minItems}, C{$ref}), so a check costs a few dictionary look-ups
and no schema interpretation. Every violation raises L{ValidationError}
carrying the OCPP-J error code it maps to:

  - the payload is not a JSON object: C{FormationViolation};
  - a required field is missing, or an array has fewer items than it must:
    C{OccurenceConstraintViolation};
  - a value has the wrong JSON type, or a date-time is not an RFC 3339
    date-time (OCPP's C{dateTime} is a type of its own):
    C{TypeConstraintViolation};
  - a value is not in its enumeration, a string is too long, a number is not
    a multiple of its step or is not finite, a URI has no scheme, or a field
    is not in the schema: C{PropertyConstraintViolation}.
"""

import json
import math
import re
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from importlib import resources
from typing import Any, Callable

from openocpp.messages.errors import ErrorCode, ValidationError

#: A compiled check: C{check(value, path)} returns nothing or raises
#: L{ValidationError}; C{path} names the value in error descriptions.
Check = Callable[[Any, str], None]

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
    r"([Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S*")

_JSON_TYPE_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def json_type_name(value: Any) -> str:
    """
    The JSON name of the type of a decoded JSON value (C{"object"},
    C{"integer"}, ...), for error descriptions.
    """
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def parse_datetime(text: str) -> datetime:
    """
    Parse an RFC 3339 date-time with any offset into an aware UTC datetime.

    @raise ValueError: C{text} is not an RFC 3339 date-time.
    """
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 date-time")
    leap = match.group(6) == "60"
    if leap:
        # RFC 3339 allows a leap second; Python's datetime has none, so it is
        # read as the first instant of the next minute.
        text = text[: match.start(6)] + "59" + text[match.end(6) :]
    try:
        parsed = datetime.fromisoformat(text.upper())
        if leap:
            parsed += timedelta(seconds=1)
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        # A valid text whose instant is outside datetime's years 1 to 9999
        # once in UTC (e.g. 9999-12-31T23:59:59-01:00).
        raise ValueError(f"{text!r} is outside the years 1 to 9999 in UTC") from None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _fail(code: ErrorCode, path: str, problem: str) -> ValidationError:
    return ValidationError(code, f"{path or 'payload'}: {problem}")


def _type_check(json_type: str, lenient_integers: bool) -> Check:
    """
    A check that a value has one JSON type. C{bool} is never a number; with
    C{lenient_integers} (JSON Schema draft 6 and later) C{1.0} is an integer.
    """
    if json_type == "integer":
        if lenient_integers:

            def accepts(value):
                return type(value) is int or (
                    type(value) is float and value.is_integer()
                )

        else:

            def accepts(value):
                return type(value) is int

    elif json_type == "number":

        def accepts(value):
            return type(value) is int or (
                type(value) is float and math.isfinite(value)
            )

    else:
        python_type = {
            "string": str,
            "boolean": bool,
            "object": dict,
            "array": list,
        }[json_type]

        def accepts(value):
            return type(value) is python_type

    def check(value, path):
        if not accepts(value):
            if type(value) is float and not math.isfinite(value):
                raise _fail(
                    ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
                    path,
                    f"{value!r} is not a finite number",
                )
            raise _fail(
                ErrorCode.TYPE_CONSTRAINT_VIOLATION,
                path,
                f"expected {json_type}, got {json_type_name(value)}",
            )

    return check


def _enum_check(allowed: list[str]) -> Check:
    allowed_set = frozenset(allowed)
    listing = ", ".join(allowed)

    def check(value, path):
        if value not in allowed_set:
            raise _fail(
                ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
                path,
                f"{value!r} is not one of {listing}",
            )

    return check


def _max_length_check(limit: int) -> Check:
    def check(value, path):
        if len(value) > limit:
            raise _fail(
                ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
                path,
                f"longer than {limit} characters ({len(value)})",
            )

    return check


def _date_time_check(value, path):
    try:
        parse_datetime(value)
    except ValueError:
        raise _fail(
            ErrorCode.TYPE_CONSTRAINT_VIOLATION,
            path,
            f"{value!r} is not an RFC 3339 date-time",
        ) from None


def _uri_check(value, path):
    if _URI.fullmatch(value) is None:
        raise _fail(
            ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
            path,
            f"{value!r} is not an absolute URI",
        )


def _multiple_of_check(step) -> Check:
    # Exact rational arithmetic on the shortest repr of each number, so that
    # 16.3 is a multiple of 0.1 (in binary floating point 16.3 / 0.1 is not
    # whole), whatever its magnitude (1e300 too).
    exact_step = Fraction(repr(step))

    def check(value, path):
        if Fraction(repr(value)) % exact_step != 0:
            raise _fail(
                ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
                path,
                f"{value!r} is not a multiple of {step}",
            )

    return check


def _object_check(schema: dict, compile_child) -> Check:
    properties = {
        name: compile_child(sub)
        for name, sub in schema.get("properties", {}).items()
    }
    required = tuple(schema.get("required", ()))
    closed = schema.get("additionalProperties", True) is False

    def check(value, path):
        for name in required:
            if name not in value:
                raise _fail(
                    ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
                    _join(path, name),
                    "required, but missing",
                )
        for name, item in value.items():
            child = properties.get(name)
            if child is not None:
                child(item, _join(path, name))
            elif closed:
                raise _fail(
                    ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
                    _join(path, name),
                    "not a field of this message",
                )

    return check


def _array_check(schema: dict, compile_child) -> Check:
    item_check = compile_child(schema["items"]) if "items" in schema else None
    min_items = schema.get("minItems", 0)

    def check(value, path):
        if len(value) < min_items:
            raise _fail(
                ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
                path,
                f"needs at least {min_items} item(s), got {len(value)}",
            )
        if item_check is not None:
            for index, item in enumerate(value):
                item_check(item, f"{path}[{index}]")

    return check


def compile_schema(schema: dict) -> Check:
    """
    Compile one OCPP JSON schema (draft 4 or draft 6) into a L{Check}.

    @raise ValueError: the schema uses a keyword this compiler does not know,
        so it would not be checked faithfully.
    """
    lenient_integers = "draft-04" not in schema.get("$schema", "draft-04")
    definitions = schema.get("definitions", {})
    known = {
        "$schema", "$id", "id", "title", "description", "javaType",
        "definitions", "type", "properties", "required",
        "additionalProperties", "additionalItems", "enum", "maxLength",
        "format", "multipleOf", "items", "minItems", "$ref",
    }

    def compile_node(node: dict) -> Check:
        if "$ref" in node:
            reference = node["$ref"]
            prefix = "#/definitions/"
            if not reference.startswith(prefix):
                raise ValueError(f"unsupported $ref {reference!r}")
            return compile_node(definitions[reference[len(prefix):]])
        unknown = set(node) - known
        if unknown:
            raise ValueError(f"unsupported schema keywords {sorted(unknown)}")
        checks: list[Check] = []
        json_type = node.get("type")
        if json_type is not None:
            checks.append(_type_check(json_type, lenient_integers))
        if "enum" in node:
            checks.append(_enum_check(node["enum"]))
        if "maxLength" in node:
            checks.append(_max_length_check(node["maxLength"]))
        if node.get("format") == "date-time":
            checks.append(_date_time_check)
        elif node.get("format") == "uri":
            checks.append(_uri_check)
        if "multipleOf" in node:
            checks.append(_multiple_of_check(node["multipleOf"]))
        if json_type == "object":
            checks.append(_object_check(node, compile_node))
        elif json_type == "array":
            checks.append(_array_check(node, compile_node))
        if len(checks) == 1:
            return checks[0]
        checks_tuple = tuple(checks)

        def check(value, path):
            for each in checks_tuple:
                each(value, path)

        return check

    return compile_node(schema)


def _compile_top_level(schema: dict) -> Check:
    body = compile_schema(schema)

    def check(payload, path=""):
        if type(payload) is not dict:
            raise _fail(
                ErrorCode.FORMATION_VIOLATION,
                path,
                f"expected a JSON object, got {json_type_name(payload)}",
            )
        body(payload, path)

    return check


def _load_shipped_schemas() -> dict[str, Check]:
    folder = resources.files("openocpp.messages").joinpath("schemas")
    compiled = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            schema = json.loads(entry.read_text(encoding="utf-8"))
            compiled[entry.name[: -len(".json")]] = _compile_top_level(schema)
    return compiled


#: The compiled check of every shipped schema, by schema name (the action for
#: a request, C{<action>Response} for a response). Immutable once built.
VALIDATORS: dict[str, Check] = _load_shipped_schemas()


def validate_payload(schema_name: str, payload: Any) -> None:
    """
    Check a decoded JSON payload against one official schema.

    @param schema_name: C{"Authorize"} for Authorize.req,
        C{"AuthorizeResponse"} for Authorize.conf.
    @raise ValidationError: the payload breaks the schema; its code is the
        OCPP-J error code to answer with.
    @raise KeyError: no schema has that name.
    """
    VALIDATORS[schema_name](payload, "")
