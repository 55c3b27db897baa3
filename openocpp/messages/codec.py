"""
Conversion between message objects and their JSON payloads.

Field names go from snake_case to OCPP's camelCase, unset optional fields are
left out, enumerations travel as their values, date-times as RFC 3339 UTC
(C{2026-11-25T08:00:00.000Z}; any RFC 3339 offset is accepted on input), and
numbers as JSON numbers (Python's shortest round-trip repr keeps C{16.1} as
C{16.1}).

How each class converts is worked out once, from its type hints, and kept.
"""

import dataclasses
import enum
import re
import types
import typing
from datetime import datetime, timezone
from typing import Any, Callable

from openocpp.messages.errors import ValidationError
from openocpp.messages.validation import (
    check_structure,
    parse_datetime,
    validate_payload,
)

_Convert = Callable[[Any], Any] | None


def camel_case(name: str) -> str:
    """
    The OCPP field name of a Python field name: C{charge_box_serial_number}
    becomes C{chargeBoxSerialNumber}.
    """
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake_case(name: str) -> str:
    """
    The Python name of an OCPP name: C{chargeBoxSerialNumber} becomes
    C{charge_box_serial_number}, C{BootNotification} C{boot_notification}.
    """
    return _CAPITALS.sub(r"\1_\2", _ACRONYM.sub(r"\1_\2", name)).lower()


_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAPITALS = re.compile(r"([a-z0-9])([A-Z])")


#: "00" to "99", by value: the two-digit fields of a date-time.
_TWO_DIGITS = tuple(f"{number:02d}" for number in range(100))


def format_datetime(moment: datetime) -> str:
    """
    The RFC 3339 UTC form of an aware datetime: milliseconds when that is
    exact (C{2026-11-25T08:00:00.000Z}), microseconds otherwise, so that
    nothing is lost.

    @raise ValueError: C{moment} is naive: OCPP times are absolute, and a
        naive datetime does not say which instant it means.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{moment!r} is a naive datetime; OCPP needs an aware one "
            "(e.g. datetime.now(timezone.utc))"
        )
    # A UTC datetime (what decoding gives) needs no conversion.
    utc = moment if moment.tzinfo is timezone.utc else moment.astimezone(timezone.utc)
    # What isoformat(timespec=...) wrote, "+00:00" made "Z", built from
    # the fields: isoformat's C formatting (and its offset's) cost twice
    # as much, for one or two date-times a message. Years before 1000
    # keep their four digits, as RFC 3339 requires.
    year = utc.year
    micro = utc.microsecond
    fraction = str(1_000 + micro // 1_000)[1:] if micro % 1_000 == 0 else str(1_000_000 + micro)[1:]
    two = _TWO_DIGITS
    return (
        f"{year if year >= 1000 else f'{year:04d}'}-{two[utc.month]}-{two[utc.day]}"
        f"T{two[utc.hour]}:{two[utc.minute]}:{two[utc.second]}.{fraction}Z"
    )


class _Plan:
    """
    How one message or data class converts: for each field its Python name,
    its JSON name and the functions converting its value each way (C{None}
    where the value is used as it is).
    """

    __slots__ = ("cls", "fields")

    def __init__(self, cls: type) -> None:
        self.cls = cls
        hints = typing.get_type_hints(cls)
        self.fields = tuple(
            (field.name, camel_case(field.name), *_converters(hints[field.name]))
            for field in dataclasses.fields(cls)
        )


def _converters(hint: Any) -> tuple[_Convert, _Convert]:
    """
    The (to JSON, from JSON) converters of a field's type hint.
    """
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _converters(inner)
    if origin is list:
        (inner,) = typing.get_args(hint)
        to_json, from_json = _converters(inner)
        return (
            None if to_json is None else lambda items: [to_json(i) for i in items],
            None if from_json is None else lambda items: [from_json(i) for i in items],
        )
    if hint is datetime:
        # Strict: decode checks the structure without the date-time format
        # and leaves each date-time to this one parse.
        return format_datetime, parse_datetime
    if isinstance(hint, type) and issubclass(hint, enum.StrEnum):
        # str() gives a member's value, and leaves a plain string as it is;
        # the value map is the enum's own lookup, without the call overhead.
        return str, hint._value2member_map_.__getitem__
    if dataclasses.is_dataclass(hint):
        return encode, lambda payload: _build(hint, payload)
    if hint is float:
        # JSON does not tell 2 from 2.0: numbers read back as floats.
        return None, float
    if hint is int:
        # Draft-6 schemas accept 2.0 as an integer; the object holds 2.
        return None, int
    if hint in (str, bool, typing.Any):
        return None, None
    raise TypeError(f"no JSON conversion for {hint!r}")


_plans: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    plan = _plans.get(cls)
    if plan is None:
        plan = _plans[cls] = _Plan(cls)
    return plan


def encode(message: Any) -> dict:
    """
    The JSON-ready payload (a C{dict}) of a message or data object. It is not
    validated: see L{validate}.

    @raise ValueError: a date-time field holds a naive datetime.
    """
    payload = {}
    for name, json_name, to_json, _ in _plan(type(message)).fields:
        value = getattr(message, name)
        if value is not None:
            payload[json_name] = value if to_json is None else to_json(value)
    return payload


def _build(cls: type, payload: dict) -> Any:
    arguments = {}
    for name, json_name, _, from_json in _plan(cls).fields:
        value = payload.get(json_name)
        if value is not None:
            arguments[name] = value if from_json is None else from_json(value)
    return cls(**arguments)


def schema_name(cls: type) -> str:
    """
    The name of the official schema of a message class: its action for a
    request, C{<action>Response} for a response.
    """
    return cls.action + "Response" if cls.is_response else cls.action


def validate(cls: type, payload: Any) -> None:
    """
    Check a payload against the official schema of message class C{cls}.

    @raise openocpp.messages.errors.ValidationError: it does not conform.
    """
    validate_payload(schema_name(cls), payload)


def decode(cls: type, payload: Any) -> Any:
    """
    Validate a payload against C{cls}'s schema and build the message object.

    @raise openocpp.messages.errors.ValidationError: it does not conform; the
        error's code is the OCPP-J error code to answer with.
    """
    name = schema_name(cls)
    try:
        # Everything but the date-times, which _build parses (strictly):
        # each is parsed once, not checked and then parsed again.
        check_structure(name, payload)
        return _build(cls, payload)
    except (ValidationError, ValueError):
        # A broken payload (the rare path): the full validation names the
        # same field, with the same code, as it always did: the first one
        # broken in the schema's order, date-times included.
        validate_payload(name, payload)
        raise
