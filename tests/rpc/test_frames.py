"""
Tests for L{openocpp.rpc.frames}: parsing and serialising OCPP-J frames.
"""

import json

from twisted.trial.unittest import SynchronousTestCase

from openocpp.messages.errors import ErrorCode
from openocpp.rpc.frames import (
    Call,
    CallErrorFrame,
    CallResult,
    FrameError,
    MessageType,
    _has_long_digits,
    parse_frame,
    unique_id_factory,
)

FV = ErrorCode.FORMATION_VIOLATION
PE = ErrorCode.PROTOCOL_ERROR

#: (text, code, recoverable unique id, message type) for malformed frames.
MALFORMED = [
    ("not json", FV, None, None),
    ("[2, \"a\", \"Heartbeat\", {}", FV, None, None),
    ("", FV, None, None),
    ("[2, \"a\", \"Heartbeat\", {\"x\": NaN}]", FV, None, None),
    ("[2, \"a\", \"Heartbeat\", {\"x\": Infinity}]", FV, None, None),
    ("[" * 100000 + "]" * 100000, FV, None, None),
    ("{\"a\": 1}", FV, None, None),
    ("\"text\"", FV, None, None),
    ("2", FV, None, None),
    ("null", FV, None, None),
    ("[]", FV, None, None),
    # message type not an integer
    ("[\"2\", \"a\", \"Heartbeat\", {}]", FV, "a", None),
    ("[2.0, \"a\", \"Heartbeat\", {}]", FV, "a", None),
    ("[true, \"a\", \"Heartbeat\", {}]", FV, "a", None),
    ("[null]", FV, None, None),
    # unknown message types: the message is ignored, whatever its shape
    # (section 4.1.3): no id recovered, so never answered
    ("[5, \"a\", \"Heartbeat\", {}]", PE, None, None),
    ("[0, \"a\"]", PE, None, None),
    ("[1, \"a\", {}]", PE, None, None),
    ("[6]", PE, None, None),
    ("[-1, 3]", PE, None, None),
    ("[%s, \"a\", \"Heartbeat\", {}]" % ("9" * 5000), PE, None, None),
    # wrong arity for each type
    ("[2]", FV, None, MessageType.CALL),
    ("[2, \"a\"]", FV, "a", MessageType.CALL),
    ("[2, \"a\", \"Heartbeat\"]", FV, "a", MessageType.CALL),
    ("[2, \"a\", \"Heartbeat\", {}, {}]", FV, "a", MessageType.CALL),
    ("[3, \"a\"]", FV, "a", MessageType.CALLRESULT),
    ("[3, \"a\", {}, {}]", FV, "a", MessageType.CALLRESULT),
    ("[4, \"a\", \"GenericError\", \"\"]", FV, "a", MessageType.CALLERROR),
    ("[4, \"a\", \"GenericError\", \"\", {}, {}]", FV, "a",
     MessageType.CALLERROR),
    # unique id not a string, or too long
    ("[2, 7, \"Heartbeat\", {}]", FV, None, MessageType.CALL),
    ("[2, null, \"Heartbeat\", {}]", FV, None, MessageType.CALL),
    ("[2, [\"a\"], \"Heartbeat\", {}]", FV, None, MessageType.CALL),
    ("[2, \"%s\", \"Heartbeat\", {}]" % ("x" * 37), FV, "x" * 37,
     MessageType.CALL),
    ("[2, \"%s\", \"Heartbeat\"]" % ("x" * 1000), FV, "x" * 1000,
     MessageType.CALL),
    ("[3, \"%s\", {}]" % ("x" * 37), FV, "x" * 37, MessageType.CALLRESULT),
    ("[3, 7, {}]", FV, None, MessageType.CALLRESULT),
    ("[4, 7, \"GenericError\", \"\", {}]", FV, None, MessageType.CALLERROR),
    # integers too long to convert (Python's int_max_str_digits): the id
    # is still recovered
    ("[2, \"a\", \"DataTransfer\", {\"vendorId\": %s}]" % ("9" * 5000),
     ErrorCode.TYPE_CONSTRAINT_VIOLATION, "a", MessageType.CALL),
    ("[2, \"a\", \"Heartbeat\", {\"x\": [-%s]}]" % ("1" * 4301),
     ErrorCode.TYPE_CONSTRAINT_VIOLATION, "a", MessageType.CALL),
    ("[3, \"a\", {\"x\": %s}]" % ("9" * 5000),
     ErrorCode.TYPE_CONSTRAINT_VIOLATION, "a", MessageType.CALLRESULT),
    ("[2, \"a\", %s, {}]" % ("9" * 5000), FV, "a", MessageType.CALL),
    ("[2, %s, \"Heartbeat\", {}]" % ("9" * 5000), FV, None, MessageType.CALL),
    ("[2, \"a\", \"Heartbeat\", {\"x\": %s}" % ("9" * 5000), FV, None,
     None),
    # action not a string
    ("[2, \"a\", 7, {}]", FV, "a", MessageType.CALL),
    ("[2, \"a\", null, {}]", FV, "a", MessageType.CALL),
    ("[2, \"a\", {}, {}]", FV, "a", MessageType.CALL),
    # payload not an object
    ("[2, \"a\", \"Heartbeat\", []]", FV, "a", MessageType.CALL),
    ("[2, \"a\", \"Heartbeat\", \"{}\"]", FV, "a", MessageType.CALL),
    ("[2, \"a\", \"Heartbeat\", 1]", FV, "a", MessageType.CALL),
    ("[3, \"a\", []]", FV, "a", MessageType.CALLRESULT),
    ("[3, \"a\", false]", FV, "a", MessageType.CALLRESULT),
    # CALLERROR fields of the wrong type
    ("[4, \"a\", 1, \"\", {}]", FV, "a", MessageType.CALLERROR),
    ("[4, \"a\", \"GenericError\", null, {}]", FV, "a", MessageType.CALLERROR),
    ("[4, \"a\", \"GenericError\", \"\", null]", FV, "a",
     MessageType.CALLERROR),
    ("[4, \"a\", \"GenericError\", \"\", []]", FV, "a", MessageType.CALLERROR),
    ("[4, \"a\", \"GenericError\", \"\", \"x\"]", FV, "a",
     MessageType.CALLERROR),
]


