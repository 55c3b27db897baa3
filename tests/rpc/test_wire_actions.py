"""
Every one of the 39 actions over a real WebSocket on loopback: a test
central system (our server and an L{RpcSession} playing the central
system) and a test charge point (our client and an L{RpcSession} playing
the charge point), each action called in every direction the registry
allows, with a request and a response that have every optional field set.

Each frame both sessions send and receive is checked against the official
schemas (L{tests.oracle}), so this is the whole stack, message objects to
bytes on a socket and back, against the OCA's own definition.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import json
import typing
from datetime import datetime, timedelta, timezone
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.messages import ACTIONS, ErrorCode, Role
from openocpp.messages.codec import camel_case, encode, schema_name
from openocpp.rpc import CallError, RpcSession
from openocpp.transport.client import (
    OcppClientFactory,
    client_endpoint,
    open_connection,
)
from openocpp.transport.server import OcppServerFactory, listen
from tests.oracle import assert_frame_valid, schema_validator

LOOPBACK = "tcp:0:interface=127.0.0.1"
IDENTITY = "CP-Wire-1"

# Every string ends with one character outside ASCII (two bytes of UTF-8)
# and is as long as maxLength allows, so that maxLength is checked in
# characters end to end.
_WIDE = "\u00e9"


def _resolve(schema: dict, root: dict) -> dict:
    """
    Follow a local C{$ref} (the Security Whitepaper's schemas use them).
    """
    while "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


class FullMessages:
    """
    Builds message objects with every field set, from the classes' type
    hints, with values within the official schemas' constraints: strings
    as long as their maxLength allows (C{uri} ones as URLs, enumerated ones
    from their enumeration), aware date-times with an offset and
    milliseconds, numbers that are multiples of 0.5, two items per list.
    Values differ from field to field, so a field delivered into another
    would show.
    """

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def build(self, cls: type) -> Any:
        """
        @param cls: a request or response class.
        @return: an instance with every field set.
        """
        root = schema_validator(schema_name(cls)).schema
        return self._object(cls, root, root)

    def _object(self, cls: type, schema: dict, root: dict) -> Any:
        schema = _resolve(schema, root)
        properties = schema.get("properties", {})
        hints = typing.get_type_hints(cls)
        arguments = {}
        for field in dataclasses.fields(cls):
            json_name = camel_case(field.name)
            if json_name not in properties:
                raise AssertionError(
                    f"{cls.__name__}.{field.name} ({json_name}) is not in the "
                    f"official schema's properties {sorted(properties)}"
                )
            arguments[field.name] = self._value(
                hints[field.name], properties[json_name], root, json_name
            )
        return cls(**arguments)

    def _value(self, hint: Any, schema: dict, root: dict, name: str) -> Any:
        schema = _resolve(schema, root)
        origin = typing.get_origin(hint)
        if origin in (typing.Union, typing.get_origin(int | None)):
            (hint,) = [a for a in typing.get_args(hint) if a is not type(None)]
            origin = typing.get_origin(hint)
        n = next(self._counter)
        if origin is list:
            (inner,) = typing.get_args(hint)
            count = max(2, schema.get("minItems", 0))
            count = min(count, schema.get("maxItems", count))
            return [
                self._value(inner, schema["items"], root, name) for _ in range(count)
            ]
        if dataclasses.is_dataclass(hint):
            return self._object(hint, schema, root)
        if hint is datetime:
            # An offset other than UTC, and milliseconds: the receiver gets
            # the same instant (in UTC).
            return datetime(
                2026, 11, 25, 9, 0, 0, 250000, tzinfo=timezone(timedelta(hours=1))
            ) + timedelta(minutes=n, seconds=n)
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            # Only the members this schema lists: the official schemas do not
            # all agree (StopTransaction's units lack MeterValues' "Hertz").
            members = [m for m in hint if m.value in schema.get("enum", [m.value])]
            return members[n % len(members)]
        if hint is bool:
            return n % 2 == 0
        if hint is int:
            return n
        if hint is float:
            return 0.5 * (2 * n + 1)
        if hint is str:
            if "enum" in schema:
                return schema["enum"][n % len(schema["enum"])]
            limit = schema.get("maxLength", 64)
            if schema.get("format") == "uri":
                text = f"ftp://files.example.com/ocpp/{name}/{n}/"
                return (text + "x" * limit)[:limit]
            text = f"{name}-{n}-" + "abcdefghij" * (limit // 10 + 1)
            return text[: limit - 1] + _WIDE
        raise AssertionError(f"no value for {name}: {hint!r}")


def missing_properties(payload: Any, schema: dict, root: dict, path: str = "") -> list:
    """
    @return: the paths of the properties the official schema defines that
        C{payload} leaves out, at any depth.
    """
    schema = _resolve(schema, root)
    missing = []
    if schema.get("type") == "object" or "properties" in schema:
        for key, inner in schema.get("properties", {}).items():
            if key not in payload:
                missing.append(f"{path}/{key}")
            else:
                missing += missing_properties(payload[key], inner, root, f"{path}/{key}")
    elif schema.get("type") == "array":
        for index, item in enumerate(payload):
            missing += missing_properties(item, schema["items"], root, f"{path}/{index}")
    return missing


class FullMessagesTests(SynchronousTestCase):
    """
    The messages L{FullMessages} builds are what the wire tests need.
    """

    def test_every_property_set(self) -> None:
        """
        The payload of every request and response built has every property
        of its official schema, at every depth, and conforms to it.
        """
        messages = FullMessages()
        for spec in ACTIONS.values():
            for cls in (spec.request, spec.response):
                with self.subTest(cls=cls.__name__):
                    payload = encode(messages.build(cls))
                    validator = schema_validator(schema_name(cls))
                    self.assertEqual(
                        missing_properties(payload, validator.schema, validator.schema),
                        [],
                    )
                    self.assertEqual(list(validator.iter_errors(payload)), [])


class Side:
    """
    One end of the connection under test: its request handlers, its
    session once connected, and every frame it sent and received.

    @ivar received: the requests the handlers were called with.
    @ivar answers: the response each action's handler gives.
    @ivar frames: (direction, text) of every frame, in order.
    """

    def __init__(self, role: Role) -> None:
        self.role = role
        self.received: list[Any] = []
        self.answers: dict[str, Any] = {}
        self.frames: list[tuple[str, str]] = []
        self.session: RpcSession | None = None
        self.ready: Deferred[RpcSession] = Deferred()
        self.handlers = {
            spec.name: self._handler(spec.name)
            for spec in ACTIONS.values()
            if spec.received_by(role)
        }

    def _handler(self, action: str) -> Any:
        def handle(request: Any) -> Any:
            self.received.append(request)
            answer = self.answers[action]
            if isinstance(answer, Exception):
                raise answer
            return answer

        return handle

    def make_session(self, connection: Any) -> RpcSession:
        """
        The transport's handler factory.
        """
        session = RpcSession(self.role, self.handlers, reactor, call_timeout=5.0)
        session.add_observer(self._observe)
        self.session = session
        if not self.ready.called:
            self.ready.callback(session)
        return session

    def _observe(self, direction: str, text: str, session: RpcSession) -> None:
        self.frames.append((direction, text))


class WireActionsTests(TestCase):
    """
    The 39 actions between a central system and a charge point connected
    over loopback; tests named C{test_<Action>_from_<sender>} are added
    below for each action and each of its senders.
    """

    timeout = 10

    async def setUp(self) -> None:
        self.central = Side(Role.CENTRAL_SYSTEM)
        self.charge_point = Side(Role.CHARGE_POINT)
        self.sides = {side.role: side for side in (self.central, self.charge_point)}
        self.messages = FullMessages()

        server = OcppServerFactory(self.central.make_session)
        port = await listen(reactor, LOOPBACK, server)
        self.addCleanup(port.stopListening)
        self.addCleanup(server.close_connections, 1000, "done")
        url = f"ws://127.0.0.1:{port.getHost().port}/ocpp"
        client = OcppClientFactory(url, IDENTITY, self.charge_point.make_session)
        self.addCleanup(client.close_connections, 1000, "done")
        self.connection = await open_connection(
            client_endpoint(reactor, client.connection_url), client
        )
        await self.central.ready
        self.assertEqual(self.central.session.identity, IDENTITY)

    def check_frames(self) -> None:
        """
        Each side received exactly what the other sent, and every frame
        conforms to the official schemas: CALLs by their action,
        CALLRESULTs by the action of the CALL they answer.
        """
        for side in self.sides.values():
            other = self.sides[side.role.peer]
            self.assertEqual(
                [text for direction, text in side.frames if direction == "out"],
                [text for direction, text in other.frames if direction == "in"],
            )
        calls: dict[tuple[Role, str], str] = {}
        for side in self.sides.values():
            for direction, text in side.frames:
                frame = json.loads(text)
                if direction == "out" and frame[0] == 2:
                    calls[(side.role, frame[1])] = frame[2]
        for side in self.sides.values():
            for direction, text in side.frames:
                if direction != "out":
                    continue
                frame = json.loads(text)
                if frame[0] == 3:
                    # answers a CALL the other side sent
                    action = calls.get((side.role.peer, frame[1]))
                    self.assertIsNotNone(action, f"answer to no CALL: {text}")
                    assert_frame_valid(self, text, action=action)
                else:
                    assert_frame_valid(self, text)

    async def exchange(self, action: str, sender: Role) -> None:
        """
        C{sender} calls C{action} with a request that has every field set;
        the receiver's handler gets an equal request and answers with a
        full response; the caller gets an equal response.
        """
        spec = ACTIONS[action]
        calling, answering = self.sides[sender], self.sides[sender.peer]
        request = self.messages.build(spec.request)
        response = self.messages.build(spec.response)
        answering.answers[action] = response

        result = await calling.session.call(request)

        self.assertEqual(answering.received, [request])
        self.assertIsInstance(answering.received[0], spec.request)
        self.assertEqual(result, response)
        self.assertIsInstance(result, spec.response)
        self.assertEqual(
            [(d, json.loads(t)[0]) for d, t in calling.frames], [("out", 2), ("in", 3)]
        )
        call = json.loads(calling.frames[0][1])
        self.assertEqual(call[2], action)
        # nothing set was left out on the wire
        validator = schema_validator(action)
        self.assertEqual(missing_properties(call[3], validator.schema, validator.schema), [])
        answer = json.loads(calling.frames[1][1])
        validator = schema_validator(action + "Response")
        self.assertEqual(
            missing_properties(answer[2], validator.schema, validator.schema), []
        )
        self.check_frames()

    async def test_call_error(self) -> None:
        """
        A handler raising L{CallError} answers with that CALLERROR over the
        wire (code, description, details), and the caller's call fails with
        an equal L{CallError}; the session goes on.
        """
        self.charge_point.answers["GetLog"] = CallError(
            ErrorCode.SECURITY_ERROR,
            "Log upload refused to this location",
            {"location": "ftp://elsewhere.example.com/"},
        )
        request = self.messages.build(ACTIONS["GetLog"].request)
        try:
            await self.central.session.call(request)
        except CallError as error:
            self.assertEqual(error.code, ErrorCode.SECURITY_ERROR)
            self.assertEqual(error.description, "Log upload refused to this location")
            self.assertEqual(error.details, {"location": "ftp://elsewhere.example.com/"})
        else:
            self.fail("the call did not fail")
        self.assertEqual(self.charge_point.received, [request])
        sent = json.loads(self.charge_point.frames[-1][1])
        self.assertEqual(
            sent,
            [
                4,
                json.loads(self.central.frames[0][1])[1],
                "SecurityError",
                "Log upload refused to this location",
                {"location": "ftp://elsewhere.example.com/"},
            ],
        )
        self.check_frames()

        # the session still works
        for side in self.sides.values():
            side.frames.clear()
            side.received.clear()
        await self.exchange("Reset", Role.CENTRAL_SYSTEM)

    async def test_call_error_from_central_system(self) -> None:
        """
        The same, the charge point calling.
        """
        self.central.answers["Authorize"] = CallError(ErrorCode.SECURITY_ERROR, "No")
        request = self.messages.build(ACTIONS["Authorize"].request)
        try:
            await self.charge_point.session.call(request)
        except CallError as error:
            self.assertEqual(
                (error.code, error.description, error.details),
                (ErrorCode.SECURITY_ERROR, "No", {}),
            )
        else:
            self.fail("the call did not fail")
        self.assertEqual(json.loads(self.central.frames[-1][1])[2:], ["SecurityError", "No", {}])
        self.check_frames()

    async def raw_call(self, text: str, unique_id: str) -> list:
        """
        Send C{text} from the charge point's connection, bypassing its
        session, and wait for the central system's answer to C{unique_id}.
        """
        answered: Deferred[list] = Deferred()

        def watch(direction: str, frame_text: str, session: RpcSession) -> None:
            frame = json.loads(frame_text)
            if direction == "in" and frame[1] == unique_id and not answered.called:
                answered.callback(frame)

        self.charge_point.session.add_observer(watch)
        self.connection.send_text(text)
        answer = await answered
        self.charge_point.session.remove_observer(watch)
        return answer

    async def test_unknown_action(self) -> None:
        """
        A CALL of an action OCPP 1.6 does not define gets a CALLERROR
        C{NotImplemented} naming it, and nothing is handed to a handler.
        """
        answer = await self.raw_call('[2,"raw-1","TeleportCar",{"to":"Mars"}]', "raw-1")
        self.assertEqual(answer[:3], [4, "raw-1", "NotImplemented"])
        self.assertIn("TeleportCar", answer[3])
        self.assertEqual(answer[4], {})
        assert_frame_valid(self, answer)
        self.assertEqual(self.central.received, [])
        self.assertEqual(self.central.frames[-1][0], "out")

    async def test_action_of_the_other_role(self) -> None:
        """
        A CALL of an action the charge point does not send (Reset) gets
        C{NotSupported}, even with a valid payload.
        """
        answer = await self.raw_call('[2,"raw-2","Reset",{"type":"Soft"}]', "raw-2")
        self.assertEqual(answer[:3], [4, "raw-2", "NotSupported"])
        assert_frame_valid(self, answer)
        self.assertEqual(self.central.received, [])


def _add_exchange_tests() -> None:
    """
    Add C{test_<Action>_from_<sender>} to L{WireActionsTests} for each
    action and each role that sends it.
    """
    for spec in ACTIONS.values():
        for sender in sorted(spec.senders, key=lambda role: role.value):

            async def test(self: WireActionsTests, action=spec.name, sender=sender) -> None:
                await self.exchange(action, sender)

            name = f"test_{spec.name}_from_{sender.value}"
            test.__name__ = name
            test.__qualname__ = f"WireActionsTests.{name}"
            test.__doc__ = (
                f"{spec.name} sent by the {sender.value}, every field set, "
                "arrives equal and is answered with an equal full response."
            )
            setattr(WireActionsTests, name, test)


_add_exchange_tests()
