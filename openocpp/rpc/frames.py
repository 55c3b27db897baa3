"""
OCPP-J frames: the JSON arrays that wrap every OCPP message on the wire
(OCPP-J 1.6, section 4), parsed from text and serialised to text.

Three frames exist::

    [2, "<UniqueId>", "<Action>", {<Payload>}]                              CALL
    [3, "<UniqueId>", {<Payload>}]                                          CALLRESULT
    [4, "<UniqueId>", "<errorCode>", "<errorDescription>", {<errorDetails>}] CALLERROR

L{parse_frame} turns text into a L{Call}, L{CallResult} or L{CallErrorFrame},
or raises L{FrameError} naming the L{ErrorCode} to answer with and, when it
can be recovered, the unique id to answer.  Only the wrapper is checked
here; payloads are checked against their action's schema by the messages
layer.

Which error code a broken wrapper earns, from the definitions of table 7:

  - C{FormationViolation} ("syntactically incorrect or not conform the PDU
    structure") for anything that breaks the wrapper's shape: text that is
    not JSON, not an array, the wrong number of elements, an element of the
    wrong JSON type.  C{ProtocolError} ("Payload for Action is incomplete")
    speaks of the payload's content, which the schema validation reports,
    so it is not used for the wrapper's shape, not even for missing
    elements: a frame short of an element breaks the PDU structure.
  - A message type number that is an integer but not one of table 2 is
    outside the RPC protocol: section 4.1.3 says the message SHALL be
    ignored, so nothing after it is looked at and no id is recovered (the
    L{FrameError}, code C{ProtocolError}, is never answered).  A message
    type that is not an integer at all (C{"2"}, C{2.0}, C{true}) is a
    malformed wrapper: C{FormationViolation}.
  - C{FormationViolation} for a unique id longer than 36 characters (table
    3), answered with that very id: a CALLERROR carries "the exact same
    id" as the call (table 6), and section 4.2.3 names "unique identifier
    too long" among its reasons.
  - C{TypeConstraintViolation} for a frame that is well formed but holds
    an integer too long to read (more digits than Python converts, see
    C{sys.get_int_max_str_digits}): no OCPP integer or decimal type holds
    it.  Its id is recovered by reading the text again with such integers
    left unconverted, so the CALL still gets its answer.

A payload of JSON C{null} is read as C{{}}: sections 4.2.1 and 4.2.2 allow
both notations for "no payload" (we always send C{{}}).  The error details
of a CALLERROR have no such allowance ("you MUST fill in an empty object"),
so they must be an object.
"""

import enum
import itertools
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from openocpp.messages.errors import ErrorCode

#: The longest unique id allowed (OCPP-J 1.6, table 3: room for a GUID).
MAX_UNIQUE_ID_LENGTH = 36


class MessageType(enum.IntEnum):
    """
    The message type numbers of OCPP-J 1.6 (section 4.1.3, table 2).
    """

    CALL = 2
    CALLRESULT = 3
    CALLERROR = 4


_CALL = MessageType.CALL
_CALLRESULT = MessageType.CALLRESULT
_CALLERROR = MessageType.CALLERROR

_ERROR_CODES: dict[str, ErrorCode] = {code.value: code for code in ErrorCode}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# The standard library's strict JSON, for what orjson does not take.  NaN
# and Infinity are not JSON (RFC 8259), though Python's json module reads and
# writes them by default.
_strict_decode = json.JSONDecoder(parse_constant=_reject_constant).decode
_strict_encode = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


# Twenty digits in a row may be an integer beyond 64 bits. Looked for in
# the frame's UTF-8 with every ASCII digit made "0" (one table look-up a
# byte; the bytes of other characters are never ASCII digits): a regular
# expression's search tries a match at every digit, some 15 times slower
# on a MeterValues frame.
_DIGITS_AS_ZERO = bytes(ord("0") if ord("0") <= byte <= ord("9") else byte for byte in range(256))
_LONG_DIGITS = b"0" * 20


