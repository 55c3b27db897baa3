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

#: A compiled check: C{check(value)} returns nothing, or raises (for a whole
#: payload) L{ValidationError}.
Check = Callable[[Any], None]

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
    # The seconds are characters 17 and 18 (the pattern fixes the widths):
    # a slice is cheaper than the match's group.
    leap = text[17:19] == "60"
    if leap:
        # RFC 3339 allows a leap second; Python's datetime has none, so it is
        # read as the first instant of the next minute.
        text = text[:17] + "59" + text[19:]
    try:
        parsed = datetime.fromisoformat(text.upper())
        if leap:
            parsed += timedelta(seconds=1)
        if parsed.tzinfo is timezone.utc:
            # "Z" (what charge points send): already UTC.
            return parsed
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        # A valid text whose instant is outside datetime's years 1 to 9999
        # once in UTC (e.g. 9999-12-31T23:59:59-01:00).
        raise ValueError(f"{text!r} is outside the years 1 to 9999 in UTC") from None


class _Violation(Exception):
    """
    A value breaks its schema. Raised by the compiled checks without a
    location; each enclosing object or array adds its key or index on the
    way out, so a valid payload never pays for building paths.
    """

    def __init__(self, code: ErrorCode, problem: str) -> None:
        self.code = code
        self.problem = problem
        self.path: list[str | int] = []  # innermost first

    def error(self) -> ValidationError:
        """
        The L{ValidationError} naming the field (C{meterValue[0].unit}).
        """
        location = ""
        for part in reversed(self.path):
            if type(part) is int:
                location += f"[{part}]"
            else:
                location += f".{part}" if location else part
        return ValidationError(self.code, f"{location or 'payload'}: {self.problem}")


def _wrong_type(json_type: str, value: Any) -> _Violation:
    if type(value) is float and not math.isfinite(value):
        return _Violation(
            ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, f"{value!r} is not a finite number"
        )
    return _Violation(
        ErrorCode.TYPE_CONSTRAINT_VIOLATION,
        f"expected {json_type}, got {json_type_name(value)}",
    )


def _date_time_problem(value: str) -> _Violation | None:
    try:
        parse_datetime(value)
    except ValueError:
        return _Violation(
            ErrorCode.TYPE_CONSTRAINT_VIOLATION, f"{value!r} is not an RFC 3339 date-time"
        )
    return None


def _uri_problem(value: str) -> _Violation | None:
    if _URI.fullmatch(value) is None:
        return _Violation(
            ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, f"{value!r} is not an absolute URI"
        )
    return None


def _string_check(node: dict, date_times: bool) -> Check:
    """
    A string's type, enumeration, length and format, in one function; the
    date-time format only with C{date_times}.
    """
    allowed = frozenset(node["enum"]) if "enum" in node else None
    listing = ", ".join(node.get("enum", ()))
    limit = node.get("maxLength")
    formats = {"uri": _uri_problem}
    if date_times:
        formats["date-time"] = _date_time_problem
    format_problem = formats.get(node.get("format"))

    def check(value):
        if type(value) is not str:
            raise _wrong_type("string", value)
        if allowed is not None and value not in allowed:
            raise _Violation(
                ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, f"{value!r} is not one of {listing}"
            )
        if limit is not None and len(value) > limit:
            raise _Violation(
                ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
                f"longer than {limit} characters ({len(value)})",
            )
        if format_problem is not None:
            problem = format_problem(value)
            if problem is not None:
                raise problem

    return check


def _number_check(node: dict, lenient_integers: bool) -> Check:
    """
    An integer's or number's type (never a C{bool}; with
    C{lenient_integers}, JSON Schema draft 6's rule, C{1.0} is an integer),
    and its C{multipleOf} step.
    """
    json_type = node["type"]
    step = node.get("multipleOf")
    # Exact rational arithmetic on the shortest repr of each number, so that
    # 16.3 is a multiple of 0.1 (in binary floating point 16.3 / 0.1 is not
    # whole), whatever its magnitude (1e300 too).
    exact_step = None if step is None else Fraction(repr(step))

    def check(value):
        kind = type(value)
        if kind is not int:
            if kind is not float or not (
                value.is_integer() if json_type == "integer" and lenient_integers
                else json_type == "number" and math.isfinite(value)
            ):
                raise _wrong_type(json_type, value)
        if exact_step is not None and Fraction(repr(value)) % exact_step != 0:
            raise _Violation(
                ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, f"{value!r} is not a multiple of {step}"
            )

    return check


def _boolean_check(value):
    if type(value) is not bool:
        raise _wrong_type("boolean", value)


def _object_check(node: dict, compile_child) -> Check:
    properties = {
        name: compile_child(sub) for name, sub in node.get("properties", {}).items()
    }
    required = tuple(node.get("required", ()))
    closed = node.get("additionalProperties", True) is False

    def check(value):
        if type(value) is not dict:
            raise _wrong_type("object", value)
        for name in required:
            if name not in value:
                violation = _Violation(
                    ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION, "required, but missing"
                )
                violation.path.append(name)
                raise violation
        for name, item in value.items():
            child = properties.get(name)
            if child is None:
                if closed:
                    violation = _Violation(
                        ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, "not a field of this message"
                    )
                    violation.path.append(name)
                    raise violation
                continue
            try:
                child(item)
            except _Violation as violation:
                violation.path.append(name)
                raise

    return check


