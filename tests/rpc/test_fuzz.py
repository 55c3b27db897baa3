"""
Property tests: whatever text arrives, a session neither raises nor sends
anything but well-formed answers.
"""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twisted.internet.task import Clock
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from openocpp.messages import HeartbeatResponse
from openocpp.messages.registry import ACTIONS, Role
from openocpp.rpc.frames import CallErrorFrame, CallResult, Call, parse_frame
from openocpp.rpc.session import RpcSession
from tests.oracle import assert_frame_valid
from tests.rpc.fake_connection import NOW, FakeConnection

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20,
)

unique_ids = st.text(max_size=40) | st.integers() | st.none()
actions = st.sampled_from(sorted(ACTIONS)) | st.text(max_size=30)

# Frame-like arrays: a message type (mostly a valid one), then elements of
# roughly the right kinds, of any length.
frame_like = st.tuples(
    st.sampled_from([2, 3, 4]) | st.integers(-3, 9) | json_values,
    unique_ids,
    actions | json_values,
    json_values,
    st.sampled_from(["", "GenericError", "NotImplemented"]) | json_values,
    json_values,
).flatmap(lambda t: st.integers(0, 6).map(lambda n: list(t[:n])))

texts = (
    frame_like.map(json.dumps)
    | json_values.map(json.dumps)
    | st.text(max_size=80)
)


class FuzzTests(SynchronousTestCase):
    """
    Arbitrary input never breaks a session.
    """

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(texts, min_size=1, max_size=8), st.sampled_from(list(Role)))
    def test_anyInput(self, inputs, role):
        """
        For any sequence of texts received, the session answers each with
        at most one frame, every frame it sends is well formed (CALLERRORs
        carry a table 7 code, and an id of at most 36 characters unless they
        echo the longer id of the text they answer), and it still answers a
        proper call afterwards.
        """
        failures = []

        def observe(event):
            if "log_failure" in event:
                failures.append(event["log_failure"])

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)
        connection = FakeConnection()
        handlers = {
            name: (lambda request: None) for name in ACTIONS if name != "Heartbeat"
        }
        handlers["Heartbeat"] = lambda request: HeartbeatResponse(current_time=NOW)
        session = RpcSession(role, handlers, Clock())
        session.connection_made(connection)
        for text in inputs:
            before = len(connection.sent)
            session.text_received(text)
            sent = connection.sent[before:]
            self.assertLessEqual(len(sent), 1)
            for answer in sent:
                decoded = json.loads(answer)
                if decoded[0] == 4 and len(decoded[1]) > 36:
                    # A CALLERROR echoes an overlong id exactly (OCPP-J
                    # table 6): it must be the one received.
                    self.assertEqual(decoded[1], json.loads(text)[1])
                    self.assertEqual(decoded[2], "FormationViolation")
                    continue
                frame = parse_frame(answer)
                self.assertIsInstance(frame, (CallErrorFrame, CallResult))
                if isinstance(frame, CallErrorFrame):
                    assert_frame_valid(self, answer)
                else:
                    # Only a Heartbeat can be answered with a result here.
                    assert_frame_valid(self, answer, action="Heartbeat")
        # Handlers answering None are internal errors, logged without a
        # traceback: no traceback (no failure) is logged for any input.
        globalLogPublisher.removeObserver(observe)
        self.assertEqual([f.getTraceback() for f in failures], [])
        session.text_received('[2,"last","Heartbeat",{}]')
        last = parse_frame(connection.sent[-1])
        if role is Role.CENTRAL_SYSTEM:
            self.assertEqual(
                last, CallResult("last", {"currentTime": "2026-01-01T12:00:00.000Z"})
            )
        else:
            self.assertIsInstance(last, CallErrorFrame)
            self.assertEqual(last.code, "NotSupported")
        self.assertNotIsInstance(last, Call)