def _has_long_digits(text: str) -> bool:
    """
    Whether C{text} has 20 ASCII digits in a row (as C{[0-9]{20}} finds).
    """
    # surrogatepass: a str with lone surrogates still encodes (never to
    # ASCII digits).
    return _LONG_DIGITS in text.encode("utf-8", "surrogatepass").translate(_DIGITS_AS_ZERO)


def _decode(text: str) -> Any:
    # orjson reads a frame several times faster than the json module, and
    # refuses NaN and Infinity too.  It reads integers beyond 64 bits as
    # floats, though, losing their value: a frame that may hold one takes
    # the json module's exact path.
    if _has_long_digits(text):
        return _strict_decode(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # Let the json module say what is wrong, in its words.
        return _strict_decode(text)


class _LongInteger:
    """
    Stands for an integer of a frame too long to convert (see
    L{_decode_long_integers}): only the error path ever holds one.
    """

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _decode_long_integers(text: str) -> tuple[Any, list[int]]:
    """
    Decode text that failed to decode, leaving integers too long to convert
    as L{_LongInteger}s: the frame's structure (and so its unique id) can
    then be read.

    @return: the decoded value and the digit counts of the integers left
        unconverted (empty if there was none).
    @raise ValueError: the text is not JSON for another reason.
    """
    digits: list[int] = []

    def parse_int(number: str) -> Any:
        try:
            return int(number)
        except ValueError:
            digits.append(len(number.lstrip("-")))
            return _LongInteger(digits[-1])

    decoder = json.JSONDecoder(parse_constant=_reject_constant, parse_int=parse_int)
    return decoder.decode(text), digits


def _encode(frame: list) -> str:
    # orjson writes compact UTF-8, as ensure_ascii=False would.  It would
    # write NaN as null, but payloads are validated before they are framed,
    # and validation refuses NaN.  It refuses integers beyond 64 bits, which
    # the json module writes.
    try:
        return orjson.dumps(frame).decode("utf-8")
    except TypeError:
        return _strict_encode(frame)


class FrameError(ValueError):
    """
    Text received is not a well-formed OCPP-J frame.

    @ivar code: the L{ErrorCode} a CALLERROR answering it carries.
    @ivar description: what is wrong with the frame.
    @ivar unique_id: the frame's unique id when one can be recovered (the
        second element is a string, even one longer than 36 characters),
        else C{None}: also for an unknown message type, which is ignored
        (section 4.1.3).
    @ivar message_type: the frame's L{MessageType} when it is one of the
        three, else C{None}.  A broken CALLRESULT or CALLERROR carries an id
        of our own CALL, so it must not be answered with a CALLERROR (which
        only answers a CALL, and whose id the peer would read as one of
        its own); the session uses this to tell the cases apart.
    """

    def __init__(
        self,
        code: ErrorCode,
        description: str,
        unique_id: str | None = None,
        message_type: MessageType | None = None,
    ) -> None:
        super().__init__(code, description, unique_id)
        self.code = code
        self.description = description
        self.unique_id = unique_id
        self.message_type = message_type

    def __str__(self) -> str:
        return f"{self.code}: {self.description}"


@dataclass(frozen=True, slots=True)
class Call:
    """
    A CALL: a request for C{action}.

    @ivar unique_id: the id the answer will carry.
    @ivar action: the action's name, e.g. C{"BootNotification"}.
    @ivar payload: the request's JSON payload (a dict), not yet validated.
    """

    unique_id: str
    action: str
    payload: dict[str, Any]

    message_type = _CALL

    def serialise(self) -> str:
        """
        @return: the frame as compact JSON text.
        """
        return _encode([2, self.unique_id, self.action, self.payload])


@dataclass(frozen=True, slots=True)
class CallResult:
    """
    A CALLRESULT: the answer to the CALL with the same unique id.

    @ivar unique_id: the id of the CALL answered.
    @ivar payload: the response's JSON payload (a dict), not yet validated.
    """

    unique_id: str
    payload: dict[str, Any]

    message_type = _CALLRESULT

    def serialise(self) -> str:
        """
        @return: the frame as compact JSON text.
        """
        return _encode([3, self.unique_id, self.payload])


@dataclass(frozen=True, slots=True)
class CallErrorFrame:
    """
    A CALLERROR: the CALL with the same unique id could not be handled.

    @ivar unique_id: the id of the CALL answered.
    @ivar code: the error code: an L{ErrorCode} when it is one of table 7,
        else the string as received.
    @ivar description: the error's description (C{""} when none).
    @ivar details: the error's details (C{{}} when none).
    """

    unique_id: str
    code: ErrorCode | str
    description: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    message_type = _CALLERROR

    def serialise(self) -> str:
        """
        @return: the frame as compact JSON text.
        """
        return _encode(
            [4, self.unique_id, str(self.code), self.description, self.details]
        )


Frame = Call | CallResult | CallErrorFrame


def _recover_id(message: list) -> str | None:
    """
    @return: the frame's unique id if its second element is a string, of
        any length, else C{None}.
    """
    if len(message) > 1:
        unique_id = message[1]
        if type(unique_id) is str:
            # Too long or not, the answer carries the exact same id (OCPP-J
            # table 6); the transport's message size bounds it.
            return unique_id
    return None


def _broken(
    message: list, message_type: MessageType | None, description: str
) -> FrameError:
    return FrameError(
        ErrorCode.FORMATION_VIOLATION,
        description,
        _recover_id(message),
        message_type,
    )


_ARITY = {_CALL: 4, _CALLRESULT: 3, _CALLERROR: 5}
_NAMES = {_CALL: "CALL", _CALLRESULT: "CALLRESULT", _CALLERROR: "CALLERROR"}


def parse_frame(text: str, _decode: Callable[[str], Any] = _decode) -> Frame:
    """
    Parse one WebSocket text message into a frame.

    @param text: the message as received.
    @param _decode: internal: what turns the text into JSON values.  The
        error path reads a frame again with its long integers left
        unconverted, through this same function: a parameter rather than a
        second function, so that the hot path makes no extra call.
    @return: a L{Call}, L{CallResult} or L{CallErrorFrame}.
    @raise FrameError: when C{text} is not a well-formed frame (see the
        module docstring for the code each fault earns).
    """
    try:
        message = _decode(text)
    except (ValueError, RecursionError) as e:
        # JSONDecodeError is a ValueError, and so is _reject_constant's.
        raise _undecodable(text, e) from None
    if type(message) is not list:
        raise FrameError(
            ErrorCode.FORMATION_VIOLATION,
            "A frame must be a JSON array, not %s" % _json_type(message),
        )
    if not message:
        raise FrameError(ErrorCode.FORMATION_VIOLATION, "The frame is empty")

    kind = message[0]
    if type(kind) is not int:
        if type(kind) is _LongInteger:
            raise FrameError(
                ErrorCode.PROTOCOL_ERROR,
                "Unknown message type (an integer of %d digits): ignored"
                % kind.digits,
            )
        raise _broken(
            message,
            None,
            "The message type must be an integer, not %s" % _json_type(kind),
        )
    try:
        kind = MessageType(kind)
    except ValueError:
        # Section 4.1.3: ignored, so no id to answer.
        raise FrameError(
            ErrorCode.PROTOCOL_ERROR, f"Unknown message type {kind}: ignored"
        ) from None

    if len(message) != _ARITY[kind]:
        raise _broken(
            message,
            kind,
            "A %s has %d elements, not %d"
            % (_NAMES[kind], _ARITY[kind], len(message)),
        )
    unique_id = message[1]
    if type(unique_id) is not str:
        raise _broken(
            message,
            kind,
            "The unique id must be a string, not %s" % _json_type(unique_id),
        )
    if len(unique_id) > MAX_UNIQUE_ID_LENGTH:
        raise _broken(
            message,
            kind,
            "The unique id is longer than %d characters (%d)"
            % (MAX_UNIQUE_ID_LENGTH, len(unique_id)),
        )

    if kind is _CALL:
        action, payload = message[2], message[3]
        if type(action) is not str:
            raise _broken(
                message,
                kind,
                "The action must be a string, not %s" % _json_type(action),
            )
        if payload is None:
            payload = {}
        elif type(payload) is not dict:
            raise _broken(
                message,
                kind,
                "The payload must be an object, not %s" % _json_type(payload),
            )
        return Call(unique_id, action, payload)

    if kind is _CALLRESULT:
        payload = message[2]
        if payload is None:
            payload = {}
        elif type(payload) is not dict:
            raise _broken(
                message,
                kind,
                "The payload must be an object, not %s" % _json_type(payload),
            )
        return CallResult(unique_id, payload)

    code, description, details = message[2], message[3], message[4]
    if type(code) is not str:
        raise _broken(
            message,
            kind,
            "The error code must be a string, not %s" % _json_type(code),
        )
    if type(description) is not str:
        raise _broken(
            message,
            kind,
            "The error description must be a string, not %s"
            % _json_type(description),
        )
    if type(details) is not dict:
        raise _broken(
            message,
            kind,
            "The error details must be an object, not %s" % _json_type(details),
        )
    return CallErrorFrame(
        unique_id, _ERROR_CODES.get(code, code), description, details
    )


def _undecodable(text: str, error: Exception) -> FrameError:
    """
    @return: the L{FrameError} for text that did not decode: with its unique
        id and message type when the only fault is an integer too long to
        convert, else a C{FormationViolation} without id.
    """
    if isinstance(error, ValueError):
        try:
            message, digits = _decode_long_integers(text)
        except (ValueError, RecursionError) as other:
            # Broken for another reason too: say what that is.
            error = other
        else:
            if digits:
                return _long_integers(text, message, digits)
    return FrameError(ErrorCode.FORMATION_VIOLATION, f"Not valid JSON: {error}")


def _long_integers(text: str, message: Any, digits: list[int]) -> FrameError:
    """
    @param message: C{text} decoded by L{_decode_long_integers}.
    @param digits: the digit counts of its long integers.
    @return: the L{FrameError} of a frame that holds integers too long to
        convert: the fault of its structure if it has one, else a
        C{TypeConstraintViolation} with its id.
    """
    try:
        frame = parse_frame(text, lambda _: message)
    except FrameError as broken:
        return broken
    return FrameError(
        ErrorCode.TYPE_CONSTRAINT_VIOLATION,
        "An integer of %d digits is too long to read" % max(digits),
        frame.unique_id,
        frame.message_type,
    )


_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
    _LongInteger: "an integer",
}


def _json_type(value: object) -> str:
    """
    @return: the JSON type of a decoded value, for error descriptions.
    """
    return _JSON_TYPES.get(type(value), type(value).__name__)


def unique_id_factory(prefix: str | None = None) -> Callable[[], str]:
    """
    Make a source of unique ids for CALLs: a prefix, random per source unless
    given, and a counter (C{"3f9c2a7be01d-1"}, C{"3f9c2a7be01d-2"}, ...).
    Ids never repeat for one source and stay within 36 characters.  The
    random prefix keeps ids of different connections apart in logs.

    @param prefix: the prefix to use, at most 16 characters; random when
        C{None}.
    @return: a callable taking no arguments returning the next id.
    """
    if prefix is None:
        prefix = secrets.token_hex(6)
    elif len(prefix) > 16:
        raise ValueError("A unique id prefix is at most 16 characters")
    template = prefix + "-%d"
    counter = itertools.count(1)

    def next_unique_id() -> str:
        return template % next(counter)

    return next_unique_id