def _array_check(node: dict, compile_child) -> Check:
    item_check = compile_child(node["items"]) if "items" in node else None
    min_items = node.get("minItems", 0)

    def check(value):
        if type(value) is not list:
            raise _wrong_type("array", value)
        if len(value) < min_items:
            raise _Violation(
                ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
                f"needs at least {min_items} item(s), got {len(value)}",
            )
        if item_check is not None:
            for index, item in enumerate(value):
                try:
                    item_check(item)
                except _Violation as violation:
                    violation.path.append(index)
                    raise

    return check


#: The schema keywords the compiler checks, or may ignore (annotations).
_KNOWN_KEYWORDS = frozenset({
    "$schema", "$id", "id", "title", "description", "javaType",
    "definitions", "type", "properties", "required",
    "additionalProperties", "additionalItems", "enum", "maxLength",
    "format", "multipleOf", "items", "minItems", "$ref",
})


def compile_schema(schema: dict, date_times: bool = True) -> Check:
    """
    Compile one OCPP JSON schema (draft 4 or draft 6) into a check: a
    function of the value that returns nothing, or raises L{_Violation}.

    @param date_times: check the C{date-time} format; without it the caller
        must parse every date-time with L{parse_datetime} (the decoder does,
        so each one is parsed once).

    @raise ValueError: the schema uses a keyword this compiler does not know,
        or a combination it does not check, so it would not be checked
        faithfully.
    """
    lenient_integers = "draft-04" not in schema.get("$schema", "draft-04")
    definitions = schema.get("definitions", {})

    def compile_node(node: dict) -> Check:
        if "$ref" in node:
            reference = node["$ref"]
            prefix = "#/definitions/"
            if not reference.startswith(prefix):
                raise ValueError(f"unsupported $ref {reference!r}")
            return compile_node(definitions[reference[len(prefix):]])
        unknown = set(node) - _KNOWN_KEYWORDS
        if unknown:
            raise ValueError(f"unsupported schema keywords {sorted(unknown)}")
        json_type = node.get("type")
        if json_type == "string":
            return _string_check(node, date_times)
        if json_type in ("integer", "number"):
            return _number_check(node, lenient_integers)
        if json_type == "boolean":
            return _boolean_check
        if json_type == "object":
            return _object_check(node, compile_node)
        if json_type == "array":
            return _array_check(node, compile_node)
        raise ValueError(f"unsupported schema node {node!r}")

    return compile_node(schema)


def _compile_top_level(schema: dict, date_times: bool) -> Check:
    body = compile_schema(schema, date_times)

    def check(payload):
        if type(payload) is not dict:
            raise ValidationError(
                ErrorCode.FORMATION_VIOLATION,
                f"payload: expected a JSON object, got {json_type_name(payload)}",
            )
        try:
            body(payload)
        except _Violation as violation:
            raise violation.error() from None

    return check


def _load_shipped_schemas() -> tuple[dict[str, Check], dict[str, Check]]:
    folder = resources.files("openocpp.messages").joinpath("schemas")
    compiled = {}
    without_date_times = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            schema = json.loads(entry.read_text(encoding="utf-8"))
            name = entry.name[: -len(".json")]
            compiled[name] = _compile_top_level(schema, True)
            without_date_times[name] = _compile_top_level(schema, False)
    return compiled, without_date_times


#: The compiled check of every shipped schema, by schema name (the action for
#: a request, C{<action>Response} for a response). Immutable once built.
#: C{_STRUCTURE_VALIDATORS}: the same checks but the date-time format, for
#: L{check_structure}.
VALIDATORS: dict[str, Check]
_STRUCTURE_VALIDATORS: dict[str, Check]
VALIDATORS, _STRUCTURE_VALIDATORS = _load_shipped_schemas()


def validate_payload(schema_name: str, payload: Any) -> None:
    """
    Check a decoded JSON payload against one official schema.

    @param schema_name: C{"Authorize"} for Authorize.req,
        C{"AuthorizeResponse"} for Authorize.conf.
    @raise ValidationError: the payload breaks the schema; its code is the
        OCPP-J error code to answer with.
    @raise KeyError: no schema has that name.
    """
    VALIDATORS[schema_name](payload)


def check_structure(schema_name: str, payload: Any) -> None:
    """
    Check a decoded JSON payload against one official schema, all of it
    except the C{date-time} format of its strings: for a caller that parses
    every date-time with L{parse_datetime} next (the decoder), so that each
    is parsed once. What that parse refuses, L{validate_payload} reports.

    @raise ValidationError: the payload breaks the schema elsewhere.
    @raise KeyError: no schema has that name.
    """
    _STRUCTURE_VALIDATORS[schema_name](payload)
