"""
Helpers shared by the message layer's tests: the official schemas (read from
the oracle's folder, not from the package), and message objects built
generically from the type hints of the message classes.
"""

import dataclasses
import enum
import json
import types
import typing
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from openocpp.messages.codec import camel_case
from openocpp.messages.registry import ACTIONS
from tests.oracle import SCHEMA_DIR

_DEFINITIONS = "#/definitions/"


@lru_cache(maxsize=None)
def official_schema(name: str) -> dict:
    """
    The official schema C{name} (C{"Authorize"}, C{"AuthorizeResponse"}),
    as the oracle reads it.
    """
    return json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))


def schema_names() -> list[str]:
    """
    The names of all the oracle's schemas, sorted.
    """
    return sorted(path.stem for path in SCHEMA_DIR.glob("*.json"))


def schema_name_of(cls: type) -> str:
    """
    The name of the schema of a message class.
    """
    return cls.action + ("Response" if cls.is_response else "")


def message_classes() -> list[type]:
    """
    Every request and response class of the registry.
    """
    return [
        cls for spec in ACTIONS.values() for cls in (spec.request, spec.response)
    ]


def resolve(root: dict, node: dict) -> dict:
    """
    C{node} with its C{$ref} (to C{root}'s definitions) followed.
    """
    while "$ref" in node:
        reference = node["$ref"]
        assert reference.startswith(_DEFINITIONS), reference
        node = root["definitions"][reference[len(_DEFINITIONS):]]
    return node


def unwrap_optional(hint):
    """
    C{(inner, optional)}: C{X} and whether the hint was C{X | None}.
    """
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        assert len(args) == 1, hint
        return args[0], len(args) < len(typing.get_args(hint))
    return hint, False


def has_default(field: dataclasses.Field) -> bool:
    """
    Whether a dataclass field may be left out of the constructor's call.
    """
    return (
        field.default is not dataclasses.MISSING
        or field.default_factory is not dataclasses.MISSING
    )


#: Text for strings: non-ASCII, quotes, backslash and a control character, so
#: that lengths are counted in code points and JSON escaping is exercised.
_TEXT = 'Ωpen "ÖCPP" \\ ✓\t€'

#: A datetime with a non-UTC offset and whole milliseconds.
SAMPLE_TIME = datetime(
    2026, 11, 25, 9, 30, 15, 250000, tzinfo=timezone(timedelta(hours=1))
)
#: A datetime with microseconds that are not whole milliseconds.
SAMPLE_TIME_MICRO = datetime(
    2026, 3, 29, 1, 59, 59, 123456, tzinfo=timezone(timedelta(hours=-7))
)


def sample_text(limit: int | None) -> str:
    """
    A string of exactly C{limit} code points (or a longer one when there is
    no limit).
    """
    length = 3 * len(_TEXT) if limit is None else limit
    return (_TEXT * (length // len(_TEXT) + 1))[:length]


def sample_message(cls: type, full: bool, root: dict | None = None, node=None):
    """
    An object of message or data class C{cls} with valid values: every
    optional field set when C{full}, none otherwise. Values are chosen from
    the type hints and, for limits, from the schema (C{root} is the schema
    the class's node C{node} belongs to; both default to C{cls}'s schema).
    """
    if root is None:
        root = official_schema(schema_name_of(cls))
        node = root
    node = resolve(root, node)
    properties = node.get("properties", {})
    hints = typing.get_type_hints(cls)
    arguments = {}
    for field in dataclasses.fields(cls):
        if has_default(field) and not full:
            continue
        sub = resolve(root, properties[camel_case(field.name)])
        hint, _ = unwrap_optional(hints[field.name])
        arguments[field.name] = _sample_value(hint, full, root, sub)
    return cls(**arguments)


def _sample_value(hint, full: bool, root: dict, node: dict):
    if typing.get_origin(hint) is list:
        (inner,) = typing.get_args(hint)
        count = 2 if full else max(1, node.get("minItems", 0))
        items = resolve(root, node["items"])
        return [_sample_value(inner, full, root, items) for _ in range(count)]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return next(iter(hint))
    if dataclasses.is_dataclass(hint):
        return sample_message(hint, full, root, node)
    if hint is datetime:
        return SAMPLE_TIME if full else SAMPLE_TIME_MICRO
    if hint is bool:
        return True
    if hint is int:
        return 7 if full else 0
    if hint is float:
        assert "multipleOf" in node, node
        return 16.5 if full else 0.5
    if hint is str:
        limit = node.get("maxLength")
        if node.get("format") == "uri":
            text = "ftp://user@example.com/diagnostics/" + "x" * 40
            return text[:limit] if limit else text
        return sample_text(limit)
    raise AssertionError(f"no sample value for {hint!r}")