class ParseFrameTests(SynchronousTestCase):
    """
    L{parse_frame} turns well-formed text into frames and names the error
    code and recoverable id of malformed text.
    """

    def test_call(self):
        """
        A CALL parses into a L{Call}.
        """
        frame = parse_frame(
            '[2,"19223201","BootNotification",'
            '{"chargePointVendor":"VendorX","chargePointModel":"S"}]'
        )
        self.assertEqual(
            frame,
            Call(
                "19223201",
                "BootNotification",
                {"chargePointVendor": "VendorX", "chargePointModel": "S"},
            ),
        )

    def test_callResult(self):
        """
        A CALLRESULT parses into a L{CallResult}.
        """
        frame = parse_frame('[3, "19223201", {"status": "Accepted"}]')
        self.assertEqual(
            frame, CallResult("19223201", {"status": "Accepted"})
        )

    def test_callError(self):
        """
        A CALLERROR parses into a L{CallErrorFrame}, its code an
        L{ErrorCode} when it is one of table 7.
        """
        frame = parse_frame(
            '[4,"162376037","NotSupported",'
            '"SendLocalList.req not implemented",{"a":1}]'
        )
        self.assertEqual(
            frame,
            CallErrorFrame(
                "162376037",
                ErrorCode.NOT_SUPPORTED,
                "SendLocalList.req not implemented",
                {"a": 1},
            ),
        )
        self.assertIs(frame.code, ErrorCode.NOT_SUPPORTED)

    def test_callErrorUnknownCode(self):
        """
        An error code outside table 7 is kept as the string received.
        """
        frame = parse_frame('[4,"1","Teapot","",{}]')
        self.assertEqual(frame.code, "Teapot")
        self.assertNotIsInstance(frame.code, ErrorCode)

    def test_nullPayload(self):
        """
        A payload of C{null} is read as an empty object, as sections 4.2.1
        and 4.2.2 allow.
        """
        self.assertEqual(
            parse_frame('[2,"a","Heartbeat",null]'), Call("a", "Heartbeat", {})
        )
        self.assertEqual(parse_frame('[3,"a",null]'), CallResult("a", {}))

    def test_longestId(self):
        """
        A unique id of 36 characters is accepted.
        """
        uid = "x" * 36
        self.assertEqual(
            parse_frame('[3,"%s",{}]' % uid), CallResult(uid, {})
        )

    def test_unicode(self):
        """
        Text beyond ASCII is read as is.
        """
        frame = parse_frame('[2,"a","DataTransfer",{"data":"Grüße ⚡"}]')
        self.assertEqual(frame.payload, {"data": "Grüße ⚡"})

    def test_malformed(self):
        """
        Each malformed frame raises L{FrameError} with the code to answer
        with, the id if one can be recovered and the message type if it is
        one of the three.
        """
        for text, code, unique_id, message_type in MALFORMED:
            with self.subTest(text=text[:60]):
                error = self.assertRaises(FrameError, parse_frame, text)
                self.assertEqual(
                    (error.code, error.unique_id, error.message_type),
                    (code, unique_id, message_type),
                )
                self.assertIsInstance(error.description, str)
                self.assertTrue(error.description)
                self.assertIn(error.description, str(error))


