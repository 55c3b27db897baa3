"""
Tests for L{openocpp.web.messages}: C{GET /api/v1/messages} and the live
C{frame} events, on a central system tracing its frames.
"""

import os

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from openocpp.messages import core
from tests.web import test_api
from tests.web.api_client import TOKEN, ApiMixin


class MessagesTests(ApiMixin, TestCase):
    """
    C{GET /api/v1/messages} with the trace on.
    """

    token = TOKEN

    def setUp(self):
        self.trace = os.path.abspath(self.mktemp())
        return self.start(trace=self.trace)

    @inlineCallbacks
    def test_frames_newest_first(self):
        """
        The frames of every connection, in and out, newest first, with the
        trace on: C{"tracing": true}. What this reactor turn traced is
        there too (the buffer is written before it is read).
        """
        cp = yield self.booted("CP1", statuses=[])
        yield cp.call(core.HeartbeatRequest())
        answer = yield self.get("/api/v1/messages")
        self.assertEqual(answer.status, 200)
        self.assertTrue(answer.json["tracing"])
        items = answer.json["items"]
        self.assertEqual(
            [(item["direction"], item["frame"][0]) for item in items],
            [("out", 3), ("in", 2), ("out", 3), ("in", 2)],
        )
        self.assertEqual(items[1]["frame"][2], "Heartbeat")
        self.assertEqual(items[3]["frame"][2], "BootNotification")
        self.assertEqual({item["identity"] for item in items}, {"CP1"})
        self.assertTrue(items[0]["time"].endswith("Z"))

    @inlineCallbacks
    def test_filters(self):
        """
        C{chargePoint}, C{q} (case ignored), C{before} and C{limit} narrow
        the answer.
        """
        cp1 = yield self.booted("CP1", statuses=[])
        cp2 = yield self.booted("CP2", statuses=[])
        yield cp1.call(core.HeartbeatRequest())
        yield cp2.call(core.HeartbeatRequest())
        only = yield self.get("/api/v1/messages?chargePoint=CP2")
        self.assertEqual(len(only.json["items"]), 4)
        self.assertEqual({item["identity"] for item in only.json["items"]}, {"CP2"})
        found = yield self.get("/api/v1/messages?q=bootnotification")
        self.assertEqual([item["identity"] for item in found.json["items"]], ["CP2", "CP1"])
        one = yield self.get("/api/v1/messages?limit=1")
        self.assertEqual(len(one.json["items"]), 1)
        oldest = (yield self.get("/api/v1/messages")).json["items"][-1]
        before = yield self.get("/api/v1/messages?before=" + oldest["time"])
        self.assertEqual(before.json["items"], [])

    @inlineCallbacks
    def test_bad_query(self):
        """
        A C{before} that is no date-time and a C{limit} out of range are
        answered 400 naming them.
        """
        answer = yield self.get("/api/v1/messages?before=yesterday")
        self.assertError(answer, 400, "bad_query")
        self.assertIn("before", answer.json["description"])
        answer = yield self.get("/api/v1/messages?limit=5000")
        self.assertError(answer, 400, "bad_query")
        self.assertIn("limit", answer.json["description"])

    @inlineCallbacks
    def test_token_required(self):
        """
        The frames are the API's: without the token, 401.
        """
        answer = yield self.get("/api/v1/messages", auth=False)
        self.assertEqual(answer.status, 401)


class LiveFramesTests(ApiMixin, TestCase):
    """
    The live C{frame} events of C{/api/v1/stream} with the trace on.
    """

    def setUp(self):
        return self.start(trace=os.path.abspath(self.mktemp()))

    open_stream = test_api.StreamTests.open_stream

    @inlineCallbacks
    def test_live_frames(self):
        """
        While a stream is open, each traced frame is a C{frame} event of it
        (those of one charge point with C{?chargepoint=}); they are not
        kept for clients catching up.
        """
        reader = yield self.open_stream("?chargepoint=CP1")
        cp = yield self.connect("CP1")
        yield cp.call(core.HeartbeatRequest())
        yield reader.wait(lambda: reader.kinds().count("frame") >= 2)
        frames = [data for _, kind, data in reader.events if kind == "frame"]
        self.assertEqual([data["direction"] for data in frames], ["in", "out"])
        self.assertEqual(frames[0]["chargePoint"], "CP1")
        self.assertEqual(frames[0]["frame"][2], "Heartbeat")
        kept = []
        self.web.events.subscribe(lambda *event: kept.append(event), after=0)
        self.assertNotIn("frame", [kind for _, kind, _ in kept])


class NoTraceTests(ApiMixin, TestCase):
    """
    C{GET /api/v1/messages} with the trace off.
    """

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def test_empty(self):
        """
        Without a trace the answer is an empty list and C{"tracing": false},
        never a 404.
        """
        yield self.booted("CP1", statuses=[])
        answer = yield self.get("/api/v1/messages?chargePoint=CP1")
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.json, {"items": [], "tracing": False})