class SerialiseTests(SynchronousTestCase):
    """
    Frames serialise to compact JSON that parses back to the same frame.
    """

    def test_call(self):
        """
        A L{Call} serialises to a compact 4-element array.
        """
        text = Call("a", "Heartbeat", {}).serialise()
        self.assertEqual(text, '[2,"a","Heartbeat",{}]')

    def test_callResult(self):
        """
        A L{CallResult} serialises to a compact 3-element array.
        """
        text = CallResult("a", {"currentTime": "2024-01-01T00:00:00Z"})
        self.assertEqual(
            text.serialise(), '[3,"a",{"currentTime":"2024-01-01T00:00:00Z"}]'
        )

    def test_callError(self):
        """
        A L{CallErrorFrame} serialises to a compact 5-element array with
        details C{{}} when none are given.
        """
        text = CallErrorFrame("a", ErrorCode.NOT_IMPLEMENTED, "no").serialise()
        self.assertEqual(text, '[4,"a","NotImplemented","no",{}]')

    def test_nonAscii(self):
        """
        Text beyond ASCII is written as UTF-8 characters, not escapes.
        """
        text = Call("a", "DataTransfer", {"data": "Grüße"}).serialise()
        self.assertIn("Grüße", text)

    def test_noNaN(self):
        """
        NaN is not JSON and never reaches the wire: a frame stays strict JSON
        (the encoder writes null; payloads are validated before they are
        framed, and validation refuses NaN, see
        L{openocpp.messages.validation}).
        """
        import json

        def refuse(name):
            raise ValueError(name)

        text = Call("a", "X", {"v": float("nan")}).serialise()
        self.assertEqual(json.loads(text, parse_constant=refuse), [2, "a", "X", {"v": None}])

    def test_huge_integers(self):
        """
        Integers beyond 64 bits are valid JSON: they are read and written
        exactly.
        """
        big = 10**30
        text = Call("a", "X", {"v": big}).serialise()
        self.assertEqual(text, '[2,"a","X",{"v":%d}]' % big)
        self.assertEqual(parse_frame(text).payload, {"v": big})

    def test_huge_integers_anywhere(self):
        """
        Integers beyond 64 bits are read exactly wherever they are, in
        frames with other digits and non-ASCII text.
        """
        for big in (10**19, 2**64, -(2**64), 10**40 + 7):
            text = '[2,"1","X",{"t":"2026-12-02T16:20:29Z","n":"Grüße %s","v":%d}]' % ("9" * 19, big)
            self.assertEqual(parse_frame(text).payload["v"], big)
            self.assertIs(type(parse_frame(text).payload["v"]), int)

    def test_long_digits_as_the_expression_finds_them(self):
        """
        The check for 20 digits in a row finds what C{[0-9]{20}} finds:
        ASCII digits only, whatever surrounds them (lone surrogates too).
        """
        import re

        expression = re.compile(r"[0-9]{20}")
        texts = [
            "",
            "0" * 19,
            "0" * 20,
            "a" + "1" * 20 + "b",
            "1" * 10 + "x" + "1" * 10,
            "\u0661" * 25,
            "\u00e9" + "9" * 20,
            "\ud800" + "7" * 20,
            "\ud800" + "7" * 19,
            "0123456789" * 2,
            "\U0001f600" * 3 + "4" * 20,
        ] + ["x%sy" % ("8" * n) for n in range(15, 25)]
        for text in texts:
            self.assertEqual(_has_long_digits(text), expression.search(text) is not None, repr(text))

    def test_roundTrip(self):
        """
        Parsing a serialised frame gives the frame back.
        """
        for frame in [
            Call("abc", "MeterValues", {"connectorId": 1, "meterValue": []}),
            CallResult("abc", {"status": "Accepted"}),
            CallErrorFrame("abc", ErrorCode.GENERIC_ERROR, "d", {"x": [1]}),
        ]:
            self.assertEqual(parse_frame(frame.serialise()), frame)
            self.assertEqual(
                json.loads(frame.serialise())[0], frame.message_type
            )


class UniqueIdTests(SynchronousTestCase):
    """
    L{unique_id_factory} makes distinct ids of at most 36 characters.
    """

    def test_distinct(self):
        """
        Ids from one factory never repeat, and two factories have different
        prefixes.
        """
        first, second = unique_id_factory(), unique_id_factory()
        ids = [first() for _ in range(10000)] + [second() for _ in range(10)]
        self.assertEqual(len(set(ids)), len(ids))
        self.assertTrue(all(len(i) <= 36 for i in ids))

    def test_prefix(self):
        """
        A given prefix starts every id.
        """
        next_id = unique_id_factory("p")
        self.assertEqual([next_id(), next_id()], ["p-1", "p-2"])

    def test_longPrefix(self):
        """
        A prefix over 16 characters is refused: ids could outgrow 36.
        """
        self.assertRaises(ValueError, unique_id_factory, "x" * 17)
